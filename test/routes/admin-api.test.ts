/**
 * `/admin/api/*` end to end: the real Worker (or the app with another appid, for lists of
 * our own), real local D1, real Conversation objects, the fake WeChat API on loopback.
 * Every route refuses a missing or wrong token with the same bare 401; malformed input is a
 * 4xx `{ error }`, never a 500; pages cover a list exactly; a signed push shows up in the
 * list; replies by hand and failed sends go through the user's object; the preview sends
 * nothing; the OpenAPI document lists every route.
 */
import { createExecutionContext, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import * as v from 'valibot'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { buildPush, textMessage } from '../../dev/push'
import { app } from '../../src/app'
import type { Conversation, RecordInput } from '../../src/conversation/conversation'
import { encodeCursor } from '../../src/record/cursor'
import type { RecordEvent } from '../../src/record/event'
import type { ConversationView, FailedView, MessageView, Page, Stats } from '../../src/record/views'
import { ruleSetVersion } from '../../src/rules/version'
import { writeRecord } from '../../src/record/write'
import { ANSWERS } from '../../src/admin/answers'
import { openApiDocument } from '../../scripts/openapi/document'
import { fakeWechat, uniqueAppid, uniqueOpenid } from '../support/fake-wechat-client'
import { keepAnswer, pushOptions } from '../support/helpers'
import { APPID, watchSecrets, WORKER, type Answer } from '../support/hygiene'
import { recordSeed } from '../support/record-seed'
import { TEST_SETTINGS } from '../support/settings'
import { ROUTES, SOME_CAMPAIGN, SOME_DELIVERY, SOME_ENTRY, SOME_OPENID, SOME_OPERATOR, SOME_VERSION } from '../support/admin-routes'

const hygiene = watchSecrets('admin-api')
const ADMIN = TEST_SETTINGS.ADMIN_TOKEN
const AUTH = { authorization: `Bearer ${ADMIN}` }
const SEND = '/cgi-bin/message/custom/send'
const NOW = Date.now()

const RULES = {
  rules: [
    { id: 'hi', when: { text: ['hi', '你好'] }, reply: { type: 'text', text: 'hello' } },
    { id: 'order', when: { regex: '^order\\s*(\\d{3,})$' }, reply: [{ type: 'text', text: 'order {{1}} noted' }, { type: 'transfer' }] },
    { id: 'photo', when: { msgtype: 'image' }, reply: { type: 'transfer' } },
    { id: 'pay', when: { event: 'user_enter_tempsession', session_from: 'pay' }, reply: { type: 'text', text: 'payment help' } },
  ],
}
const RULES_TEXT = JSON.stringify(RULES, null, 2)

beforeAll(async () => {
  // Before anything loads the rules in this isolate: the loader keeps what it read for 30 s.
  await env.RULES.put('rules', RULES_TEXT)
})

interface Call {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** A JSON body (sent as application/json), or raw text with `contentType`. */
  json?: unknown
  raw?: string
  contentType?: string
  headers?: Record<string, string>
  /** Serve as this appid (the app with another WECHAT_APPID); default: the Worker as deployed. */
  appid?: string
}

/** An admin API call with the admin token unless `headers` says otherwise. */
async function api(path: string, call: Call = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...AUTH, ...call.headers }
  let body: string | undefined
  if (call.json !== undefined || call.raw !== undefined) {
    body = call.raw ?? JSON.stringify(call.json)
    headers['content-type'] = call.contentType ?? 'application/json'
  }
  const init: RequestInit = {
    method: call.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body === undefined ? {} : { body }),
  }
  if (call.appid === undefined) return hygiene.fetch(path, init)
  const res = await app.fetch(new Request(`${WORKER}${path}`, init), { ...env, WECHAT_APPID: call.appid }, createExecutionContext())
  const text = await res.text()
  keepAnswer(text)
  return { status: res.status, text, headers: res.headers }
}

const json = <T>(answer: Answer): T => JSON.parse(answer.text) as T

// ---------------------------------------------------------------- seeding the record directly

const { inbound, nextMsgId, outbound, windowOf } = recordSeed(9_300_000_000_000_000_000n)

// ---------------------------------------------------------------- the Conversation object directly

const stub = (openid: string) => env.CONVERSATIONS.getByName(openid)

function textPush(openid: string, replies: string[]): RecordInput {
  const msgId = nextMsgId()
  return {
    dedupKey: `msg:${msgId}`,
    openid,
    msgId,
    kind: 'text',
    summary: 'from the test',
    grant: 'message',
    at: Date.now(),
    plan: {
      ruleId: replies.length ? 'test-rule' : null,
      ruleSetVersion: 'v-test',
      transfer: false,
      sends: replies.map((text) => ({ type: 'text', text })),
    },
  }
}

async function pushAndFlush(input: RecordInput): Promise<void> {
  await stub(input.openid).record(input)
  await stub(input.openid).flush()
}

const sendsTo = async (openid: string) =>
  (await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).filter((call) => call.errcode === 0)

// ---------------------------------------------------------------- every route

