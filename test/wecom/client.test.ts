/**
 * KfClient against the strict stand-in (dev/fake-wecom.ts): the token, sync_msg's pages,
 * window and rate limit, send_msg's state, window and count rules, send_msg_on_event's codes,
 * service_state, and msg_send_fail reaching a later pull. Each test has its own corp.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { KfApiError } from '../../src/wecom/api-error'
import { asKfApiError } from '../../src/wecom/http'
import { kfTokenKey } from '../../src/wecom/token'
import { tokenAnswer } from '../../src/wechat/token-cache'
import type { KfMessage } from '../../src/wecom/types'
import { fakeWecom, kfClient, testCorp, uniqueExternalUserid, uniqueOpenKfId } from '../support/fake-wecom-client'

const text = (content: string) => ({ msgtype: 'text', text: { content } }) as const

async function failure(promise: Promise<unknown>): Promise<KfApiError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(KfApiError)
  return error as KfApiError
}

/** A corp, an account and a customer who just wrote; the notice's token in hand. */
async function conversation(content = '你好') {
  const corp = await testCorp()
  const openKfId = uniqueOpenKfId()
  const externalUserid = uniqueExternalUserid()
  const { callback } = await fakeWecom.message({ corpid: corp.corpid, openKfId, externalUserid, content })
  const { client, memory } = kfClient(corp)
  return { corp, openKfId, externalUserid, client, memory, token: callback?.token ?? '' }
}

describe('the access token', () => {
  it('is fetched once, kept in KV under wecom:token:<corpid>, and shared by a cold isolate', async () => {
    const { corp, openKfId, client, token } = await conversation()
    await client.syncMsg({ openKfId, token })
    await client.serviceState(openKfId, (await fakeWecom.sent(corp.corpid)).at(0)?.externalUserid ?? 'x').catch(() => {})
    const cold = kfClient(corp).client
    await cold.syncMsg({ openKfId, token })
    const gettokens = (await fakeWecom.calls(corp.corpid)).filter((c) => c.path === '/cgi-bin/gettoken')
    expect(gettokens).toHaveLength(1)
    const stored = await env.CACHE.get<{ token: string }>(kfTokenKey(corp.corpid), 'json')
    expect(stored?.token).toBe((await fakeWecom.tokens(corp.corpid))[0])
  })

  it('is not taken from a gettoken answer without it: a retryable KfApiError, as any malformed answer', () => {
    let error: unknown
    try {
      tokenAnswer('gettoken', { errcode: 0, errmsg: 'ok' })
    } catch (thrown) {
      error = asKfApiError(thrown, 'gettoken', [])
    }
    expect(error).toMatchObject({ name: 'KfApiError', api: 'gettoken', errcode: -1004, kind: 'retryable' })
  })

  it('is replaced once when WeChat Work says it expired (42001), and the call repeated', async () => {
    const { corp, openKfId, client, token } = await conversation()
    await client.syncMsg({ openKfId, token })
    await fakeWecom.expireToken(corp.corpid)
    const page = await client.syncMsg({ openKfId, token })
    expect(page.msgList).toHaveLength(1)
    expect(await fakeWecom.tokens(corp.corpid)).toHaveLength(2)
    const codes = (await fakeWecom.calls(corp.corpid)).map((c) => `${c.path} ${c.errcode}`)
    expect(codes).toEqual([
      '/cgi-bin/gettoken 0',
      '/cgi-bin/kf/sync_msg 0',
      '/cgi-bin/kf/sync_msg 42001',
      '/cgi-bin/gettoken 0',
      '/cgi-bin/kf/sync_msg 0',
    ])
  })

  it('refused twice surfaces as a permanent error; a wrong secret is 40001, permanent, with no retry', async () => {
    const { corp, openKfId, client, token } = await conversation()
    await fakeWecom.fault({ corpid: corp.corpid, path: '/cgi-bin/kf/sync_msg', errcode: 40014, times: 2 })
    const twice = await failure(client.syncMsg({ openKfId, token }))
    expect([twice.errcode, twice.kind, twice.api]).toEqual([40014, 'permanent', 'kf/sync_msg'])

    // A corp whose token is not cached yet (KV holds one per corp, whatever the secret).
    const fresh = await testCorp()
    await fakeWecom.account(fresh.corpid, openKfId)
    const wrong = kfClient({ ...fresh, secret: 'not-the-secret-0123456789' }).client
    const refused = await failure(wrong.syncMsg({ openKfId }))
    expect([refused.errcode, refused.kind, refused.api]).toEqual([40001, 'permanent', 'gettoken'])
  })
})

