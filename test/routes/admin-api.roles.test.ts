/**
 * Roles at the admin API: for each role (an operator per role, added through the API) and every
 * route, allowed or 403 `{ error: 'forbidden', needs }`; and on a 403 nothing happens — no send
 * reaches WeChat, no rule set is published or rolled back, no campaign row, no operator changed,
 * no Idempotency-Key kept — while the same request from a role that may goes through. An
 * operator limited to some mini programs is refused on the others; a removed operator's token
 * is refused on the next request; a personal token with a wrong secret is a failure like any
 * other, and five of them lock that operator out, from any address.
 */
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import type { RecordInput } from '../../src/conversation/conversation'
import { ROLES, type Permission, type Role } from '../../src/auth/roles'
import { SUBSCRIBE_SEND_PATH, UNIFORM_SEND_PATH } from '../../src/wechat/api'
import { ROUTES, SOME_CANNED, SOME_DELIVERY, SOME_ENTRY, SOME_OPERATOR } from '../support/admin-routes'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { APPID, watchSecrets, type Answer } from '../support/hygiene'
import { addTestOperator, OWNER_AUTH, type TestOperator } from '../support/operators'
import { SECOND_APP } from '../support/settings'

const hygiene = watchSecrets('admin-api-roles')
const SEND = '/cgi-bin/message/custom/send'

/** What each route needs: the contract of issue 28, written out rather than read from the code. */
const NEEDS: Record<string, Permission> = {
  'GET /admin/api/conversations': 'read',
  'GET /admin/api/conversations/{openid}': 'read',
  'GET /admin/api/conversations/{openid}/state': 'read',
  'POST /admin/api/conversations/{openid}/reply': 'reply',
  'GET /admin/api/failed': 'read',
  'POST /admin/api/failed/{id}/retry': 'reply',
  'POST /admin/api/failed/{id}/drop': 'reply',
  'GET /admin/api/rules': 'read',
  'PUT /admin/api/rules': 'rules',
  'GET /admin/api/rules/history': 'read',
  'GET /admin/api/rules/history/{version}': 'read',
  'POST /admin/api/rules/rollback': 'rules',
  'POST /admin/api/rules/preview': 'rules',
  'GET /admin/api/stats': 'read',
  'POST /admin/api/subscribe/send': 'campaigns',
  'GET /admin/api/users/{openid}/subscriptions': 'read',
  'GET /admin/api/subscribe/templates': 'read',
  'POST /admin/api/subscribe/campaigns': 'campaigns',
  'GET /admin/api/subscribe/campaigns': 'read',
  'GET /admin/api/subscribe/campaigns/{id}': 'read',
  'POST /admin/api/uniform/send': 'campaigns',
  'GET /admin/api/openapi.json': 'read',
  'GET /admin/api/operators': 'operators',
  'POST /admin/api/operators': 'operators',
  'PATCH /admin/api/operators/{id}': 'operators',
  'DELETE /admin/api/operators/{id}': 'operators',
  'GET /admin/api/audit': 'operators',
  'GET /admin/api/knowledge': 'read',
  'POST /admin/api/knowledge': 'rules',
  'GET /admin/api/knowledge/{id}': 'read',
  'PUT /admin/api/knowledge/{id}': 'rules',
  'DELETE /admin/api/knowledge/{id}': 'rules',
  // It may call the paid model: those who edit the knowledge base try it.
  'POST /admin/api/knowledge/ask': 'rules',
  'GET /admin/api/queue': 'read',
  'POST /admin/api/conversations/{openid}/claim': 'reply',
  'POST /admin/api/conversations/{openid}/release': 'reply',
  'POST /admin/api/conversations/{openid}/transfer': 'reply',
  'POST /admin/api/conversations/{openid}/close': 'reply',
  'PUT /admin/api/desk/status': 'reply',
  'GET /admin/api/desk/figures': 'read',
  'GET /admin/api/canned': 'read',
  'POST /admin/api/canned': 'rules',
  'DELETE /admin/api/canned/{id}': 'rules',
  'GET /admin/api/conversations/{openid}/notes': 'read',
  'POST /admin/api/conversations/{openid}/notes': 'reply',
  'POST /admin/api/media': 'rules',
  'GET /admin/api/users/{openid}/export': 'users',
  'DELETE /admin/api/users/{openid}': 'users',
  'GET /admin/api/export.csv': 'users',
  'GET /admin/api/webhooks/failed': 'campaigns',
  'POST /admin/api/webhooks/{id}/retry': 'campaigns',
}
/** Who may, per permission, and the least role a 403 names. */
const MAY: Record<Permission, Role[]> = {
  read: ['owner', 'admin', 'agent', 'viewer'],
  reply: ['owner', 'admin', 'agent'],
  rules: ['owner', 'admin'],
  campaigns: ['owner', 'admin'],
  operators: ['owner'],
  users: ['owner', 'admin'],
}
const LEAST: Record<Permission, Role> = {
  read: 'viewer',
  reply: 'agent',
  rules: 'admin',
  campaigns: 'admin',
  operators: 'owner',
  users: 'admin',
}