describe('authentication', () => {
  it('refuses every route without the token or with a wrong one, with the same bare 401', async () => {
    const wrong = [undefined, `Bearer ${'b'.repeat(ADMIN.length)}`, `Bearer ${ADMIN}x`, `Bearer ${ADMIN.slice(0, -1)}`]
    const bodies = new Set<string>()
    for (const [method, path, body] of ROUTES) {
      for (const authorization of wrong) {
        const headers: Record<string, string> = authorization === undefined ? {} : { authorization }
        const answer = await hygiene.fetch(path, {
          method,
          headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
        expect(answer.status, `${method} ${path} ${String(authorization).slice(0, 12)}`).toBe(401)
        expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/)
        bodies.add(answer.text)
        hygiene.count('adminApiRefused')
      }
    }
    // One answer for every route and every wrong token: it says nothing about either.
    expect([...bodies]).toEqual(['Unauthorized'])
    // Nothing reached the object: no send was attempted.
    expect(await sendsTo(SOME_OPENID)).toEqual([])
  })

  it('serves every route with the token (never a 404 for a documented path)', async () => {
    for (const [method, path, body] of ROUTES) {
      const answer = await api(path, { method, ...(body === undefined ? {} : { json: body }) })
      expect(answer.headers.get('content-type'), `${method} ${path}`).toMatch(/^application\/json/)
      expect(answer.status, `${method} ${path}: ${answer.text}`).toBeLessThan(500)
      expect(answer.headers.get('cache-control')).toBe('no-store')
    }
  })
})

// ---------------------------------------------------------------- malformed input

describe('malformed input', () => {
  const conversationsCursor = encodeCursor('conversations', { at: NOW, id: 'oX' })
  const messagesCursor = encodeCursor('messages', { at: NOW, id: 'msg:1' })
  const bad: [string, Call, number, RegExp][] = [
    ['/admin/api/conversations?limit=0', {}, 400, /^limit: /],
    ['/admin/api/conversations?limit=201', {}, 400, /^limit: must be an integer from 1 to 200/],
    ['/admin/api/conversations?limit=abc', {}, 400, /^limit: /],
    ['/admin/api/conversations?limit=1.5', {}, 400, /^limit: /],
    ['/admin/api/conversations?limit=-1', {}, 400, /^limit: /],
    ['/admin/api/conversations?limit=1&limit=2', {}, 400, /^limit: /],
    ['/admin/api/conversations?cursor=garbage', {}, 400, /^cursor: is not a cursor of this list/],
    ['/admin/api/conversations?cursor=%E4%BD%A0', {}, 400, /^cursor: /],
    [`/admin/api/conversations?cursor=${messagesCursor}`, {}, 400, /^cursor: /],
    [`/admin/api/conversations?cursor=${'A'.repeat(600)}`, {}, 400, /^cursor: /],
    ['/admin/api/conversations?filter=closed', {}, 400, /^filter: must be one of failed, unmatched, open/],
    ['/admin/api/conversations?filters=open', {}, 400, /^filters: is not a known parameter/],
    ['/admin/api/conversations/not%20an%20openid', {}, 400, /^openid: is not an openid/],
    [`/admin/api/conversations/${'o'.repeat(65)}`, {}, 400, /^openid: /],
    [`/admin/api/conversations/${SOME_OPENID}?cursor=${conversationsCursor}`, {}, 400, /^cursor: /],
    [`/admin/api/conversations/${SOME_OPENID}?limit=500`, {}, 400, /^limit: /],
    ['/admin/api/failed?cursor=xyz', {}, 400, /^cursor: /],
    ['/admin/api/failed?limit=0', {}, 400, /^limit: /],
    ['/admin/api/failed/out:oABC:0/retry', { method: 'POST' }, 400, /^id: is not the id of a send/],
    ['/admin/api/failed/out:oABC:abc/retry', { method: 'POST' }, 400, /^id: /],
    ['/admin/api/failed/msg:123/drop', { method: 'POST' }, 400, /^id: /],
    ['/admin/api/failed/out::1/drop', { method: 'POST' }, 400, /^id: /],
    ['/admin/api/failed/out:oABC:1:2/drop', { method: 'POST' }, 400, /^id: /],
    ['/admin/api/failed/out:oABC:99999999999999999/retry', { method: 'POST' }, 400, /^id: /],
    ['/admin/api/failed/out:o%20x:1/retry', { method: 'POST' }, 400, /^id: /],
    ['/admin/api/stats?days=0', {}, 400, /^days: must be an integer from 1 to 90/],
    ['/admin/api/stats?days=91', {}, 400, /^days: /],
    ['/admin/api/stats?days=week', {}, 400, /^days: /],
    ['/admin/api/stats?day=7', {}, 400, /^day: is not a known parameter/],
    // Bodies.
    [`/admin/api/conversations/${SOME_OPENID}/reply`, { raw: '{"type":"text",' }, 400, /^body: is not valid JSON/],
    [`/admin/api/conversations/${SOME_OPENID}/reply`, { raw: '' }, 400, /^body: is not valid JSON/],
    [
      `/admin/api/conversations/${SOME_OPENID}/reply`,
      { raw: '{"type":"text","text":"hi"}', contentType: 'text/plain' },
      415,
      /^body: must be application\/json/,
    ],
    [`/admin/api/conversations/${SOME_OPENID}/reply`, { json: [{ type: 'text', text: 'hi' }] }, 400, /must be an object|must be one of/],
    [`/admin/api/conversations/${SOME_OPENID}/reply`, { json: 'hi' }, 400, /^body: /],
    [
      `/admin/api/conversations/${SOME_OPENID}/reply`,
      { json: { type: 'transfer' } },
      400,
      /^type: must be one of text, image, link, miniprogrampage/,
    ],
    [`/admin/api/conversations/${SOME_OPENID}/reply`, { json: { type: 'voice' } }, 400, /^type: /],
    [`/admin/api/conversations/${SOME_OPENID}/reply`, { json: { type: 'text' } }, 400, /^text: /],
    [`/admin/api/conversations/${SOME_OPENID}/reply`, { json: { type: 'text', text: '' } }, 400, /^text: must not be empty/],
    [
      `/admin/api/conversations/${SOME_OPENID}/reply`,
      { json: { type: 'text', text: 'x'.repeat(2049) } },
      400,
      /^text: must be at most 2048 bytes/,
    ],
    [
      `/admin/api/conversations/${SOME_OPENID}/reply`,
      { json: { type: 'text', text: 'hi', to: 'someone' } },
      400,
      /^to: is not a known field/,
    ],
    [`/admin/api/conversations/${SOME_OPENID}/reply`, { json: { type: 'image' } }, 400, /an image needs exactly one of url, media_id/],
    [
      `/admin/api/conversations/${SOME_OPENID}/reply`,
      { json: { type: 'image', url: 'https://example.com/a.png', media_id: 'm' } },
      400,
      /exactly one of url, media_id/,
    ],
    [
      `/admin/api/conversations/${SOME_OPENID}/reply`,
      { json: { type: 'image', url: 'ftp://example.com/a.png' } },
      400,
      /^url: must be an http/,
    ],
    [
      `/admin/api/conversations/${SOME_OPENID}/reply`,
      { json: { type: 'link', title: 't', url: 'https://example.com' } },
      400,
      /^(description|thumb_url): /,
    ],
    [
      `/admin/api/conversations/${SOME_OPENID}/reply`,
      { json: { type: 'miniprogrampage', title: 't', pagepath: 'pages/a' } },
      400,
      /a miniprogrampage needs exactly one of thumb_url, thumb_media_id/,
    ],
    [
      `/admin/api/conversations/${SOME_OPENID}/reply`,
      { raw: `{"type":"text","text":"${'x'.repeat(17 * 1024)}"}` },
      413,
      /^body: larger than 16384 bytes/,
    ],
    ['/admin/api/rules/preview', { json: {} }, 400, /^message: /],
    ['/admin/api/rules/preview', { json: { message: { type: 'voice' } } }, 400, /^message\.type: /],
    ['/admin/api/rules/preview', { json: { message: { type: 'text' } } }, 400, /^message\.text: /],
    [
      '/admin/api/rules/preview',
      { json: { message: { type: 'text', text: 'x'.repeat(5000) } } },
      400,
      /^message\.text: must be at most 4096/,
    ],
    ['/admin/api/rules/preview', { json: { message: { type: 'event', event: 'subscribe' } } }, 400, /^message\.event: /],
    ['/admin/api/rules/preview', { json: { message: { type: 'text', text: 'hi' }, rule: {} } }, 400, /^rule: is not a known field/],
    ['/admin/api/rules/preview', { raw: 'null' }, 400, /^body: must be an object/],
    ['/admin/api/rules/preview', { raw: '\u00ff' }, 400, /^body: /],
    [
      '/admin/api/rules/preview',
      { raw: JSON.stringify({ message: { type: 'text', text: 'hi' }, rules: { rules: [], pad: 'x'.repeat(300 * 1024) } }) },
      413,
      /^body: larger than 262144 bytes/,
    ],
  ]

  it('is refused with a short reason, never a 500', async () => {
    for (const [path, call, status, reason] of bad) {
      const answer = await api(path, {
        method: call.method ?? (call.json !== undefined || call.raw !== undefined ? 'POST' : 'GET'),
        ...call,
      })
      expect(answer.status, `${path} ${answer.text.slice(0, 120)}`).toBe(status)
      const { error } = json<{ error: string }>(answer)
      expect(error, path).toMatch(reason)
      expect(error.length, path).toBeLessThan(200)
      hygiene.count('malformedRefused')
    }
    // None of it reached the user's object.
    expect(await sendsTo(SOME_OPENID)).toEqual([])
  })

  it('refuses a body that goes on past the bound without a declared length', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 8) controller.enqueue(chunk)
        else controller.close()
      },
    })
    const answer = await hygiene.fetch('/admin/api/rules/preview', {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: stream,
    })
    expect(answer.status).toBe(413)
  })

  it('answers 404 for a conversation the record does not have', async () => {
    const answer = await api(`/admin/api/conversations/${uniqueOpenid()}`)
    expect(answer.status).toBe(404)
    expect(json(answer)).toEqual({ error: 'not_found' })
  })
})

