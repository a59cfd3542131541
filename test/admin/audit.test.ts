/**
 * The audit log (src/admin/audit.ts) through the doors that write it: a scripted day of work,
 * through the admin API and the console, by an operator with a personal token and by the
 * owner's ADMIN_TOKEN — each action lands once, with who and what, newest first, paged and
 * filtered by operator and by action; no entry holds a reply's text or a token; the rule
 * history names the publisher (and still reads entries written before it did); the cron drops
 * entries past AUDIT_RETENTION_DAYS; and D1 refusing the audit write fails no action.
 */
import { createScheduledController } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { audit, DEFAULT_AUDIT_RETENTION_DAYS, type AuditAction, type AuditView } from '../../src/admin/audit'
import { addOperator } from '../../src/auth/operators'
import type { RecordInput } from '../../src/conversation/conversation'
import type { FailedView, Page } from '../../src/record/views'
import { historyKey } from '../../src/rules/history-format'
import { listHistory } from '../../src/rules/history'
import { ruleSetVersion } from '../../src/rules/version'
import type { Env } from '../../src/settings/env'
import worker from '../../src/index'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { BASE, workerFetch } from '../support/helpers'
import { APPID, watchSecrets, type Answer } from '../support/hygiene'
import { TEST_SETTINGS } from '../support/settings'

const hygiene = watchSecrets('audit')
const ADMIN = TEST_SETTINGS.ADMIN_TOKEN
const DAY_MS = 24 * 60 * 60 * 1000
const SEND = '/cgi-bin/message/custom/send'
const REPLY_TEXT = 'your parcel left the warehouse this morning'

// ---------------------------------------------------------------- the doors