/** `GET /admin/api/failed/out:o…:1/retry` → `GET /admin/api/failed/{id}/retry`, as NEEDS names it. */
function routeName(method: string, path: string): string {
  const template = path
    .replace(/\/failed\/out:[^/]+/, '/failed/{id}')
    .replace(/\/conversations\/o[^/]+/, '/conversations/{openid}')
    .replace(/\/users\/o[^/]+/, '/users/{openid}')
    .replace(/\/history\/[0-9a-f]{16}/, '/history/{version}')
    .replace(/\/campaigns\/c-[^/]+/, '/campaigns/{id}')
    .replace(`/operators/${SOME_OPERATOR}`, '/operators/{id}')
    .replace(`/knowledge/${SOME_ENTRY}`, '/knowledge/{id}')
    .replace(`/canned/${SOME_CANNED}`, '/canned/{id}')
    .replace(`/webhooks/${SOME_DELIVERY}`, '/webhooks/{id}')
  return `${method} ${template}`
}

interface Call {
  method?: string
  json?: unknown
  headers?: Record<string, string>
}

async function as(who: { authorization: string }, path: string, call: Call = {}): Promise<Answer> {
  return hygiene.fetch(path, {
    method: call.method ?? (call.json === undefined ? 'GET' : 'POST'),
    headers: { ...who, ...call.headers, ...(call.json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(call.json === undefined ? {} : { body: JSON.stringify(call.json) }),
  })
}

const parsed = <T>(answer: Answer): T => JSON.parse(answer.text) as T
const forbidden = (permission: Permission) => ({ error: 'forbidden', needs: LEAST[permission] })

const team = {} as Record<Role, TestOperator>

beforeAll(async () => {
  for (const role of ROLES) team[role] = await addTestOperator(role)
})

describe('every route, for every role', () => {
  it('knows what every route needs', () => {
    expect(ROUTES.map(([method, path]) => routeName(method, path)).sort()).toEqual(Object.keys(NEEDS).sort())
    for (const permission of Object.keys(MAY) as Permission[]) expect(MAY[permission][MAY[permission].length - 1]).toBe(LEAST[permission])
  })

  it.each(ROLES)('%s: allowed where the role may, 403 with the role needed elsewhere', async (role) => {
    const seen: string[] = []
    for (const [method, path, body] of ROUTES) {
      const permission = NEEDS[routeName(method, path)]!
      const answer = await as(team[role].auth, path, { method, ...(body === undefined ? {} : { json: body }) })
      const label = `${role} ${method} ${path}: ${answer.text.slice(0, 200)}`
      if (MAY[permission].includes(role)) {
        expect(answer.status, label).not.toBe(403)
        expect(answer.status, label).not.toBe(401)
        expect(answer.status, label).toBeLessThan(500)
        seen.push('allowed')
      } else {
        expect(answer.status, label).toBe(403)
        expect(parsed(answer), label).toEqual(forbidden(permission))
        expect(answer.headers.get('cache-control')).toBe('no-store')
        seen.push('forbidden')
      }
    }
    // The owner may everything; every other role is refused something.
    expect(seen.includes('forbidden')).toBe(role !== 'owner')
  })
})

// ---------------------------------------------------------------- on a 403, nothing happens

const stub = (openid: string) => env.CONVERSATIONS.getByName(openid)
let msgId = 9_400_000_000_000_000_000n

/** A text from the user, recorded in their object and copied to D1: the send window opens. */
async function userWrites(openid: string, replies: string[] = []): Promise<void> {
  msgId += 1n
  const input: RecordInput = {
    dedupKey: `msg:${msgId}`,
    openid,
    msgId: String(msgId),
    kind: 'text',
    summary: 'from the test',
    grant: 'message',
    at: Date.now(),
    plan: { ruleId: null, ruleSetVersion: 'v-test', transfer: false, sends: replies.map((text) => ({ type: 'text', text })) },
  }
  await stub(openid).record(input)
  await stub(openid).flush()
}

const callsTo = async (openid: string, path: string) => (await fakeWechat.calls({ appid: APPID, touser: openid, path })).length

describe('a 403 does nothing; the same request from a role that may, does', () => {
  it('a reply by hand', async () => {
    const openid = uniqueOpenid()
    await userWrites(openid)
    const reply = { json: { type: 'text', text: 'by hand' } }
    expect((await as(team.viewer.auth, `/admin/api/conversations/${openid}/reply`, reply)).status).toBe(403)
    expect(await callsTo(openid, SEND)).toBe(0)
    const done = await as(team.agent.auth, `/admin/api/conversations/${openid}/reply`, reply)
    expect(done.status, done.text).toBe(200)
    expect(await callsTo(openid, SEND)).toBe(1)
  })

  it('a failed send retried or dropped', async () => {
    const openid = uniqueOpenid()
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 40003, errmsg: 'invalid openid' })
    await userWrites(openid, ['to retry'])
    const failedOf = async () =>
      parsed<{ items: { id: string; openid: string }[] }>(await as(OWNER_AUTH, '/admin/api/failed?limit=200')).items.filter(
        (f) => f.openid === openid,
      )
    const [failed] = await failedOf()
    expect(failed).toBeDefined()
    const before = await callsTo(openid, SEND)
    for (const action of ['retry', 'drop']) {
      expect((await as(team.viewer.auth, `/admin/api/failed/${failed!.id}/${action}`, { method: 'POST' })).status).toBe(403)
    }
    expect(await callsTo(openid, SEND)).toBe(before)
    expect(await failedOf()).toHaveLength(1)
    const retried = await as(team.agent.auth, `/admin/api/failed/${failed!.id}/retry`, { method: 'POST' })
    expect(retried.status, retried.text).toBe(200)
    expect(await callsTo(openid, SEND)).toBe(before + 1)
  })

  it('a rule set published, rolled back or previewed', async () => {
    const ruleSet = (text: string) => ({ rules: [{ id: 'hi', when: { text: ['hi'] }, reply: { type: 'text', text } }] })
    const put = (who: TestOperator, text: string) =>
      hygiene.fetch('/admin/api/rules', {
        method: 'PUT',
        headers: { ...who.auth, 'content-type': 'application/json' },
        body: JSON.stringify(ruleSet(text)),
      })
    const stored = async () => parsed<{ sourceVersion: string | null }>(await as(OWNER_AUTH, '/admin/api/rules')).sourceVersion
    const history = async () => parsed<{ items: unknown[] }>(await as(OWNER_AUTH, '/admin/api/rules/history?limit=100')).items.length

    const first = parsed<{ version: string }>(await put(team.admin, 'one')).version
    const second = parsed<{ version: string }>(await put(team.admin, 'two')).version
    const entries = await history()

    for (const who of [team.agent, team.viewer]) {
      const refused = await put(who, 'three')
      expect(refused.status).toBe(403)
      expect(parsed(refused)).toEqual(forbidden('rules'))
      expect((await as(who.auth, '/admin/api/rules/rollback', { json: { version: first } })).status).toBe(403)
      expect((await as(who.auth, '/admin/api/rules/preview', { json: { message: { type: 'text', text: 'hi' } } })).status).toBe(403)
    }
    expect(await stored()).toBe(second)
    expect(await history()).toBe(entries)

    const back = await as(team.admin.auth, '/admin/api/rules/rollback', { json: { version: first } })
    expect(back.status, back.text).toBe(200)
    expect(await stored()).toBe(first)
  })

  it('a subscribe message, a uniform send, a campaign', async () => {
    const openid = uniqueOpenid()
    const template = `tpl-roles-${crypto.randomUUID().slice(0, 8)}`
    const subscribe = { touser: openid, template_id: template, data: { thing1: { value: 'ok' } }, force: true }
    const uniform = {
      touser: openid,
      mp_template_msg: { appid: 'wx00000000000000aa', template_id: template, data: { first: { value: 'hello' } } },
    }
    const campaign = { template_id: template, data: { thing1: { value: 'ok' } } }
    const campaigns = async () =>
      (await env.DB.prepare('SELECT COUNT(*) AS n FROM campaigns WHERE template_id = ?').bind(template).first<{ n: number }>())?.n

    for (const who of [team.agent, team.viewer]) {
      for (const [path, json] of [
        ['/admin/api/subscribe/send', subscribe],
        ['/admin/api/uniform/send', uniform],
        ['/admin/api/subscribe/campaigns', campaign],
      ] as const) {
        const refused = await as(who.auth, path, { json })
        expect(refused.status, path).toBe(403)
        expect(parsed(refused)).toEqual(forbidden('campaigns'))
      }
    }
    expect(await callsTo(openid, SUBSCRIBE_SEND_PATH)).toBe(0)
    expect(await callsTo(openid, UNIFORM_SEND_PATH)).toBe(0)
    expect(await campaigns()).toBe(0)

    expect((await as(team.admin.auth, '/admin/api/subscribe/send', { json: subscribe })).status).toBeLessThan(500)
    expect((await as(team.admin.auth, '/admin/api/uniform/send', { json: uniform })).status).toBe(200)
    expect((await as(team.admin.auth, '/admin/api/subscribe/campaigns', { json: campaign })).status).toBe(202)
    expect(await callsTo(openid, SUBSCRIBE_SEND_PATH)).toBe(1)
    expect(await callsTo(openid, UNIFORM_SEND_PATH)).toBe(1)
    expect(await campaigns()).toBe(1)
  })

  it('keeps no Idempotency-Key for a 403: the same key then runs for a role that may', async () => {
    const openid = uniqueOpenid()
    const key = `roles-${crypto.randomUUID()}`
    const uniform = {
      touser: openid,
      mp_template_msg: {
        appid: 'wx00000000000000aa',
        template_id: `tpl-idem-${crypto.randomUUID().slice(0, 8)}`,
        data: { first: { value: 'hello' } },
      },
    }
    const call = { json: uniform, headers: { 'idempotency-key': key } }
    expect((await as(team.agent.auth, '/admin/api/uniform/send', call)).status).toBe(403)
    const kept = await env.DB.prepare('SELECT COUNT(*) AS n FROM idempotency WHERE key = ?').bind(key).first<{ n: number }>()
    expect(kept?.n).toBe(0)
    const sent = await as(team.admin.auth, '/admin/api/uniform/send', call)
    expect(sent.status, sent.text).toBe(200)
    expect(sent.headers.get('idempotent-replayed')).toBeNull()
    expect(await callsTo(openid, UNIFORM_SEND_PATH)).toBe(1)
    // Nor does a role that may not get the kept answer of a key someone else used: the role comes first.
    const replay = await as(team.agent.auth, '/admin/api/uniform/send', call)
    expect(replay.status).toBe(403)
    expect(replay.headers.get('idempotent-replayed')).toBeNull()
    expect((await as(team.admin.auth, '/admin/api/uniform/send', call)).headers.get('idempotent-replayed')).toBe('true')
  })

  it('operators added, changed or removed', async () => {
    const target = await addTestOperator('agent', { name: 'Target' })
    const listed = async () => parsed<{ operators: { id: string; role: string }[] }>(await as(OWNER_AUTH, '/admin/api/operators')).operators
    const before = await listed()
    for (const who of [team.admin, team.agent, team.viewer]) {
      const calls: [string, string, unknown][] = [
        ['POST', '/admin/api/operators', { name: 'Intruder', role: 'owner' }],
        ['PATCH', `/admin/api/operators/${target.id}`, { role: 'owner' }],
        ['PATCH', `/admin/api/operators/${who === team.admin ? team.admin.id : target.id}`, { role: 'owner' }],
        ['DELETE', `/admin/api/operators/${target.id}`, undefined],
      ]
      for (const [method, path, json] of calls) {
        const refused = await as(who.auth, path, { method, ...(json === undefined ? {} : { json }) })
        expect(refused.status, `${method} ${path}`).toBe(403)
        expect(parsed(refused)).toEqual(forbidden('operators'))
      }
    }
    expect(await listed()).toEqual(before)
    // Still the agent it was: its token works as an agent's.
    expect((await as(target.auth, '/admin/api/rules/preview', { json: { message: { type: 'text', text: 'hi' } } })).status).toBe(403)
    // An owner operator may.
    expect((await as(team.owner.auth, `/admin/api/operators/${target.id}`, { method: 'DELETE' })).status).toBe(204)
  })
})

