/**
 * "Try a question": what a text would be answered with, and from where, with nothing recorded,
 * queued or sent — the admin API's `POST /admin/api/knowledge/ask` and the console's knowledge
 * page. The order is the push route's, from a user with no history: the operator's rules
 * first (a rule other than the default wins), then the best FAQ entry at or above the rule
 * set's `ai.faq_threshold` (rules/faq.ts `withFaq`, as the push route decides), then the model
 * with the best passages (ai/plan.ts, when the Worker has one: it is asked, and its answer
 * checked, exactly as for a push — only nothing is sent), then the default reply or the
 * hand-off — which, as for a push, comes before the model, and for a first text only when
 * `handoff.after_unmatched` is 1 (conversation/rule-memory.ts `recall`). The entries are
 * looked up as a push looks them up (search.ts `searchToAnswer`). Unlike a push, the knowledge
 * base is asked even while `ai` is not enabled (with the default settings), so an operator
 * can try entries before switching it on.
 */
import { answerWithModel } from '../ai/answer'
import { modelState } from '../ai/model'
import { fallbackPlan, sourcesOf, withModel } from '../ai/plan'
import { type Memory, recall } from '../conversation/rule-memory'
import type { ReplyMessage, ReplyPlan } from '../replies'
import { withFaq } from '../rules/faq'
import { loadRules } from '../rules/loader'
import { decide } from '../rules/match'
import type { RuleSet } from '../rules/rule-set'
import { knowledgeOf } from '../rules/compile'
import type { ReplySource } from '../rules/schema'
import type { Env } from '../settings/env'
import type { InboundMessage } from '../wechat/message'
import { humanDesk } from '../settings/mini-program-state'
import { type KnowledgeHit, searchToAnswer } from './search'
import type { FaqAnswer } from './store'

export interface AskAnswer {
  /** Who answers: a rule of the operator's, an FAQ entry, the model (later), or nobody (the default reply or the hand-off). */
  source: 'rule' | 'faq' | 'ai' | 'none'
  /** The reply that would be sent, in the rule set's reply format (a string is one text); null when nothing would be. */
  answer: FaqAnswer | null
  /** The entries found for the text, best first, with their scores. */
  entries: { id: string; score: number }[]
  /**
   * The user would be handed to a person, as a first text: a transfer (a rule's, or the rule
   * set's hand-off when `after_unmatched` is 1), or the model's fallback with the console's
   * desk (HUMAN_DESK = console), which queues them.
   */
  handoff: boolean
  /** The model was asked: the entries of the passages it was given. */
  sources?: string[]
  /** The model was asked and its answer would not be sent (no_answer, link, timeout…): the fallback would. */
  refused?: string
}

export async function ask(env: Env, appid: string, text: string, now = Date.now()): Promise<AskAnswer> {
  return (await askWithHits(env, appid, text, now)).answer
}

/** `ask`, with the knowledge base's hits it was made from: the console names the entries by them. */
export async function askWithHits(
  env: Env,
  appid: string,
  text: string,
  now = Date.now(),
): Promise<{ answer: AskAnswer; hits: KnowledgeHit[] }> {
  const [ruleSet, hits] = await Promise.all([loadRules(env), searchToAnswer(env.DB, appid, text)])
  return { answer: await answerFrom(ruleSet, env, text, hits, now), hits }
}

/** `ask` with the rule set given (a draft, or a test's); `env` is the app's view of the bindings. */
export async function askWith(ruleSet: RuleSet, env: Env, appid: string, text: string, now: number): Promise<AskAnswer> {
  return answerFrom(ruleSet, env, text, await searchToAnswer(env.DB, appid, text), now)
}

/** The answer a push of `text` would get, the knowledge base's `hits` for it found. */
async function answerFrom(ruleSet: RuleSet, env: Env, text: string, hits: KnowledgeHit[], now: number): Promise<AskAnswer> {
  const message: InboundMessage = {
    type: 'text',
    toUserName: 'ask',
    fromUserName: 'ask',
    createTime: Math.floor(now / 1000),
    msgId: '0',
    content: text,
  }
  const decided = decide(ruleSet, message, now)
  const entries = hits.map(({ id, score }) => ({ id, score }))
  if (decided.ruleId !== null && decided.ruleId !== 'default') {
    const { plan } = recall(decided, 'text', FIRST_TEXT, now)
    return { source: 'rule', answer: replyOf(plan), entries, handoff: plan.transfer }
  }
  const knowledge = ruleSet.knowledge ?? knowledgeOf({ enabled: true })
  const withKnowledge = { ...ruleSet, knowledge }
  const outcome = withFaq(withKnowledge, message, hits)
  if (outcome.kind === 'answer') return { source: 'faq', answer: replyOf(outcome.plan), entries, handoff: outcome.plan.transfer }
  // A malformed LLM_* setting still asks: answerWithModel names it as the refusal.
  const step = modelState(env).kind === 'none' ? null : withModel(withKnowledge, decided, text.trim(), hits, now)
  // The user's memory as a push meets it: the hand-off comes before the model.
  const { plan } = recall(step?.kind === 'ask' ? step.plan : decided, 'text', FIRST_TEXT, now)
  const request = plan.ai
  if (request === undefined) return { source: 'none', answer: replyOf(plan), entries, handoff: plan.transfer }
  const sources = sourcesOf(request)
  const written = await answerWithModel(env, request, { openid: 'ask', msgId: null, history: [], keepTyping: async () => {} })
  if (written.kind === 'answer') return { source: 'ai', answer: written.text, entries, handoff: false, sources }
  const fallback = fallbackPlan(plan)
  return {
    source: 'none',
    answer: replyOf(fallback),
    entries,
    // The knowledge base gave up: with the console's desk, a person takes it from here (conversation/delivery.ts).
    handoff: fallback.transfer || humanDesk(env) === 'console',
    sources,
    refused: written.reason,
  }
}

/** A user's memory before their first text: nothing unanswered yet, no model answer today. */
const FIRST_TEXT: Memory = { unmatchedInARow: 0, aiToday: 0, ruleAnsweredAt: null }

/** A plan's sends (and transfer) as the rule set writes a reply: one text is a string. */
function replyOf(plan: ReplyPlan): FaqAnswer | null {
  const replies: ReplySource[] = [...plan.sends.map(sourceOf), ...(plan.transfer ? [{ type: 'transfer' as const }] : [])]
  const [only] = replies
  if (only === undefined) return null
  if (replies.length > 1) return replies
  return only.type === 'text' ? only.text : only
}

function sourceOf(send: ReplyMessage): ReplySource {
  return send
}
