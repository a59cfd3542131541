/**
 * Events to other systems, end to end: pushes through /wechat, the Conversation object's
 * delivery, the real WEBHOOKS queue and its consumer, and the stand-in receiver on loopback
 * (dev/fake-webhook.ts). Each event arrives once for its occurrence, signed over its raw body.
 */
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { popupEvent, textMessage } from '../../dev/push'
import { emitEvents, emitUserDeleted, type EmitEnv } from '../../src/webhooks/emit'
import type { QueuedDelivery } from '../../src/webhooks/events'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { captureLogs, push } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'
import { bodyOf, type FakeDelivery, receivedFor, verify } from '../support/webhook-receiver'

const APPID = TEST_SETTINGS.WECHAT_APPID
const SECRET = TEST_SETTINGS.WEBHOOK_SECRET
const SEND = '/cgi-bin/message/custom/send'
const logs = captureLogs()
let msgIds = 8_100_000_000_000_000_000n
const nextMsgId = () => String(++msgIds)

beforeAll(async () => {
  const rules = {
    rules: [
      { id: 'hello', when: { text: ['你好'] }, reply: { type: 'text', text: '您好！' } },
      { id: 'to-human', when: { text: ['人工'] }, reply: { type: 'transfer' } },
    ],
    default: { type: 'text', text: '默认回复' },
  }
  await env.RULES.put('rules', JSON.stringify(rules))
})

/** Waits until the user's deliveries include every event named, then a little longer, and returns them all. */
async function arrived(openid: string, events: string[]): Promise<FakeDelivery[]> {
  await vi.waitFor(
    async () => {
      const got = (await receivedFor(openid)).map((d) => d.event)
      for (const event of events) expect(got).toContain(event)
    },
    { timeout: 15_000, interval: 100 },
  )
  // Anything sent twice would be on its way by now.
  await new Promise((resolve) => setTimeout(resolve, 1500))
  return receivedFor(openid)
}

const byEvent = (deliveries: FakeDelivery[], event: string) => deliveries.filter((d) => d.event === event)

async function expectSigned(deliveries: FakeDelivery[]): Promise<void> {
  const seen = new Set<string>()
  for (const delivery of deliveries) {
    expect(await verify(delivery, SECRET, seen)).toBe('ok')
    const body = bodyOf(delivery)
    expect(delivery.delivery).toBe(body.id)
    expect(delivery.event).toBe(body.event)
    expect(body.appid).toBe(APPID)
  }
}

