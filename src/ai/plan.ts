/**
 * The model's turn in the order of answers (issue 27): after the operator's rules and the
 * FAQ, a text the knowledge base has passages for is answered by the model; otherwise the
 * rules' plan stands (the default reply, or the hand-off). Pure, like the rule engine: the
 * search is the caller's, and the model is asked later, by the Conversation object, after
 * WeChat has had its "success".
 */
import { AI_FALLBACK_RULE_ID, AI_RULE_ID, type AiRequest, type ReplyMessage, type ReplyPlan } from '../replies'
import type { SearchHit } from '../rules/faq'
import { isOpen } from '../rules/hours'
import type { RuleSet } from '../rules/rule-set'
import { PROMPT_LIMITS, type Passage } from './prompt'

/** A search hit with the text the model can read: a document's passages, an FAQ's text answer. */
export interface PassageHit extends SearchHit {
  question?: string
  title?: string
  passage?: string
  /** `score` against the threshold, `rank` (heading-aware: knowledge/score.ts passageScores) for the order. */
  passages?: { text: string; score: number; rank?: number }[]
}

export type ModelStep =
  | { kind: 'ask'; plan: ReplyPlan }
  /** The plan stands: why the model is not asked (for the log and "try a question"). */
  | { kind: 'skip'; reason: 'off_hours' | 'no_passages' }

/**
 * The plan that asks the model, given the rules' plan for a text no rule or FAQ answered.
 * Its fallback is that plan's reply (the default), or the rule set's `ai.fallback` text.
 */
export function withModel(ruleSet: RuleSet, plan: ReplyPlan, question: string, hits: readonly PassageHit[], now: number): ModelStep {
  const policy = ruleSet.knowledge?.model
  if (policy === undefined) return { kind: 'skip', reason: 'no_passages' }
  if (policy.offHours === 'fallback' && ruleSet.hours !== null && !isOpen(ruleSet.hours, now)) return { kind: 'skip', reason: 'off_hours' }
  const passages = passagesOf(hits, policy.passageThreshold)
  if (passages.length === 0) return { kind: 'skip', reason: 'no_passages' }
  const [first, ...rest] = plan.sends
  const fallback: [ReplyMessage, ...ReplyMessage[]] = first === undefined ? [{ type: 'text', text: policy.fallback }] : [first, ...rest]
  return {
    kind: 'ask',
    plan: {
      ruleId: AI_RULE_ID,
      ruleSetVersion: plan.ruleSetVersion,
      transfer: false,
      sends: [],
      ...(plan.handoff === undefined ? {} : { handoff: plan.handoff }),
      ai: {
        question,
        passages,
        persona: policy.persona,
        maxChars: policy.maxChars,
        dailyBudget: policy.dailyBudget,
        fallback,
        fallbackRuleId: first === undefined ? AI_FALLBACK_RULE_ID : (plan.ruleId ?? AI_FALLBACK_RULE_ID),
      },
    },
  }
}

/**
 * What the model reads, best first: each document's passages and each FAQ's text answer
 * that score at least `threshold` — a document may give several (one question can need two
 * sections of a policy) — at most PROMPT_LIMITS.passages in all. A passage under a heading
 * that names the question goes before one that only shares more words in passing (its rank).
 */
export function passagesOf(hits: readonly PassageHit[], threshold: number): Passage[] {
  const found: (Passage & { rank: number })[] = hits.flatMap((hit) => {
    if (hit.kind === 'doc') {
      const texts = hit.passages ?? (hit.passage ? [{ text: hit.passage, score: hit.score }] : [])
      return texts
        .filter((p) => p.score >= threshold)
        .map((p) => ({ id: hit.id, title: hit.title ?? '', text: p.text, rank: p.rank ?? p.score }))
    }
    // An FAQ whose answer is a text (not an image or a card) reads as a passage too.
    if (typeof hit.answer === 'string' && hit.score >= threshold)
      return [{ id: hit.id, title: hit.question ?? '', text: hit.answer, rank: hit.score }]
    return []
  })
  // Stable: equal ranks keep the search's order.
  return found
    .sort((a, b) => b.rank - a.rank)
    .slice(0, PROMPT_LIMITS.passages)
    .map(({ rank: _, ...passage }) => passage)
}

/** The plan when the model is not asked after all (the user's daily budget is spent): its fallback, as the rules would have answered. */
export function fallbackPlan(plan: ReplyPlan): ReplyPlan {
  if (plan.ai === undefined) return plan
  const { ai, ...rest } = plan
  return { ...rest, ruleId: ai.fallbackRuleId, sends: ai.fallback }
}

/** The knowledge entries a request's passages come from, each once, best first. */
export function sourcesOf(request: Pick<AiRequest, 'passages'>): string[] {
  return [...new Set(request.passages.map((p) => p.id))]
}
