/**
 * `npm run doctor`'s checks (scripts/doctor-checks.ts) against stand-ins for a Worker on
 * loopback: what each failure looks like and what the doctor says about it — a Token that is
 * not the Worker's, a setting missing, a rule set rejected, a host that refuses or hangs, a
 * server that is not kefu-edge, keys that do not decrypt, an admin token refused, a record
 * that never shows the push. What it makes of the public /healthz (ok and the version only).
 * And where its settings come from, and when it refuses to send the admin token.
 */
import { spawnSync } from 'node:child_process'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  checkAdmin,
  checkHealth,
  checkKfUrl,
  checkPush,
  checkUrl,
  passed,
  runDoctor,
  type CheckResult,
  type Problem,
  type Probe,
} from '../../scripts/doctor-checks'
import { explainNetworkError, request } from '../../scripts/doctor-http'
import { isLocalUrl, plainHttpRefusal, resolveSettings, type DoctorSettings } from '../../scripts/doctor-settings'
import { DOCTOR_OPENID } from '../../src/doctor'
import { sign } from '../../src/wechat/signature'
import { importCipher } from '../../src/wechat/cipher'
import { verifyKfUrl } from '../../src/wecom/crypto'

const WORKER_TOKEN = 'workerToken42'
const AES_KEY = 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR'
const APPID = 'wx1234567890abcdef'
const ADMIN = 'admin-token-of-the-stand-in'

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void

/** One stand-in server for the file; each test says how it answers. */
let server: Server
let base = ''
let handler: Handler = () => undefined

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => handler(req, res, body))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

beforeEach(() => {
  handler = kefuEdge()
})

const probe: Probe = { fetch, timeoutMs: 2000 }

/**
 * The stand-in as a deployed kefu-edge would answer: /healthz, the URL check signed with
 * WORKER_TOKEN, pushes (`push` says how), the admin routes with ADMIN. `overrides` answer
 * a path (without the query) instead.
 */
function kefuEdge(
  overrides: Record<string, (res: ServerResponse, req: IncomingMessage) => void> = {},
  push: [number, string] = [200, 'success'],
): Handler {
  return (req, res) => {
    const url = new URL(req.url ?? '/', base)
    const override = overrides[url.pathname]
    if (override) return override(res, req)
    const admin = req.headers.authorization === `Bearer ${ADMIN}`
    if (url.pathname === '/healthz') return json(res, 200, healthy(admin))
    if (url.pathname === '/wechat' && req.method === 'GET') {
      const q = url.searchParams
      void sign([WORKER_TOKEN, q.get('timestamp') ?? '', q.get('nonce') ?? '']).then((expected) =>
        expected === q.get('signature') ? text(res, 200, q.get('echostr') ?? '') : text(res, 401, 'bad signature'),
      )
      return
    }
    if (url.pathname === '/wechat') return text(res, push[0], push[1])
    if (url.pathname.startsWith('/admin/')) {
      if (!admin) return text(res, 401, 'Unauthorized')
      if (url.pathname === '/admin/api/stats') return json(res, 200, { days: 1, daily: [], rules: [], unmatched: [] })
    }
    text(res, 404, 'not found')
  }
}

/** /healthz as kefu-edge answers it: `{ ok, version }` publicly, the report with the admin token. */
function healthy(admin: boolean) {
  if (!admin) return { ok: true, version: '0.1.0' }
  const names = ['WECHAT_APPID', 'WECHAT_APPSECRET', 'WECHAT_TOKEN', 'WECHAT_ENCODING_AES_KEY', 'ADMIN_TOKEN']
  const settings = Object.fromEntries(names.map((name) => [name, { status: 'ok' }]))
  const rules = { version: 'abc123', status: 'ok', rules: 3, from: 'compiled' }
  return { ok: true, version: '0.1.0', mode: 'safe', settings, rules, apps: [{ appid: APPID, ok: true, mode: 'safe', settings, rules }] }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body)
}

function settingsFor(url: string, overrides: Partial<DoctorSettings> = {}): DoctorSettings {
  return { url, token: WORKER_TOKEN, aesKey: AES_KEY, appid: APPID, adminToken: ADMIN, format: 'xml', sources: [], ...overrides }
}

