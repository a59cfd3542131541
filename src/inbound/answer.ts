/**
 * What happens to a user's message once its channel has verified it, whichever channel brought
 * it — the mini program's push (`/wechat`) or a 微信客服 pull (wecom/pull.ts): the rules, the
 * knowledge base, the user's Conversation object (durable before the channel answers), the
 * events to other systems, the desk. The channel keeps what is its own: how it opened the
 * message, and how a transfer is done (a passive reply for the mini program, a state change
 * for 微信客服).
 */
import { modelState } from '../ai/model'
import { withModel } from '../ai/plan'
import type { RecordInput, RecordResult } from '../conversation/contract'
import { needsRecording, toRecordInput } from '../conversation/push-input'
import { searchToAnswer } from '../knowledge/search'
import { log } from '../log'
import { enqueueUserImage } from '../media/archive-enqueue'
import { HANDOFF_RULE_ID, type ReplyPlan } from '../replies'
import { knowledgeQuestion, withFaq } from '../rules/faq'
import { loadRules } from '../rules/loader'
import { decide } from '../rules/match'
import type { RuleSet } from '../rules/rule-set'
import { appidOf, type Env } from '../settings/env'
import { conversationOf, deskOf, humanDesk } from '../settings/mini-program-state'
import { isKf } from '../settings/kf-view'
import { msgIdOf, type InboundMessage } from '../wechat/message'
import { emitEvents } from '../webhooks/emit'
import { pushOccurrences } from '../webhooks/occurrences'

export interface Answered {
  /** Recorded (or a repeat of one recorded): null when the message needed nothing of the user's object. */
  recorded: RecordResult | null
  /** The channel hands the user to a person its own way: the console's desk took nothing. */
  transfer: boolean
}

/** Fields a channel adds to the `push.received` line (the mini program: its format, whether it was encrypted). */
type LogFields = Record<string, string | number | boolean | null>

/**
 * Decides, records and starts the answer to one verified message. `waitUntil` keeps what
 * follows the channel's answer (events, the image archive, the desk's live view) alive.
 * A failure before the object has the message throws: the channel answers 500, and WeChat
 * sends it again.
 */
export async function answerMessage(
  env: Env,
  message: InboundMessage,
  waitUntil: (work: Promise<unknown>) => void,
  logFields: LogFields = {},
): Promise<Answered> {
  const ruleSet = await loadRules(env)
  const plan = await fromKnowledge(env, ruleSet, message, decide(ruleSet, message, Date.now()))
  logMessage(message, plan, logFields)
  const input = toRecordInput(message, plan)
  if (!needsRecording(input)) return { recorded: null, transfer: false }

  // Durable before the channel answers; the object delivers and copies to the D1 record on its
  // own once it is (a repeat only re-starts delivery).
  const recorded = await conversationOf(env, input.openid).receive(input)
  if (recorded.duplicate) log.info('push.duplicate', { openid: input.openid, msgId: input.msgId, dedupKey: input.dedupKey })
  // Before the desk: a retry after a desk failure is a duplicate, and the events already left.
  else waitUntil(emitEvents(env, appidOf(env), pushOccurrences(input, recorded, humanDesk(env))))
  // A user's image is copied from WeChat's 3-day media into MEDIA, after the answer (media/archive-queue.ts).
  if (!recorded.duplicate && message.type === 'image' && !isKf(env)) waitUntil(enqueueUserImage(env, appidOf(env), message))
  if (recorded.transfer && humanDesk(env) === 'console') {
    // The console's queue instead of the channel's own hand-off; a failure here is a 500, and
    // WeChat's retry (a duplicate, transfer still set) queues the user then.
    await toDesk(env, input, recorded)
    return { recorded, transfer: false }
  }
  if (recorded.atDesk && !recorded.duplicate) waitUntil(showAtDesk(env, input, recorded))
  if (recorded.rating) waitUntil(rateAtDesk(env, input, recorded.rating.score))
  return { recorded, transfer: recorded.transfer }
}

/**
 * HUMAN_DESK = console: the user joins the desk's queue, and their object remembers it. The
 * hand-off text may have gone out before the object was marked (its pass then told the desk
 * nothing): the window the mark answers with is shown.
 */