describe('events from pushes and replies', () => {
  it('a text: message.received with its text and reply.sent, once each, however often WeChat repeats the push', async () => {
    const openid = uniqueOpenid()
    const message = textMessage(openid, '你好', nextMsgId())
    expect(await (await push(message)).text()).toBe('success')
    // WeChat's retry of the same push: a duplicate, no second occurrence.
    await push(message)
    const got = await arrived(openid, ['message.received', 'reply.sent'])
    expect(got.map((d) => d.event).sort()).toEqual(['message.received', 'reply.sent'])
    await expectSigned(got)
    const received = bodyOf(byEvent(got, 'message.received')[0]!)
    expect(received.data).toEqual({ openid, msg_id: message.MsgId, kind: 'text', text: '你好', rule_id: 'hello' })
    const sent = bodyOf(byEvent(got, 'reply.sent')[0]!)
    expect(sent.data).toMatchObject({ openid, msg_id: message.MsgId, rule_id: 'hello', part: 1, manual: false, attempts: 1 })
    expect(String((sent.data as { reply_id: string }).reply_id)).toMatch(new RegExp(`^out:${openid}:\\d+$`))
  })

  it("message.received carries at most 200 characters of the user's text", async () => {
    const openid = uniqueOpenid()
    await push(textMessage(openid, '长'.repeat(500), nextMsgId()))
    const got = await arrived(openid, ['message.received'])
    expect((bodyOf(byEvent(got, 'message.received')[0]!).data as { text: string }).text).toBe('长'.repeat(200))
  })

  it('a transfer: handoff, once, to WeChat’s tool', async () => {
    const openid = uniqueOpenid()
    const message = textMessage(openid, '人工', nextMsgId())
    await push(message)
    await push(message)
    const got = await arrived(openid, ['message.received', 'handoff'])
    expect(byEvent(got, 'handoff')).toHaveLength(1)
    expect(bodyOf(byEvent(got, 'handoff')[0]!).data).toEqual({
      openid,
      msg_id: message.MsgId,
      reason: 'transfer',
      desk: 'wechat',
      rule_id: 'to-human',
    })
    await expectSigned(got)
  })

  it('a reply WeChat refuses: reply.failed with the errcode, once', async () => {
    const openid = uniqueOpenid()
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 40003, errmsg: 'invalid openid' })
    await push(textMessage(openid, '你好', nextMsgId()))
    const got = await arrived(openid, ['message.received', 'reply.failed'])
    expect(byEvent(got, 'reply.failed')).toHaveLength(1)
    expect(byEvent(got, 'reply.sent')).toHaveLength(0)
    expect(bodyOf(byEvent(got, 'reply.failed')[0]!).data).toMatchObject({ openid, rule_id: 'hello', errcode: 40003 })
    await expectSigned(got)
  })

  it('a subscribe popup: subscribe.changed with each template’s answer, once', async () => {
    const openid = uniqueOpenid()
    const popup = popupEvent('xml', openid, [
      ['tplWebhookA', 'accept'],
      ['tplWebhookB', 'reject'],
    ])
    await push(popup)
    await push(popup)
    const got = await arrived(openid, ['message.received', 'subscribe.changed'])
    expect(byEvent(got, 'subscribe.changed')).toHaveLength(1)
    expect(bodyOf(byEvent(got, 'subscribe.changed')[0]!).data).toEqual({
      openid,
      changes: [
        { template_id: 'tplWebhookA', status: 'accept', source: 'popup' },
        { template_id: 'tplWebhookB', status: 'reject', source: 'popup' },
      ],
    })
    expect(bodyOf(byEvent(got, 'message.received')[0]!).data).toMatchObject({ kind: 'subscribe_msg_popup_event', text: null })
    await expectSigned(got)
  })

  it('user.deleted: the function the deletion calls posts the openid', async () => {
    const openid = uniqueOpenid()
    expect(await emitUserDeleted(env, APPID, { openid })).toBe('queued')
    const got = await arrived(openid, ['user.deleted'])
    expect(got).toHaveLength(1)
    expect(bodyOf(got[0]!).data).toEqual({ openid })
    await expectSigned(got)
  })
})

describe('without WEBHOOK_URL', () => {
  /** A queue that keeps what it is given (nothing should reach it). */
  function heldQueue() {
    const held: QueuedDelivery[] = []
    const queue = {
      send: async (body: QueuedDelivery) => void held.push(body),
      sendBatch: async (messages: MessageSendRequest<QueuedDelivery>[]) => void held.push(...messages.map((m) => m.body)),
    } as unknown as Queue<QueuedDelivery>
    return { held, queue }
  }

  it('nothing is queued', async () => {
    const { held, queue } = heldQueue()
    const off: EmitEnv = { WEBHOOK_URL: '', WEBHOOKS: queue }
    expect(await emitUserDeleted(off, APPID, { openid: uniqueOpenid() })).toBe('off')
    expect(await emitEvents({ WEBHOOKS: queue }, APPID, [{ event: 'user.deleted', data: { openid: 'o1' } }])).toBe('off')
    expect(held).toEqual([])
  })

  it('a queue that refuses is logged, never thrown into the caller', async () => {
    const refusing = { sendBatch: async () => Promise.reject(new Error('queue down')) } as unknown as Queue<QueuedDelivery>
    const openid = uniqueOpenid()
    expect(await emitUserDeleted({ WEBHOOK_URL: env.WEBHOOK_URL, WEBHOOKS: refusing }, APPID, { openid })).toBe('failed')
    expect(logs.events().find((e) => e.event === 'webhook.enqueue_failed')).toMatchObject({ event: 'webhook.enqueue_failed', openid })
  })
})