/** A deployment's URL, served by the stand-in: fixes then read as for a deployment, not .dev.vars. */
const DEPLOYED = 'https://kefu-edge.example.workers.dev'
const viaStandIn: Probe = {
  timeoutMs: 2000,
  fetch: (url, init) => fetch(url.replace(DEPLOYED, base), init),
}

/** The first problem of a check that must have failed. */
function problemOf(result: CheckResult): Problem {
  const problem = result.problems[0]
  if (!problem) throw new Error(`passed, expected to fail: ${result.title}`)
  return problem
}

describe('the stand-in answering as kefu-edge does', () => {
  it('passes every check', async () => {
    const report = await runDoctor(probe, settingsFor(base), { recordWaitMs: 300 })
    // The stand-in records nothing: only the test push's record fails.
    expect(report.results.map((r) => [r.title.split(':')[0], passed(r)])).toEqual([
      ['/healthz', true],
      ['URL check (signed GET /wechat, as WeChat makes it when the push URL is saved)', true],
      [`test push (safe mode, XML, from ${DOCTOR_OPENID})`, false],
      ['admin token (GET /admin/api/stats)', true],
    ])
    expect(report.results[0]?.lines).toContain('rule set: version abc123, 3 rules in force')
  })
})

describe('the URL check', () => {
  it('a Token that is not the Worker’s: 401, and the Token explained', async () => {
    const result = await checkUrl(probe, settingsFor(base, { token: 'notTheWorkersToken' }))
    expect(result.title).toMatch(/answers 401$/)
    expect(problemOf(result)).toMatchObject({
      what: "401 bad signature: the Worker's WECHAT_TOKEN is not the Token given here",
      cause: expect.stringContaining('Token验证失败'),
      fix: expect.stringContaining('npx wrangler secret put WECHAT_TOKEN'),
    })
  })

  it('with the Worker’s Token: the echo matches', async () => {
    const result = await checkUrl(probe, settingsFor(base))
    expect(result).toMatchObject({ title: expect.stringMatching(/the echo matches$/), problems: [] })
  })

  it('200 without the echo: something else answers there', async () => {
    handler = kefuEdge({ '/wechat': (res) => text(res, 200, '<html>login</html>') })
    expect(problemOf(await checkUrl(probe, settingsFor(base)))).toMatchObject({
      what: 'answered 200 but not the echo: <html>login</html>',
      cause: expect.stringContaining('something other than kefu-edge'),
    })
  })

  it('no Token given: not run, and where to give it', async () => {
    const { token: _, ...noToken } = settingsFor(base)
    expect(problemOf(await checkUrl(probe, noToken))).toMatchObject({
      what: 'no push Token given',
      fix: expect.stringContaining('--token or set WECHAT_TOKEN'),
    })
  })
})

