/**
 * FAQ first (issue 27): a text no rule of the operator's answered — the default reply, or
 * nothing — is looked up in the mini program's knowledge base when the rule set's `ai` is
 * enabled, and the best FAQ entry whose match scores at least `ai.faq_threshold` answers in
 * the default's place, its answer sent as written. Pure, like the rest of the rule engine: the
 * lookup itself (D1) is the caller's (routes/knowledge-first.ts), which passes the hits here.
 */
import type { ReplyPlan } from '../replies'
import type { InboundMessage } from '../wechat/message'
import { toAnswer } from './compile'
import { answerPlan, randomPick, type Pick } from './match'
import type { RuleSet } from './rule-set'
import { validateReply, type RuleIssue } from './validate'

/** What the knowledge base's search gives back, best first (src/knowledge/). */
export interface SearchHit {
  id: string
  kind: 'faq' | 'doc'
  /** 0–1: how well the entry matches the text. */
  score: number
  /** An FAQ entry's answer: a text, or a reply in the rule set's format. */
  answer?: unknown
}

/** The rule id an FAQ answer is recorded under: `faq:<entry id>`, in the D1 record and the stats. */
export const FAQ_RULE_PREFIX = 'faq:'

/** The text to look up, when this plan leaves the message to the knowledge base; null otherwise. */
export function knowledgeQuestion(ruleSet: RuleSet, message: InboundMessage, plan: ReplyPlan): string | null {
  if (ruleSet.knowledge === null || message.type !== 'text') return null
  // A rule of the operator's answered (or a hand-off was already decided): they win.
  if (plan.ruleId !== null && plan.ruleId !== 'default') return null
  const text = message.content.trim()
  return text === '' ? null : text
}

export type FaqOutcome =
  | { kind: 'answer'; plan: ReplyPlan; hit: SearchHit }
  /** No FAQ cleared the threshold: the plan stays (the default, or the hand-off). */
  | { kind: 'below'; best: SearchHit | null }
  /** The best FAQ's answer is not a reply the rules could send: the plan stays, and the caller logs why. */
  | { kind: 'invalid'; hit: SearchHit; issues: RuleIssue[] }

/**
 * The plan once the knowledge base has been asked: the best FAQ hit at or above the
 * threshold replaces the default (recorded as `faq:<id>`, so it is no unmatched text and ends
 * a run towards the hand-off); otherwise the plan as the rules made it.
 */
export function withFaq(ruleSet: RuleSet, message: InboundMessage, hits: readonly SearchHit[], pick: Pick = randomPick): FaqOutcome {
  const threshold = ruleSet.knowledge?.faqThreshold
  const best = hits.filter((hit) => hit.kind === 'faq').reduce<SearchHit | null>((a, b) => (a === null || b.score > a.score ? b : a), null)
  if (threshold === undefined || best === null || !(best.score >= threshold)) return { kind: 'below', best }
  const reply = validateReply(best.answer)
  if (!reply.ok) return { kind: 'invalid', hit: best, issues: reply.issues }
  const faq = answerPlan(ruleSet, `${FAQ_RULE_PREFIX}${best.id}`, toAnswer(reply.value), message, pick)
  return { kind: 'answer', plan: faq, hit: best }
}
