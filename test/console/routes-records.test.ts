/**
 * The console's record pages end to end, as an operator with a session sees them: the
 * conversation list (filters, paging), one conversation as chat bubbles, a reply by hand
 * inside and outside the window (what the fake WeChat API received), failed sends retried
 * and dropped, the unmatched questions, a user's subscribe grants, campaigns started from
 * the form and followed to the end; the bearer-token JSON view that shares a path; bad
 * addresses and bad forms are 4xx pages or notices, never a 500. Real local D1, real
 * Conversation objects, the CAMPAIGNS queue, the fake WeChat API on loopback.
 */
import { createExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { buildPush, popupEvent, textMessage } from '../../dev/push'
import { app } from '../../src/app'
import type { RecordInput } from '../../src/conversation/conversation'
import type { Env } from '../../src/settings/env'
import { campaignList } from '../../src/subscribe/campaign-store'
import { encodeCursor } from '../../src/record/cursor'
import type { RecordEvent } from '../../src/record/event'
import { writeRecord } from '../../src/record/write'
import { fakeWechat, uniqueAppid, uniqueOpenid } from '../support/fake-wechat-client'
import { BASE, keepAnswer, push, pushOptions } from '../support/helpers'
import { APPID, watchSecrets, WORKER, type Answer } from '../support/hygiene'
import { recordSeed } from '../support/record-seed'
import { TEST_SETTINGS } from '../support/settings'

const hygiene = watchSecrets('console-pages')
const ADMIN = TEST_SETTINGS.ADMIN_TOKEN
const SEND = '/cgi-bin/message/custom/send'
const NOW = Date.now()

beforeAll(async () => {
  await env.RULES.put('rules', JSON.stringify({ rules: [{ id: 'hi', when: { text: ['hi'] }, reply: { type: 'text', text: 'hello' } }] }))
})

// ---------------------------------------------------------------- an operator's browser

let cookie = ''

/** Signs in once per file: the Cookie header the browser sends back. */
async function session(): Promise<string> {
  if (cookie) return cookie
  const res = await hygiene.fetch('/admin/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE },
    body: `token=${ADMIN}`,
    redirect: 'manual',
  })
  expect(res.status).toBe(303)
  cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!
  return cookie
}

interface Visit {
  /** Serve as this appid (the app with another WECHAT_APPID); default: the Worker as deployed. */
  appid?: string
  /** The Worker with these settings besides (SUBSCRIBE_LONG_TERM_TEMPLATES). */
  settings?: Partial<Record<keyof Env, string>>
  headers?: Record<string, string>
  /** Without the session cookie. */
  anonymous?: boolean
  lang?: 'en'
}

async function call(path: string, init: RequestInit & { headers: Record<string, string> }, visit: Visit): Promise<Answer> {
  if (!visit.anonymous) init.headers.cookie = [await session(), visit.lang ? `kefu_lang=${visit.lang}` : ''].filter(Boolean).join('; ')
  Object.assign(init.headers, visit.headers)
  if (visit.appid === undefined && visit.settings === undefined) return hygiene.fetch(path, { ...init, redirect: 'manual' })
  const settings = { ...visit.settings, ...(visit.appid === undefined ? {} : { WECHAT_APPID: visit.appid }) }
  const res = await app.fetch(new Request(`${WORKER}${path}`, init), { ...env, ...settings }, createExecutionContext())
  const text = await res.text()
  keepAnswer(text)
  return { status: res.status, text, headers: res.headers }
}

/** GET a console page with the session. */
const page = (path: string, visit: Visit = {}) => call(path, { headers: {} }, visit)

/** POST a console form (urlencoded, from the console's own origin) with the session. */
function submit(path: string, fields: Record<string, string> = {}, visit: Visit = {}): Promise<Answer> {
  const init = {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE },
    body: new URLSearchParams(fields).toString(),
  }
  return call(path, init, visit)
}

/** The redirect after a form: where to, with its query as an object. */
function redirected(answer: Answer): { path: string; query: Record<string, string> } {
  expect(answer.status, answer.text.slice(0, 300)).toBe(303)
  const location = new URL(answer.headers.get('location') ?? '', WORKER)
  return { path: location.pathname, query: Object.fromEntries(location.searchParams) }
}

const htmlUnescape = (text: string) =>
  text.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&')

