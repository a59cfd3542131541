/**
 * "Try a question" decides in the push route's order: a rule of the operator's beats an FAQ
 * entry; an FAQ entry at or above the threshold beats the default; under it the default and,
 * with a hand-off, `handoff`. Nothing is sent: there is nothing to send it with.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { PROMPT_LIMITS } from '../../src/ai/prompt'
import { askWith } from '../../src/knowledge/ask'
import { ANSWER_ENTRIES } from '../../src/knowledge/search'
import { addKnowledge } from '../../src/knowledge/store'
import { compileRules, toRuleSet } from '../../src/rules/compile'
import type { RuleSetSource } from '../../src/rules/schema'
import { validateRuleSet } from '../../src/rules/validate'
import { fakeLlm } from '../support/fake-llm-client'

const db = env.DB
const NOW = Date.parse('2026-10-01T10:00:00+08:00')
let n = 0
const app = () => `wxask${String(++n).padStart(13, '0')}`

function ruleSet(source: unknown) {
  const checked = validateRuleSet(source)
  if (!checked.ok) throw new Error(JSON.stringify(checked.issues))
  return toRuleSet(compileRules(checked.value as RuleSetSource, 'test'))
}

const RULES = {
  rules: [
    { id: 'refund', when: { contains: ['退款'] }, reply: { type: 'text', text: '退款请点订单页' } },
    { id: 'human', when: { text: ['人工'] }, reply: [{ type: 'text', text: '马上转人工' }, { type: 'transfer' }] },
  ],
  default: { type: 'text', text: '您好，请问有什么可以帮您？' },
}

async function shop() {
  const appid = app()
  const refund = await addKnowledge(db, appid, { kind: 'faq', question: '怎么申请退款', variants: [], answer: 'FAQ: 在订单页申请' })
  const invoice = await addKnowledge(db, appid, {
    kind: 'faq',
    question: '发票抬头写错了怎么办',
    variants: ['发票开错了'],
    answer: [
      { type: 'text', text: '请联系客服重开' },
      {
        type: 'link',
        title: '开票',
        description: '重开发票',
        url: 'https://shop.example/invoice',
        thumb_url: 'https://shop.example/i.png',
      },
    ],
  })
  return { appid, refund: refund.id, invoice: invoice.id }
}

describe('ask', () => {
  it('a rule of the operator’s wins over an FAQ entry that is the question itself', async () => {
    const { appid, refund } = await shop()
    const answer = await askWith(ruleSet(RULES), env, appid, '怎么申请退款', NOW)
    expect(answer).toEqual({ source: 'rule', answer: '退款请点订单页', entries: [{ id: refund, score: 1 }], handoff: false })
    // A rule that transfers hands off, its replies with the transfer.
    expect(await askWith(ruleSet(RULES), env, appid, '人工', NOW)).toMatchObject({
      source: 'rule',
      answer: [{ type: 'text', text: '马上转人工' }, { type: 'transfer' }],
      handoff: true,
    })
  })

  it('an FAQ entry at or above the threshold answers in the default’s place, as written', async () => {
    const { appid, invoice } = await shop()
    const answer = await askWith(ruleSet({ ...RULES, ai: { enabled: true, faq_threshold: 0.6 } }), env, appid, '发票开错了！', NOW)
    expect(answer.source).toBe('faq')
    expect(answer.entries[0]).toEqual({ id: invoice, score: 1 })
    expect(answer.answer).toEqual([
      { type: 'text', text: '请联系客服重开' },
      {
        type: 'link',
        title: '开票',
        description: '重开发票',
        url: 'https://shop.example/invoice',
        thumb_url: 'https://shop.example/i.png',
      },
    ])
    expect(answer.handoff).toBe(false)
  })

  it('under the threshold: none, the default reply, and handoff only with a hand-off', async () => {
    const { appid, invoice } = await shop()
    const strict = ruleSet({ ...RULES, ai: { enabled: true, faq_threshold: 0.95 } })
    const under = await askWith(strict, env, appid, '发票的抬头能改吗', NOW)
    expect(under.entries[0]?.id).toBe(invoice)
    expect(under.entries[0]!.score).toBeLessThan(0.95)
    expect(under).toMatchObject({ source: 'none', answer: '您好，请问有什么可以帮您？', handoff: false })
    const withHandoff = ruleSet({ ...RULES, ai: { enabled: true, faq_threshold: 0.95 }, handoff: { after_unmatched: 1 } })
    expect(await askWith(withHandoff, env, appid, '发票的抬头能改吗', NOW)).toMatchObject({ source: 'none', handoff: true })
    // Nothing found and no default: nothing would be sent.
    expect(await askWith(ruleSet({ rules: [] }), env, appid, '天气怎么样', NOW)).toEqual({
      source: 'none',
      answer: null,
      entries: [],
      handoff: false,
    })
  })

  it('hands off only when this text would: after_unmatched 1 (the hand-off first, the model not asked), not 3', async () => {
    const { appid } = await shop()
    await addKnowledge(db, appid, { kind: 'doc', title: '发票', text: '发票抬头可以在订单页修改一次，开票后不能再改。' })
    const later = ruleSet({ ...RULES, ai: { enabled: true, faq_threshold: 0.95, passage_threshold: 0.1 }, handoff: { after_unmatched: 3 } })
    const three = await askWith(later, env, appid, '发票的抬头能改吗', NOW)
    expect(three).toMatchObject({ source: 'ai', handoff: false })
    const noDoc = await askWith(later, env, app(), '发票的抬头能改吗', NOW)
    expect(noDoc).toMatchObject({ source: 'none', answer: '您好，请问有什么可以帮您？', handoff: false })

    const first = ruleSet({
      ...RULES,
      ai: { enabled: true, faq_threshold: 0.95, passage_threshold: 0.1 },
      handoff: { after_unmatched: 1, text: '正在转人工' },
    })
    const now = await askWith(first, env, appid, '发票的抬头能改吗', NOW)
    // As a push: the hand-off's text and the transfer, in the default's place; the model is not asked.
    expect(now).toMatchObject({ source: 'none', answer: [{ type: 'text', text: '正在转人工' }, { type: 'transfer' }], handoff: true })
    expect(now.sources).toBeUndefined()
  })

  it('the model’s fallback hands off only with the console’s desk, which queues the user', async () => {
    const appid = app()
    await addKnowledge(db, appid, { kind: 'doc', title: '发票', text: '发票抬头可以在订单页修改一次，开票后不能再改。' })
    const set = ruleSet({ ...RULES, ai: { enabled: true, passage_threshold: 0.1 } })
    const question = '发票的抬头能改吗 zqdesk'
    await fakeLlm.fault('no_answer', 'zqdesk', 2)
    expect(await askWith(set, env, appid, question, NOW)).toMatchObject({ source: 'none', refused: 'no_answer', handoff: false })
    expect(await askWith(set, { ...env, HUMAN_DESK: 'console' }, appid, question, NOW)).toMatchObject({
      source: 'none',
      refused: 'no_answer',
      handoff: true,
    })
  })

  it('lists the entries a push looks up: ANSWER_ENTRIES, as many as the prompt takes passages', async () => {
    const appid = app()
    for (const n of [1, 2, 3, 4, 5, 6])
      await addKnowledge(db, appid, { kind: 'faq', question: `退货问题${n}`, variants: [], answer: `${n}` })
    expect(ANSWER_ENTRIES).toBe(PROMPT_LIMITS.passages)
    const answer = await askWith(ruleSet(RULES), env, appid, '退货', NOW)
    expect(answer.entries).toHaveLength(ANSWER_ENTRIES)
  })

  it('without ai in the rule set, asks the knowledge base with the default threshold (0.6)', async () => {
    const { appid, invoice } = await shop()
    expect(await askWith(ruleSet(RULES), env, appid, '发票开错了', NOW)).toMatchObject({
      source: 'faq',
      entries: [{ id: invoice, score: 1 }],
    })
    const below = await askWith(ruleSet(RULES), env, appid, '发票', NOW)
    expect(below.entries[0]?.id).toBe(invoice)
    if (below.entries[0]!.score < 0.6) expect(below.source).toBe('none')
    else expect(below.source).toBe('faq')
  })
})