async function toDesk(env: Env, input: RecordInput, recorded: RecordResult): Promise<void> {
  const window = recorded.window ?? { closesAt: 0, remaining: 0, openedAt: 0 }
  const reason = recorded.ruleId === HANDOFF_RULE_ID ? 'handoff' : 'transfer'
  const desk = deskOf(env)
  await desk.arrive({ openid: input.openid, reason, text: input.summary, at: input.at, window })
  if (recorded.atDesk) return
  const marked = await conversationOf(env, input.openid).markDesk(true)
  if (marked) await desk.sent(input.openid, marked)
}

/** The user's satisfaction rating after a close: the desk counts it for the agent. Best effort (logged). */
async function rateAtDesk(env: Env, input: RecordInput, score: number): Promise<void> {
  try {
    await deskOf(env).rate(input.openid, score)
  } catch (error) {
    log.warn('desk.rating_failed', { openid: input.openid, msgId: input.msgId, error: describe(error) })
  }
}

/**
 * A message from a user at the desk: the consoles watching show it. A desk that no longer has
 * the user (a close whose word never reached their object) clears the object's mark, so the
 * rules answer them again from their next push. Best effort: the record has it anyway.
 */
async function showAtDesk(env: Env, input: RecordInput, recorded: RecordResult): Promise<void> {
  try {
    const shown = await deskOf(env).message(input.openid, {
      direction: 'in',
      text: input.summary,
      at: input.at,
      ...(recorded.window ? { window: recorded.window } : {}),
    })
    if (shown) return
    await conversationOf(env, input.openid).markDesk(false)
    log.info('desk.mark_cleared', { openid: input.openid, msgId: input.msgId })
  } catch (error) {
    log.warn('desk.message_failed', { openid: input.openid, msgId: input.msgId, error: describe(error) })
  }
}

/**
 * The knowledge base (issue 27): a text the rules left to the default reply (or to nothing) is
 * looked up in the mini program's knowledge base when the rule set's `ai` is enabled. The best
 * FAQ entry at or above `ai.faq_threshold` answers, as `faq:<id>` (rules/faq.ts); else, when
 * the Worker has a model (LLM_*) and passages clear `ai.passage_threshold`, the plan asks the
 * model (ai/plan.ts), which the Conversation object does after the channel's answer. The lookup
 * is here, at the edge, so the rule engine stays pure. Whatever goes wrong with it — D1
 * failing, an answer that is no reply, a malformed LLM setting — the rules' plan stands: the
 * message is never lost.
 */
async function fromKnowledge(env: Env, ruleSet: RuleSet, message: InboundMessage, plan: ReplyPlan): Promise<ReplyPlan> {
  const question = knowledgeQuestion(ruleSet, message, plan)
  if (question === null) return plan
  const fields = { openid: message.fromUserName, msgId: msgIdOf(message) }
  let hits: Awaited<ReturnType<typeof searchToAnswer>>
  try {
    hits = await searchToAnswer(env.DB, env.WECHAT_APPID ?? '', question)
  } catch (error) {
    log.error('knowledge.search_failed', { ...fields, error: describe(error) })
    return plan
  }
  const outcome = withFaq(ruleSet, message, hits)
  if (outcome.kind === 'answer') return outcome.plan
  if (outcome.kind === 'invalid') {
    log.warn('knowledge.answer_invalid', {
      ...fields,
      entryId: outcome.hit.id,
      issue: outcome.issues.map((i) => `${i.path}: ${i.message}`).join('; '),
    })
  }
  const model = modelState(env)
  if (model.kind === 'malformed') log.error('ai.setting', { ...fields, reason: model.reason })
  if (model.kind !== 'ready') return plan
  const step = withModel(ruleSet, plan, question, hits, Date.now())
  return step.kind === 'ask' ? step.plan : plan
}

/** One line per message: who, which message, and what the rules decided. */
function logMessage(message: InboundMessage, plan: ReplyPlan, extra: LogFields): void {
  const fields = {
    openid: message.fromUserName,
    ...extra,
    msgId: msgIdOf(message),
    ruleId: plan.ruleId,
    rulesVersion: plan.ruleSetVersion,
    sends: plan.sends.length,
    transfer: plan.transfer,
  }
  if (message.type === 'unknown') {
    log.warn('push.unknown', { ...fields, msgType: message.msgType, pushEvent: message.event })
    return
  }
  log.info('push.received', { ...fields, msgType: message.type })
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error))