// ---------------------------------------------------------------- lists over a record of our own

describe('the conversation list', () => {
  const appid = uniqueAppid()
  /** Seven users, two of them at the same instant (the openid breaks the tie). */
  const users = ['oUserA', 'oUserB', 'oUserC', 'oUserD', 'oUserE', 'oUserF', 'oUserG'].map((openid, i) => ({
    openid,
    at: NOW - 60_000 * (i === 4 ? 3 : i),
  }))

  beforeAll(async () => {
    const events: RecordEvent[] = []
    for (const [i, { openid, at }] of users.entries()) {
      const push = inbound(appid, openid, at, i === 1 ? { ruleId: 'default', unmatched: true, text: 'Unknown question' } : {})
      events.push(push, outbound(appid, openid, 1, push, i === 2 ? { status: 'failed', errcode: 45015, reason: 'window closed' } : {}))
      // A: open window; C: one failed send; the others closed.
      events.push(windowOf(appid, openid, at, i === 0 ? { remaining: 4, closesAt: NOW + 3600_000 } : i === 2 ? { failed: 1 } : {}))
    }
    await writeRecord(db(), events)
  })

  const db = () => env.DB
  const expectedOrder = () => [...users].sort((a, b) => b.at - a.at || (a.openid < b.openid ? 1 : -1)).map((u) => u.openid)

  it('pages newest first across three pages, with no duplicates or gaps', async () => {
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const query: string = cursor ? `&cursor=${cursor}` : ''
      const answer = await api(`/admin/api/conversations?limit=3${query}`, { appid })
      expect(answer.status).toBe(200)
      const page = json<Page<ConversationView>>(answer)
      expect(page.items.length).toBeLessThanOrEqual(3)
      seen.push(...page.items.map((c) => c.openid))
      cursor = page.nextCursor
      pages++
    } while (cursor && pages < 10)
    expect(pages).toBe(3)
    expect(seen).toEqual(expectedOrder())
    // The tie at the same instant: both there, openid descending.
    expect(seen.indexOf('oUserE')).toBe(seen.indexOf('oUserD') - 1)
  })

  it('uses the default page of 50 and says when there is no next page', async () => {
    const page = json<Page<ConversationView>>(await api('/admin/api/conversations', { appid }))
    // Empty values are the defaults: a first page asked for with `cursor=` from a null nextCursor.
    expect(json(await api('/admin/api/conversations?cursor=&limit=&filter=', { appid }))).toEqual(page)
    expect(page.items).toHaveLength(7)
    expect(page.nextCursor).toBeNull()
    expect(page.items[0]).toEqual({
      openid: 'oUserA',
      firstAt: users[0]!.at,
      lastAt: users[0]!.at,
      lastText: expect.stringMatching(/^text /),
      unmatched: 0,
      window: { remaining: 4, closesAt: NOW + 3600_000, open: true },
      pending: 0,
      failed: 0,
      channel: 'miniprogram',
    })
  })

  it('filters: failed, unmatched, open, kf (none of these came through 微信客服)', async () => {
    const ids = async (filter: string) =>
      json<Page<ConversationView>>(await api(`/admin/api/conversations?filter=${filter}`, { appid })).items.map((c) => c.openid)
    expect(await ids('failed')).toEqual(['oUserC'])
    expect(await ids('unmatched')).toEqual(['oUserB'])
    expect(await ids('open')).toEqual(['oUserA'])
    expect(await ids('kf')).toEqual([])
  })

  it('serves one conversation with its messages in and out, paged', async () => {
    const openid = 'oUserH'
    const events: RecordEvent[] = []
    for (let i = 0; i < 5; i++) {
      const push = inbound(appid, openid, NOW - 10_000 + i * 1000)
      events.push(push, outbound(appid, openid, i + 1, push))
    }
    events.push(windowOf(appid, openid, NOW, { remaining: 0, closesAt: NOW - 1, pending: 0, failed: 0 }))
    await writeRecord(env.DB, events)

    const all: MessageView[] = []
    let cursor: string | null = null
    let pages = 0
    let conversation: ConversationView | null = null
    do {
      const answer = await api(`/admin/api/conversations/${openid}?limit=4${cursor ? `&cursor=${cursor}` : ''}`, { appid })
      expect(answer.status).toBe(200)
      const detail = json<{ conversation: ConversationView; messages: Page<MessageView> }>(answer)
      conversation = detail.conversation
      all.push(...detail.messages.items)
      cursor = detail.messages.nextCursor
      pages++
    } while (cursor && pages < 10)
    expect(pages).toBe(3)
    expect(all).toHaveLength(10)
    expect(new Set(all.map((m) => m.id)).size).toBe(10)
    // Newest first; each reply right before (newer than) the push it answers.
    expect(all.slice(0, 2).map((m) => m.direction)).toEqual(['out', 'in'])
    expect(all[0]).toMatchObject({ id: `out:${openid}:5`, status: 'sent', kind: 'text', manual: false })
    expect(all[1]).toMatchObject({ direction: 'in', status: 'received', ruleId: 'hi', rulesVersion: 'v1' })
    expect(conversation).toMatchObject({ openid, window: { remaining: 0, open: false }, pending: 0, failed: 0 })
  })

  it('serves the failed sends of the record, newest first, paged', async () => {
    const mine = uniqueAppid()
    const events: RecordEvent[] = []
    for (let i = 0; i < 5; i++) {
      const push = inbound(mine, `oFail${i}`, NOW - 5000 + i)
      events.push(push, outbound(mine, `oFail${i}`, 1, push, { status: 'failed', errcode: 40003, reason: 'invalid openid' }))
    }
    await writeRecord(env.DB, events)
    const first = json<Page<FailedView>>(await api('/admin/api/failed?limit=2', { appid: mine }))
    const second = json<Page<FailedView>>(await api(`/admin/api/failed?limit=2&cursor=${first.nextCursor}`, { appid: mine }))
    const third = json<Page<FailedView>>(await api(`/admin/api/failed?limit=2&cursor=${second.nextCursor}`, { appid: mine }))
    expect([...first.items, ...second.items, ...third.items].map((f) => f.openid)).toEqual([
      'oFail4',
      'oFail3',
      'oFail2',
      'oFail1',
      'oFail0',
    ])
    expect(third.nextCursor).toBeNull()
    expect(first.items[0]).toMatchObject({ id: 'out:oFail4:1', errcode: 40003, reason: 'invalid openid', manual: false })
  })

  it('keeps apps apart: another appid sees none of these', async () => {
    const page = json<Page<ConversationView>>(await api('/admin/api/conversations', { appid: uniqueAppid() }))
    expect(page).toEqual({ items: [], nextCursor: null })
  })
})