/** The attributes of every `<tag …>` whose attributes contain `marker`, in document order. */
function elements(html: string, tag: string, marker: string): Record<string, string>[] {
  const found: Record<string, string>[] = []
  for (const [, attrs = ''] of html.matchAll(new RegExp(`<${tag}\\b([^>]*)>`, 'g'))) {
    if (!attrs.includes(marker)) continue
    found.push(
      Object.fromEntries([...attrs.matchAll(/([a-z-]+)(?:="([^"]*)")?/g)].map(([, name = '', value = '']) => [name, htmlUnescape(value)])),
    )
  }
  return found
}

/** The inner HTML of each element opening with `<div class="bubble…`. */
function bubbles(html: string): { attrs: Record<string, string>; body: string }[] {
  return [...html.matchAll(/<div class="(bubble(?: out)?)"([^>]*)>([\s\S]*?)<\/span><\/div>/g)].map(
    ([, cls = '', attrs = '', body = '']) => ({
      attrs: {
        class: cls,
        ...Object.fromEntries([...attrs.matchAll(/([a-z-]+)="([^"]*)"/g)].map(([, n = '', v = '']) => [n, htmlUnescape(v)])),
      },
      body: htmlUnescape(body.replace(/<[^>]+>/g, '')),
    }),
  )
}

const nextPage = (html: string) => {
  const link = elements(html, 'a', 'data-next-page')[0]
  return link ? link.href! : null
}

// ---------------------------------------------------------------- seeding

const { inbound, nextMsgId, outbound, windowOf } = recordSeed(9_500_000_000_000_000_000n)

const stub = (openid: string) => env.CONVERSATIONS.getByName(openid)

function textPush(openid: string, text: string, replies: string[]): RecordInput {
  const msgId = nextMsgId()
  return {
    dedupKey: `msg:${msgId}`,
    openid,
    msgId,
    kind: 'text',
    summary: text,
    grant: 'message',
    at: Date.now(),
    plan: {
      ruleId: replies.length ? 'console-rule' : null,
      ruleSetVersion: 'v-test',
      transfer: false,
      sends: replies.map((r) => ({ type: 'text', text: r })),
    },
  }
}

/** A push through the user's object, delivered and copied to the record. */
async function pushAndFlush(input: RecordInput): Promise<void> {
  await stub(input.openid).record(input)
  await stub(input.openid).flush()
}

const sendsTo = async (openid: string) =>
  (await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND }))
    .filter((c) => c.errcode === 0)
    .map((c) => (c.body as { text?: { content: string } }).text?.content)

// ---------------------------------------------------------------- the door

describe('without a session', () => {
  it('every page and action answers the sign-in page, and does nothing', async () => {
    const openid = uniqueOpenid()
    const gets = [
      '/admin/conversations',
      `/admin/conversations/${openid}`,
      '/admin/conversations/not%20an%20openid',
      '/admin/failed',
      '/admin/unmatched',
      '/admin/campaigns',
      '/admin/campaigns/c-00000000-0000-0000-0000-000000000000',
    ]
    for (const path of gets) {
      const answer = await page(path, { anonymous: true })
      expect(answer.status, path).toBe(401)
      expect(answer.text).toContain('action="/admin/login"')
    }
    const posts = [
      `/admin/conversations/${openid}/reply`,
      `/admin/failed/out:${openid}:1/retry`,
      `/admin/failed/out:${openid}:1/drop`,
      '/admin/campaigns',
    ]
    const campaigns = (await campaignList(env.DB, APPID, 200)).length
    for (const path of posts) {
      const answer = await submit(path, { text: 'hello?', template_id: 'tplNoSession', data: 'thing1=hi' }, { anonymous: true })
      expect(answer.status, path).toBe(401)
      expect(answer.text).toContain('action="/admin/login"')
    }
    // From another site, even with the session: refused before anything runs.
    const forged = await submit(`/admin/conversations/${openid}/reply`, { text: 'hello?' }, { headers: { origin: 'https://evil.example' } })
    expect(forged.status).toBe(403)
    expect(await sendsTo(openid)).toEqual([])
    expect((await campaignList(env.DB, APPID, 200)).length).toBe(campaigns)
  })
})

// ---------------------------------------------------------------- conversations

describe('the conversation list', () => {
  const appid = uniqueAppid()
  /** 53 users a minute apart, newest first: A open window, B unmatched, C a failed send. */
  const users = Array.from({ length: 53 }, (_, i) => ({ openid: `oConsoleUser${String(i).padStart(3, '0')}`, at: NOW - 60_000 * i }))

  beforeAll(async () => {
    const events: RecordEvent[] = []
    for (const [i, { openid, at }] of users.entries()) {
      const push = inbound(appid, openid, at, i === 1 ? { ruleId: 'default', unmatched: true, text: '怎么退货' } : { text: `消息 ${i}` })
      events.push(push, outbound(appid, openid, 1, push, i === 2 ? { status: 'failed', errcode: 45015, reason: 'window closed' } : {}))
      events.push(
        windowOf(
          appid,
          openid,
          at,
          i === 0 ? { remaining: 4, closesAt: NOW + 3600_000 } : i === 2 ? { failed: 1 } : i === 3 ? { pending: 2 } : {},
        ),
      )
    }
    await writeRecord(env.DB, events)
  })

  it('lists users newest first, 50 a page, with a next page link that ends the list', async () => {
    const first = await page('/admin/conversations', { appid })
    expect(first.status).toBe(200)
    expect(first.headers.get('content-security-policy')).toContain("default-src 'none'")
    const rows = elements(first.text, 'tr', 'data-openid')
    expect(rows.map((r) => r['data-openid'])).toEqual(users.slice(0, 50).map((u) => u.openid))
    expect(first.text).not.toContain('data-first-page')
    const next = nextPage(first.text)
    expect(next).toMatch(/^\/admin\/conversations\?cursor=/)

    const second = await page(next!, { appid })
    expect(elements(second.text, 'tr', 'data-openid').map((r) => r['data-openid'])).toEqual(users.slice(50).map((u) => u.openid))
    expect(nextPage(second.text)).toBeNull()
    expect(elements(second.text, 'a', 'data-first-page')[0]?.href).toBe('/admin/conversations')
  })

  it('shows each row: a short openid linking to the conversation, last text, window, pending and failed', async () => {
    const { text } = await page('/admin/conversations', { appid })
    const [a, b, c, d] = elements(text, 'tr', 'data-openid')
    expect(a).toMatchObject({ 'data-pending': '0', 'data-failed': '0' })
    expect(c).toMatchObject({ 'data-failed': '1' })
    expect(d).toMatchObject({ 'data-pending': '2' })
    expect(b).toMatchObject({ 'data-unmatched': '1' })
    expect(text).toContain(`href="/admin/conversations/${users[0]!.openid}"`)
    expect(text).toContain('oConso…r000')
    expect(text).toContain('怎么退货')
    // A: open with 4 sends left; the others closed.
    expect(text).toMatch(/data-window="open" data-remaining="4">可发送 · 剩 4 条/)
    expect(text.match(/data-window="closed"/g)).toHaveLength(49)
    expect(text).toContain('待发送 2')
    expect(text).toContain('失败 1')
  })

  it('filters: failed, unmatched, open window, with the filter kept across pages', async () => {
    const ids = async (filter: string) =>
      elements((await page(`/admin/conversations?filter=${filter}`, { appid })).text, 'tr', 'data-openid').map((r) => r['data-openid'])
    expect(await ids('failed')).toEqual([users[2]!.openid])
    expect(await ids('unmatched')).toEqual([users[1]!.openid])
    expect(await ids('open')).toEqual([users[0]!.openid])
    const open = await page('/admin/conversations?filter=open', { appid })
    expect(elements(open.text, 'a', 'data-filter').map((a) => [a['data-filter'], a.href, a['aria-current'] ?? null])).toEqual([
      ['all', '/admin/conversations', null],
      ['failed', '/admin/conversations?filter=failed', null],
      ['unmatched', '/admin/conversations?filter=unmatched', null],
      ['open', '/admin/conversations?filter=open', 'page'],
      ['kf', '/admin/conversations?filter=kf', null],
    ])
    // None of these came through 微信客服.
    expect(await ids('kf')).toEqual([])
    // Empty values are the defaults, as in the API.
    expect(elements((await page('/admin/conversations?filter=&cursor=', { appid })).text, 'tr', 'data-openid')).toHaveLength(50)
  })

  it('answers a bad filter or cursor with a 400 page, in English when asked', async () => {
    const bad = [
      '/admin/conversations?filter=closed',
      '/admin/conversations?cursor=garbage',
      `/admin/conversations?cursor=${encodeCursor('messages', { at: NOW, id: 'msg:1' })}`,
      `/admin/conversations?cursor=${'A'.repeat(600)}`,
      '/admin/conversations?cursor=%E4%BD%A0',
    ]
    for (const path of bad) {
      const answer = await page(path, { appid })
      expect(answer.status, path).toBe(400)
      expect(answer.text).toContain('data-problem="bad_cursor"')
      expect(answer.text).toContain('翻页链接不对')
    }
    expect((await page('/admin/conversations?filter=closed', { appid, lang: 'en' })).text).toContain('That page link is wrong')
  })

  it('is empty for an app with no users', async () => {
    const answer = await page('/admin/conversations', { appid: uniqueAppid() })
    expect(answer.status).toBe(200)
    expect(answer.text).toContain('还没有用户发来消息')
    expect(elements(answer.text, 'tr', 'data-openid')).toEqual([])
  })
})

describe('one conversation', () => {
  it('shows messages in and out as bubbles, oldest first, with rule, delivery status, errcode and manual replies', async () => {
    const openid = uniqueOpenid()
    const t0 = NOW - 60_000
    const hi = inbound(APPID, openid, t0, { text: 'hi there', ruleId: 'hi' })
    const lost = inbound(APPID, openid, t0 + 1000, { text: '在吗？', ruleId: 'default', unmatched: true })
    const photo = inbound(APPID, openid, t0 + 2000, { kind: 'image', text: '[image]', ruleId: null })
    await writeRecord(env.DB, [
      hi,
      outbound(APPID, openid, 1, hi, { text: 'hello' }),
      lost,
      outbound(APPID, openid, 2, lost, { text: '请稍等', status: 'failed', errcode: 45015, reason: 'response out of time limit' }),
      outbound(APPID, openid, 3, lost, { text: 'dropped one', status: 'dropped', part: 1, updatedAt: t0 + 1100 }),
      photo,
      outbound(APPID, openid, 4, photo, { text: '人工：收到图片', ruleId: null, manual: true, status: 'pending' }),
      windowOf(APPID, openid, t0, { remaining: 0, closesAt: t0, failed: 1, pending: 1 }),
    ])
    const answer = await page(`/admin/conversations/${openid}`)
    expect(answer.status).toBe(200)
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/)
    const chat = bubbles(answer.text)
    expect(chat.map((b) => [b.attrs.class, b.attrs['data-direction'], b.attrs['data-status'], b.attrs['data-rule'] ?? null])).toEqual([
      ['bubble', 'in', 'received', 'hi'],
      ['bubble out', 'out', 'sent', 'hi'],
      ['bubble', 'in', 'received', 'default'],
      ['bubble out', 'out', 'failed', 'default'],
      ['bubble out', 'out', 'dropped', 'default'],
      ['bubble', 'in', 'received', null],
      ['bubble out', 'out', 'pending', null],
    ])
    expect(chat[0]!.body).toMatch(/^hi there.*规则 hi$/)
    expect(chat[1]!.body).toMatch(/^hello.*规则 hi · 已发送$/)
    expect(chat[2]!.body).toMatch(/^在吗？.*未匹配，默认回复$/)
    expect(chat[3]!.body).toMatch(/请稍等.*发送失败 · 错误码 45015 · response out of time limit$/)
    expect(chat[4]!.body).toMatch(/已放弃$/)
    // An image shows as the picture once archived; until then what became of it, never the text or PicUrl.
    expect(chat[5]!.body).toMatch(/^\[图片\] 图片保存中….*没有规则回复$/)
    expect(chat[6]!.attrs).toMatchObject({ 'data-manual': 'true', 'data-message-id': `out:${openid}:4` })
    expect(chat[6]!.body).toMatch(/人工回复 · 待发送$/)
    // The window is closed: no reply form, and why.
    expect(answer.text).toContain('data-window="closed"')
    expect(answer.text).toContain('data-reply="closed"')
    expect(answer.text).not.toContain('id="reply-text"')
    expect(answer.text).toContain('data-failed="1"')
    expect(answer.text).toContain('href="/admin/failed"')

    const en = await page(`/admin/conversations/${openid}`, { lang: 'en' })
    expect(bubbles(en.text)[3]!.body).toMatch(/failed · errcode 45015/)
    expect(en.text).toContain('The send window is closed')
  })

  it('pages to older messages and back', async () => {
    const openid = uniqueOpenid()
    const events: RecordEvent[] = []
    for (let i = 0; i < 30; i++) {
      const push = inbound(APPID, openid, NOW - 100_000 + i * 1000, { text: `问题 ${i}` })
      events.push(push, outbound(APPID, openid, i + 1, push, { text: `答复 ${i}` }))
    }
    await writeRecord(env.DB, [...events, windowOf(APPID, openid, NOW)])
    const first = await page(`/admin/conversations/${openid}`)
    const newest = bubbles(first.text)
    expect(newest).toHaveLength(50)
    // Oldest at the top of the page, the newest reply last.
    expect(newest.at(-1)!.body).toMatch(/^答复 29/)
    expect(newest[0]!.body).toMatch(/^问题 5/)
    const older = nextPage(first.text)
    expect(older).toMatch(new RegExp(`^/admin/conversations/${openid}\\?cursor=`))
    const second = await page(older!)
    const rest = bubbles(second.text)
    expect(rest.map((b) => b.body.split(/\d\d\/\d\d/)[0]!.trim())).toEqual(
      Array.from({ length: 5 }, (_, i) => [`问题 ${i}`, `答复 ${i}`]).flat(),
    )
    expect(nextPage(second.text)).toBeNull()
    expect(elements(second.text, 'a', 'data-first-page')[0]?.href).toBe(`/admin/conversations/${openid}`)
  })

  it('shows a signed push and the rule’s reply once the object has copied them', async () => {
    const openid = uniqueOpenid()
    const { query, body } = await buildPush(textMessage(openid, 'hi', nextMsgId()), await pushOptions('safe', 'xml'))
    expect((await hygiene.fetch(`/wechat?${query}`, { method: 'POST', body })).status).toBe(200)
    const chat = await vi.waitFor(
      async () => {
        const answer = await page(`/admin/conversations/${openid}`)
        expect(answer.status).toBe(200)
        const found = bubbles(answer.text)
        expect(found.map((b) => b.attrs['data-status'])).toEqual(['received', 'sent'])
        expect(answer.text).toContain('data-window="open" data-remaining="4"')
        return found
      },
      { timeout: 5000, interval: 50 },
    )
    expect(chat.map((b) => [b.attrs['data-direction'], b.attrs['data-rule'], b.body.split(/\d\d\/\d\d/)[0]])).toEqual([
      ['in', 'hi', 'hi'],
      ['out', 'hi', 'hello'],
    ])
    const list = await page('/admin/conversations?filter=open')
    expect(elements(list.text, 'tr', 'data-openid').map((r) => r['data-openid'])).toContain(openid)
  })

  it('answers a bad openid or cursor with a 400 page, an unknown user with 404, never a 500', async () => {
    for (const path of [
      '/admin/conversations/not%20an%20openid',
      `/admin/conversations/${'o'.repeat(65)}`,
      '/admin/conversations/a%2Fb',
      '/admin/conversations/%E4%BD%A0%E5%A5%BD',
      "/admin/conversations/o'x",
    ]) {
      const answer = await page(path)
      expect(answer.status, path).toBe(400)
      expect(answer.text).toContain('data-problem="bad_openid"')
    }
    const openid = uniqueOpenid()
    const unknown = await page(`/admin/conversations/${openid}`)
    expect(unknown.status).toBe(404)
    expect(unknown.text).toContain('data-problem="no_conversation"')
    const badCursor = await page(`/admin/conversations/${openid}?cursor=${encodeCursor('conversations', { at: NOW, id: openid })}`)
    expect(badCursor.status).toBe(400)
    expect(badCursor.text).toContain('data-problem="bad_cursor"')
    // A notice the page did not give is not shown.
    const seeded = uniqueOpenid()
    await writeRecord(env.DB, [inbound(APPID, seeded, NOW), windowOf(APPID, seeded, NOW)])
    const forged = await page(`/admin/conversations/${seeded}?done=%3Cscript%3E&problem=anything`)
    expect(forged.status).toBe(200)
    expect(forged.text).not.toContain('data-notice')
    // The page's one script is the served live channel's; nothing from the query becomes one.
    expect(forged.text.match(/<script[^>]*>/g)).toEqual(['<script src="/admin/desk.js" defer="">'])
  })
})