// ---------------------------------------------------------------- mini programs, removal, failures

describe('an operator limited to some mini programs', () => {
  it('is refused on the others, read or act, with nothing done', async () => {
    const limited = await addTestOperator('agent', { apps: [SECOND_APP.appid] })
    expect((await as(limited.auth, `/admin/api/stats?app=${SECOND_APP.appid}`)).status).toBe(200)
    expect((await as(limited.auth, `/admin/api/conversations?app=${SECOND_APP.appid}`)).status).toBe(200)
    for (const path of ['/admin/api/stats', `/admin/api/stats?app=${APPID}`, '/admin/api/conversations', '/admin/api/failed']) {
      const refused = await as(limited.auth, path)
      expect(refused.status, path).toBe(403)
      expect(parsed(refused)).toEqual({ error: 'forbidden', reason: 'not a mini program this operator may act on' })
    }
    const openid = uniqueOpenid()
    await userWrites(openid)
    const reply = await as(limited.auth, `/admin/api/conversations/${openid}/reply`, { json: { type: 'text', text: 'not mine' } })
    expect(reply.status).toBe(403)
    expect(await callsTo(openid, SEND)).toBe(0)
    // What the role cannot do stays refused by the role, on its own mini program too.
    const rules = await as(limited.auth, `/admin/api/rules/preview?app=${SECOND_APP.appid}`, {
      json: { message: { type: 'text', text: 'hi' } },
    })
    expect(parsed(rules)).toEqual(forbidden('rules'))
  })
})

