/**
 * `npm run doctor` as an operator runs it, against the real Worker under wrangler dev (the
 * node project's shared `npm start`, its settings from .dev.vars): every check passes and it
 * exits 0; with an admin token that is not the Worker's, that check fails with its cause and it exits 1,
 * the others run on what the public /healthz says (ok and the version).
 * Its test push reaches the record and nothing reaches the WeChat API stand-in.
 */
import { spawn } from 'node:child_process'
import { beforeAll, describe, expect, it } from 'vitest'
import { DOCTOR_OPENID } from '../../src/doctor'
import { adminApi, readDevVars, root, sendsTo, sharedService, type ServiceAddress } from './browser'

let local: ServiceAddress

beforeAll(async () => {
  local = await sharedService()
}, 90_000)

/** `npm run doctor -- <args>`: its exit code and what it printed. */
function doctor(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', 'doctor', '--', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('npm run doctor against the local Worker', () => {
  it('passes every check, exits 0 and prints no secret', async () => {
    const { code, stdout, stderr } = await doctor('--url', local.url)
    expect(code, `${stdout}\n${stderr}`).toBe(0)
    expect(stdout).toContain('Token: .dev.vars WECHAT_TOKEN')
    expect(stdout).toMatch(/^✓ \/healthz: ok \(version \S+, push mode safe\)$/m)
    expect(stdout).toMatch(/^ {4}rule set: version \w+, \d+ rules in force$/m)
    expect(stdout).toMatch(/^✓ URL check .*: the echo matches$/m)
    expect(stdout).toMatch(/^✓ test push \(safe mode, XML, from kefu-edge-doctor\): accepted, recorded, answered by nothing$/m)
    expect(stdout).toMatch(/^✓ admin token \(GET \/admin\/api\/stats\): 200 with it, 401 without$/m)
    // .dev.vars holds the made-up 微信客服 corp the local Worker serves: its URL check runs too.
    expect(stdout).toMatch(/^✓ 微信客服 URL check .*: the echo matches$/m)
    expect(stdout).toContain('All 5 checks passed.')
    expect(stdout).not.toContain('✗')
    const vars = readDevVars()
    for (const name of [
      'WECHAT_TOKEN',
      'WECHAT_ENCODING_AES_KEY',
      'WECHAT_APPSECRET',
      'ADMIN_TOKEN',
      'WECOM_KF_TOKEN',
      'WECOM_KF_ENCODING_AES_KEY',
    ]) {
      expect(stdout, name).not.toContain(vars[name])
    }

    // Its push is in the record; the WeChat API stand-in heard nothing for it.
    const detail = await adminApi<{ messages: { items: { kind: string; unmatched: boolean }[] } }>(
      local.url,
      local.token,
      `/admin/api/conversations/${DOCTOR_OPENID}`,
    )
    expect(detail.status).toBe(200)
    expect(detail.body.messages.items[0]).toMatchObject({ kind: 'doctor', unmatched: false })
    expect(await sendsTo(local.api, DOCTOR_OPENID)).toEqual([])
  })

  it('with an admin token that is not the Worker’s: that check fails with its cause and fix, exit 1', async () => {
    const { code, stdout } = await doctor('--url', local.url, '--admin-token', 'not-the-workers-admin-token', '--json')
    expect(code, stdout).toBe(1)
    expect(stdout).toContain('admin token: --admin-token')
    // The public /healthz: ok and the version, nothing else; the push mode found by the push.
    expect(stdout).toMatch(/^✓ \/healthz: ok \(version \S+\)$/m)
    expect(stdout).toContain('settings and push mode: not shown, the admin token was not accepted (see the admin token check)')
    expect(stdout).toContain('rule set: not shown, the admin token was not accepted (see the admin token check)')
    expect(stdout).toMatch(/^✓ test push \(safe mode, JSON, from kefu-edge-doctor\): accepted$/m)
    expect(stdout).toContain(
      'push mode: /healthz shows it only with the admin token; the Worker takes encrypted pushes (safe or compatible)',
    )
    expect(stdout).toMatch(/^✗ admin token \(GET \/admin\/api\/stats\): answers 401 with it$/m)
    expect(stdout).toContain('✗ 401 with the admin token given')
    expect(stdout).toContain('cause: it is not the Worker’s ADMIN_TOKEN')
    expect(stdout).toContain('1 of 5 checks failed.')
    // npm echoes the command line (`> tsx scripts/doctor.ts …`); the doctor itself never prints the token.
    expect(
      stdout
        .split('\n')
        .filter((line) => !line.startsWith('> '))
        .join('\n'),
    ).not.toContain('not-the-workers-admin-token')
  })
})
