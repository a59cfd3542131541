/**
 * What the rules remember per user, end to end: the hand-off after unmatched texts in a row
 * and the welcome given once per N hours, through the push route, real KV, the user's
 * Conversation object and the strict fake WeChat API. The pure core (`recall`) at fixed clocks.
 */
import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { textMessage } from '../../dev/push'
import type { Conversation } from '../../src/conversation/conversation'
import { recall, type Memory } from '../../src/conversation/rule-memory'
import type { ReplyPlan } from '../../src/replies'
import { decrypt } from '../../src/wechat/cipher'
import { parseFields, type FlatFields } from '../../src/wechat/message'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { captureLogs, push, testCipher } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'

const APPID = TEST_SETTINGS.WECHAT_APPID
const SEND = '/cgi-bin/message/custom/send'
const HOUR = 3_600_000
const logs = captureLogs()
let msgIds = 7_300_000_000_000_000_000n
const nextMsgId = () => String(++msgIds)

beforeAll(async () => {
  await env.RULES.put(
    'rules',
    JSON.stringify({
      handoff: { after_unmatched: 3, text: '正在为您转接人工客服，请稍候' },
      rules: [
        { id: 'download', when: { text: ['1'] }, reply: { type: 'text', text: '下载 App' } },
        { id: 'welcome', when: { event: 'user_enter_tempsession' }, once_per_hours: 24, reply: { type: 'text', text: '欢迎光临' } },
        { id: 'human', when: { text: ['人工'] }, reply: [{ type: 'text', text: '马上为您转人工' }, { type: 'transfer' }] },
      ],
      default: { type: 'text', text: '没听懂，回复 1 下载 App' },
    }),
  )
})

const text = (openid: string, content: string): FlatFields => ({
  ...textMessage(openid, content, nextMsgId()),
  ToUserName: 'gh_97417a04a28d',
})

const enter = (openid: string, at = Math.floor(Date.now() / 1000)): FlatFields => ({
  ToUserName: 'gh_97417a04a28d',
  FromUserName: openid,
  CreateTime: at,
  MsgType: 'event',
  Event: 'user_enter_tempsession',
  SessionFrom: '',
})

/** The texts the user has been sent, once `count` have arrived. */
async function received(openid: string, count: number): Promise<string[]> {
  return vi.waitFor(
    async () => {
      const calls = (await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).filter((c) => c.errcode === 0)
      expect(calls).toHaveLength(count)
      return calls.map((c) => (c.body as { text: { content: string } }).text.content)
    },
    { timeout: 5000, interval: 25 },
  )
}

/** The MsgType of the passive reply a safe-mode push was answered with ('success' stays as it is). */
async function answerType(res: Response): Promise<string> {
  const body = await res.text()
  if (body === 'success') return body
  const sealed = parseFields('xml', body)
  return String(parseFields('xml', (await decrypt(await testCipher(), String(sealed.Encrypt))).message).MsgType)
}

describe('hand-off after unmatched texts in a row', () => {
  it('the third unmatched text in a row is transferred, with the hand-off text; the count starts again', async () => {
    const openid = uniqueOpenid()
    expect(await answerType(await push(text(openid, '你好')))).toBe('success')
    expect(await answerType(await push(text(openid, '在吗')))).toBe('success')
    expect(await answerType(await push(text(openid, '有人吗')))).toBe('transfer_customer_service')
    expect(await received(openid, 3)).toEqual(['没听懂，回复 1 下载 App', '没听懂，回复 1 下载 App', '正在为您转接人工客服，请稍候'])
    expect(logs.events().find((e) => e.event === 'rules.handoff')).toMatchObject({ openid, afterUnmatched: 3 })

    // Recorded as the hand-off, and still among the questions the rules miss.
    const state = await env.CONVERSATIONS.getByName(openid).state()
    // Newest first.
    expect(state.inbound.map((m) => m.ruleId)).toEqual(['handoff', 'default', 'default'])
    expect(state.outbound[0]).toMatchObject({ ruleId: 'handoff', status: 'sent' })

    // After a hand-off the count starts from zero.
    expect(await answerType(await push(text(openid, '喂')))).toBe('success')
    await received(openid, 4)
  })

  it('a text a rule answers ends the run; events leave it alone', async () => {
    const openid = uniqueOpenid()
    await push(text(openid, '你好'))
    await push(text(openid, '在吗'))
    await push(text(openid, '1'))
    await push(enter(openid))
    expect(await answerType(await push(text(openid, '有人吗')))).toBe('success')
    expect(await answerType(await push(text(openid, '喂')))).toBe('success')
    expect(await answerType(await push(text(openid, '???')))).toBe('transfer_customer_service')
    // Newest first. (Seven sends within a second are more than WeChat's window allows: what
    // matters here is what each push was answered with and recorded as.)
    const state = await env.CONVERSATIONS.getByName(openid).state()
    expect(state.inbound.map((m) => m.ruleId)).toEqual(['handoff', 'default', 'default', 'welcome', 'download', 'default', 'default'])
  })

  it('a retried push counts once and is answered with the same transfer', async () => {
    const openid = uniqueOpenid()
    await push(text(openid, '你好'))
    await push(text(openid, '在吗'))
    const third = text(openid, '有人吗')
    expect(await answerType(await push(third))).toBe('transfer_customer_service')
    expect(await answerType(await push(third))).toBe('transfer_customer_service')
    await received(openid, 3)
    // The retry did not count as a fourth: two more unmatched texts do not hand off yet.
    expect(await answerType(await push(text(openid, 'a')))).toBe('success')
    expect(await answerType(await push(text(openid, 'b')))).toBe('success')
    expect(await answerType(await push(text(openid, 'c')))).toBe('transfer_customer_service')
    const state = await env.CONVERSATIONS.getByName(openid).state()
    expect(state.inbound.map((m) => m.ruleId)).toEqual(['handoff', 'default', 'default', 'handoff', 'default', 'default'])
  })

  it('a rule that transfers says so first, from the rule itself', async () => {
    const openid = uniqueOpenid()
    expect(await answerType(await push(text(openid, '人工')))).toBe('transfer_customer_service')
    expect(await received(openid, 1)).toEqual(['马上为您转人工'])
  })
})