describe('a removed operator', () => {
  it('is refused (401) on the very next request', async () => {
    const gone = await addTestOperator('admin')
    expect((await as(gone.auth, '/admin/api/stats')).status).toBe(200)
    expect((await as(OWNER_AUTH, `/admin/api/operators/${gone.id}`, { method: 'DELETE' })).status).toBe(204)
    const refused = await as(gone.auth, '/admin/api/stats')
    expect(refused.status).toBe(401)
    expect(refused.text).toBe('Unauthorized')
  })
})

describe('a personal token with a wrong secret', () => {
  it('is a failure (401); five in a row lock that operator (429), even from another address', async () => {
    const target = await addTestOperator('viewer')
    const [, id] = target.token.split('.')
    const wrong = { authorization: `Bearer kfo.${id}.${'A'.repeat(43)}` }
    expect(wrong.authorization).not.toBe(target.auth.authorization)
    for (let i = 0; i < 5; i++) {
      const answer = await as(wrong, '/admin/api/stats', { headers: { 'cf-connecting-ip': '198.51.100.7' } })
      expect(answer.status, `attempt ${i + 1}`).toBe(401)
    }
    // The right token, from an address that never failed: the operator is locked.
    const locked = await as(target.auth, '/admin/api/stats', { headers: { 'cf-connecting-ip': '203.0.113.9' } })
    expect(locked.status).toBe(429)
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0)
    // That address is not: ADMIN_TOKEN from it goes through, and other operators are not locked.
    expect((await as(OWNER_AUTH, '/admin/api/stats', { headers: { 'cf-connecting-ip': '203.0.113.9' } })).status).toBe(200)
    expect((await as(team.viewer.auth, '/admin/api/stats', { headers: { 'cf-connecting-ip': '203.0.113.9' } })).status).toBe(200)
  })
})
