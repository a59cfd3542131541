/**
 * Replies end to end: a push through the Worker's fetch, rules from real KV, the Conversation
 * Durable Object, and the strict fake WeChat API on loopback.
 */
import { env } from 'cloudflare:workers'
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { buildPush, textMessage } from '../../dev/push'
import type { Conversation, RecordInput } from '../../src/conversation/conversation'
import { SCHEMA_VERSION } from '../../src/conversation/storage'
import { decrypt } from '../../src/wechat/cipher'
import { parseFields, type FlatFields } from '../../src/wechat/message'
import { sign } from '../../src/wechat/signature'
import { fakeWechat, uniqueOpenid, type FakeCall } from '../support/fake-wechat-client'
import { captureLogs, post, push, pushOptions, testCipher } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'

const APPID = TEST_SETTINGS.WECHAT_APPID
const SEND = '/cgi-bin/message/custom/send'
const logs = captureLogs()
let msgIds = 7_000_000_000_000_000_000n
const nextMsgId = () => String(++msgIds)

const QR = () => fakeWechat.imageUrl('replies', 'qr.png')
const COVER = () => fakeWechat.imageUrl('replies', 'cover.jpg')

beforeAll(async () => {
  const rules = {
    rules: [
      {
        id: 'download',
        when: { text: ['1', '下载'] },
        reply: {
          type: 'link',
          title: '下载 App',
          description: '注册领红包',
          url: 'https://example.com/app',
          thumb_url: 'https://example.com/t.png',
        },
      },
      { id: 'qr', when: { contains: ['二维码', '加微信'] }, reply: { type: 'image', url: QR() } },
      { id: 'order', when: { regex: '^订单\\s*(\\d{6,})$' }, reply: { type: 'text', text: '订单 {{1}} 已收到' } },
      {
        id: 'welcome-pay',
        when: { event: 'user_enter_tempsession', session_from: 'pay' },
        reply: { type: 'text', text: '支付遇到问题？' },
      },
      {
        id: 'welcome-big',
        when: { event: 'user_enter_tempsession', session_from: 'big' },
        reply: [
          { type: 'text', text: 'w1' },
          { type: 'text', text: 'w2' },
          { type: 'text', text: 'w3' },
        ],
      },
      { id: 'photos-to-human', when: { msgtype: 'image' }, reply: { type: 'transfer' } },
      {
        id: 'card',
        when: { text: ['小程序'] },
        reply: [
          { type: 'text', text: '点这里打开：' },
          { type: 'miniprogrampage', title: '首页', pagepath: 'pages/index/index', thumb_url: COVER() },
          { type: 'text', text: '祝您购物愉快' },
        ],
      },
      {
        id: 'five',
        when: { text: ['five'] },
        reply: ['a', 'b', 'c', 'd', 'e'].map((text) => ({ type: 'text', text })),
      },
      { id: 'popup', when: { event: 'subscribe_msg_popup_event' }, reply: { type: 'text', text: '感谢订阅' } },
    ],
    default: { type: 'text', text: '您好，回复 1 下载 App' },
  }
  await env.RULES.put('rules', JSON.stringify(rules))
})

const sends = (openid: string): Promise<FakeCall[]> => fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })

/** Waits until the user has received `count` successful sends; returns their bodies. */
async function delivered(openid: string, count: number): Promise<unknown[]> {
  return vi.waitFor(
    async () => {
      const ok = (await sends(openid)).filter((call) => call.errcode === 0)
      expect(ok).toHaveLength(count)
      return ok.map((call) => call.body)
    },
    { timeout: 5000, interval: 25 },
  )
}

/** How many images the Worker has uploaded so far (this file shares the appid with others). */
const uploads = async (): Promise<number> => (await fakeWechat.calls({ appid: APPID, path: '/cgi-bin/media/upload' })).length

const stub = (openid: string) => env.CONVERSATIONS.getByName(openid)

function text(openid: string, content: string, msgId = nextMsgId()): FlatFields {
  return { ...textMessage(openid, content, msgId), ToUserName: 'gh_97417a04a28d' }
}