describe("the Conversation object's JSON view, moved to the admin API", () => {
  it('is /admin/api/conversations/:openid/state; the console page at /admin/conversations/:openid is a page whatever Authorization says', async () => {
    const openid = uniqueOpenid()
    await pushAndFlush(textPush(openid, 'json view', []))
    const bearer = { authorization: `Bearer ${ADMIN}` }
    const json = await page(`/admin/api/conversations/${openid}/state`, { anonymous: true, headers: bearer })
    expect(json.status).toBe(200)
    expect(json.headers.get('content-type')).toMatch(/^application\/json/)
    expect(JSON.parse(json.text)).toMatchObject({ window: { remaining: 5 } })
    // The console no longer tells two routes apart by the header: with a session, the page.
    const withSession = await page(`/admin/conversations/${openid}`, { headers: bearer })
    expect(withSession.status).toBe(200)
    expect(withSession.headers.get('content-type')).toMatch(/^text\/html/)
    // Without one, the sign-in page: a bearer token opens no console page.
    const anonymous = await page(`/admin/conversations/${openid}`, { anonymous: true, headers: bearer })
    expect(anonymous.status).toBe(401)
    expect(anonymous.text).toContain('<html')
    expect(anonymous.text).not.toContain('"window"')
    // A wrong token is the API's refusal.
    for (const authorization of [`Bearer ${'b'.repeat(ADMIN.length)}`, `Basic ${btoa(`admin:${ADMIN}`)}`, 'Bearer ']) {
      const refused = await page(`/admin/api/conversations/${openid}/state`, { headers: { authorization } })
      expect([400, 401], authorization.slice(0, 8)).toContain(refused.status)
      expect(refused.text).not.toContain('<html')
    }
    // And the API's own check of the openid.
    expect((await page('/admin/api/conversations/not%20an%20openid/state', { anonymous: true, headers: bearer })).status).toBe(400)
  })
})