/** An admin API call with `token` (JSON body when given). */
async function api(token: string, path: string, init: { method?: string; json?: unknown; raw?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` }
  const body = init.raw ?? (init.json === undefined ? undefined : JSON.stringify(init.json))
  if (body !== undefined) headers['content-type'] = 'application/json'
  return hygiene.fetch(path, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
  })
}

const json = <T>(answer: Answer): T => JSON.parse(answer.text) as T

/** A console form post (from the console's own origin), with the session's cookie. */
function post(path: string, fields: Record<string, string>, cookie = ''): Promise<Response> {
  return workerFetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  })
}

/** Signs in to the console with `token`; the Cookie header the browser sends back. */
async function signIn(token: string): Promise<string> {
  const res = await post('/admin/login', { token })
  expect(res.status).toBe(303)
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!
}

/** Every entry the audit API lists for the query, page by page (`limit` a page), as the owner. */
async function auditTrail(query: Record<string, string>, limit = 200): Promise<AuditView[]> {
  const items: AuditView[] = []
  let cursor: string | null = null
  do {
    const params = new URLSearchParams({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) })
    const answer = await api(ADMIN, `/admin/api/audit?${params}`)
    expect(answer.status, answer.text).toBe(200)
    const page = json<Page<AuditView>>(answer)
    expect(page.items.length).toBeLessThanOrEqual(limit)
    items.push(...page.items)
    cursor = page.nextCursor
  } while (cursor !== null)
  return items
}

let operatorNames = 0
/** An operator in D1 of `role`, with their personal token. */
async function newOperator(role: 'admin' | 'agent', name = `Operator ${++operatorNames}`) {
  return addOperator(env.DB, { name, role, apps: null, email: null }, Date.now())
}

// ---------------------------------------------------------------- the user's object

const stub = (openid: string) => env.CONVERSATIONS.getByName(openid)
let msgId = 9_400_000_000_000_000_000n

/** A text from `openid` (opening their window), with the replies the rules planned. */
async function pushed(openid: string, replies: string[]): Promise<void> {
  const id = String(++msgId)
  const input: RecordInput = {
    dedupKey: `msg:${id}`,
    openid,
    msgId: id,
    kind: 'text',
    summary: 'from the audit test',
    grant: 'message',
    at: Date.now(),
    plan: {
      ruleId: replies.length ? 'test-rule' : null,
      ruleSetVersion: 'v-test',
      transfer: false,
      sends: replies.map((text) => ({ type: 'text', text })),
    },
  }
  await stub(openid).record(input)
  await stub(openid).flush()
}

/** Two failed sends of `openid`, by their ids: one to retry and one to drop. */
async function failedSends(openid: string): Promise<[string, string]> {
  for (const text of ['to retry', 'to drop']) {
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 40003, errmsg: 'invalid openid' })
    await pushed(openid, [text])
  }
  const failed = json<Page<FailedView>>(await api(ADMIN, '/admin/api/failed?limit=200')).items.filter((f) => f.openid === openid)
  const idOf = (text: string) => failed.find((f) => f.text === text)!.id
  return [idOf('to retry'), idOf('to drop')]
}

const rules = (n: number) =>
  JSON.stringify({
    rules: Array.from({ length: n }, (_, i) => ({ id: `r${i}`, when: { text: [`q${i}`] }, reply: { type: 'text', text: `a${i}` } })),
  })

// ---------------------------------------------------------------- a day of work

describe('the audit trail of a day of work', () => {
  it('lists each action once, with who and what, newest first, paged, and filtered by operator and by action', async () => {
    const openid = uniqueOpenid()
    const campaignTemplate = `tplAudit${Date.now() % 100000}`
    // The owner adds Ann (an admin): she gets her personal token once.
    const added = await api(ADMIN, '/admin/api/operators', { json: { name: 'Ann', role: 'admin' } })
    expect(added.status, added.text).toBe(201)
    const ann = json<{ id: string; token: string }>(added)
    // The owner publishes the morning's rules.
    expect((await api(ADMIN, '/admin/api/rules', { method: 'PUT', raw: rules(1) })).status).toBe(200)
    const morning = await ruleSetVersion(new TextEncoder().encode(rules(1)))

    // A mistyped token at the console, then Ann signs in.
    const wrongToken = `${ann.token.slice(0, -4)}AAAA`
    expect((await post('/admin/login', { token: wrongToken })).status).toBe(401)
    const cookie = await signIn(ann.token)

    // Ann publishes through the API, then rolls back in the console.
    const published = await api(ann.token, '/admin/api/rules', { method: 'PUT', raw: rules(2) })
    expect(published.status, published.text).toBe(200)
    const noon = json<{ version: string }>(published).version
    const rolledBack = await post('/admin/rules/rollback', { version: morning, base: noon }, cookie)
    expect(rolledBack.status).toBe(303)
    expect(rolledBack.headers.get('location')).toContain('done=rolledback')

    // A user writes; Ann replies in the console; two replies failed: she retries one (API) and drops one (console).
    await pushed(openid, [])
    const replied = await post(`/admin/conversations/${openid}/reply`, { text: REPLY_TEXT, idempotency_key: crypto.randomUUID() }, cookie)
    expect(replied.headers.get('location')).toContain('done=sent')
    const [toRetry, toDrop] = await failedSends(openid)
    const retried = await api(ann.token, `/admin/api/failed/${toRetry}/retry`, { method: 'POST' })
    expect(retried.status, retried.text).toBe(200)
    const dropped = await post(`/admin/failed/${toDrop}/drop`, { idempotency_key: crypto.randomUUID() }, cookie)
    expect(dropped.headers.get('location')).toContain('done=dropped')

    // A campaign (it reaches no one yet), a forced subscribe send and a uniform send, all by Ann.
    const campaign = await api(ann.token, '/admin/api/subscribe/campaigns', {
      json: { template_id: campaignTemplate, data: { thing1: { value: '新品上架' } } },
    })
    expect(campaign.status, campaign.text).toBe(202)
    const campaignId = json<{ id: string }>(campaign).id
    const subscribe = await api(ann.token, '/admin/api/subscribe/send', {
      json: { touser: openid, template_id: campaignTemplate, data: { thing1: { value: '已发货' } }, force: true },
    })
    expect(subscribe.status, subscribe.text).toBe(200)
    const uniform = await api(ann.token, '/admin/api/uniform/send', {
      json: {
        touser: openid,
        mp_template_msg: { appid: 'wx00000000000000aa', template_id: 'mpTemplate1', data: { first: { value: 'hello' } } },
      },
    })
    expect(uniform.status, uniform.text).toBe(200)

    // Ann's day, newest first, through pages of two.
    const hers = await auditTrail({ operator: ann.id }, 2)
    expect(hers.map((e) => [e.action, e.target])).toEqual([
      ['uniform_send', openid],
      ['subscribe_send', openid],
      ['campaign_start', campaignId],
      ['drop', toDrop],
      ['retry', toRetry],
      ['reply', openid],
      ['rollback', morning],
      ['publish', noon],
      ['sign_in', null],
    ])
    expect(hers.every((e) => e.operatorId === ann.id && e.operatorName === 'Ann')).toBe(true)
    const at = hers.map((e) => e.at)
    expect([...at].sort((a, b) => b - a)).toEqual(at)
    // The mini program acted on; the deployment's '' for a sign-in.
    expect(hers.map((e) => e.appid)).toEqual([...Array<string>(8).fill(APPID), ''])
    const summaryOf = (action: AuditAction) => hers.find((e) => e.action === action)?.summary
    expect(summaryOf('publish')).toBe(`2 rules from api, was ${morning}`)
    expect(summaryOf('rollback')).toBe(`1 rules from the history (console), was ${noon}`)
    expect(summaryOf('reply')).toBe('sent')
    expect(summaryOf('retry')).toBe('sent')
    expect(summaryOf('drop')).toBe('dropped (errcode 40003)')
    expect(summaryOf('campaign_start')).toBe(`template ${campaignTemplate}, 0 users`)
    expect(summaryOf('subscribe_send')).toBe(`template ${campaignTemplate}, sent (forced)`)
    expect(summaryOf('uniform_send')).toBe('template mpTemplate1, sent')

    // The owner's part: adding Ann and the morning's publish; the failed sign-in is nobody's.
    const owners = await auditTrail({ operator: 'owner' })
    expect(owners.find((e) => e.action === 'operator_add' && e.target === ann.id)).toMatchObject({
      operatorName: 'owner (ADMIN_TOKEN)',
      appid: '',
    })
    expect(owners.find((e) => e.action === 'publish' && e.target === morning)).toBeDefined()
    const failed = (await auditTrail({ action: 'sign_in_failed' })).find((e) => e.target === ann.id)
    expect(failed).toMatchObject({ operatorId: '', operatorName: '', appid: '' })
    expect(failed?.summary).toMatch(/^from /)

    // By action: only that action, everyone's.
    const replies = await auditTrail({ action: 'reply' })
    expect(replies.length).toBeGreaterThan(0)
    expect(replies.every((e) => e.action === 'reply')).toBe(true)
    expect(replies[0]).toMatchObject({ operatorId: ann.id, target: openid })
    expect(await auditTrail({ operator: ann.id, action: 'retry' })).toEqual([hers.find((e) => e.action === 'retry')])

    // No entry holds the reply's text, a token, or the mistyped one.
    const everything = JSON.stringify(await auditTrail({}))
    for (const secret of [REPLY_TEXT, ann.token, wrongToken, ADMIN, ann.token.split('.')[2]!]) expect(everything).not.toContain(secret)
  })

  it('is the operators permission’s: an admin is refused, and a bad query is a 400', async () => {
    const { token } = await newOperator('admin')
    const refused = await api(token, '/admin/api/audit')
    expect(refused.status).toBe(403)
    expect(json(refused)).toEqual({ error: 'forbidden', needs: 'owner' })
    for (const query of ['action=delete_everything', 'operator=x', 'limit=0', 'limit=201', 'cursor=abc', 'other=1']) {
      const answer = await api(ADMIN, `/admin/api/audit?${query}`)
      expect(answer.status, query).toBe(400)
      expect(json<{ error: string }>(answer).error).toMatch(/^(action|operator|limit|cursor|other): /)
    }
    // Another list's cursor is not this one's.
    const failed = json<Page<FailedView>>(await api(ADMIN, '/admin/api/failed?limit=1'))
    if (failed.nextCursor) expect((await api(ADMIN, `/admin/api/audit?cursor=${failed.nextCursor}`)).status).toBe(400)
  })

  it('records signing out everywhere as the operator whose session asked', async () => {
    const cookie = await signIn(ADMIN)
    expect((await post('/admin/logout', { everywhere: '1' }, cookie)).status).toBe(303)
    const [latest] = await auditTrail({ action: 'sign_out_everywhere' })
    expect(latest).toMatchObject({ operatorId: 'owner', appid: '', action: 'sign_out_everywhere' })
    expect(latest?.summary).toMatch(/^\d+ sessions ended, everyone$/)
  })
})

// ---------------------------------------------------------------- the rule history

describe('the rule history names who published', () => {
  it('in the API’s items and the console’s page; an entry written before has none and still reads', async () => {
    const { operator, token } = await newOperator('admin', 'Bo the publisher')
    // An entry as the Worker wrote them before operators: no `by` in its metadata.
    const oldSource = rules(3)
    const oldVersion = await ruleSetVersion(new TextEncoder().encode(oldSource))
    const oldAt = Date.now() - DAY_MS
    await env.RULES.put(historyKey(oldVersion, oldAt), oldSource, {
      metadata: { version: oldVersion, publishedAt: oldAt, from: 'api', rules: 3 },
    })
    const answer = await api(token, '/admin/api/rules', { method: 'PUT', raw: rules(4) })
    expect(answer.status, answer.text).toBe(200)
    const version = json<{ version: string }>(answer).version

    const history = json<{ items: { version: string; from: string; by?: string; rules: number | null }[] }>(
      await api(ADMIN, '/admin/api/rules/history?limit=200'),
    )
    expect(history.items[0]).toMatchObject({ version, from: 'api', by: operator.name, rules: 4 })
    const old = history.items.find((i) => i.version === oldVersion)
    expect(old).toEqual({ version: oldVersion, publishedAt: oldAt, from: 'api', rules: 3, current: false })
    const detail = json<{ by?: string }>(await api(ADMIN, `/admin/api/rules/history/${version}`))
    expect(detail.by).toBe(operator.name)

    const page = await hygiene.fetch('/admin/rules/history?lang=en', { headers: { cookie: await signIn(token) } })
    expect(page.status).toBe(200)
    expect(page.text).toContain('<th>By</th>')
    expect(page.text).toMatch(new RegExp(`data-version="${version}"[^]*?<td>Bo the publisher</td>`))
    const zh = await hygiene.fetch('/admin/rules/history?lang=zh', { headers: { cookie: await signIn(token) } })
    expect(zh.text).toContain('<th>由</th>')
  })

  it('keeps no `by` for rules:push, as the scripts publish', async () => {
    const { publishRules } = await import('../../src/rules/history')
    const outcome = await publishRules(env.RULES, rules(5), 'rules:push', Date.now())
    expect(outcome.ok).toBe(true)
    const [newest] = (await listHistory(env.RULES, { limit: 1 })).items
    expect(newest).toMatchObject({ from: 'rules:push', rules: 5 })
    expect(newest).not.toHaveProperty('by')
  })
})

// ---------------------------------------------------------------- retention

describe('retention', () => {
  const cron = (on: Env) => worker.scheduled(createScheduledController({ cron: '17 * * * *' }), on)
  const ids = async (operator: string) =>
    (
      await env.DB.prepare('SELECT target FROM audit WHERE operator_id = ? ORDER BY target').bind(operator).all<{ target: string }>()
    ).results.map((r) => r.target)

  it('the hourly cron deletes entries older than AUDIT_RETENTION_DAYS (default 365) and keeps the rest', async () => {
    const operator = { id: 'retention01x', name: 'Retention' }
    const now = Date.now()
    const entry = (target: string) => ({ appid: APPID, operator, action: 'reply' as const, target, summary: 'sent' })
    await audit(env.DB, entry('a-older-than-default'), now - (DEFAULT_AUDIT_RETENTION_DAYS + 1) * DAY_MS)
    await audit(env.DB, entry('b-ten-days-old'), now - 10 * DAY_MS)
    await audit(env.DB, entry('c-today'), now)

    await cron(env)
    expect(await ids(operator.id)).toEqual(['b-ten-days-old', 'c-today'])
    await cron({ ...env, AUDIT_RETENTION_DAYS: '7' })
    expect(await ids(operator.id)).toEqual(['c-today'])
  })

  it('a malformed AUDIT_RETENTION_DAYS keeps the default (nothing cleared early) and is logged', async () => {
    const operator = { id: 'retention02x', name: 'Retention' }
    await audit(env.DB, { appid: APPID, operator, action: 'reply', target: 'two-days-old' }, Date.now() - 2 * DAY_MS)
    await cron({ ...env, AUDIT_RETENTION_DAYS: '0' })
    expect(await ids(operator.id)).toEqual(['two-days-old'])
    expect(hygiene.events()).toContainEqual(expect.objectContaining({ event: 'setting.malformed', setting: 'AUDIT_RETENTION_DAYS' }))
  })
})

// ---------------------------------------------------------------- D1 refusing the write

describe('an audit write that fails', () => {
  it('fails no action: the reply, retry, drop, publish and sign-in go through, and audit.write_failed is logged', async () => {
    const { operator, token } = await newOperator('admin')
    const openid = uniqueOpenid()
    await pushed(openid, [])
    const [toRetry, toDrop] = await failedSends(openid)
    await env.DB.exec('ALTER TABLE audit RENAME TO audit_away')
    try {
      const reply = await api(token, `/admin/api/conversations/${openid}/reply`, {
        json: { type: 'text', text: 'while the audit is down' },
      })
      expect(reply.status, reply.text).toBe(200)
      expect(json(reply)).toMatchObject({ outcome: { status: 'sent' } })
      expect((await api(token, `/admin/api/failed/${toRetry}/retry`, { method: 'POST' })).status).toBe(200)
      expect((await api(token, `/admin/api/failed/${toDrop}/drop`, { method: 'POST' })).status).toBe(200)
      expect((await api(token, '/admin/api/rules', { method: 'PUT', raw: rules(6) })).status).toBe(200)
      expect((await post('/admin/login', { token })).status).toBe(303)
    } finally {
      await env.DB.exec('ALTER TABLE audit_away RENAME TO audit')
    }
    const failures = hygiene.events().filter((e) => e.event === 'audit.write_failed')
    expect(failures.map((e) => e.action).sort()).toEqual(['drop', 'publish', 'reply', 'retry', 'sign_in'])
    // The user got the reply, and nothing was recorded for the operator.
    const sent = await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })
    expect(sent.some((call) => JSON.stringify(call.body).includes('while the audit is down'))).toBe(true)
    expect(await auditTrail({ operator: operator.id })).toEqual([])
  })
})
