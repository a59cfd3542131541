/**
 * The model's turn in the order of answers (src/ai/plan.ts `withModel`), and what the user's
 * memory makes of a plan that asks it (src/conversation/rule-memory.ts `recall`): the
 * hand-off comes first, the daily budget next.
 */
import { describe, expect, it } from 'vitest'
import { fallbackPlan, type PassageHit, passagesOf, sourcesOf, withModel } from '../../src/ai/plan'
import { recall } from '../../src/conversation/rule-memory'
import type { ReplyPlan } from '../../src/replies'
import { compileRules, toRuleSet } from '../../src/rules/compile'
import { decide } from '../../src/rules/match'
import type { RuleSetSource } from '../../src/rules/schema'
import { validateRuleSet } from '../../src/rules/validate'

function ruleSet(source: unknown) {
  const checked = validateRuleSet(source)
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues))
  return toRuleSet(compileRules(checked.value as RuleSetSource, 'test'))
}

// A Wednesday, 15:00 in Shanghai; and 23:00 the same day.
const OPEN = Date.parse('2026-10-14T15:00:00+08:00')
const CLOSED = Date.parse('2026-10-14T23:00:00+08:00')
const HOURS = { tz: 'Asia/Shanghai', weekly: { mon: ['09:00-18:00'], tue: ['09:00-18:00'], wed: ['09:00-18:00'] } }
const DOC: PassageHit = { id: 'k-doc', kind: 'doc', score: 0.5, title: '退货政策', passage: '签收后 7 天内可退。' }
const FAQ: PassageHit = { id: 'k-faq', kind: 'faq', score: 0.45, question: '运费谁出', answer: '买家承担。' }
const CARD: PassageHit = {
  id: 'k-card',
  kind: 'faq',
  score: 0.9,
  question: '会员卡',
  answer: { type: 'image', url: 'https://example.com/c.png' },
}
const LOW: PassageHit = { id: 'k-low', kind: 'doc', score: 0.1, title: '', passage: '无关' }

const text = (content: string) => ({ type: 'text', toUserName: 'gh', fromUserName: 'o1', createTime: 1, msgId: '1', content }) as const

describe('withModel', () => {
  const set = ruleSet({
    hours: HOURS,
    rules: [],
    default: { type: 'text', text: '您好' },
    handoff: { after_unmatched: 3 },
    ai: { enabled: true, off_hours: 'fallback' },
  })

  it('asks with the passages that clear the threshold, text ones only, best first; the default is the fallback', () => {
    const plan = decide(set, text('退货'), OPEN)
    const step = withModel(set, plan, '退货', [CARD, DOC, FAQ, LOW], OPEN)
    expect(step.kind).toBe('ask')
    if (step.kind !== 'ask') return
    expect(step.plan).toMatchObject({ ruleId: 'ai', sends: [], transfer: false, handoff: { afterUnmatched: 3 } })
    expect(step.plan.ai).toMatchObject({
      question: '退货',
      passages: [
        { id: 'k-doc', title: '退货政策', text: '签收后 7 天内可退。' },
        { id: 'k-faq', title: '运费谁出', text: '买家承担。' },
      ],
      maxChars: 300,
      dailyBudget: 20,
      fallback: [{ type: 'text', text: '您好' }],
      fallbackRuleId: 'default',
    })
  })

  it('nothing over the threshold, or off hours with off_hours fallback: the plan stands', () => {
    const plan = decide(set, text('退货'), OPEN)
    expect(withModel(set, plan, '退货', [LOW, CARD], OPEN)).toEqual({ kind: 'skip', reason: 'no_passages' })
    expect(withModel(set, decide(set, text('退货'), CLOSED), '退货', [DOC], CLOSED)).toEqual({ kind: 'skip', reason: 'off_hours' })
  })

  it('without a default reply the fallback is ai.fallback, recorded as ai:fallback', () => {
    const bare = ruleSet({ rules: [], ai: { enabled: true, fallback: '稍后回复您' } })
    const step = withModel(bare, decide(bare, text('退货'), OPEN), '退货', [DOC], OPEN)
    expect(step.kind === 'ask' && step.plan.ai).toMatchObject({
      fallback: [{ type: 'text', text: '稍后回复您' }],
      fallbackRuleId: 'ai:fallback',
    })
  })
})