// ---------------------------------------------------------------- a reply by hand

describe('a reply by hand', () => {
  it('is offered inside the window, sent, and shown as a manual reply with a notice', async () => {
    const openid = uniqueOpenid()
    await pushAndFlush(textPush(openid, '有人吗', []))
    const before = await page(`/admin/conversations/${openid}`)
    expect(before.text).toContain('data-reply="open"')
    expect(elements(before.text, 'form', 'data-reply')[0]).toMatchObject({ method: 'post', action: `/admin/conversations/${openid}/reply` })
    expect(before.text).toContain('<textarea id="reply-text" name="text"')

    const answer = await submit(`/admin/conversations/${openid}/reply`, { text: '您好，我是客服\r\n请问有什么可以帮您？' })
    expect(redirected(answer)).toEqual({ path: `/admin/conversations/${openid}`, query: { done: 'sent' } })
    expect(await sendsTo(openid)).toEqual(['您好，我是客服\n请问有什么可以帮您？'])

    const after = await page(`/admin/conversations/${openid}?done=sent`)
    expect(after.text).toContain('data-notice="sent"')
    expect(after.text).toContain('已发送。')
    const manual = bubbles(after.text).at(-1)!
    expect(manual.attrs).toMatchObject({ class: 'bubble out', 'data-manual': 'true', 'data-status': 'sent' })
    expect(manual.body).toMatch(/^您好，我是客服\n请问有什么可以帮您？.*人工回复 · 已发送$/s)
    // It used one of the window's sends.
    expect(after.text).toContain('data-window="open" data-remaining="4"')
    const en = await page(`/admin/conversations/${openid}?done=sent`, { lang: 'en' })
    expect(en.text).toContain('Sent.')
  })

  it('takes a multipart form too', async () => {
    const openid = uniqueOpenid()
    await pushAndFlush(textPush(openid, 'multipart', []))
    const form = new FormData()
    form.set('text', 'from a multipart form')
    const res = await hygiene.fetch(`/admin/conversations/${openid}/reply`, {
      method: 'POST',
      headers: { cookie: await session(), origin: BASE },
      body: form,
      redirect: 'manual',
    })
    expect(redirected(res).query).toEqual({ done: 'sent' })
    expect(await sendsTo(openid)).toEqual(['from a multipart form'])
  })

  it('is refused outside the window and when its sends are used up, with the reason in the operator’s language', async () => {
    // Closed: the record has the user, the object has no window.
    const closed = uniqueOpenid()
    await writeRecord(env.DB, [inbound(APPID, closed, NOW - 3 * 86_400_000), windowOf(APPID, closed, NOW - 3 * 86_400_000)])
    const refused = await submit(`/admin/conversations/${closed}/reply`, { text: 'hello?' })
    expect(redirected(refused).query).toEqual({ problem: 'window_closed' })
    const zh = await page(`/admin/conversations/${closed}?problem=window_closed`)
    expect(zh.text).toContain('data-notice="window_closed"')
    expect(zh.text).toContain('没有发送：发送窗口已关闭')
    expect(zh.text).toContain('role="alert"')
    const en = await page(`/admin/conversations/${closed}?problem=window_closed`, { lang: 'en' })
    expect(en.text).toContain('Not sent: the send window is closed')

    // A user nobody knows: refused the same way, nothing created.
    expect(redirected(await submit(`/admin/conversations/${uniqueOpenid()}/reply`, { text: 'hello?' })).query).toEqual({
      problem: 'window_closed',
    })

    // Five sends used up by the rule's replies.
    const busy = uniqueOpenid()
    await pushAndFlush(textPush(busy, 'many', ['1', '2', '3', '4', '5']))
    expect(redirected(await submit(`/admin/conversations/${busy}/reply`, { text: 'sixth' })).query).toEqual({ problem: 'limit_reached' })
    expect((await page(`/admin/conversations/${busy}?problem=limit_reached`)).text).toContain('能发的条数已用完')

    expect(await sendsTo(closed)).toEqual([])
    expect(await sendsTo(busy)).toEqual(['1', '2', '3', '4', '5'])
  })

  it('refuses an empty, too long or malformed reply with a notice, and sends nothing', async () => {
    const openid = uniqueOpenid()
    await pushAndFlush(textPush(openid, 'bad forms', []))
    const path = `/admin/conversations/${openid}/reply`
    const cases: [RequestInit & { headers: Record<string, string> }, string][] = [
      [{ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=' }, 'empty'],
      [{ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=%20%0D%0A%20' }, 'empty'],
      [{ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' }, 'empty'],
      [
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ text: 'x'.repeat(2049) }).toString(),
        },
        'too_long',
      ],
      [
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ text: '好'.repeat(683) }).toString(),
        },
        'too_long',
      ],
      [
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `text=${'x'.repeat(20_000)}` },
        'too_long',
      ],
      [{ method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'text=hi' }, 'invalid'],
      [{ method: 'POST', headers: {}, body: 'text=hi' }, 'invalid'],
      [{ method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: 'not multipart' }, 'invalid'],
    ]
    for (const [init, problem] of cases) {
      init.headers.origin = BASE
      const answer = await call(path, init, {})
      expect(redirected(answer).query, String(init.body).slice(0, 40)).toEqual({ problem })
    }
    // A body that goes on past the bound without a declared length.
    const chunk = new TextEncoder().encode(`text=${'x'.repeat(64 * 1024)}`)
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 4) controller.enqueue(chunk)
        else controller.close()
      },
    })
    const streamed = await call(
      path,
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE }, body: stream },
      {},
    )
    expect(redirected(streamed).query).toEqual({ problem: 'too_long' })

    expect((await page(`/admin/conversations/${openid}?problem=too_long`)).text).toContain('回复太长')
    expect((await page(`/admin/conversations/${openid}?problem=empty`, { lang: 'en' })).text).toContain('the reply is empty')
    // The longest text that fits goes out.
    expect(redirected(await submit(path, { text: '好'.repeat(682) })).query).toEqual({ done: 'sent' })
    expect(await sendsTo(openid)).toEqual(['好'.repeat(682)])
  })

  it('refuses a bad openid with a 400 page', async () => {
    for (const path of ['/admin/conversations/not%20an%20openid/reply', `/admin/conversations/${'o'.repeat(65)}/reply`]) {
      const answer = await submit(path, { text: 'hi' })
      expect(answer.status, path).toBe(400)
      expect(answer.text).toContain('data-problem="bad_openid"')
    }
  })
})