describe('stats', () => {
  it('has one entry per day, the rules hit and the top unmatched questions', async () => {
    const appid = uniqueAppid()
    const a = inbound(appid, 'oStatsA', NOW - 2000, { ruleId: 'default', unmatched: true, text: 'Where is my parcel' })
    const b = inbound(appid, 'oStatsB', NOW - 1000, { ruleId: 'default', unmatched: true, text: 'where is my parcel ' })
    const c = inbound(appid, 'oStatsB', NOW - 500, { kind: 'user_enter_tempsession', text: 'enter', ruleId: null })
    await writeRecord(env.DB, [
      a,
      outbound(appid, 'oStatsA', 1, a),
      b,
      outbound(appid, 'oStatsB', 1, b, { status: 'failed', errcode: 45015 }),
      c,
    ])

    const defaults = json<Stats>(await api('/admin/api/stats', { appid }))
    expect(defaults.days).toBe(14)
    expect(defaults.daily).toHaveLength(14)
    const stats = json<Stats>(await api('/admin/api/stats?days=1', { appid }))
    expect(stats).toEqual({
      days: 1,
      from: stats.to,
      to: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      daily: [
        {
          day: stats.to,
          messages: 2,
          events: 1,
          unmatched: 2,
          repliesSent: 1,
          repliesFailed: 1,
          repliesPending: 0,
          repliesDropped: 0,
          replyMs: { median: 50, p95: 50 },
        },
      ],
      rules: [{ ruleId: 'default', hits: 2 }],
      unmatched: [{ text: 'where is my parcel', count: 2, firstSeen: a.at, lastSeen: b.at }],
      answers: { faq: 0, ai: 0, aiRefused: 0, handoff: 0, tokens: 0 },
    })
    expect(json<Stats>(await api('/admin/api/stats?days=90', { appid })).daily).toHaveLength(90)
  })

  it('counts who answered: FAQ entries, the model (sent or refused for the fallback, with its tokens), the hand-off', async () => {
    const appid = uniqueAppid()
    const faq = inbound(appid, 'oWhoA', NOW - 4000, { ruleId: 'faq:k-returns', text: '怎么退货' })
    const asked = inbound(appid, 'oWhoB', NOW - 3000, { ruleId: 'ai', unmatched: true, text: '签收后多久还能退' })
    const refused = inbound(appid, 'oWhoC', NOW - 2000, { ruleId: 'ai', unmatched: true, text: '你们老板是谁' })
    const handoff = inbound(appid, 'oWhoC', NOW - 1000, { ruleId: 'handoff', unmatched: true, text: '人呢' })
    await writeRecord(env.DB, [
      faq,
      outbound(appid, 'oWhoA', 1, faq),
      asked,
      { ...outbound(appid, 'oWhoB', 1, asked), ruleId: 'ai', ai: { sources: ['k-policy'], tokens: 420, refused: null } },
      refused,
      { ...outbound(appid, 'oWhoC', 1, refused), ruleId: 'ai:fallback', ai: { sources: ['k-policy'], tokens: 380, refused: 'no_answer' } },
      // The fallback's second part carries no cost of its own.
      { ...outbound(appid, 'oWhoC', 2, refused), ruleId: 'ai:fallback', part: 2 },
      handoff,
    ])
    const stats = json<Stats>(await api('/admin/api/stats?days=1', { appid }))
    expect(stats.answers).toEqual({ faq: 1, ai: 1, aiRefused: 1, handoff: 1, tokens: 800 })
    // The conversation shows where the model's answer came from and what it cost.
    const detail = json<{ messages: { items: { id: string; ruleId: string | null; ai: unknown }[] } }>(
      await api('/admin/api/conversations/oWhoB', { appid }),
    )
    expect(detail.messages.items.find((m) => m.ruleId === 'ai')?.ai).toEqual({ sources: ['k-policy'], tokens: 420, refused: null })
  })
})

