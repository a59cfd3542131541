/**
 * Operator sends happen once per Idempotency-Key: a client's retry or a double submit of a
 * console form gets the first answer and sends nothing again, for 24 hours.
 */
import { consoleSession } from '../support/operators'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { ABANDONED_MS, claimKey, IDEMPOTENCY_MS, pruneKeys } from '../../src/admin/idempotency'
import type { RecordInput } from '../../src/conversation/conversation'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { BASE, workerFetch } from '../support/helpers'
import { APPID } from '../support/hygiene'
import { TEST_SETTINGS } from '../support/settings'

const AUTH = { authorization: `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}` }
const SEND = '/cgi-bin/message/custom/send'
let msgId = 9_400_000_000_000_000_000n

/** A user who just wrote: their window is open for five sends. */
async function userWhoWrote(): Promise<string> {
  const openid = uniqueOpenid()
  const id = String(msgId++)
  const input: RecordInput = {
    dedupKey: `msg:${id}`,
    openid,
    msgId: id,
    kind: 'text',
    summary: 'from the test',
    grant: 'message',
    at: Date.now(),
    plan: { ruleId: null, ruleSetVersion: 'v-test', transfer: false, sends: [] },
  }
  await env.CONVERSATIONS.getByName(openid).receive(input)
  return openid
}

const sendsTo = async (openid: string) =>
  (await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).filter((call) => call.errcode === 0)

function reply(openid: string, key: string | null, text = '您好，我是客服') {
  return workerFetch(`/admin/api/conversations/${openid}/reply`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json', ...(key === null ? {} : { 'idempotency-key': key }) },
    body: JSON.stringify({ type: 'text', text }),
  })
}

describe('the admin API with Idempotency-Key', () => {
  it('sends a reply once, and answers a repeat with the first answer', async () => {
    const openid = await userWhoWrote()
    const key = crypto.randomUUID()
    const first = await reply(openid, key)
    expect(first.status).toBe(200)
    const firstBody = await first.text()
    const again = await reply(openid, key)
    expect(again.status).toBe(200)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(await again.text()).toBe(firstBody)
    expect(await sendsTo(openid)).toHaveLength(1)
  })

  it('sends once when the same request arrives twice at the same moment', async () => {
    const openid = await userWhoWrote()
    const key = crypto.randomUUID()
    const answers = await Promise.all([reply(openid, key), reply(openid, key), reply(openid, key)])
    const statuses = answers.map((a) => a.status).sort()
    // The first sends; each other one either waited for its answer or was told it is running.
    for (const status of statuses) expect([200, 409]).toContain(status)
    expect(statuses).toContain(200)
    expect(await sendsTo(openid)).toHaveLength(1)
  })

  it('still sends without a key, and for each new key', async () => {
    const openid = await userWhoWrote()
    expect((await reply(openid, null)).status).toBe(200)
    expect((await reply(openid, null)).status).toBe(200)
    expect((await reply(openid, crypto.randomUUID())).status).toBe(200)
    expect(await sendsTo(openid)).toHaveLength(3)
  })

  it('refuses the key for another request (422), and a malformed key (400)', async () => {
    const openid = await userWhoWrote()
    const key = crypto.randomUUID()
    expect((await reply(openid, key, 'first')).status).toBe(200)
    const other = await reply(openid, key, 'second')
    expect(other.status).toBe(422)
    expect(await other.json()).toEqual({ error: 'Idempotency-Key: was used for another request' })
    for (const bad of ['', 'x'.repeat(256), 'with space']) {
      expect((await reply(openid, bad)).status, JSON.stringify(bad)).toBe(400)
    }
    expect((await sendsTo(openid)).map((call) => (call.body as { text: { content: string } }).text.content)).toEqual(['first'])
  })

  it('lets a key try again after a refusal that did nothing (a malformed body)', async () => {
    const openid = await userWhoWrote()
    const key = crypto.randomUUID()
    const url = `/admin/api/conversations/${openid}/reply`
    const bad = await workerFetch(url, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json', 'idempotency-key': key },
      body: '{"type":"text"',
    })
    expect(bad.status).toBe(400)
    expect((await reply(openid, key)).status).toBe(200)
    expect(await sendsTo(openid)).toHaveLength(1)
  })

  it('keeps a refusal for the user’s state: the repeat is refused the same way, nothing sent', async () => {
    const never = uniqueOpenid()
    const key = crypto.randomUUID()
    const first = await reply(never, key)
    expect(first.status).toBe(409)
    const again = await reply(never, key)
    expect(again.status).toBe(409)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
  })

  it('starts a campaign once', async () => {
    const template = `tplOnce${Date.now()}`
    const start = () =>
      workerFetch('/admin/api/subscribe/campaigns', {
        method: 'POST',
        headers: { ...AUTH, 'content-type': 'application/json', 'idempotency-key': `campaign-${template}` },
        body: JSON.stringify({ template_id: template, data: { thing1: { value: '双十一优惠券已到账' } } }),
      })
    const first = await start()
    expect(first.status).toBe(202)
    const { id } = await first.json<{ id: string }>()
    const again = await start()
    expect(again.status).toBe(202)
    expect((await again.json<{ id: string }>()).id).toBe(id)
    const { results } = await env.DB.prepare('SELECT id FROM campaigns WHERE appid = ? AND template_id = ?').bind(APPID, template).all()
    expect(results).toHaveLength(1)
  })
})