describe('welcome once per 24 hours', () => {
  it('a user who opens customer service three times is welcomed once', async () => {
    const openid = uniqueOpenid()
    const now = Math.floor(Date.now() / 1000)
    for (const at of [now - 2, now - 1, now]) await push(enter(openid, at))
    expect(await received(openid, 1)).toEqual(['欢迎光临'])
    const state = await env.CONVERSATIONS.getByName(openid).state()
    expect(state.inbound).toHaveLength(3)
    expect(state.outbound).toHaveLength(1)
    expect(logs.events().filter((e) => e.event === 'rules.once_quiet' && e.openid === openid)).toHaveLength(2)
  })

  it('is welcomed again once 24 hours have passed since the last welcome', async () => {
    const openid = uniqueOpenid()
    await push(enter(openid))
    await received(openid, 1)
    // The last welcome, moved 24 hours and a minute into the past.
    const stub = env.CONVERSATIONS.getByName(openid)
    await runInDurableObject(stub, (_: Conversation, state) => {
      state.storage.sql.exec("UPDATE meta SET value = CAST(value - ? AS TEXT) WHERE key = 'rule:answered:welcome'", 24 * HOUR + 60_000)
    })
    await push(enter(openid, Math.floor(Date.now() / 1000) + 1))
    expect(await received(openid, 2)).toEqual(['欢迎光临', '欢迎光临'])
  })
})

describe('recall, at fixed clocks', () => {
  const T = Date.parse('2026-10-01T10:00:00+08:00')
  const welcome: ReplyPlan = {
    ruleId: 'welcome',
    ruleSetVersion: 'v',
    transfer: false,
    sends: [{ type: 'text', text: 'hi' }],
    oncePerHours: 24,
  }
  const fresh: Memory = { unmatchedInARow: 0, aiToday: 0, ruleAnsweredAt: null }

  it.each([
    ['never welcomed', null, false],
    ['welcomed 23 h 59 min ago', T - 24 * HOUR + 60_000, true],
    ['welcomed exactly 24 h ago', T - 24 * HOUR, false],
    ['welcomed two days ago', T - 48 * HOUR, false],
  ])('%s: quiet %s', (_, answeredAt, quiet) => {
    const result = recall(welcome, 'user_enter_tempsession', { ...fresh, ruleAnsweredAt: answeredAt }, T)
    expect(result.outcome).toBe(quiet ? 'quiet' : null)
    expect(result.plan.sends).toHaveLength(quiet ? 0 : 1)
    expect(result.memory.ruleAnsweredAt).toBe(quiet ? answeredAt : T)
  })

  it('counts unmatched texts, not images or events, and hands off at N', () => {
    const unmatched: ReplyPlan = {
      ruleId: null,
      ruleSetVersion: 'v',
      transfer: false,
      sends: [],
      handoff: { afterUnmatched: 2, text: null },
    }
    const one = recall(unmatched, 'text', fresh, T)
    expect(one.memory.unmatchedInARow).toBe(1)
    expect(recall({ ...unmatched, handoff: undefined }, 'image', one.memory, T).memory.unmatchedInARow).toBe(1)
    expect(
      recall({ ruleId: null, ruleSetVersion: 'v', transfer: false, sends: [] }, 'subscribe_msg_popup_event', one.memory, T).memory
        .unmatchedInARow,
    ).toBe(1)
    const two = recall(unmatched, 'text', one.memory, T)
    expect(two).toMatchObject({
      outcome: 'handoff',
      plan: { ruleId: 'handoff', transfer: true, sends: [] },
      memory: { unmatchedInARow: 0 },
    })
  })
})
