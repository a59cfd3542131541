/**
 * The send allowance end to end, against a fake WeChat API that holds the user to the
 * allowance by its own clock: the window agrees with WeChat's when pushes arrive late or
 * while a send is awaited, and an object written by schema 1 keeps its window.
 */
import { env } from 'cloudflare:workers'
import { evictDurableObject, runInDurableObject } from 'cloudflare:test'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { textMessage } from '../../dev/push'
import type { Conversation, RecordInput } from '../../src/conversation/conversation'
import { migrate } from '../../src/conversation/storage'
import type { FlatFields } from '../../src/wechat/message'
import { fakeWechat, uniqueOpenid, type FakeCall } from '../support/fake-wechat-client'
import { captureLogs, push } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'

const APPID = TEST_SETTINGS.WECHAT_APPID
const SEND = '/cgi-bin/message/custom/send'
const HOUR = 60 * 60 * 1000
captureLogs()
let msgIds = 8_500_000_000_000_000_000n
const nextMsgId = () => String(++msgIds)
const stub = (openid: string) => env.CONVERSATIONS.getByName(openid)

beforeAll(async () => {
  await env.RULES.put(
    'rules',
    JSON.stringify({ rules: [{ id: 'numbered', when: { regex: '^m(\\d+)$' }, reply: { type: 'text', text: 'r{{1}}' } }] }),
  )
})

const sends = (openid: string): Promise<FakeCall[]> => fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })
const accepted = (calls: FakeCall[]) => calls.filter((call) => call.errcode === 0)
const refusedByWechat = (calls: FakeCall[]) => calls.filter((call) => call.errcode === 45015 || call.errcode === 45047)

function message(openid: string, i: number): FlatFields {
  return textMessage(openid, `m${i}`, nextMsgId())
}

/** What the push route records for a text message the user sent at `at` (ms precision). */
function recorded(openid: string, reply: string, at: number): RecordInput {
  return {
    dedupKey: `msg:${nextMsgId()}`,
    openid,
    msgId: null,
    kind: 'text',
    summary: reply,
    grant: 'message',
    at,
    plan: { ruleId: 'numbered', ruleSetVersion: 'test', transfer: false, sends: [{ type: 'text', text: reply }] },
  }
}

async function settled(openid: string, rows: number) {
  return vi.waitFor(
    async () => {
      const { outbound } = await stub(openid).state()
      expect(outbound).toHaveLength(rows)
      expect(outbound.filter((row) => row.status === 'pending')).toEqual([])
      return outbound
    },
    { timeout: 10_000, interval: 50 },
  )
}

describe('the allowance by WeChat’s clock', () => {
  it('20 messages at once, all with WeChat before any reply: 5 sends, none refused by the API', async () => {
    const openid = uniqueOpenid()
    const messages = Array.from({ length: 20 }, (_, i) => message(openid, i))
    await fakeWechat.userActions(...messages.map(() => ({ appid: APPID, openid, kind: 'message' as const })))
    const answers = await Promise.all(messages.map((m) => push(m)))
    expect(answers.every((answer) => answer.status === 200)).toBe(true)
    const rows = await settled(openid, 20)
    const calls = await sends(openid)
    expect(refusedByWechat(calls)).toEqual([])
    expect(accepted(calls)).toHaveLength(5)
    expect(calls).toHaveLength(5)
    expect(rows.filter((row) => row.status === 'failed').map((row) => row.reason)).toEqual(Array(15).fill('limit_reached'))
  })

  it('pushes that arrive after the first reply, for messages WeChat had before it, do not grant anew', async () => {
    const openid = uniqueOpenid()
    const messages = Array.from({ length: 20 }, (_, i) => message(openid, i))
    await fakeWechat.userActions(...messages.map(() => ({ appid: APPID, openid, kind: 'message' as const })))
    await push(messages[0]!)
    await vi.waitFor(async () => expect(accepted(await sends(openid))).toHaveLength(1))
    // WeChat's pushes for the other 19 come late (its retries, a slow network): all at once now.
    await Promise.all(messages.slice(1).map((m) => push(m)))
    await settled(openid, 20)
    const calls = await sends(openid)
    expect(refusedByWechat(calls)).toEqual([])
    expect(accepted(calls)).toHaveLength(5)
  })
})