describe('/healthz', () => {
  it('publicly ok and the version only: said so, and the rest left to the admin token', async () => {
    const { result, answered, mode } = await checkHealth(viaStandIn, settingsFor(DEPLOYED, { adminToken: undefined }))
    expect([answered, mode]).toEqual(['kefu-edge', 'hidden'])
    expect(result).toEqual({
      title: '/healthz: ok (version 0.1.0)',
      lines: ['settings and push mode: shown only with the admin token', 'rule set: shown only with the admin token'],
      problems: [],
    })

    // A token the Worker does not take gets the public answer too.
    const refused = (await checkHealth(viaStandIn, settingsFor(DEPLOYED, { adminToken: 'not-the-workers-admin-token' }))).result
    expect(refused.lines).toEqual([
      'settings and push mode: not shown, the admin token was not accepted (see the admin token check)',
      'rule set: not shown, the admin token was not accepted (see the admin token check)',
    ])
  })

  it('publicly not ok: a setting is wrong, which one needs the admin token', async () => {
    handler = kefuEdge({ '/healthz': (res) => json(res, 503, { ok: false, version: '0.1.0' }) })
    const { result, answered, mode } = await checkHealth(viaStandIn, settingsFor(DEPLOYED, { adminToken: undefined }))
    expect([answered, mode]).toEqual(['kefu-edge', 'hidden'])
    expect(result.title).toBe('/healthz: answers 503, not ok (version 0.1.0)')
    expect(result.problems).toEqual([
      {
        what: 'the Worker reports a setting missing or malformed (it answers 503)',
        cause: '/healthz names the setting only to the admin token',
        fix: expect.stringContaining('run the doctor with the admin token (ADMIN_TOKEN in the environment)'),
      },
    ])
    // Without a version it is no kefu-edge's answer.
    handler = kefuEdge({ '/healthz': (res) => json(res, 200, { ok: true }) })
    expect((await checkHealth(viaStandIn, settingsFor(DEPLOYED))).answered).toBe('other')
  })

  it('503 with a setting missing (a kefu-edge that showed statuses publicly): named, with the fix for a deployment', async () => {
    handler = kefuEdge({
      '/healthz': (res) =>
        json(res, 503, {
          ok: false,
          version: '0.1.0',
          mode: 'safe',
          settings: { WECHAT_APPID: 'ok', WECHAT_TOKEN: 'missing', PUSH_MAX_BYTES: 'malformed' },
        }),
    })
    const { result, answered, mode } = await checkHealth(viaStandIn, settingsFor(DEPLOYED, { adminToken: undefined }))
    expect([answered, mode]).toEqual(['kefu-edge', 'safe'])
    expect(result.title).toBe('/healthz: answers 503, not ok (version 0.1.0, push mode safe)')
    expect(result.lines).toEqual(['settings ok: WECHAT_APPID', 'rule set: shown only with the admin token'])
    expect(result.problems).toEqual([
      {
        what: 'WECHAT_TOKEN missing',
        cause: 'the Worker has no WECHAT_TOKEN',
        fix: expect.stringMatching(/^npx wrangler secret put WECHAT_TOKEN \(the Token/),
      },
      {
        what: 'PUSH_MAX_BYTES malformed',
        cause: 'the Worker refuses this value (with the admin token, /healthz says why)',
        fix: expect.stringMatching(/^set PUSH_MAX_BYTES under \[vars\] in wrangler.toml .*npx wrangler deploy$/),
      },
    ])
  })

  it('locally, the fix is .dev.vars', async () => {
    handler = kefuEdge({
      '/healthz': (res) =>
        json(res, 503, {
          ok: false,
          version: '0.1.0',
          mode: 'safe',
          settings: { WECHAT_TOKEN: { status: 'missing', reason: 'WECHAT_TOKEN is not set' } },
        }),
    })
    const { result } = await checkHealth(probe, settingsFor(base))
    expect(problemOf(result).fix).toMatch(/^set WECHAT_TOKEN in \.dev\.vars .* and restart npm start$/)
  })

  it('with the admin token: the reason of a refused setting, and an invalid or missing rule set explained', async () => {
    const rules = (status: string, extra = {}) => ({ version: 'good1', status, rules: 2, from: 'compiled', ...extra })
    const health = (ruleSet: unknown) =>
      kefuEdge({
        '/healthz': (res) =>
          json(res, 503, {
            ok: false,
            version: '0.1.0',
            mode: 'plaintext',
            settings: { ADMIN_TOKEN: { status: 'malformed', reason: 'ADMIN_TOKEN is shorter than 16 characters' } },
            rules: ruleSet,
          }),
      })
    handler = health(rules('invalid', { rejectedVersion: 'bad2', errors: ['rules[0].when: is empty', 'rules[1].id: is taken'] }))
    const invalid = (await checkHealth(viaStandIn, settingsFor(DEPLOYED))).result
    expect(invalid.problems.map((p) => p.what)).toEqual([
      'ADMIN_TOKEN malformed: ADMIN_TOKEN is shorter than 16 characters',
      'rule set invalid: version bad2 in KV was rejected: rules[0].when: is empty (and 1 more)',
    ])
    expect(invalid.problems[1]?.fix).toBe('npm run rules:check, fix what it prints, then npm run rules:push -- --remote')
    expect(invalid.lines.join('\n')).toContain('push mode plaintext')

    handler = health(rules('missing'))
    const missing = (await checkHealth(viaStandIn, settingsFor(DEPLOYED))).result
    expect(missing.problems[1]).toMatchObject({
      what: 'rule set missing: the RULES namespace has no rules (in force: version good1, 2 rules)',
      cause: expect.stringContaining('--local'),
      fix: 'npm run rules:push -- --remote',
    })
  })
})

describe('reaching the Worker', () => {
  it('a host that refuses: explained, and nothing else is run', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const report = await runDoctor(probe, settingsFor(`http://127.0.0.1:${port}`))
    expect(report.results).toHaveLength(1)
    expect(report.results[0]?.title).toBe('/healthz: unreachable')
    expect(problemOf(report.results[0]!)).toMatchObject({
      what: `nothing listens at 127.0.0.1:${port} (connection refused)`,
      cause: expect.stringContaining('npm start'),
    })
    expect(report).toMatchObject({ notRun: ['URL check', 'test push', 'admin token'], notRunBecause: 'the Worker cannot be reached' })
  })

  it('a Worker that hangs, before its headers or in the middle of its body: a time-out, not a hang', async () => {
    const fast: Probe = { fetch, timeoutMs: 300 }
    handler = () => undefined
    const started = Date.now()
    const before = await request(fast, `${base}/healthz`)
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"ok": tr')
    }
    const during = await request(fast, `${base}/healthz`)
    expect(Date.now() - started).toBeLessThan(3000)
    for (const outcome of [before, during]) {
      expect(outcome).toEqual({
        unreachable: expect.objectContaining({ what: 'no answer within 0.3 s', fix: expect.stringContaining('--timeout') }),
      })
    }
  })

  it('DNS, TLS and a reset connection, explained', () => {
    const failed = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) })
    const url = 'https://kefu-edge.example.workers.dev/healthz'
    expect(explainNetworkError(failed('ENOTFOUND'), url, 1000)).toMatchObject({
      what: 'kefu-edge.example.workers.dev does not resolve (DNS: ENOTFOUND)',
      fix: expect.stringContaining('npx wrangler deploy'),
    })
    expect(explainNetworkError(failed('ERR_TLS_CERT_ALTNAME_INVALID'), url, 1000)).toMatchObject({
      what: 'the TLS handshake with kefu-edge.example.workers.dev failed (ERR_TLS_CERT_ALTNAME_INVALID)',
      cause: expect.stringContaining('certificate'),
    })
    // Several addresses tried (localhost: ::1 and 127.0.0.1): the first one's code.
    const both = Object.assign(new TypeError('fetch failed'), {
      cause: new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]),
    })
    expect(explainNetworkError(both, 'http://localhost:8787/healthz', 1000).what).toBe(
      'nothing listens at localhost:8787 (connection refused)',
    )
    expect(explainNetworkError(failed('ECONNRESET'), url, 1000).what).toBe(
      'the connection to kefu-edge.example.workers.dev failed (ECONNRESET)',
    )
  })

  it('a server that answers garbage is not taken for kefu-edge', async () => {
    handler = (_req, res) => text(res, 200, '<!doctype html><h1>It works!</h1>')
    const report = await runDoctor(probe, settingsFor(base))
    expect(report.results[0]?.title).toBe("/healthz: answers 200, not kefu-edge's health report")
    expect(problemOf(report.results[0]!)).toMatchObject({
      what: '/healthz answers 200: <!doctype html><h1>It works!</h1>',
      cause: expect.stringContaining('something other than kefu-edge'),
    })
    expect(report.notRunBecause).toBe('no kefu-edge answers at this URL')

    handler = (_req, res) => res.writeHead(301, { location: 'https://elsewhere.example/' }).end()
    const redirected = await checkHealth(probe, settingsFor(base))
    expect(problemOf(redirected.result).what).toBe('/healthz answers 301, a redirect to https://elsewhere.example/')
  })
})