// ---------------------------------------------------------------- failed sends

describe('failed sends', () => {
  async function failedSend(openid: string, text: string): Promise<string> {
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 40003, errmsg: 'invalid openid' })
    await pushAndFlush(textPush(openid, 'question', [text]))
    const row = await failedRow(openid)
    expect(row).toBeDefined()
    return row!['data-failed-id']!
  }

  async function failedRows(): Promise<Record<string, string>[]> {
    const rows: Record<string, string>[] = []
    let path: string | null = '/admin/failed'
    for (let pages = 0; path && pages < 20; pages++) {
      const answer = await page(path)
      expect(answer.status).toBe(200)
      rows.push(...elements(answer.text, 'tr', 'data-failed-id'))
      path = nextPage(answer.text)
    }
    return rows
  }

  const failedRow = async (openid: string) => (await failedRows()).find((r) => r['data-openid'] === openid)

  it('are listed with reason, errcode, the user and the text, each with retry and drop', async () => {
    const openid = uniqueOpenid()
    const id = await failedSend(openid, '这条会失败')
    expect(id).toMatch(new RegExp(`^out:${openid}:\\d+$`))
    const answer = await page('/admin/failed')
    expect(await failedRow(openid)).toMatchObject({ 'data-errcode': '40003' })
    expect(answer.text).toContain('这条会失败')
    expect(answer.text).toContain('错误码 40003')
    expect(answer.text).toContain(`href="/admin/conversations/${openid}"`)
    expect(elements(answer.text, 'form', `/admin/failed/${id}/`).map((f) => [f.method, f.action])).toEqual([
      ['post', `/admin/failed/${id}/retry`],
      ['post', `/admin/failed/${id}/drop`],
    ])
    expect((await page('/admin/failed', { lang: 'en' })).text).toContain('errcode 40003')
  })

  it('are retried: delivered, then gone from the list; a second retry says it is no longer failed', async () => {
    const openid = uniqueOpenid()
    const id = await failedSend(openid, 'retry me')
    const answer = await submit(`/admin/failed/${id}/retry`)
    expect(redirected(answer)).toEqual({ path: '/admin/failed', query: { done: 'retried' } })
    expect(await sendsTo(openid)).toEqual(['retry me'])
    expect(await failedRow(openid)).toBeUndefined()
    const notice = await page('/admin/failed?done=retried')
    expect(notice.text).toContain('data-notice="retried"')
    expect(notice.text).toContain('已重试，这次发送成功')

    expect(redirected(await submit(`/admin/failed/${id}/retry`)).query).toEqual({ problem: 'not_failed' })
    expect(await sendsTo(openid)).toEqual(['retry me'])
    // The conversation shows it sent.
    const chat = bubbles((await page(`/admin/conversations/${openid}`)).text)
    expect(chat.find((b) => b.attrs['data-message-id'] === id)?.attrs['data-status']).toBe('sent')
  })

  it('say so when a retry fails again, and stay listed', async () => {
    const openid = uniqueOpenid()
    const id = await failedSend(openid, 'fails twice')
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 40003, errmsg: 'invalid openid' })
    const answer = await submit(`/admin/failed/${id}/retry`)
    expect(redirected(answer).query).toEqual({ problem: 'still_failing', errcode: '40003' })
    expect(await failedRow(openid)).toMatchObject({ 'data-failed-id': id })
    const notice = await page('/admin/failed?problem=still_failing&errcode=40003')
    expect(notice.text).toContain('已重试，但仍然失败。 (错误码 40003)')
    expect(await sendsTo(openid)).toEqual([])
  })

  it('are dropped: gone from the list, never sent, shown as dropped', async () => {
    const openid = uniqueOpenid()
    const id = await failedSend(openid, 'drop me')
    expect(redirected(await submit(`/admin/failed/${id}/drop`)).query).toEqual({ done: 'dropped' })
    expect(await failedRow(openid)).toBeUndefined()
    expect(redirected(await submit(`/admin/failed/${id}/retry`)).query).toEqual({ problem: 'not_failed' })
    expect(await sendsTo(openid)).toEqual([])
    const chat = bubbles((await page(`/admin/conversations/${openid}`)).text)
    expect(chat.find((b) => b.attrs['data-message-id'] === id)?.attrs['data-status']).toBe('dropped')
    expect((await page('/admin/failed?done=dropped', { lang: 'en' })).text).toContain('Dropped.')
  })

  it('say not found for a send the user’s object never had, and answer a bad id with a 400 page', async () => {
    const openid = uniqueOpenid()
    for (const action of ['retry', 'drop']) {
      expect(redirected(await submit(`/admin/failed/out:${openid}:7/${action}`)).query).toEqual({ problem: 'not_found' })
    }
    expect((await page('/admin/failed?problem=not_found')).text).toContain('找不到这条发送记录')
    for (const id of [
      'out:oABC:0',
      'out:oABC:abc',
      'msg:123',
      'out::1',
      'out:oABC:1:2',
      'out:oABC:99999999999999999',
      'out:o%20x:1',
      `out:${'o'.repeat(65)}:1`,
    ]) {
      const answer = await submit(`/admin/failed/${id}/retry`)
      expect(answer.status, id).toBe(400)
      expect(answer.text).toContain('data-problem="bad_failed_id"')
    }
    expect((await page('/admin/failed?cursor=xyz')).status).toBe(400)
    expect(await sendsTo(openid)).toEqual([])
  })

  it('page 50 at a time', async () => {
    const appid = uniqueAppid()
    const events: RecordEvent[] = []
    for (let i = 0; i < 52; i++) {
      const push = inbound(appid, `oPagedFail${i}`, NOW - 100_000 + i)
      events.push(push, outbound(appid, `oPagedFail${i}`, 1, push, { status: 'failed', errcode: 45047, reason: 'out of limit' }))
    }
    await writeRecord(env.DB, events)
    const first = await page('/admin/failed', { appid })
    expect(elements(first.text, 'tr', 'data-failed-id')).toHaveLength(50)
    expect(elements(first.text, 'tr', 'data-failed-id')[0]?.['data-openid']).toBe('oPagedFail51')
    const second = await page(nextPage(first.text)!, { appid })
    expect(elements(second.text, 'tr', 'data-failed-id').map((r) => r['data-openid'])).toEqual(['oPagedFail1', 'oPagedFail0'])
    expect(nextPage(second.text)).toBeNull()
    expect((await page('/admin/failed', { appid: uniqueAppid() })).text).toContain('没有发送失败的回复')
  })
})