// ---------------------------------------------------------------- through the Worker and the objects

describe('a signed push', () => {
  it('shows up in the list and in its conversation once the object has copied it', async () => {
    const openid = uniqueOpenid()
    const msgId = nextMsgId()
    const { query, body } = await buildPush(textMessage(openid, 'hi', msgId), await pushOptions('safe', 'xml'))
    expect((await hygiene.fetch(`/wechat?${query}`, { method: 'POST', body })).status).toBe(200)

    // The copy to D1 runs after the answer (waitUntil): wait for it.
    const detail = await vi.waitFor(
      async () => {
        const answer = await api(`/admin/api/conversations/${openid}`)
        expect(answer.status).toBe(200)
        const value = json<{ conversation: ConversationView; messages: Page<MessageView> }>(answer)
        expect(value.messages.items.some((m) => m.direction === 'out' && m.status === 'sent')).toBe(true)
        return value
      },
      { timeout: 5000, interval: 50 },
    )
    expect(detail.conversation).toMatchObject({ openid, lastText: 'hi', window: { remaining: 4, open: true } })
    expect(detail.messages.items.map((m) => [m.direction, m.kind, m.text, m.ruleId, m.status])).toEqual([
      ['out', 'text', 'hello', 'hi', 'sent'],
      ['in', 'text', 'hi', 'hi', 'received'],
    ])

    // And in the list (this file's record of the test appid is small: one page finds it).
    const list = json<Page<ConversationView>>(await api('/admin/api/conversations?limit=200'))
    expect(list.items.map((c) => c.openid)).toContain(openid)
    const open = json<Page<ConversationView>>(await api('/admin/api/conversations?filter=open&limit=200'))
    expect(open.items.map((c) => c.openid)).toContain(openid)
  })
})

describe('a reply by hand', () => {
  it('is sent inside the window and recorded as manual', async () => {
    const openid = uniqueOpenid()
    await pushAndFlush(textPush(openid, []))
    const answer = await api(`/admin/api/conversations/${openid}/reply`, { json: { type: 'text', text: '您好，我是客服' } })
    expect(answer.status, answer.text).toBe(200)
    const { outcome } = json<{ outcome: { recordId: string; status: string } }>(answer)
    expect(outcome).toMatchObject({ status: 'sent', errcode: null, recordId: expect.stringMatching(new RegExp(`^out:${openid}:\\d+$`)) })
    expect((await sendsTo(openid)).map((call) => (call.body as { text: { content: string } }).text.content)).toEqual(['您好，我是客服'])
    const detail = json<{ messages: Page<MessageView> }>(await api(`/admin/api/conversations/${openid}`))
    expect(detail.messages.items.find((m) => m.id === outcome.recordId)).toMatchObject({
      manual: true,
      status: 'sent',
      text: '您好，我是客服',
      ruleId: null,
    })
  })

  it('sends a link in the rules’ format', async () => {
    const openid = uniqueOpenid()
    await pushAndFlush(textPush(openid, []))
    const link = {
      type: 'link',
      title: '下载 App',
      description: '注册领红包',
      url: 'https://example.com/app',
      thumb_url: 'https://example.com/t.png',
    }
    const answer = await api(`/admin/api/conversations/${openid}/reply`, { json: link })
    expect(answer.status, answer.text).toBe(200)
    const [call] = await sendsTo(openid)
    expect(call?.body).toMatchObject({ msgtype: 'link', link: { title: '下载 App', url: 'https://example.com/app' } })
  })

  it('is refused with 409 when the user never opened a window, and when its sends are used up', async () => {
    const never = uniqueOpenid()
    const closed = await api(`/admin/api/conversations/${never}/reply`, { json: { type: 'text', text: 'hello?' } })
    expect(closed.status).toBe(409)
    expect(json(closed)).toEqual({ error: 'window_closed' })

    const busy = uniqueOpenid()
    await pushAndFlush(textPush(busy, ['1', '2', '3', '4', '5']))
    const full = await api(`/admin/api/conversations/${busy}/reply`, { json: { type: 'text', text: 'sixth' } })
    expect(full.status).toBe(409)
    expect(json(full)).toEqual({ error: 'limit_reached' })
    expect(await sendsTo(never)).toEqual([])
    expect(await sendsTo(busy)).toHaveLength(5)
  })
})