describe('kf/sync_msg', () => {
  it('pages by cursor with has_more: 5 messages, limit 2, 3 pages, then nothing new', async () => {
    const { corp, openKfId, externalUserid, client, token } = await conversation('1')
    for (const content of ['2', '3', '4', '5']) {
      await fakeWecom.message({ corpid: corp.corpid, openKfId, externalUserid, content, notify: false })
    }
    const pages: { n: number; hasMore: boolean }[] = []
    const seen: string[] = []
    let cursor: string | undefined
    for (let hasMore = true; hasMore; ) {
      const page = await client.syncMsg({ openKfId, token, limit: 2, ...(cursor ? { cursor } : {}) })
      pages.push({ n: page.msgList.length, hasMore: page.hasMore })
      for (const message of page.msgList) if (message.msgtype === 'text') seen.push(message.text.content)
      cursor = page.nextCursor
      hasMore = page.hasMore
    }
    expect(pages).toEqual([
      { n: 2, hasMore: true },
      { n: 2, hasMore: true },
      { n: 1, hasMore: false },
    ])
    expect(seen).toEqual(['1', '2', '3', '4', '5'])
    const again = await client.syncMsg({ openKfId, token, ...(cursor ? { cursor } : {}) })
    expect(again).toEqual({ nextCursor: cursor, hasMore: false, msgList: [] })
    // A cursor names a position: reading from an old one returns the same messages again.
    const first = await client.syncMsg({ openKfId, token, limit: 1 })
    const replay = await client.syncMsg({ openKfId, token, cursor: first.nextCursor, limit: 1 })
    expect(replay.msgList[0]?.msgid).toBe((await client.syncMsg({ openKfId, token, cursor: first.nextCursor, limit: 1 })).msgList[0]?.msgid)
  })

  it('types what it reads: the customer, origin 3, the text', async () => {
    const { openKfId, externalUserid, client, token } = await conversation('订单 1234')
    const [message] = (await client.syncMsg({ openKfId, token })).msgList
    expect(message).toMatchObject({ openKfId, externalUserid, origin: 3, msgtype: 'text', text: { content: '订单 1234' } })
    expect(message?.msgid).toMatch(/\S/)
    expect(message?.sendTime).toBeGreaterThan(0)
  })

  it('never returns a message older than 3 days', async () => {
    const { corp, openKfId, externalUserid, client, token } = await conversation('new')
    await fakeWecom.message({ corpid: corp.corpid, openKfId, externalUserid, content: 'old', ageSeconds: 3 * 86400 + 60, notify: false })
    const contents = (await client.syncMsg({ openKfId, token })).msgList.map((m) => (m.msgtype === 'text' ? m.text.content : m.msgtype))
    expect(contents).toEqual(['new'])
  })

  it('without a token is rate-limited (45009, retryable); a token expires after 10 minutes (95007)', async () => {
    const { corp, openKfId, client, token } = await conversation()
    for (let i = 0; i < 10; i++) await client.syncMsg({ openKfId })
    const limited = await failure(client.syncMsg({ openKfId }))
    expect([limited.errcode, limited.kind]).toEqual([45009, 'retryable'])
    // With the notice's token the same account is read at once.
    expect((await client.syncMsg({ openKfId, token })).msgList).toHaveLength(1)
    await fakeWecom.advance(corp.corpid, 601)
    const stale = await failure(client.syncMsg({ openKfId, token }))
    expect([stale.errcode, stale.kind]).toEqual([95007, 'permanent'])
  })

  it('shows a msg_send_fail for a sent msgid in a later pull', async () => {
    const { corp, openKfId, externalUserid, client, token } = await conversation()
    const first = await client.syncMsg({ openKfId, token })
    const { msgid } = await client.sendMsg({ touser: externalUserid, openKfId, message: text('稍等') })
    const { callback } = await fakeWecom.sendFail(corp.corpid, openKfId, msgid, 6)
    const later = await client.syncMsg({ openKfId, token: callback.token, cursor: first.nextCursor })
    const [event] = later.msgList
    expect(event).toMatchObject({
      origin: 4,
      openKfId,
      externalUserid,
      msgtype: 'event',
      event: { eventType: 'msg_send_fail', failMsgid: msgid, failType: 6 },
    })
  })
})