describe('a refusal does not erase a grant that came after the send began', () => {
  for (const [errcode, reason] of [
    [45047, 'limit_reached'],
    [45015, 'window_closed'],
  ] as const) {
    it(`${errcode} for a send that was awaited while the user wrote again: the new message is answered`, async () => {
      const openid = uniqueOpenid()
      const gate = `race-${openid}`
      await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode, gate })
      await stub(openid).record(recorded(openid, 'first', Date.now()))
      const flushing = stub(openid).flush()
      // The first reply has left; WeChat holds its answer.
      await vi.waitFor(async () => expect(await sends(openid)).toHaveLength(1))
      await new Promise((resolve) => setTimeout(resolve, 5))
      // Meanwhile the user writes again, and the push route records it and flushes.
      await stub(openid).record(recorded(openid, 'second', Date.now()))
      const again = stub(openid).flush()
      await fakeWechat.release(gate)
      await Promise.all([flushing, again])

      const rows = await settled(openid, 2)
      expect(rows.map((row) => [row.status, row.errcode, row.reason?.slice(0, 12) ?? null])).toEqual([
        ['sent', null, null],
        ['failed', errcode, `wechat: WeCh`],
      ])
      const calls = await sends(openid)
      expect(calls.map((call) => [call.errcode, (call.body as { text: { content: string } }).text.content])).toEqual([
        [errcode, 'first'],
        [0, 'second'],
      ])
      // And WeChat's word still holds for what came before the refused send.
      expect(rows.some((row) => row.reason === reason)).toBe(false)
    })
  }

  it('a refusal still closes the window for replies to messages from before the refused send', async () => {
    const openid = uniqueOpenid()
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 45047 })
    const at = Date.now()
    await stub(openid).record(recorded(openid, 'first', at))
    await stub(openid).flush()
    // The push for a message sent before the refused send arrives late.
    await stub(openid).record(recorded(openid, 'late', at))
    await stub(openid).flush()
    const rows = await settled(openid, 2)
    expect(rows.map((row) => [row.status, row.errcode ?? row.reason])).toEqual([
      ['failed', 'limit_reached'],
      ['failed', 45047],
    ])
    expect(await sends(openid)).toHaveLength(1)
  })
})

describe('migration from schema 1', () => {
  it('an object written before schema 2 keeps its window and goes on counting', async () => {
    const openid = uniqueOpenid()
    const openedAt = Date.now() - HOUR
    await runInDurableObject(stub(openid), (_instance: Conversation, state) => {
      state.storage.transactionSync(() => migrate(state.storage.sql, 1))
      state.storage.sql.exec(
        'INSERT INTO send_window (id, remaining, closes_at, opened_at) VALUES (1, 2, ?, ?)',
        openedAt + 48 * HOUR,
        openedAt,
      )
    })
    await evictDurableObject(stub(openid))
    expect((await stub(openid).state()).window).toEqual({ remaining: 2, openedAt, closesAt: openedAt + 48 * HOUR, open: true })

    // A push that grants nothing, with three replies: the two left go out, the third is withheld.
    await stub(openid).record({
      ...recorded(openid, 'x', Date.now()),
      grant: null,
      plan: { ruleId: 'numbered', ruleSetVersion: 'test', transfer: false, sends: ['a', 'b', 'c'].map((text) => ({ type: 'text', text })) },
    })
    await stub(openid).flush()
    const rows = await settled(openid, 3)
    expect(rows.map((row) => [row.part, row.status, row.reason])).toEqual([
      [3, 'failed', 'limit_reached'],
      [2, 'sent', null],
      [1, 'sent', null],
    ])
  })
})