describe('failed sends', () => {
  async function failedSend(openid: string): Promise<string> {
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 40003, errmsg: 'invalid openid' })
    await pushAndFlush(textPush(openid, ['first try fails']))
    const failed = json<Page<FailedView>>(await api('/admin/api/failed?limit=200'))
    const item = failed.items.find((f) => f.openid === openid)
    expect(item).toMatchObject({ errcode: 40003, text: 'first try fails' })
    return item!.id
  }

  it('are listed, retried once and then no longer failed', async () => {
    const openid = uniqueOpenid()
    const id = await failedSend(openid)
    const retried = await api(`/admin/api/failed/${id}/retry`, { method: 'POST' })
    expect(retried.status, retried.text).toBe(200)
    expect(json(retried)).toMatchObject({ outcome: { recordId: id, status: 'sent', errcode: null } })
    expect(await sendsTo(openid)).toHaveLength(1)
    const failed = json<Page<FailedView>>(await api('/admin/api/failed?limit=200'))
    expect(failed.items.map((f) => f.id)).not.toContain(id)

    const again = await api(`/admin/api/failed/${id}/retry`, { method: 'POST' })
    expect(again.status).toBe(409)
    expect(json(again)).toEqual({ error: 'not_failed' })
    expect(await sendsTo(openid)).toHaveLength(1)
  })

  it('are dropped, and never sent', async () => {
    const openid = uniqueOpenid()
    const id = await failedSend(openid)
    const dropped = await api(`/admin/api/failed/${id}/drop`, { method: 'POST' })
    expect(dropped.status, dropped.text).toBe(200)
    expect(json(dropped)).toMatchObject({ outcome: { recordId: id, status: 'dropped' } })
    expect((await api(`/admin/api/failed/${id}/retry`, { method: 'POST' })).status).toBe(409)
    expect(await sendsTo(openid)).toEqual([])
  })

  it('answer 404 for a send the user’s object never had, without creating the object', async () => {
    const openid = uniqueOpenid()
    for (const action of ['retry', 'drop']) {
      const answer = await api(`/admin/api/failed/out:${openid}:7/${action}`, { method: 'POST' })
      expect(answer.status).toBe(404)
      expect(json(answer)).toEqual({ error: 'not_found' })
    }
    const tables = await runInDurableObject(stub(openid), (_instance: Conversation, state) =>
      state.storage.sql
        .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'")
        .toArray(),
    )
    expect(tables).toEqual([])
  })
})

// ---------------------------------------------------------------- rules

describe('rules', () => {
  it('shows the rule set in force and its source', async () => {
    const version = await ruleSetVersion(new TextEncoder().encode(RULES_TEXT))
    const answer = json<{ version: string; status: string; rules: number; source: string; sourceVersion: string }>(
      await api('/admin/api/rules'),
    )
    expect(answer).toMatchObject({ version, status: 'ok', rules: 4, source: RULES_TEXT, sourceVersion: version })
  })

  it('previews the stored rules: rule, replies with groups filled, transfer; nothing sent', async () => {
    const version = await ruleSetVersion(new TextEncoder().encode(RULES_TEXT))
    const preview = async (message: unknown) => {
      const answer = await api('/admin/api/rules/preview', { json: { message } })
      expect(answer.status, answer.text).toBe(200)
      return json<{ ruleId: string | null; replies: unknown[]; transfer: boolean; version: string }>(answer)
    }
    expect(await preview({ type: 'text', text: ' 你好 ' })).toEqual({
      ruleId: 'hi',
      replies: [{ type: 'text', text: 'hello' }],
      transfer: false,
      version,
      oncePerHours: null,
      handoffAfter: null,
      faqThreshold: null,
    })
    expect(await preview({ type: 'text', text: 'order 12345' })).toEqual({
      ruleId: 'order',
      replies: [{ type: 'text', text: 'order 12345 noted' }],
      transfer: true,
      version,
      oncePerHours: null,
      handoffAfter: null,
      faqThreshold: null,
    })
    expect(await preview({ type: 'text', text: 'nothing matches' })).toEqual({
      ruleId: null,
      replies: [],
      transfer: false,
      version,
      oncePerHours: null,
      handoffAfter: null,
      faqThreshold: null,
    })
    expect(await preview({ type: 'image' })).toMatchObject({ ruleId: 'photo', transfer: true })
    expect(await preview({ type: 'miniprogrampage', title: 'x' })).toMatchObject({ ruleId: null })
    expect(await preview({ type: 'event', event: 'user_enter_tempsession', session_from: 'pay' })).toMatchObject({
      ruleId: 'pay',
      replies: [{ type: 'text', text: 'payment help' }],
    })
    expect(await preview({ type: 'event', event: 'user_enter_tempsession' })).toMatchObject({ ruleId: null })
    expect(await preview({ type: 'event', event: 'subscribe_msg_popup_event' })).toMatchObject({ ruleId: null })
  })

  it('previews a draft rule set without storing it', async () => {
    const draft = {
      rules: [{ id: 'draft-hi', when: { contains: ['hi'] }, reply: { type: 'image', url: 'https://example.com/a.png' } }],
      default: { type: 'text', text: 'default!' },
    }
    const hit = json(await api('/admin/api/rules/preview', { json: { message: { type: 'text', text: 'oh hi there' }, rules: draft } }))
    expect(hit).toEqual({
      ruleId: 'draft-hi',
      replies: [{ type: 'image', url: 'https://example.com/a.png' }],
      transfer: false,
      version: 'draft',
      oncePerHours: null,
      handoffAfter: null,
      faqThreshold: null,
    })
    const fallback = json(await api('/admin/api/rules/preview', { json: { message: { type: 'text', text: 'what' }, rules: draft } }))
    expect(fallback).toMatchObject({ ruleId: 'default', replies: [{ type: 'text', text: 'default!' }] })
    // The stored set is unchanged.
    expect(await env.RULES.get('rules')).toBe(RULES_TEXT)
  })

  it('a preview says when a welcome is once per hours and when an unmatched text may hand off', async () => {
    const draft = {
      handoff: { after_unmatched: 3, text: '转人工' },
      rules: [{ id: 'welcome', when: { event: 'user_enter_tempsession' }, once_per_hours: 24, reply: { type: 'text', text: '欢迎' } }],
    }
    const preview = async (message: unknown) => json(await api('/admin/api/rules/preview', { json: { message, rules: draft } }))
    expect(await preview({ type: 'event', event: 'user_enter_tempsession' })).toMatchObject({
      ruleId: 'welcome',
      oncePerHours: 24,
      handoffAfter: null,
    })
    expect(await preview({ type: 'text', text: 'what' })).toMatchObject({ ruleId: null, transfer: false, handoffAfter: 3 })
  })

  it('previews as of an optional "at": office hours and rule dates', async () => {
    const draft = {
      hours: { tz: 'Asia/Shanghai', weekly: { thu: ['09:00-18:00'] }, closed: ['2026-10-01'] },
      rules: [{ id: 'sale', from: '2026-10-01T00:00+08:00', when: { text: ['hi'] }, reply: { type: 'text', text: 'sale' } }],
      default: [{ during: 'open', reply: { type: 'text', text: 'open' } }, { reply: { type: 'text', text: 'closed' } }],
    }
    const preview = async (text: string, at: string) =>
      json(await api('/admin/api/rules/preview', { json: { message: { type: 'text', text }, rules: draft, at } }))
    expect(await preview('hi', '2026-09-30T23:00+08:00')).toMatchObject({ ruleId: 'default', replies: [{ type: 'text', text: 'closed' }] })
    expect(await preview('hi', '2026-10-01T10:00+08:00')).toMatchObject({ ruleId: 'sale' })
    expect(await preview('x', '2026-10-01T10:00+08:00')).toMatchObject({ replies: [{ type: 'text', text: 'closed' }] })
    expect(await preview('x', '2026-10-08T10:00+08:00')).toMatchObject({ replies: [{ type: 'text', text: 'open' }] })
    const bad = await api('/admin/api/rules/preview', { json: { message: { type: 'text', text: 'x' }, at: 'tomorrow' } })
    expect(bad.status).toBe(400)
    expect(json<{ error: string }>(bad).error).toMatch(/^at: must be an ISO date-time/)
  })

  it('refuses a draft that does not validate, with the validator’s lines', async () => {
    const draft = {
      rules: [
        { id: 'a', when: { text: ['x'] }, reply: { type: 'image', url: 'not a url' } },
        { id: 'a', when: { regex: '(a)\\1' }, reply: { type: 'text', text: '{{2}}' } },
      ],
    }
    const answer = await api('/admin/api/rules/preview', { json: { message: { type: 'text', text: 'x' }, rules: draft } })
    expect(answer.status).toBe(400)
    const body = json<{ error: string; issues: string[] }>(answer)
    expect(body.error).toMatch(/^rules: /)
    expect(body.issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rule "a" at rules\[0\]\.reply\.url: /),
        expect.stringMatching(/^rule "a" at rules\[1\]\.id: repeats the id/),
      ]),
    )
    const notAnObject = await api('/admin/api/rules/preview', { json: { message: { type: 'text', text: 'x' }, rules: 'nope' } })
    expect(notAnObject.status).toBe(400)
    expect(json<{ issues: string[] }>(notAnObject).issues.length).toBeGreaterThan(0)
  })
})