describe('kf/send_msg', () => {
  it('is allowed in state 0, which becomes 1, and echoes a given msgid once', async () => {
    const { corp, openKfId, externalUserid, client } = await conversation()
    expect((await fakeWecom.customer(corp.corpid, openKfId, externalUserid)).state).toBe(0)
    expect(await client.sendMsg({ touser: externalUserid, openKfId, msgid: 'reply-1', message: text('您好') })).toEqual({
      msgid: 'reply-1',
    })
    expect(await client.serviceState(openKfId, externalUserid)).toEqual({ state: 1 })
    const duplicate = await failure(client.sendMsg({ touser: externalUserid, openKfId, msgid: 'reply-1', message: text('您好') }))
    expect(duplicate.kind).toBe('permanent')
    const sent = await fakeWecom.sent(corp.corpid, openKfId)
    expect(sent.map((s) => [s.msgid, s.msgtype, s.body.text])).toEqual([['reply-1', 'text', { content: '您好' }]])
  })

  it('is refused with 95018 while the customer is queued (2) or with a person (3)', async () => {
    const { corp, openKfId, externalUserid, client } = await conversation()
    for (const state of [2, 3] as const) {
      await fakeWecom.setState(corp.corpid, openKfId, externalUserid, state)
      const refused = await failure(client.sendMsg({ touser: externalUserid, openKfId, message: text('x') }))
      expect([refused.errcode, refused.kind]).toEqual([95018, 'permanent'])
    }
    expect(await fakeWecom.sent(corp.corpid)).toEqual([])
  })

  it('allows 5 sends per customer message (95001 after), renewed by the next message; 95002 after 48 h', async () => {
    const { corp, openKfId, externalUserid, client } = await conversation()
    for (let i = 0; i < 5; i++) await client.sendMsg({ touser: externalUserid, openKfId, message: text(`${i}`) })
    const sixth = await failure(client.sendMsg({ touser: externalUserid, openKfId, message: text('6') }))
    expect(sixth.errcode).toBe(95001)
    await fakeWecom.message({ corpid: corp.corpid, openKfId, externalUserid, content: 'again', notify: false })
    await client.sendMsg({ touser: externalUserid, openKfId, message: text('ok') })
    await fakeWecom.advance(corp.corpid, 48 * 3600 + 1)
    const late = await failure(client.sendMsg({ touser: externalUserid, openKfId, message: text('late') }))
    expect(late.errcode).toBe(95002)
  })

  it('passes a retryable -1 on as retryable', async () => {
    const { corp, openKfId, externalUserid, client } = await conversation()
    await fakeWecom.fault({ corpid: corp.corpid, path: '/cgi-bin/kf/send_msg', errcode: -1 })
    const busy = await failure(client.sendMsg({ touser: externalUserid, openKfId, message: text('x') }))
    expect([busy.errcode, busy.kind, busy.retryable]).toEqual([-1, 'retryable', true])
  })
})

describe('kf/send_msg_on_event', () => {
  async function entered() {
    const corp = await testCorp()
    const openKfId = uniqueOpenKfId()
    const externalUserid = uniqueExternalUserid()
    const { callback } = await fakeWecom.enter({ corpid: corp.corpid, openKfId, externalUserid, scene: 'pay', sceneParam: 'order%3D1' })
    const { client } = kfClient(corp)
    const [event] = (await client.syncMsg({ openKfId, token: callback.token })).msgList
    return { corp, openKfId, externalUserid, client, event }
  }

  const welcomeOf = (event: KfMessage | undefined): string => {
    if (event?.msgtype !== 'event' || event.event.eventType !== 'enter_session' || !event.event.welcomeCode) {
      throw new Error('no enter_session with a welcome_code')
    }
    return event.event.welcomeCode
  }

  it('reads enter_session with its welcome_code, scene and scene_param; the code works once', async () => {
    const { corp, openKfId, externalUserid, client, event } = await entered()
    expect(event).toMatchObject({
      origin: 4,
      openKfId,
      externalUserid,
      event: { eventType: 'enter_session', scene: 'pay', sceneParam: 'order%3D1' },
    })
    const code = welcomeOf(event)
    const { msgid } = await client.sendMsgOnEvent({ code, message: text('欢迎') })
    expect((await fakeWecom.sent(corp.corpid)).map((s) => [s.api, s.msgid, s.externalUserid])).toEqual([
      ['kf/send_msg_on_event', msgid, externalUserid],
    ])
    const again = await failure(client.sendMsgOnEvent({ code, message: text('欢迎') }))
    expect(again.kind).toBe('permanent')
  })

  it('refuses a welcome_code after 20 s', async () => {
    const { corp, client, event } = await entered()
    await fakeWecom.advance(corp.corpid, 21)
    await failure(client.sendMsgOnEvent({ code: welcomeOf(event), message: text('欢迎') }))
    expect(await fakeWecom.sent(corp.corpid)).toEqual([])
  })
})

describe('kf/service_state', () => {
  it('moves 0 → 2 → 3 (a msg_code the first time), 3 → 4 (a goodbye code), and refuses what the table does not allow', async () => {
    const { corp, openKfId, externalUserid, client } = await conversation()
    const queued = await client.transState({ openKfId, externalUserid, state: 2 })
    expect(queued.msgCode).toMatch(/\S/)
    const refused = await failure(client.transState({ openKfId, externalUserid, state: 1 }))
    expect(refused.errcode).toBe(95016)
    const noServicer = await failure(client.transState({ openKfId, externalUserid, state: 3, servicerUserid: 'nobody' }))
    expect(noServicer.errcode).toBe(95014)
    expect(await client.transState({ openKfId, externalUserid, state: 3, servicerUserid: 'servicer1' })).toEqual({})
    expect(await client.serviceState(openKfId, externalUserid)).toEqual({ state: 3, servicerUserid: 'servicer1' })
    const ended = await client.transState({ openKfId, externalUserid, state: 4 })
    expect(ended.msgCode).toMatch(/\S/)
    // The goodbye code sends once.
    await client.sendMsgOnEvent({ code: ended.msgCode ?? '', message: text('再见') })
    const after = await failure(client.transState({ openKfId, externalUserid, state: 1 }))
    expect(after.errcode).toBe(95013)
    // The customer writes again: a new session, state 0.
    await fakeWecom.message({ corpid: corp.corpid, openKfId, externalUserid, content: '还在吗', notify: false })
    expect(await client.serviceState(openKfId, externalUserid)).toEqual({ state: 0 })
  })
})