function enter(openid: string, sessionFrom: string): FlatFields {
  return {
    ToUserName: 'gh_97417a04a28d',
    FromUserName: openid,
    CreateTime: Math.floor(Date.now() / 1000),
    MsgType: 'event',
    Event: 'user_enter_tempsession',
    SessionFrom: sessionFrom,
  }
}

describe('rules to replies', () => {
  it('an exact keyword sends a link', async () => {
    const openid = uniqueOpenid()
    const res = await push(text(openid, ' １ '))
    expect(await res.text()).toBe('success')
    expect(await delivered(openid, 1)).toEqual([
      {
        touser: openid,
        msgtype: 'link',
        link: { title: '下载 App', description: '注册领红包', url: 'https://example.com/app', thumb_url: 'https://example.com/t.png' },
      },
    ])
    expect(logs.events().find((e) => e.event === 'push.received')).toMatchObject({ openid, ruleId: 'download', sends: 1, transfer: false })
    expect(logs.events().find((e) => e.event === 'reply.sent')).toMatchObject({ openid, ruleId: 'download', type: 'link' })
  })

  it('a contains keyword sends an image, typing first, uploaded once and then cached', async () => {
    const first = uniqueOpenid()
    const second = uniqueOpenid()
    const uploadsBefore = await uploads()
    await push(text(first, '请问怎么加微信呢'))
    const [image] = (await delivered(first, 1)) as { image: { media_id: string } }[]
    await push(text(second, '二维码'))
    const [again] = (await delivered(second, 1)) as { image: { media_id: string } }[]
    expect(again?.image.media_id).toBe(image?.image.media_id)

    const calls = await fakeWechat.calls({ appid: APPID, touser: first })
    expect(calls.map((c) => c.path)).toEqual(['/cgi-bin/message/custom/business/typing', SEND])
    // The cached image needs no upload, so no "typing…" either.
    expect((await fakeWechat.calls({ appid: APPID, touser: second })).map((c) => c.path)).toEqual([SEND])
    expect(await uploads()).toBe(uploadsBefore + 1)
  })

  it('a regex sends text with the captured group', async () => {
    const openid = uniqueOpenid()
    await push(text(openid, '订单 12345678'), 'safe', 'json')
    expect(await delivered(openid, 1)).toEqual([{ touser: openid, msgtype: 'text', text: { content: '订单 12345678 已收到' } }])
  })

  it('entering the session from the pay button sends its welcome; another button sends nothing', async () => {
    const openid = uniqueOpenid()
    await push(enter(openid, 'pay'))
    expect(await delivered(openid, 1)).toEqual([{ touser: openid, msgtype: 'text', text: { content: '支付遇到问题？' } }])
    const other = uniqueOpenid()
    expect(await (await push(enter(other, 'elsewhere'))).text()).toBe('success')
    const state = await stub(other).state()
    expect(state.window.remaining).toBe(2)
    expect(state.window.closesAt - state.window.openedAt).toBe(60_000)
    expect(state.outbound).toEqual([])
  })

  it('text nothing matches gets the default reply', async () => {
    const openid = uniqueOpenid()
    await push(text(openid, '随便问问'), 'plaintext', 'xml')
    expect(await delivered(openid, 1)).toEqual([{ touser: openid, msgtype: 'text', text: { content: '您好，回复 1 下载 App' } }])
  })

  it('a three-part reply arrives in order, the card cover uploaded as a thumb', async () => {
    const openid = uniqueOpenid()
    await push(text(openid, '小程序'))
    const bodies = (await delivered(openid, 3)) as { msgtype: string }[]
    expect(bodies.map((b) => b.msgtype)).toEqual(['text', 'miniprogrampage', 'text'])
    expect(bodies[1]).toMatchObject({
      miniprogrampage: { title: '首页', pagepath: 'pages/index/index', appid: APPID, thumb_media_id: expect.any(String) },
    })
  })
})