// ---------------------------------------------------------------- OpenAPI

describe('openapi.json', () => {
  it('is served as built from the route schemas (assets/admin/api/openapi.json, npm run openapi), never cached', async () => {
    const answer = await api('/admin/api/openapi.json')
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/)
    expect(answer.headers.get('cache-control')).toBe('no-store')
    expect(json(answer), 'assets/admin/api/openapi.json is out of date: run npm run openapi').toEqual(openApiDocument())
  })

  it('documents every route, with its parameters and bodies from the validation schemas', async () => {
    const answer = await api('/admin/api/openapi.json')
    expect(answer.status).toBe(200)
    const doc = json<{
      openapi: string
      paths: Record<
        string,
        Record<
          string,
          { parameters?: { name: string; in: string; required: boolean }[]; requestBody?: unknown; responses: Record<string, unknown> }
        >
      >
      components: { schemas: Record<string, unknown> }
    }>(answer)
    expect(doc.openapi).toBe('3.1.0')
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    )
    const served = ROUTES.map(
      ([method, path]) =>
        `${method} ${path.replace(SOME_OPENID, '{openid}').replace(`out:{openid}:1`, '{id}').replace(SOME_VERSION, '{version}').replace(SOME_CAMPAIGN, '{id}').replace(SOME_OPERATOR, '{id}').replace(SOME_ENTRY, '{id}').replace(SOME_DELIVERY, '{id}')}`,
    )
    expect(documented.sort()).toEqual(served.sort())
    // Every route checks the operator's role: every one documents the 403.
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) expect(op.responses['403'], `${method} ${path}`).toBeDefined()
    }

    const list = doc.paths['/admin/api/conversations']!.get!
    expect(list.parameters?.map((p) => [p.name, p.in, p.required])).toEqual([
      ['cursor', 'query', false],
      ['limit', 'query', false],
      ['filter', 'query', false],
    ])
    expect(JSON.stringify(list.parameters)).toContain('"enum":["failed","unmatched","open","kf"]')
    expect(doc.paths['/admin/api/stats']!.get!.parameters?.[0]).toMatchObject({ name: 'days', schema: { type: 'string', default: '14' } })
    const reply = JSON.stringify(doc.paths['/admin/api/conversations/{openid}/reply']!.post!.requestBody)
    for (const type of ['text', 'image', 'link', 'miniprogrampage']) expect(reply).toContain(`"const":"${type}"`)
    expect(reply).not.toContain('"transfer"')
    const preview = JSON.stringify(doc.paths['/admin/api/rules/preview']!.post!.requestBody)
    expect(preview).toContain('user_enter_tempsession')
    expect(preview).toContain('"when"')
    for (const [name, schema] of Object.entries(doc.components.schemas)) expect(JSON.stringify(schema), name).toContain('"type":"object"')
    expect(doc.components.schemas.StatsAnswer).toBeDefined()

    // Subscribe and uniform messages: bodies from the send checks, answers by status.
    const statuses = (method: string, path: string) => Object.keys(doc.paths[path]![method]!.responses).sort()
    expect(statuses('post', '/admin/api/subscribe/send')).toEqual(['200', '400', '401', '403', '409', '413', '415', '422', '502'])
    expect(statuses('post', '/admin/api/uniform/send')).toEqual(['200', '400', '401', '403', '409', '413', '415', '422', '502'])
    expect(statuses('post', '/admin/api/subscribe/campaigns')).toEqual(['202', '400', '401', '403', '409', '413', '415', '422', '503'])
    // Every route that sends or starts something takes Idempotency-Key; the others do not.
    const once = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) =>
        ((op as { parameters?: { name: string }[] }).parameters ?? []).some((p) => p.name === 'Idempotency-Key')
          ? [`${method} ${path}`]
          : [],
      ),
    )
    expect(once.sort()).toEqual([
      'post /admin/api/conversations/{openid}/claim',
      'post /admin/api/conversations/{openid}/close',
      'post /admin/api/conversations/{openid}/release',
      'post /admin/api/conversations/{openid}/reply',
      'post /admin/api/conversations/{openid}/transfer',
      'post /admin/api/failed/{id}/drop',
      'post /admin/api/failed/{id}/retry',
      'post /admin/api/subscribe/campaigns',
      'post /admin/api/subscribe/send',
      'post /admin/api/uniform/send',
      'post /admin/api/webhooks/{id}/retry',
    ])
    expect(statuses('get', '/admin/api/subscribe/campaigns/{id}')).toEqual(['200', '400', '401', '403', '404'])
    const send = JSON.stringify(doc.paths['/admin/api/subscribe/send']!.post!.requestBody)
    for (const field of [
      '"touser"',
      '"template_id"',
      '"data"',
      '"force"',
      '"miniprogram_state"',
      '"maxProperties":20',
      '`thing`: At most 20 characters',
    ])
      expect(send).toContain(field)
    expect(JSON.stringify(doc.paths['/admin/api/subscribe/send']!.post!.responses['409'])).toContain('NoGrantAnswer')
    const campaign = JSON.stringify(doc.paths['/admin/api/subscribe/campaigns']!.post!.requestBody)
    expect(campaign).toContain('"template_id"')
    expect(campaign).not.toContain('"touser"')
    expect(campaign).not.toContain('"force"')
    expect(doc.paths['/admin/api/subscribe/campaigns/{id}']!.get!.parameters?.map((p) => [p.name, p.in, p.required])).toEqual([
      ['id', 'path', true],
      ['cursor', 'query', false],
      ['limit', 'query', false],
    ])
    expect(doc.paths['/admin/api/users/{openid}/subscriptions']!.get!.parameters?.map((p) => [p.name, p.in])).toEqual([['openid', 'path']])
    const uniform = JSON.stringify(doc.paths['/admin/api/uniform/send']!.post!.requestBody)
    expect(uniform).toContain('"mp_template_msg"')
    expect(uniform).not.toContain('"weapp_template_msg"')

    // What these routes answer is what the document says they answer.
    const answers: [path: string, call: Call, schema: keyof typeof ANSWERS][] = [
      [`/admin/api/conversations/${SOME_OPENID}/state`, {}, 'StateAnswer'],
      [`/admin/api/users/${SOME_OPENID}/subscriptions`, {}, 'SubscriptionsAnswer'],
      ['/admin/api/subscribe/templates', {}, 'TemplatesAnswer'],
      ['/admin/api/subscribe/campaigns', {}, 'CampaignListAnswer'],
      [
        '/admin/api/subscribe/send',
        { json: { touser: SOME_OPENID, template_id: 'tpl', data: { thing1: { value: 'x'.repeat(21) } } } },
        'SendProblemsAnswer',
      ],
      // The user holds no grant: refused before WeChat is asked.
      [
        '/admin/api/subscribe/send',
        { json: { touser: SOME_OPENID, template_id: 'tpl', data: { thing1: { value: 'ok' } } } },
        'NoGrantAnswer',
      ],
      ['/admin/api/uniform/send', { json: { touser: SOME_OPENID, weapp_template_msg: {} } }, 'SendProblemsAnswer'],
    ]
    for (const [path, call, schema] of answers) {
      const served = await api(path, call)
      expect(v.safeParse(ANSWERS[schema], json(served)).success, `${path}: ${served.text}`).toBe(true)
    }
  })
})