describe('the test push', () => {
  it('keys that do not fit the Worker’s, explained by what it answers', async () => {
    const cases: [answer: [number, string], what: string, fix: string][] = [
      [[400, 'appid does not match'], '400 appid does not match', 'WECHAT_APPID'],
      [[400, 'bad padding'], '400 bad padding: the push did not decrypt', 'npx wrangler secret put WECHAT_ENCODING_AES_KEY'],
      [[401, 'bad msg_signature'], "401 bad msg_signature: the Worker's WECHAT_TOKEN is not the Token given here", 'WECHAT_TOKEN'],
      [[401, 'timestamp too far from now'], '401 timestamp too far from now', 'clock'],
      [
        [500, 'server misconfigured: WECHAT_ENCODING_AES_KEY is not set (WECHAT_PUSH_MODE is safe)'],
        '500 server misconfigured: WECHAT_ENCODING_AES_KEY is not set (WECHAT_PUSH_MODE is safe)',
        'npx wrangler secret put WECHAT_ENCODING_AES_KEY',
      ],
      [[200, '<xml>a reply</xml>'], 'answered <xml>a reply</xml>', 'npx wrangler deploy'],
    ]
    for (const [answer, what, fix] of cases) {
      handler = kefuEdge({}, answer)
      const problem = problemOf(await checkPush(viaStandIn, settingsFor(DEPLOYED), 'safe'))
      expect(problem.what).toBe(what)
      expect(problem.fix).toContain(fix)
    }
  })

  it('sent in the mode /healthz reports: a plaintext push needs no AES key', async () => {
    let query = new URLSearchParams()
    handler = kefuEdge({
      '/wechat': (res, req) => {
        query = new URL(req.url ?? '/', base).searchParams
        text(res, 200, 'success')
      },
    })
    const result = await checkPush(probe, settingsFor(base, { aesKey: undefined, appid: undefined, adminToken: undefined }), 'plaintext')
    expect(result).toMatchObject({
      title: expect.stringMatching(/^test push \(plaintext mode, XML, from kefu-edge-doctor\): accepted$/),
      problems: [],
    })
    expect(result.lines).toEqual(['recorded: not confirmed, that needs the admin token'])
    expect(query.has('encrypt_type')).toBe(false)

    const safe = await checkPush(probe, settingsFor(base, { aesKey: 'tooShort' }), 'safe')
    expect(problemOf(safe).what).toBe('the EncodingAESKey given is not 43 base64 characters')
  })

  /** A Worker in `mode` as /wechat answers a push in another one; every push it takes is a success. */
  function inMode(mode: 'safe' | 'plaintext', seen: string[]) {
    return kefuEdge({
      '/wechat': (res, req) => {
        const encrypted = new URL(req.url ?? '/', base).searchParams.get('encrypt_type') === 'aes'
        seen.push(encrypted ? 'encrypted' : 'plaintext')
        if (mode === 'plaintext' && encrypted) return text(res, 400, 'encrypted push refused: WECHAT_PUSH_MODE is plaintext')
        if (mode !== 'plaintext' && !encrypted) return text(res, 400, `plaintext push refused: WECHAT_PUSH_MODE is ${mode}`)
        text(res, 200, 'success')
      },
    })
  }

  it('the mode not shown (no admin token): encrypted with the keys, else plaintext, then the mode the Worker names', async () => {
    const noAdmin = settingsFor(base, { adminToken: undefined })
    let seen: string[] = []
    handler = inMode('safe', seen)
    const safe = await checkPush(probe, noAdmin, 'hidden')
    expect(safe).toEqual({
      title: `test push (safe mode, XML, from ${DOCTOR_OPENID}): accepted`,
      lines: [
        'push mode: /healthz shows it only with the admin token; the Worker takes encrypted pushes (safe or compatible)',
        'recorded: not confirmed, that needs the admin token',
      ],
      problems: [],
    })
    expect(seen).toEqual(['encrypted'])

    // A plaintext Worker refuses the encrypted push and names its mode: sent again in plaintext.
    seen = []
    handler = inMode('plaintext', seen)
    const plain = await checkPush(probe, noAdmin, 'hidden')
    expect(plain.title).toBe(`test push (plaintext mode, XML, from ${DOCTOR_OPENID}): accepted`)
    expect(plain.lines[0]).toBe(
      'push mode plaintext: the Worker refused a safe push (encrypted push refused: WECHAT_PUSH_MODE is plaintext)',
    )
    expect(plain.lines[1]).toContain('安全模式 (safe) is recommended')
    expect(seen).toEqual(['encrypted', 'plaintext'])

    // No AES key: plaintext first; a safe Worker refuses it, and the key is what is missing.
    seen = []
    handler = inMode('safe', seen)
    const noKey = await checkPush(probe, settingsFor(base, { adminToken: undefined, aesKey: undefined }), 'hidden')
    expect(noKey.title).toBe(`test push (safe mode, XML, from ${DOCTOR_OPENID}): not sent`)
    expect(noKey.lines).toEqual(['push mode safe: the Worker refused a plaintext push (plaintext push refused: WECHAT_PUSH_MODE is safe)'])
    expect(problemOf(noKey).what).toBe('no EncodingAESKey given')
    expect(seen).toEqual(['plaintext'])
  })

  it('runs every check on the public /healthz: the push in the mode found, the admin checks not run', async () => {
    const report = await runDoctor(probe, settingsFor(base, { adminToken: undefined }), { recordWaitMs: 300 })
    expect(report.results.map((r) => [r.title, passed(r)])).toEqual([
      ['/healthz: ok (version 0.1.0)', true],
      ['URL check (signed GET /wechat, as WeChat makes it when the push URL is saved): the echo matches', true],
      [`test push (safe mode, XML, from ${DOCTOR_OPENID}): accepted`, true],
      ['admin token (GET /admin/api/stats): not run', false],
    ])
  })

  /** The MsgId the doctor chose, read off its (plaintext) push on the way to the stand-in. */
  let msgId = ''
  const capturing: Probe = {
    timeoutMs: 2000,
    fetch: (url, init) => {
      if (init.method === 'POST') msgId = /<MsgId>(?:<!\[CDATA\[)?(\d+)/.exec(String(init.body))?.[1] ?? ''
      return fetch(url.replace(DEPLOYED, base), init)
    },
  }
  const plaintext = () => settingsFor(DEPLOYED, { aesKey: undefined, appid: undefined })
  const conversation = (inbound: () => unknown[], outbound: () => unknown[] = () => []) => ({
    [`/admin/api/conversations/${DOCTOR_OPENID}/state`]: (res: ServerResponse) =>
      json(res, 200, { inbound: inbound(), outbound: outbound() }),
  })

  it('accepted and in the Conversation object, but never in the D1 record: the migrations explained', async () => {
    handler = kefuEdge({
      ...conversation(() => [{ kind: 'doctor', msgId, summary: '', ruleId: null, receivedAt: 0 }]),
      [`/admin/api/conversations/${DOCTOR_OPENID}`]: (res) => text(res, 404, '{"error":"not_found"}'),
    })
    const result = await checkPush(capturing, plaintext(), 'plaintext', { recordWaitMs: 300 })
    // Above 2^64: no MsgId WeChat gives a user's message.
    expect(msgId).toMatch(/^9\d{19}$/)
    expect(result.lines).toEqual(['recorded by its Conversation object; nothing to send'])
    expect(problemOf(result)).toMatchObject({
      what: 'not in the D1 record 0.3 s after it was recorded',
      fix: 'npx wrangler d1 migrations apply DB --remote',
    })

    handler = kefuEdge({
      ...conversation(() => [{ kind: 'doctor', msgId, summary: '', ruleId: null, receivedAt: 0 }]),
      [`/admin/api/conversations/${DOCTOR_OPENID}`]: (res) =>
        json(res, 200, { conversation: {}, messages: { items: [{ id: `msg:${msgId}` }], nextCursor: null } }),
    })
    const recorded = await checkPush(capturing, plaintext(), 'plaintext', { recordWaitMs: 300 })
    expect(recorded).toMatchObject({ title: expect.stringMatching(/accepted, recorded, answered by nothing$/), problems: [] })
  })

  it('answered by the rules of a Worker that predates doctor pushes, or not recorded at all', async () => {
    handler = kefuEdge(
      conversation(
        () => [{ kind: 'text', msgId, summary: '', ruleId: 'default', receivedAt: 0 }],
        () => [{ id: 1, msgId, status: 'failed' }],
      ),
    )
    expect(problemOf(await checkPush(capturing, plaintext(), 'plaintext'))).toMatchObject({
      what: "recorded as a user's text that rule default answered, with 1 send(s)",
      fix: 'deploy this version: npx wrangler deploy',
    })

    handler = kefuEdge(conversation(() => []))
    expect(problemOf(await checkPush(capturing, plaintext(), 'plaintext')).what).toBe(
      'answered success, but the Conversation object has no record of it',
    )
  })
})

describe('the admin token', () => {
  it('refused, missing on the Worker, or the D1 tables missing: each explained', async () => {
    const wrong = await checkAdmin(probe, settingsFor(base, { adminToken: 'not-the-workers-admin-token' }))
    expect(wrong.title).toBe('admin token (GET /admin/api/stats): answers 401 with it')
    expect(problemOf(wrong)).toMatchObject({
      what: '401 with the admin token given',
      fix: expect.stringContaining('--admin-token or ADMIN_TOKEN'),
    })

    handler = kefuEdge({
      '/admin/api/stats': (res, req) =>
        req.headers.authorization ? text(res, 500, 'server misconfigured: ADMIN_TOKEN is not set') : text(res, 401, 'Unauthorized'),
    })
    expect(problemOf(await checkAdmin(viaStandIn, settingsFor(DEPLOYED)))).toMatchObject({
      what: '500 server misconfigured: ADMIN_TOKEN is not set',
      fix: expect.stringMatching(/^npx wrangler secret put ADMIN_TOKEN/),
    })

    handler = kefuEdge({
      '/admin/api/stats': (res, req) => (req.headers.authorization ? text(res, 500, 'internal error') : text(res, 401, 'Unauthorized')),
    })
    expect(problemOf(await checkAdmin(probe, settingsFor(base))).fix).toContain('npx wrangler d1 migrations apply DB --remote')

    handler = kefuEdge({ '/admin/api/stats': (res) => json(res, 200, { daily: [] }) })
    expect(problemOf(await checkAdmin(probe, settingsFor(base))).what).toBe('answers 200 without a token (401 expected)')
  })
})

describe('settings', () => {
  const devVars = { WECHAT_TOKEN: 'fromFile', WECHAT_APPID: 'wxfromfile000000000', ADMIN_TOKEN: 'admin-from-dev-vars' }

  it('a flag, else the environment, else .dev.vars for a local URL only; values never shown but the AppID', () => {
    const local = resolveSettings(
      { url: 'http://localhost:8787/healthz', token: 'fromFlag' },
      { ADMIN_TOKEN: 'admin-from-env', WECHAT_ENCODING_AES_KEY: '' },
      () => devVars,
    )
    expect(local).toMatchObject({
      url: 'http://localhost:8787',
      token: 'fromFlag',
      appid: 'wxfromfile000000000',
      adminToken: 'admin-from-env',
      format: 'xml',
    })
    expect(local.aesKey).toBeUndefined()
    expect(local.sources).toEqual([
      'Token: --token',
      'EncodingAESKey: not given',
      'AppID wxfromfile000000000: .dev.vars WECHAT_APPID',
      'admin token: environment ADMIN_TOKEN',
    ])
    expect(local.sources.join(' ')).not.toMatch(/fromFlag|admin-from-env/)

    let read = false
    const remote = resolveSettings({ url: 'https://kefu-edge.example.workers.dev/', json: true }, {}, () => {
      read = true
      return devVars
    })
    expect(read).toBe(false)
    expect(remote).toMatchObject({ url: 'https://kefu-edge.example.workers.dev', format: 'json' })
    expect(remote.token).toBeUndefined()
  })

  it('will not send the admin token over plain http but to this machine, unless told to', () => {
    const at = (url: string, adminToken?: string) =>
      resolveSettings({ url, ...(adminToken ? { 'admin-token': adminToken } : {}) }, { ADMIN_TOKEN: 'admin-from-env' }, () => ({}))
    const refusal = plainHttpRefusal(at('http://example.com'), false)
    expect(refusal).toContain('Refusing to send the admin token (environment ADMIN_TOKEN) over plain http to example.com')
    expect(refusal).toContain('Use https://example.com')
    expect(refusal).toContain('unset ADMIN_TOKEN')
    expect(refusal).toContain('--insecure-http')
    expect(refusal).not.toContain('admin-from-env')
    expect(plainHttpRefusal(at('http://kefu.example:8080/', 'from-flag-token'), false)).toContain(
      '(--admin-token) over plain http to kefu.example:8080',
    )
    expect(plainHttpRefusal(at('http://example.com'), true)).toBeNull()
    expect(plainHttpRefusal(at('https://example.com'), false)).toBeNull()
    for (const local of [
      'http://localhost:8787',
      'http://127.0.0.1:8787',
      'http://[::1]:8787',
      'http://127.0.0.2',
      'http://kefu.localhost',
      'http://[::ffff:127.0.0.1]',
    ]) {
      expect(plainHttpRefusal(at(local), false), local).toBeNull()
    }
    // No admin token, nothing to refuse: the checks that need none run.
    expect(
      plainHttpRefusal(
        resolveSettings({ url: 'http://example.com' }, {}, () => null),
        false,
      ),
    ).toBeNull()
    for (const remote of ['http://127.0.0.1.example.com', 'http://localhost.example.com', 'http://[::2]', 'http://10.0.0.1']) {
      expect(isLocalUrl(new URL(remote)), remote).toBe(false)
    }
  })

  it('refuses a --url that is not http(s)', () => {
    expect(() => resolveSettings({ url: 'kefu-edge.example.workers.dev' }, {}, () => null)).toThrow(/is not a URL/)
    expect(() => resolveSettings({ url: 'ftp://example.com' }, {}, () => null)).toThrow(/must be http\(s\)/)
  })
})

describe('the command line', () => {
  const root = join(import.meta.dirname, '..', '..')
  function doctor(env: Record<string, string>, ...args: string[]) {
    const { ADMIN_TOKEN: _, ...rest } = process.env
    return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/doctor.ts', ...args], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...rest, ...env },
    })
  }

  it('refuses plain http to another host with an admin token, before sending anything; --insecure-http lets it', () => {
    const refused = doctor({ ADMIN_TOKEN: 'admin-token-from-env' }, '--url', 'http://example.invalid')
    expect(refused.status).toBe(2)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toContain('Refusing to send the admin token (environment ADMIN_TOKEN) over plain http to example.invalid')
    expect(refused.stderr).not.toContain('admin-token-from-env')
    const flag = doctor({}, '--url', 'http://example.invalid', '--admin-token', 'admin-token-from-flag')
    expect(flag.status).toBe(2)
    expect(flag.stderr).toContain('drop --admin-token')

    // Told to: it runs (and, .invalid resolving nowhere, finds nothing there).
    const insecure = doctor({ ADMIN_TOKEN: 'admin-token-from-env' }, '--url', 'http://example.invalid', '--insecure-http', '--timeout', '2')
    expect(insecure.status).toBe(1)
    expect(insecure.stdout).toContain('kefu-edge doctor: http://example.invalid')
    expect(insecure.stdout).toContain('✗ /healthz: unreachable')
  })
})