// ---------------------------------------------------------------- unmatched questions

describe('unmatched questions', () => {
  it('lists the most asked first, each with a link to make a rule from it', async () => {
    const appid = uniqueAppid()
    const ask = (openid: string, text: string, at: number) => inbound(appid, openid, at, { ruleId: 'default', unmatched: true, text })
    await writeRecord(env.DB, [
      ask('oAsk1', 'Where is my parcel?&x', NOW - 5000),
      ask('oAsk2', 'where is my parcel?&x ', NOW - 4000),
      ask('oAsk3', 'WHERE IS MY PARCEL?&X', NOW - 3000),
      ask('oAsk1', '怎么退货', NOW - 2000),
      ask('oAsk2', '怎么退货', NOW - 1000),
      ask('oAsk3', '发票', NOW - 500),
    ])
    const answer = await page('/admin/unmatched', { appid })
    expect(answer.status).toBe(200)
    const rows = elements(answer.text, 'tr', 'data-question')
    expect(rows.map((r) => [r['data-question'], r['data-count']])).toEqual([
      ['where is my parcel?&x', '3'],
      ['怎么退货', '2'],
      ['发票', '1'],
    ])
    expect(elements(answer.text, 'a', 'data-make-rule').map((a) => a.href)).toEqual([
      '/admin/rules/new?text=where%20is%20my%20parcel%3F%26x',
      `/admin/rules/new?text=${encodeURIComponent('怎么退货')}`,
      `/admin/rules/new?text=${encodeURIComponent('发票')}`,
    ])
    expect(answer.text).toContain('用它建规则')
    expect((await page('/admin/unmatched', { appid, lang: 'en' })).text).toContain('Make a rule from this')
    expect((await page('/admin/unmatched', { appid: uniqueAppid() })).text).toContain('没有未匹配的问题')
  })
})

// ---------------------------------------------------------------- subscribe grants and campaigns

const SUBSCRIBE_SEND = '/cgi-bin/message/subscribe/send'
let popupSecond = Math.floor(NOW / 1000) - 7200

/** subscribe_msg_popup_event as WeChat pushes it (XML, one <List> per template), each its own CreateTime. */
function popupXml(openid: string, items: [string, string][]): string {
  return popupEvent('xml', openid, items, ++popupSecond)
}

async function popup(openid: string, items: [string, string][]): Promise<void> {
  expect(await (await push(popupXml(openid, items))).text()).toBe('success')
}

/** One subscribe send through the admin API (bearer token). */
async function subscribeSend(openid: string, template: string, extra: Record<string, unknown> = {}): Promise<number> {
  const body = JSON.stringify({ touser: openid, template_id: template, data: { thing1: { value: '您的订单已发货' } }, ...extra })
  const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }
  return (await hygiene.fetch('/admin/api/subscribe/send', { method: 'POST', headers, body })).status
}

const subscribeCalls = async (template: string) =>
  (await fakeWechat.calls({ appid: APPID, path: SUBSCRIBE_SEND })).filter(
    (c) => (c.body as { template_id?: string }).template_id === template,
  )