describe('passagesOf', () => {
  it('reads several passages of one document, each over the threshold, best first across entries; the entry once in the sources', () => {
    const doc: PassageHit = {
      id: 'k-policy',
      kind: 'doc',
      score: 0.34,
      title: '退货政策',
      passage: '质量问题 15 天内可退',
      passages: [
        { text: '质量问题 15 天内可退', score: 0.34 },
        { text: '七天无理由退货', score: 0.2 },
        { text: '换货', score: 0.05 },
      ],
    }
    const passages = passagesOf([doc, { ...FAQ, score: 0.25 }], 0.15)
    expect(passages).toEqual([
      { id: 'k-policy', title: '退货政策', text: '质量问题 15 天内可退' },
      { id: 'k-faq', title: '运费谁出', text: '买家承担。' },
      { id: 'k-policy', title: '退货政策', text: '七天无理由退货' },
    ])
    expect(sourcesOf({ passages })).toEqual(['k-policy', 'k-faq'])
  })

  it('orders by rank (a heading naming the question) and holds each to the threshold by its score', () => {
    const doc: PassageHit = {
      id: 'k-policy',
      kind: 'doc',
      score: 0.34,
      title: '退货政策',
      passages: [
        { text: '七天无理由退货\n签收次日起 7 天内可退', score: 0.225, rank: 0.45 },
        { text: '质量问题退换货\n签收后 15 天内可退', score: 0.34, rank: 0.34 },
        { text: '换货\n签收后 7 天内可换', score: 0.15, rank: 0.5 },
      ],
    }
    expect(passagesOf([doc, { ...FAQ, score: 0.28 }], 0.2).map((p) => p.text)).toEqual([
      '七天无理由退货\n签收次日起 7 天内可退',
      '质量问题退换货\n签收后 15 天内可退',
      '买家承担。',
    ])
  })
})

describe('recall of a plan that asks the model', () => {
  const set = ruleSet({
    rules: [],
    default: { type: 'text', text: '您好' },
    handoff: { after_unmatched: 2, text: '转人工' },
    ai: { enabled: true, daily_budget: 2 },
  })
  const asking = (): ReplyPlan => {
    const step = withModel(set, decide(set, text('退货'), OPEN), '退货', [DOC], OPEN)
    if (step.kind !== 'ask') throw new Error('no ask')
    return step.plan
  }

  it('counts against the day’s budget; past it, the fallback as the rules would answer', () => {
    const first = recall(asking(), 'text', { unmatchedInARow: 0, aiToday: 1, ruleAnsweredAt: null }, OPEN)
    expect(first).toMatchObject({ outcome: null, memory: { aiToday: 2, unmatchedInARow: 1 } })
    expect(first.plan.ai).toBeDefined()
    const spent = recall(asking(), 'text', { unmatchedInARow: 0, aiToday: 2, ruleAnsweredAt: null }, OPEN)
    expect(spent.outcome).toBe('ai_budget')
    expect(spent.plan).toEqual(fallbackPlan(asking()))
    expect(spent.plan).toMatchObject({ ruleId: 'default', sends: [{ type: 'text', text: '您好' }] })
    expect(spent.plan.ai).toBeUndefined()
  })

  it('the hand-off comes before the model, and spends nothing of the budget', () => {
    const handed = recall(asking(), 'text', { unmatchedInARow: 1, aiToday: 0, ruleAnsweredAt: null }, OPEN)
    expect(handed).toMatchObject({ outcome: 'handoff', memory: { unmatchedInARow: 0, aiToday: 0 } })
    expect(handed.plan).toMatchObject({ ruleId: 'handoff', transfer: true, sends: [{ type: 'text', text: '转人工' }] })
    expect(handed.plan.ai).toBeUndefined()
  })
})