describe('transfer to the customer-service tool', () => {
  const image = (openid: string): FlatFields => ({
    ToUserName: 'gh_97417a04a28d',
    FromUserName: openid,
    CreateTime: Math.floor(Date.now() / 1000),
    MsgType: 'image',
    PicUrl: 'https://mmbiz.example/pic.jpg',
    MediaId: 'media123',
    MsgId: nextMsgId(),
  })

  for (const format of ['xml', 'json'] as const) {
    it(`answers a safe-mode ${format} push with an encrypted transfer_customer_service`, async () => {
      const openid = uniqueOpenid()
      const message = image(openid)
      const { query, body } = await buildPush(message, await pushOptions('safe', format))
      const res = await post(query, body)
      expect(res.status).toBe(200)
      const sealed = parseFields(format, await res.text())
      const expected = await sign([TEST_SETTINGS.WECHAT_TOKEN, String(sealed.TimeStamp), String(sealed.Nonce), String(sealed.Encrypt)])
      expect(sealed.MsgSignature).toBe(expected)
      expect(String(sealed.Nonce)).toBe(query.get('nonce'))
      const inner = parseFields(format, (await decrypt(await testCipher(), String(sealed.Encrypt))).message)
      expect(inner).toMatchObject({ ToUserName: openid, FromUserName: 'gh_97417a04a28d', MsgType: 'transfer_customer_service' })

      // WeChat's retry of the same push gets the same passive reply, and nothing is sent.
      const retry = await post(query, body)
      const retried = parseFields(format, await retry.text())
      expect((await decrypt(await testCipher(), String(retried.Encrypt))).message).toContain('transfer_customer_service')
      expect(await fakeWechat.calls({ appid: APPID, touser: openid })).toEqual([])
    })
  }

  it('answers a plaintext JSON push with plain JSON', async () => {
    const openid = uniqueOpenid()
    const res = await push(image(openid), 'plaintext', 'json')
    expect(res.headers.get('content-type')).toMatch(/json/)
    expect(await res.json()).toMatchObject({ ToUserName: openid, MsgType: 'transfer_customer_service', CreateTime: expect.any(Number) })
  })
})

describe('exactly once', () => {
  it('three concurrent copies of one push send one reply', async () => {
    const openid = uniqueOpenid()
    const { query, body } = await buildPush(text(openid, '1'), await pushOptions('safe', 'xml'))
    const answers = await Promise.all([post(query, body), post(query, body), post(query, body)])
    for (const answer of answers) expect(await answer.text()).toBe('success')
    await delivered(openid, 1)
    expect(logs.events().filter((e) => e.event === 'push.duplicate')).toHaveLength(2)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(await sends(openid)).toHaveLength(1)
  })

  it('an event retried by WeChat is recognised by who, when and which', async () => {
    const openid = uniqueOpenid()
    const event = enter(openid, 'pay')
    await push(event)
    await push(event)
    await delivered(openid, 1)
    expect((await stub(openid).state()).inbound).toHaveLength(1)
  })
})

describe('the send window', () => {
  it('withholds a sixth send in a window without calling the API', async () => {
    const openid = uniqueOpenid()
    await push(text(openid, 'five'))
    await delivered(openid, 5)
    const popup = JSON.stringify({
      ToUserName: 'gh_97417a04a28d',
      FromUserName: openid,
      CreateTime: Math.floor(Date.now() / 1000),
      MsgType: 'event',
      Event: 'subscribe_msg_popup_event',
      List: { TemplateId: 'tpl', SubscribeStatusString: 'accept', PopupScene: '0' },
    })
    await push(popup, 'safe', 'json')
    await vi.waitFor(async () => {
      const state = await stub(openid).state()
      expect(state.outbound[0]).toMatchObject({ status: 'failed', reason: 'limit_reached', ruleId: 'popup' })
    })
    expect(await sends(openid)).toHaveLength(5)
    expect(logs.events().find((e) => e.event === 'reply.failed')).toMatchObject({ openid, ruleId: 'popup', reason: 'limit_reached' })
  })

  it('a three-part welcome on entering the session sends two and withholds the third', async () => {
    const openid = uniqueOpenid()
    await push(enter(openid, 'big'))
    await delivered(openid, 2)
    await vi.waitFor(async () => {
      const { outbound } = await stub(openid).state()
      expect(outbound.map((o) => [o.part, o.status, o.reason])).toEqual([
        [3, 'failed', 'limit_reached'],
        [2, 'sent', null],
        [1, 'sent', null],
      ])
    })
  })

  it('45015 from WeChat fails the send once, closes the window and is not retried', async () => {
    const openid = uniqueOpenid()
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 45015 })
    await push(text(openid, '小程序'))
    await vi.waitFor(async () => {
      const { outbound, window } = await stub(openid).state()
      expect(outbound.map((o) => [o.part, o.status, o.errcode ?? o.reason])).toEqual([
        [3, 'failed', 'window_closed'],
        [2, 'failed', 'window_closed'],
        [1, 'failed', 45015],
      ])
      expect(window.open).toBe(false)
    })
    // The alarm stays set (to prune and, in the end, delete), but finds nothing to send.
    await runDurableObjectAlarm(stub(openid))
    expect(await sends(openid)).toHaveLength(1)
  })
})