describe('keys in D1', () => {
  const id = () => ({ appid: APPID, key: crypto.randomUUID() })

  it('are forgotten after 24 hours, and a claim whose request died is taken over', async () => {
    const now = Date.now()
    const done = id()
    expect(await claimKey(env.DB, done, 'f', now)).toEqual({ kind: 'new' })
    await env.DB.prepare('UPDATE idempotency SET status = 200, body = ? WHERE appid = ? AND key = ?').bind('{}', done.appid, done.key).run()
    expect(await claimKey(env.DB, done, 'f', now + IDEMPOTENCY_MS - 1)).toEqual({ kind: 'replay', status: 200, body: '{}' })
    expect(await claimKey(env.DB, done, 'f', now + IDEMPOTENCY_MS)).toEqual({ kind: 'new' })

    const dead = id()
    expect(await claimKey(env.DB, dead, 'f', now)).toEqual({ kind: 'new' })
    expect(await claimKey(env.DB, dead, 'f', now + 1000)).toEqual({ kind: 'in_progress' })
    expect(await claimKey(env.DB, dead, 'f', now + ABANDONED_MS)).toEqual({ kind: 'new' })

    const old = id()
    await claimKey(env.DB, old, 'f', now - IDEMPOTENCY_MS - 1)
    expect(await pruneKeys(env.DB, now)).toBeGreaterThanOrEqual(1)
    const left = await env.DB.prepare('SELECT 1 FROM idempotency WHERE appid = ? AND key = ?').bind(old.appid, old.key).first()
    expect(left).toBeNull()
  })
})

describe('console forms', () => {
  /** Signs in with ADMIN_TOKEN: the session cookie. */
  const session = () => consoleSession(TEST_SETTINGS.ADMIN_TOKEN)

  it('carry a fresh key, and a double submit of the reply form sends once and shows the same outcome', async () => {
    const cookie = await session()
    const openid = await userWhoWrote()
    const page = await (await workerFetch(`/admin/conversations/${openid}`, { headers: { cookie } })).text()
    const key = /name="idempotency_key" value="([^"]+)"/.exec(page)?.[1]
    expect(key).toMatch(/^[0-9a-f-]{36}$/)
    const again = await (await workerFetch(`/admin/conversations/${openid}`, { headers: { cookie } })).text()
    expect(/name="idempotency_key" value="([^"]+)"/.exec(again)?.[1]).not.toBe(key)

    const submit = () =>
      workerFetch(`/admin/conversations/${openid}/reply`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, cookie },
        body: new URLSearchParams({ text: '马上为您处理', idempotency_key: key ?? '' }).toString(),
        redirect: 'manual',
      })
    const [first, second] = [await submit(), await submit()]
    expect(first.status).toBe(303)
    expect(second.headers.get('location')).toBe(first.headers.get('location'))
    expect(first.headers.get('location')).toContain('done=sent')
    expect(await sendsTo(openid)).toHaveLength(1)
  })
})
