/**
 * The README's quick start, run as a user would: `npm start` (the stand-in, local KV with
 * the example rules, wrangler dev) and `npm run chat -- "1"` as child processes on loopback.
 * Its settings file is its own (`--dev-vars`), made by npm start from .dev.vars.example as
 * a first run makes .dev.vars: whatever the checkout's .dev.vars says, the example's two apps
 * are the ones played. So it starts its own `npm start` rather than the node project's shared
 * one: it reads what npm start prints from its first line, and its rules:push --local replaces
 * the rule set that the other files' pushes are answered by.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { FakeCall } from '../../dev/fake-wechat-types'
import { parseDevVars } from '../../scripts/dev-vars'
import { freePort } from './browser'

const root = join(import.meta.dirname, '..', '..')
/** The example's second app (the first of its WECHAT_APPS). */
const secondApp =
  parseDevVars(readFileSync(join(root, '.dev.vars.example'), 'utf8'))
    .WECHAT_APPS?.split(',')[0]
    ?.trim() ?? ''

describe('npm start + npm run chat', () => {
  let start: ChildProcess
  let output = ''
  let port = 0
  let apiPort = 0
  const state = mkdtempSync(join(tmpdir(), 'kefu-quickstart-'))
  const devVars = join(state, '.dev.vars')

  // 90 s, as for the shared npm start: wrangler dev took over 60 s to start on this 2-core
  // machine under load.
  beforeAll(async () => {
    port = await freePort()
    apiPort = await freePort()
    const inspectorPort = await freePort()
    start = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/start.ts',
        '--port',
        String(port),
        '--api-port',
        String(apiPort),
        '--inspector-port',
        String(inspectorPort),
        '--persist-to',
        state,
        '--dev-vars',
        devVars,
      ],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    )
    start.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    start.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (output.includes(`Ready on http://127.0.0.1:${port}`)) {
          clearInterval(timer)
          resolve()
        }
      }, 100)
      start.on('exit', (code) => {
        clearInterval(timer)
        reject(new Error(`npm start exited (${code}):\n${output}`))
      })
    })
  }, 90_000)

  afterAll(async () => {
    if (start.exitCode === null && start.pid) {
      const exited = new Promise((resolve) => start.on('exit', resolve))
      process.kill(-start.pid, 'SIGINT')
      await exited
    }
    rmSync(state, { recursive: true, force: true })
  })

  function chat(...args: string[]): string {
    return chatWith(undefined, ...args)
  }

  /** `npm run chat`, with `input` typed at its prompt when given. */
  function chatWith(input: string | undefined, ...args: string[]): string {
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'scripts/chat.ts',
        '--url',
        `http://127.0.0.1:${port}`,
        '--api',
        `http://127.0.0.1:${apiPort}`,
        '--dev-vars',
        devVars,
        ...args,
      ],
      { cwd: root, encoding: 'utf8', timeout: 60_000, input },
    )
    expect(result.status, result.stderr).toBe(0)
    return result.stdout
  }

  it("prints the console's address and the local admin token once the Worker is ready", async () => {
    // Printed once the example knowledge base is loaded too, a few seconds after `Ready on`.
    await vi.waitFor(() => expect(output).toContain(`Console: http://localhost:${port}/admin`), { timeout: 30_000, interval: 200 })
    expect(output).toContain(`sign in with the local ADMIN_TOKEN from ${devVars}: local-admin-token-change-me`)
  })

  it('answers a keyword with the example rule set, and the stand-in shows the send', async () => {
    const printed = chat('1')
    expect(printed).toContain('[rule download] link: "下载 App"')
    expect(printed).toContain('https://example.com/app')
    await vi.waitFor(() => expect(output).toMatch(/\[wechat\] send → \S+: link: "下载 App"/))
    // The rules came from the compiled form rules:push stored, not compiled again in the Worker:
    // a binary value mangled on the way in (wrangler's local bulk put) would fall back to the source.
    const health = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { authorization: 'Bearer local-admin-token-change-me' } })
    expect(((await health.json()) as { rules: { from: string } }).rules.from).toBe('compiled')
    // Without the token, /healthz says only whether all is well, and the version.
    const open = await fetch(`http://127.0.0.1:${port}/healthz`)
    expect(open.status).toBe(200)
    expect(await open.json()).toEqual({ ok: true, version: expect.any(String) })
    expect(output).not.toContain('rules.compiled_unreadable')
  })

  it("plays the example's second app (--app): its URL and chat command printed, its rules answer, the stand-in shows its send", async () => {
    expect(secondApp).toMatch(/^wx[0-9a-zA-Z]{16}$/)
    expect(output).toContain(`http://127.0.0.1:${port}/wechat/${secondApp} — try: npm run chat -- --app ${secondApp} `)
    const user = 'oQuickstartSecondAppUser001'
    const printed = chat('--app', secondApp, '1', '--openid', user)
    expect(printed).toContain('[rule download] link: "下载 App"')
    const sends = async (appid: string) => {
      const query = new URLSearchParams({ appid, touser: user, path: '/cgi-bin/message/custom/send' })
      return ((await (await fetch(`http://127.0.0.1:${apiPort}/__fake/calls?${query}`)).json()) as { calls: FakeCall[] }).calls
    }
    // chat printed the reply once the stand-in had the send: no wait for it here.
    const [second] = await sends(secondApp)
    expect(second).toMatchObject({ errcode: 0, body: { msgtype: 'link', link: { title: '下载 App' } } })
    expect(await sends(parseDevVars(readFileSync(devVars, 'utf8')).WECHAT_APPID ?? '')).toEqual([])
    await vi.waitFor(() => expect(output).toContain(`${secondApp} [wechat] send → ${user}: link: "下载 App"`))
  })

  it('shows an image reply, a regex capture and a transfer', async () => {
    expect(chat('二维码')).toMatch(/\[rule qr\] image: media_id \S+/)
    expect(chat('订单 12345678')).toContain('[rule order] text: 订单 12345678 已收到')
    expect(chat('--json', '人工')).toContain('handed to the customer-service tool')
  })

  it('answers each line typed at the prompt, in order', async () => {
    const printed = chatWith('1\n订单 7654321\n', '--openid', 'oQuickstartPromptUser000001')
    expect(printed).toMatch(/\[rule download\][\s\S]*\[rule order\] text: 订单 7654321 已收到/)
  })

  it('plays the session-entry event', async () => {
    expect(chat('--enter', 'pay', '--openid', 'oQuickstartPayUser000000001')).toContain(
      '[rule welcome-pay] text: 支付遇到问题？回复 1 获取帮助',
    )
  })

  it('plays the subscribe-message popup and prints the grant, then its refusal', () => {
    const user = ['--openid', 'oQuickstartSubscribeUser001']
    const accepted = chat('--subscribe', 'tplQuick', '--accept', ...user)
    expect(accepted).toContain('↪ service answered: success')
    expect(accepted).toContain('  tplQuick: 1 grant (accept)')
    // Events are told apart as WeChat says to, by who, when (to the second) and which: a
    // second popup within the same second would be the first one again.
    const second = Math.floor(Date.now() / 1000)
    while (Math.floor(Date.now() / 1000) === second) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50)
    expect(chat('--subscribe', 'tplQuick', '--reject', ...user)).toContain('  tplQuick: 0 grants (reject)')
  })

  it('keeps the record in local D1: the admin API lists the user and what they were sent', async () => {
    chat('1', '--openid', 'oQuickstartRecordUser000001')
    const get = (path: string) =>
      fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: 'Bearer local-admin-token-change-me' } })
    await vi.waitFor(
      async () => {
        const res = await get('/admin/api/conversations/oQuickstartRecordUser000001')
        expect(res.status).toBe(200)
        const detail = (await res.json()) as { messages: { items: { direction: string; ruleId: string | null; status: string }[] } }
        expect(detail.messages.items.map((m) => [m.direction, m.ruleId, m.status])).toEqual(
          expect.arrayContaining([
            ['in', 'download', 'received'],
            ['out', 'download', 'sent'],
          ]),
        )
      },
      { timeout: 10_000, interval: 200 },
    )
    const list = (await (await get('/admin/api/conversations')).json()) as { items: { openid: string }[] }
    expect(list.items.map((c) => c.openid)).toContain('oQuickstartRecordUser000001')
  })

  it('picks up an edited rule set pushed with rules:push --local, without a restart', async () => {
    const edited = join(state, 'edited-rules.json')
    writeFileSync(edited, JSON.stringify({ rules: [{ id: 'edited', when: { text: ['1'] }, reply: { type: 'text', text: '规则已更新' } }] }))
    const pushed = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/rules-push.ts', edited, '--local', '--persist-to', state], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(pushed.status, pushed.stderr).toBe(0)
    // The Worker rechecks KV every second under npm start; a loaded machine may take longer to
    // get there, so ask again (a new user each time) rather than after a fixed sleep.
    let attempt = 0
    await vi.waitFor(
      () =>
        expect(chat('1', '--openid', `oQuickstartEditUser${String(++attempt).padStart(8, '0')}`)).toContain(
          '[rule edited] text: 规则已更新',
        ),
      { timeout: 20_000, interval: 500 },
    )
  })
})