describe('faults', () => {
  it('-1 twice, then success: delivered by the alarm', async () => {
    const openid = uniqueOpenid()
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: -1, times: 2 })
    await push(text(openid, '1'))
    await vi.waitFor(async () => expect(await sends(openid)).toHaveLength(1))
    await vi.waitFor(async () => {
      await runDurableObjectAlarm(stub(openid))
      expect((await sends(openid)).filter((c) => c.errcode === 0)).toHaveLength(1)
    })
    const all = await sends(openid)
    expect(all.map((c) => c.errcode)).toEqual([-1, -1, 0])
    const { outbound } = await stub(openid).state()
    expect(outbound[0]).toMatchObject({ status: 'sent', attempts: 3 })
    expect(logs.events().filter((e) => e.event === 'reply.retry' && e.openid === openid)).toHaveLength(2)
  })

  it("a reply waiting to be retried holds back only its own push's later parts", async () => {
    const openid = uniqueOpenid()
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: -1 })
    await push(text(openid, '小程序'))
    await vi.waitFor(async () => expect(await sends(openid)).toHaveLength(1))
    await push(text(openid, '订单 7654321'))
    const [reply] = (await delivered(openid, 1)) as { text: { content: string } }[]
    expect(reply?.text.content).toBe('订单 7654321 已收到')
    await vi.waitFor(async () => {
      await runDurableObjectAlarm(stub(openid))
      expect((await sends(openid)).filter((c) => c.errcode === 0)).toHaveLength(4)
    })
    const bodies = (await sends(openid)).filter((c) => c.errcode === 0).map((c) => (c.body as { msgtype: string }).msgtype)
    expect(bodies).toEqual(['text', 'text', 'miniprogrampage', 'text'])
  })

  it('a cached media_id WeChat no longer knows (40007) is uploaded afresh, once', async () => {
    const first = uniqueOpenid()
    const second = uniqueOpenid()
    await push(text(first, '二维码'))
    await delivered(first, 1)
    const uploadsBefore = await uploads()
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: second, kind: 'errcode', errcode: 40007 })
    await push(text(second, '二维码'))
    await vi.waitFor(async () => expect(await sends(second)).toHaveLength(1))
    await vi.waitFor(async () => {
      await runDurableObjectAlarm(stub(second))
      expect((await sends(second)).filter((c) => c.errcode === 0)).toHaveLength(1)
    })
    expect(await uploads()).toBe(uploadsBefore + 1)
    expect((await stub(second).state()).outbound[0]).toMatchObject({ status: 'sent', attempts: 2 })
  })

  it('45011 (per-minute quota) waits the minute WeChat asks for', async () => {
    const openid = uniqueOpenid()
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 45011 })
    const before = Date.now()
    await push(text(openid, '1'))
    await vi.waitFor(async () => expect(await sends(openid)).toHaveLength(1))
    const row = await vi.waitFor(async () => {
      const next = await runInDurableObject(stub(openid), (_instance: Conversation, state) =>
        state.storage.sql.exec<{ next_attempt_at: number; errcode: number | null }>('SELECT next_attempt_at, errcode FROM outbox').one(),
      )
      expect(next.errcode).toBe(45011)
      return next
    })
    expect(row.next_attempt_at - before).toBeGreaterThanOrEqual(60_000)
  })

  it('an expired token is refreshed and the send delivered', async () => {
    const openid = uniqueOpenid()
    await push(text(openid, '1'))
    await delivered(openid, 1)
    await fakeWechat.expireTokens(APPID)
    await push(text(openid, '下载'))
    await delivered(openid, 2)
    // The reply went out on the expired token's successor. Usually this user's own send met
    // the 42001 and fetched it; a send of an earlier test still retrying on this isolate may
    // have met it first, and then the reply found the successor in memory without a refusal.
    // Either way nothing but 42001 was seen. (No other file runs beside this one: the
    // worker-tokens project of vitest.config.ts.)
    const [first, ...rest] = await sends(openid)
    const last = rest.at(-1)
    expect(first?.errcode).toBe(0)
    expect(last?.errcode).toBe(0)
    expect(last?.token).not.toBe(first?.token)
    expect(rest.slice(0, -1).map((c) => c.errcode)).toEqual(rest.slice(0, -1).map(() => 42001))
  })

  it('a Durable Object restarted between record and send still delivers', async () => {
    const openid = uniqueOpenid()
    const conversation = stub(openid)
    const input: RecordInput = {
      dedupKey: `msg:${nextMsgId()}`,
      openid,
      msgId: null,
      kind: 'text',
      summary: 'hi',
      grant: 'message',
      at: Date.now(),
      plan: { ruleId: 'download', ruleSetVersion: 'test', transfer: false, sends: [{ type: 'text', text: 'after restart' }] },
    }
    await conversation.record(input)
    await evictDurableObject(conversation)
    expect(await runDurableObjectAlarm(conversation)).toBe(true)
    expect(await delivered(openid, 1)).toEqual([{ touser: openid, msgtype: 'text', text: { content: 'after restart' } }])
  })

  it('a restarted object keeps its schema version and migrates nothing twice', async () => {
    const openid = uniqueOpenid()
    await push(text(openid, '1'))
    await delivered(openid, 1)
    const version = () =>
      runInDurableObject(stub(openid), (_instance: Conversation, state) =>
        state.storage.sql.exec<{ version: number }>('SELECT version FROM schema_version').toArray(),
      )
    expect(await version()).toEqual([{ version: SCHEMA_VERSION }])
    await evictDurableObject(stub(openid))
    expect(await version()).toEqual([{ version: SCHEMA_VERSION }])
    expect((await stub(openid).state()).outbound).toHaveLength(1)
  })

  it('records pushes durably before answering: the row exists when the answer arrives', async () => {
    const openid = uniqueOpenid()
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'hang' })
    await push(text(openid, '1'))
    const rows = await runInDurableObject(stub(openid), (_instance: Conversation, state) =>
      state.storage.sql.exec('SELECT COUNT(*) AS n FROM outbox').one(),
    )
    expect(rows.n).toBe(1)
  })
})