/** The text of each `<ul data-field-problems=…>` of a page, by field. */
function fieldProblems(html: string): Record<string, string> {
  return Object.fromEntries(
    [...html.matchAll(/<ul class="field-error" data-field-problems="([a-z_]+)">([\s\S]*?)<\/ul>/g)].map(([, field = '', body = '']) => [
      field,
      htmlUnescape(body.replace(/<[^>]+>/g, ' ')),
    ]),
  )
}

describe('subscribe grants on the conversation page', () => {
  it('lists each template a popup answered: sends left, the choice, the last send with its errcode explained', async () => {
    const openid = uniqueOpenid()
    const [accepted, rejected] = ['tplConsoleGrantA', 'tplConsoleGrantB']
    await popup(openid, [
      [accepted, 'accept'],
      [rejected, 'reject'],
    ])
    await popup(openid, [[accepted, 'acceptWithAudio']])
    const rows = async () => {
      const answer = await page(`/admin/conversations/${openid}`)
      expect(answer.status).toBe(200)
      return Object.fromEntries(elements(answer.text, 'tr', 'data-template').map((row) => [row['data-template'], row]))
    }
    const before = await vi.waitFor(rows, { timeout: 5000, interval: 50 })
    expect(before[accepted]).toMatchObject({
      'data-grants': '2',
      'data-status': 'acceptWithAudio',
      'data-reachable': 'true',
      'data-long-term': 'false',
    })
    expect(before[rejected]).toMatchObject({ 'data-grants': '0', 'data-status': 'reject', 'data-reachable': 'false' })

    // One send spends a grant; a forced one WeChat refuses with 43101.
    expect(await subscribeSend(openid, accepted)).toBe(200)
    await fakeWechat.fault({
      path: SUBSCRIBE_SEND,
      appid: APPID,
      touser: openid,
      kind: 'errcode',
      errcode: 43101,
      errmsg: 'user refuse to accept the msg',
    })
    expect(await subscribeSend(openid, rejected, { force: true })).toBe(409)

    const answer = await page(`/admin/conversations/${openid}`)
    const section = answer.text.slice(answer.text.indexOf('data-subscriptions'), answer.text.indexOf('</section>'))
    expect(section).toContain('<h2>订阅消息')
    const after = await rows()
    expect(after[accepted]).toMatchObject({ 'data-grants': '1', 'data-reachable': 'true' })
    expect(
      elements(section, 'td', 'data-last-send')
        .map((td) => td['data-last-send'])
        .sort(),
    ).toEqual(['0', '43101'])
    expect(section).toContain('剩 1 次')
    expect(section).toContain('接受 (acceptWithAudio)')
    expect(section).toContain('✓ 已送达')
    expect(section).toContain('✗ 错误码 43101')
    expect(section).toContain('the user has no grant for this template')
    const en = await page(`/admin/conversations/${openid}`, { lang: 'en' })
    expect(en.text).toContain('Subscriptions')
    expect(en.text).toContain('✗ errcode 43101')

    // A user who never answered a popup: no section.
    const plain = uniqueOpenid()
    await pushAndFlush(textPush(plain, 'no popups', []))
    expect((await page(`/admin/conversations/${plain}`)).text).not.toContain('data-subscriptions')
  })
})