// ---------------------------------------------------------------- actions while D1 is down

describe('the operator’s actions while the D1 record is down', () => {
  it('answer from the user’s object all the same; the record catches up once D1 is back', async () => {
    const openid = uniqueOpenid()
    for (const text of ['to retry', 'to drop']) {
      await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 40003, errmsg: 'invalid openid' })
      await pushAndFlush(textPush(openid, [text]))
    }
    const failed = json<Page<FailedView>>(await api('/admin/api/failed?limit=200')).items.filter((f) => f.openid === openid)
    const idOf = (text: string) => failed.find((f) => f.text === text)!.id
    const [toRetry, toDrop] = [idOf('to retry'), idOf('to drop')]

    // Every batch of the copy writes `conversations`: with it away, each copy fails.
    await env.DB.exec('ALTER TABLE conversations RENAME TO conversations_away')
    let manualId: string
    try {
      const reply = await api(`/admin/api/conversations/${openid}/reply`, { json: { type: 'text', text: 'while D1 is down' } })
      expect(reply.status, reply.text).toBe(200)
      manualId = json<{ outcome: { recordId: string } }>(reply).outcome.recordId
      expect(json(reply)).toMatchObject({ outcome: { status: 'sent' } })
      const retried = await api(`/admin/api/failed/${toRetry}/retry`, { method: 'POST' })
      expect(retried.status, retried.text).toBe(200)
      expect(json(retried)).toMatchObject({ outcome: { recordId: toRetry, status: 'sent' } })
      const dropped = await api(`/admin/api/failed/${toDrop}/drop`, { method: 'POST' })
      expect(dropped.status, dropped.text).toBe(200)
      expect(json(dropped)).toMatchObject({ outcome: { recordId: toDrop, status: 'dropped' } })
      // The copies that followed the answers failed; the object keeps what D1 has not got.
      await vi.waitFor(async () => expect((await stub(openid).state()).record.failures).toBeGreaterThan(0), { timeout: 5000, interval: 20 })
    } finally {
      await env.DB.exec('ALTER TABLE conversations_away RENAME TO conversations')
    }
    expect((await sendsTo(openid)).map((call) => (call.body as { text: { content: string } }).text.content).sort()).toEqual([
      'to retry',
      'while D1 is down',
    ])

    // The next copy (here a flush; else the alarm) brings the record up to date.
    await stub(openid).flush()
    expect((await stub(openid).state()).record).toEqual({ backlog: 0, failures: 0 })
    const detail = json<{ messages: Page<MessageView> }>(await api(`/admin/api/conversations/${openid}`))
    const statusOf = (id: string) => detail.messages.items.find((m) => m.id === id)?.status
    expect([statusOf(manualId!), statusOf(toRetry), statusOf(toDrop)]).toEqual(['sent', 'sent', 'dropped'])
    expect(json<Page<FailedView>>(await api('/admin/api/failed?limit=200')).items.filter((f) => f.openid === openid)).toEqual([])
  })
})
