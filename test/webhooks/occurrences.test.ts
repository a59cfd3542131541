/** Which events a recorded push makes (pure): once per new push, a hand-off only when someone new is handed over. */
import { describe, expect, it } from 'vitest'
import type { RecordInput, RecordResult } from '../../src/conversation/contract'
import { HANDOFF_RULE_ID } from '../../src/replies'
import { aiHandoff, pushOccurrences, replyFailed } from '../../src/webhooks/occurrences'

const input: RecordInput = {
  dedupKey: 'msg:1',
  openid: 'oUser',
  msgId: '1',
  kind: 'text',
  summary: '人工',
  grant: null,
  at: 1_000,
  plan: { ruleId: 'to-human', ruleSetVersion: 'v1', transfer: true, sends: [] },
}
const recorded: RecordResult = { duplicate: false, transfer: true, pending: 0, ruleId: 'to-human', atDesk: false }

const events = (r: Partial<RecordResult>, desk: 'wechat' | 'console' = 'wechat', i: Partial<RecordInput> = {}) =>
  pushOccurrences({ ...input, ...i }, { ...recorded, ...r }, desk).map((o) => o.event)

describe('pushOccurrences', () => {
  it('a duplicate (WeChat repeating the push) makes none', () => {
    expect(events({ duplicate: true })).toEqual([])
  })

  it('a transfer is a handoff, to the desk in force; the rule set’s hand-off says so', () => {
    expect(events({})).toEqual(['message.received', 'handoff'])
    const [, handoff] = pushOccurrences(input, { ...recorded, ruleId: HANDOFF_RULE_ID }, 'console')
    expect(handoff?.data).toMatchObject({ reason: 'handoff', desk: 'console' })
  })

  it('a user already at the console’s desk asking again is no new hand-off', () => {
    expect(events({ atDesk: true }, 'console')).toEqual(['message.received'])
    expect(events({ transfer: false })).toEqual(['message.received'])
  })

  it('only a text carries its text', () => {
    const [received] = pushOccurrences(
      { ...input, kind: 'image', summary: 'https://mmbiz.qpic.cn/x' },
      { ...recorded, transfer: false },
      'wechat',
    )
    expect(received?.data).toMatchObject({ kind: 'image', text: null })
  })
})

describe('delivery pass events', () => {
  const row = { id: 7, openid: 'oUser', msg_id: '1', rule_id: 'ai:fallback', part: 1, manual: 0 }
  it('name the reply as the admin API does, and the model’s hand-off', () => {
    expect(replyFailed(row, 45015, 'window_closed').data).toEqual({
      openid: 'oUser',
      reply_id: 'out:oUser:7',
      msg_id: '1',
      rule_id: 'ai:fallback',
      part: 1,
      manual: false,
      errcode: 45015,
      reason: 'window_closed',
    })
    expect(aiHandoff(row)).toEqual({
      event: 'handoff',
      data: { openid: 'oUser', msg_id: '1', reason: 'ai', desk: 'console', rule_id: 'ai:fallback' },
    })
  })
})