describe('campaigns', () => {
  const campaignCount = async () => (await campaignList(env.DB, APPID, 200)).length

  it('show who each template reaches: one-time users with a grant, long-term (SUBSCRIBE_LONG_TERM_TEMPLATES) users who accept', async () => {
    const template = `tplConsoleReach${NOW}`
    const [spent, holding, refusing] = [uniqueOpenid(), uniqueOpenid(), uniqueOpenid()]
    await popup(spent, [[template, 'accept']])
    await popup(holding, [[template, 'accept']])
    await popup(refusing, [[template, 'reject']])
    expect(await subscribeSend(spent, template)).toBe(200)
    const row = async (visit: Visit = {}) => elements((await page('/admin/campaigns', visit)).text, 'tr', `data-template="${template}"`)[0]
    await vi.waitFor(async () => expect(await row()).toMatchObject({ 'data-reachable': '1', 'data-long-term': 'false' }), {
      timeout: 5000,
      interval: 50,
    })
    expect(await row({ settings: { SUBSCRIBE_LONG_TERM_TEMPLATES: `tplOther, ${template}` } })).toMatchObject({
      'data-reachable': '2',
      'data-long-term': 'true',
    })

    // Its "start a campaign" link fills the form's template id in.
    const list = await page('/admin/campaigns')
    expect(list.text).toContain('每个模板能送达的用户')
    const start = elements(list.text, 'a', `data-start-with="${template}"`)[0]!
    expect(start.href).toBe(`/admin/campaigns?template=${template}#campaign-form`)
    const filled = await page(start.href!.replace('#campaign-form', ''))
    expect(elements(filled.text, 'input', 'name="template_id"')[0]?.value).toBe(template)
    expect(elements((await page('/admin/campaigns?template=%3Cb%3E')).text, 'input', 'name="template_id"')[0]?.value).toBe('')
  })

  it('refuse a form with bad values, each problem under its field, and start nothing', async () => {
    const template = `tplConsoleBad${NOW}`
    const user = uniqueOpenid()
    await popup(user, [[template, 'accept']])
    const before = await campaignCount()
    const form = { template_id: template, page: '', miniprogram_state: '', lang: '', data: 'thing1=您的订单已发货' }

    const tooLong = '超'.repeat(21)
    const bad = await submit('/admin/campaigns', { ...form, page: '/pages/index', data: `thing1=${tooLong}\r\nnumber2=12a` })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('role="alert"')
    expect(bad.text).toContain('没有开始群发')
    const problems = fieldProblems(bad.text)
    expect(problems.data).toContain('data.thing1.value: thing is at most 20 characters (got 21)')
    expect(problems.data).toContain('data.number2.value:')
    expect(problems.page).toContain('page: must be a page path')
    expect(Object.keys(problems).sort()).toEqual(['data', 'page'])
    // What was typed comes back as typed, the fields with problems marked.
    expect(bad.text).toContain(`thing1=${tooLong}\r\nnumber2=12a</textarea>`)
    expect(elements(bad.text, 'textarea', 'name="data"')[0]?.['aria-invalid']).toBe('true')
    expect(elements(bad.text, 'input', 'name="template_id"')[0]).toMatchObject({ value: template })
    expect(elements(bad.text, 'input', 'name="template_id"')[0]?.['aria-invalid']).toBeUndefined()

    const cases: [Record<string, string>, Record<string, string>][] = [
      [{ data: 'thing1 您的订单已发货' }, { data: 'data: line 1 is not key=value' }],
      [{ data: 'thing1=a\n\nthing1=b' }, { data: 'data.thing1: is given twice (lines 1 and 3)' }],
      [{ data: '{"thing1": 5}' }, { data: 'data.thing1: must be an object' }],
      [{ data: '{"thing1": ' }, { data: 'data: is not valid JSON' }],
      [{ data: 'colour1=red' }, { data: 'data.colour1: "colour" is not a keyword type' }],
      [
        { template_id: '', data: '' },
        { template_id: 'template_id: is not a template id', data: 'data: must have at least one keyword' },
      ],
      [
        { miniprogram_state: 'beta', lang: 'fr' },
        { miniprogram_state: 'miniprogram_state: must be one of developer, trial, formal', lang: 'lang: must be one of' },
      ],
    ]
    for (const [change, expected] of cases) {
      const answer = await submit('/admin/campaigns', { ...form, ...change })
      expect(answer.status, JSON.stringify(change)).toBe(400)
      const found = fieldProblems(answer.text)
      expect(Object.keys(found).sort(), JSON.stringify(change)).toEqual(Object.keys(expected).sort())
      for (const [field, text] of Object.entries(expected)) expect(found[field], field).toContain(text)
    }
    const en = await submit('/admin/campaigns', { ...form, data: 'thing1=' }, { lang: 'en' })
    expect(en.text).toContain('Not started: fix these first')
    expect(fieldProblems(en.text).data).toContain('data.thing1.value: thing must not be empty')

    // From another site, or past the bound: refused before anything is read.
    expect((await submit('/admin/campaigns', form, { headers: { origin: 'https://evil.example' } })).status).toBe(403)
    const large = await submit('/admin/campaigns', { ...form, data: `thing1=${'x'.repeat(70 * 1024)}` })
    expect(large.status).toBe(413)
    expect(large.text).toContain('提交的内容太大')

    expect(await campaignCount()).toBe(before)
    expect(await subscribeCalls(template)).toEqual([])
  })

  it('start from the form as the API starts them; the campaign’s page follows it to done, each user linked to their conversation', async () => {
    const template = `tplConsoleGood${NOW}`
    const users = [uniqueOpenid(), uniqueOpenid()].sort()
    for (const openid of users) await popup(openid, [[template, 'accept']])
    await popup(uniqueOpenid(), [[template, 'reject']])
    await vi.waitFor(
      async () =>
        expect(elements((await page('/admin/campaigns')).text, 'tr', `data-template="${template}"`)[0]?.['data-reachable']).toBe('2'),
      {
        timeout: 5000,
        interval: 50,
      },
    )

    const answer = await submit('/admin/campaigns', {
      template_id: ` ${template} `,
      page: 'pages/order/detail?id=1',
      miniprogram_state: 'trial',
      lang: 'en_US',
      data: 'thing1 = 双十一优惠券已到账\r\nnumber2=12345\r\n',
    })
    const { path, query } = redirected(answer)
    expect(query).toEqual({ done: 'started' })
    const id = /^\/admin\/campaigns\/(c-[0-9a-f-]{36})$/.exec(path)?.[1]
    expect(id).toBeDefined()
    const [created] = await campaignList(env.DB, APPID, 1)
    expect(created).toMatchObject({ id, template_id: template, total: 2, long_term: 0 })

    const started = await page(`${path}?done=started`)
    expect(started.status).toBe(200)
    expect(started.text).toContain('data-notice="started"')
    expect(started.text).toContain('群发已开始')
    const done = await vi.waitFor(
      async () => {
        const { text } = await page(path)
        expect(text).toContain('data-done="true"')
        return text
      },
      { timeout: 10_000, interval: 100 },
    )
    expect(elements(done, 'span', 'data-count').map((s) => [s['data-count'], s['data-n']])).toEqual([
      ['sent', '2'],
      ['failed', '0'],
      ['skipped', '0'],
      ['queued', '0'],
    ])
    expect(done).toContain('data-state="done"')
    expect(done).not.toContain('data-refresh')
    const targets = elements(done, 'tr', 'data-status')
    expect(targets.map((t) => [t['data-openid'], t['data-status'], t['data-errcode']])).toEqual(
      users.map((openid) => [openid, 'sent', '0']),
    )
    for (const openid of users) expect(done).toContain(`href="/admin/conversations/${openid}"`)
    expect(done).toContain('双十一优惠券已到账')

    // What WeChat received: the form's message, once per user.
    const calls = await subscribeCalls(template)
    expect(
      calls
        .map((c) => c.body)
        .sort((a, b) => String((a as { touser: string }).touser).localeCompare(String((b as { touser: string }).touser))),
    ).toEqual(
      users.map((touser) => ({
        touser,
        template_id: template,
        page: 'pages/order/detail?id=1',
        miniprogram_state: 'trial',
        lang: 'en_US',
        data: { thing1: { value: '双十一优惠券已到账' }, number2: { value: '12345' } },
      })),
    )

    // The list: newest first, with its progress.
    const list = await page('/admin/campaigns')
    const rows = elements(list.text, 'li', 'data-campaign')
    expect(rows[0]?.['data-campaign']).toBe(id)
    expect(list.text).toContain(`href="/admin/campaigns/${id}"`)
    expect((await page(path, { lang: 'en' })).text).toContain('sent 2')

    // A template nobody can be reached by: started, done at once, nothing sent.
    const empty = redirected(await submit('/admin/campaigns', { template_id: `tplConsoleNobody${NOW}`, data: 'thing1=hi' }))
    const nobody = await page(empty.path)
    expect(nobody.text).toContain('data-nobody')
    expect(nobody.text).toContain('data-done="true"')
  })

  it('answer a bad campaign address with a 400 page, an unknown campaign with 404', async () => {
    for (const path of ['/admin/campaigns/nope', '/admin/campaigns/c-XYZ', `/admin/campaigns/c-${'0'.repeat(37)}`]) {
      const answer = await page(path)
      expect(answer.status, path).toBe(400)
      expect(answer.text).toContain('data-problem="bad_campaign_id"')
    }
    const unknown = await page('/admin/campaigns/c-00000000-0000-0000-0000-000000000000')
    expect(unknown.status).toBe(404)
    expect(unknown.text).toContain('data-problem="no_campaign"')
    const [any] = await campaignList(env.DB, APPID, 1)
    expect(any).toBeDefined()
    const badCursor = await page(`/admin/campaigns/${any!.id}?cursor=not%20an%20openid`)
    expect(badCursor.status).toBe(400)
    expect(badCursor.text).toContain('data-problem="bad_cursor"')
  })
})
