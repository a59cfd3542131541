/**
 * Asking the model for one queued answer (`ReplyPlan.ai`) and deciding what the user gets:
 * the model's answer when it passes the checks (check.ts), otherwise the fallback — when the
 * model is not configured, fails, times out, says it does not know, or writes what may not be
 * sent. Never silence, never a half answer. What the call cost is kept either way.
 */
import { log } from '../log'
import type { AiRequest } from '../replies'
import type { Env } from '../settings/env'
import { checkAnswer } from './check'
import { askModel, ModelError, MODEL_DEADLINE_MS, modelState } from './model'
import { sourcesOf } from './plan'
import { buildPrompt, maxTokensFor } from './prompt'

/** What it cost and came from: stored with the reply (outbox.ai) and copied to the record. */
export interface AnswerCost {
  model: string
  sources: string[]
  promptTokens: number
  completionTokens: number
  /** Why the answer was not sent; absent when it was. */
  refused?: string
}

export type ModelAnswer =
  | { kind: 'answer'; text: string; cost: AnswerCost }
  /** `cost` is null only when there was no model to ask (none configured, or a malformed setting). */
  | { kind: 'fallback'; reason: string; cost: AnswerCost | null }

export interface AnswerContext {
  /** For the log. */
  openid: string
  msgId: string | null
  /** The user's earlier texts, oldest first (their own, from their Conversation object). */
  history: readonly string[]
  /** Before each retry: keeps "typing…" up while the user waits. */
  keepTyping: () => Promise<void>
}

export async function answerWithModel(env: Env, request: AiRequest, context: AnswerContext): Promise<ModelAnswer> {
  const ids = { openid: context.openid, msgId: context.msgId }
  const model = modelState(env)
  if (model.kind === 'malformed') {
    // A malformed LLM_* setting is the operator's to fix: said by name, never by value.
    log.error('ai.setting', { ...ids, reason: model.reason })
    return { kind: 'fallback', reason: model.reason, cost: null }
  }
  if (model.kind === 'none') return { kind: 'fallback', reason: 'no model configured', cost: null }
  const { settings } = model

  const messages = buildPrompt({ ...request, history: context.history })
  const sources = sourcesOf(request)
  let completion: Awaited<ReturnType<typeof askModel>>
  try {
    completion = await askModel(settings, messages, {
      maxTokens: maxTokensFor(request.maxChars),
      deadline: Date.now() + MODEL_DEADLINE_MS,
      beforeRetry: context.keepTyping,
      onRetry: (error, call) => log.warn('ai.retry', { ...ids, call, reason: error.reason }),
    })
  } catch (error) {
    const reason = error instanceof ModelError ? error.reason : 'model call failed'
    // Nothing was answered, so nothing is billed that we can know of: counted all the same.
    return { kind: 'fallback', reason, cost: { model: settings.model, sources, promptTokens: 0, completionTokens: 0, refused: reason } }
  }
  const cost: AnswerCost = {
    model: settings.model,
    sources,
    promptTokens: completion.promptTokens,
    completionTokens: completion.completionTokens,
  }
  const checked = checkAnswer({
    text: completion.text,
    finishReason: completion.finishReason,
    passages: request.passages,
    maxChars: request.maxChars,
    // Only what the model was given: the history buildPrompt kept.
    userTexts: [request.question, ...context.history],
  })
  if (!checked.ok) return { kind: 'fallback', reason: checked.reason, cost: { ...cost, refused: checked.reason } }
  return { kind: 'answer', text: checked.text, cost }
}