describe('the 微信客服 URL check', () => {
  const KF = { kfCorpid: 'ww0123456789abcdef', kfToken: 'kfToken42', kfAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' }
  /** /wecom/kf as the Worker answers it, with the corp's keys: the decrypted echostr, or 401. */
  const kfWorker = (keys: typeof KF) =>
    kefuEdge({
      '/wecom/kf': (res, req) => {
        const query = Object.fromEntries(new URL(req.url ?? '/', base).searchParams)
        const now = Math.floor(Date.now() / 1000)
        verifyKfUrl(query, { token: keys.kfToken, cipher: () => importCipher(keys.kfAesKey, keys.kfCorpid), maxAgeSeconds: 300, now })
          .then((plain) => text(res, 200, plain))
          .catch(() => text(res, 401, 'bad msg_signature'))
      },
    })

  it('is not run without any 微信客服 setting: the channel is optional', async () => {
    expect(await checkKfUrl(probe, settingsFor(base))).toBeNull()
  })

  it('passes when the Worker echoes the decrypted echostr', async () => {
    handler = kfWorker(KF)
    const result = (await checkKfUrl(probe, settingsFor(base, KF)))!
    expect(result.problems).toEqual([])
    expect(result.title).toMatch(/the echo matches$/)
  })

  it('names a Token the Worker does not share (401), a channel that is off (404), and a setting not given', async () => {
    handler = kfWorker({ ...KF, kfToken: 'anotherToken' })
    const refused = (await checkKfUrl(probe, settingsFor(base, KF)))!
    expect(refused.problems[0]?.what).toContain('refused the signature')
    handler = kefuEdge()
    const off = (await checkKfUrl(probe, settingsFor(base, KF)))!
    expect(off.problems[0]?.what).toContain('channel is off')
    const partial = (await checkKfUrl(probe, settingsFor(base, { kfCorpid: KF.kfCorpid })))!
    expect(partial.title).toMatch(/not run$/)
    expect(partial.problems.map((p) => p.what).join(' ')).toMatch(/Token.*EncodingAESKey/)
  })
})