describe('load', () => {
  it('50 concurrent pushes from one user: each reply sent once, window never exceeded', async () => {
    const openid = uniqueOpenid()
    const pushes = Array.from({ length: 50 }, () => push(text(openid, '1')))
    for (const res of await Promise.all(pushes)) expect(res.status).toBe(200)
    await vi.waitFor(
      async () => {
        const { outbound } = await stub(openid).state()
        expect(outbound.filter((o) => o.status === 'pending')).toHaveLength(0)
        expect(outbound).toHaveLength(50)
      },
      { timeout: 10000, interval: 50 },
    )
    const { outbound } = await stub(openid).state()
    const sent = outbound.filter((o) => o.status === 'sent').length
    expect((await sends(openid)).filter((c) => c.errcode === 0)).toHaveLength(sent)
    // Each message re-grants up to 5, so every reply fits; what did not was refused, not sent.
    expect(outbound.every((o) => o.status === 'sent' || o.reason === 'limit_reached')).toBe(true)
  })

  it('50 users at once: every one gets exactly one reply', async () => {
    const users = Array.from({ length: 50 }, () => uniqueOpenid())
    const answers = await Promise.all(users.map((openid) => push(text(openid, '订单 1234567'))))
    for (const res of answers) expect(await res.text()).toBe('success')
    for (const openid of users) await delivered(openid, 1)
  })
})
