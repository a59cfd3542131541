/**
 * The language model: any OpenAI-compatible chat-completions endpoint (DeepSeek, Qwen's
 * compatible mode, Workers AI's OpenAI endpoint, an AI Gateway URL, or dev/fake-llm.ts).
 * One call is `POST ${LLM_API_BASE}/chat/completions` with `Authorization: Bearer`, under a
 * time-out; `askModel` repeats it on 429, 5xx and time-outs while the deadline allows. Every
 * way it goes wrong comes out as a ModelError whose reason never holds the key.
 */
import { SettingError, settingState, type Env } from '../settings/env'
import type { ChatMessage } from './prompt'
import { readAtMost } from '../bounded-read'
import { isRecord } from '../is-record'

export interface ModelSettings {
  /** `${LLM_API_BASE}/chat/completions`. */
  url: string
  model: string
  key: string
}

/** What the model wrote, and what it cost. */
export interface Completion {
  text: string
  /** `length`: the answer was cut at max_tokens — a half answer, never sent. */
  finishReason: string | null
  promptTokens: number
  completionTokens: number
}

export class ModelError extends Error {
  override readonly name = 'ModelError'
  constructor(
    /** A short reason for logs and the record: `HTTP 429`, `timeout`, `malformed answer`… */
    readonly reason: string,
    /** Worth another try: 429, 5xx, a time-out, the network. */
    readonly retryable: boolean,
  ) {
    super(reason)
  }
}

/** Each call's time-out: the user is waiting, and WeChat's typing lasts 15 s. */
export const CALL_TIMEOUT_MS = 8_000
/** The first call and at most two more, all inside the deadline. */
export const MAX_CALLS = 3
/** From the first call to giving up: the user gets the fallback after this, at the latest. */
export const MODEL_DEADLINE_MS = 20_000
/** Bytes of an answer read at most (the rest is never read); a chat completion of a few hundred characters is a few KB. */
export const MAX_ANSWER_BYTES = 64 * 1024

/**
 * The model for this app's view of the bindings, or null when it has none: all three
 * settings present and well formed, or the knowledge base answers from its FAQ only.
 */
export function modelSettings(env: Env): ModelSettings | null {
  const { LLM_API_BASE: base, LLM_MODEL: model, LLM_API_KEY: key } = env
  if (!base || !model || !key) return null
  for (const name of ['LLM_API_BASE', 'LLM_MODEL', 'LLM_API_KEY'] as const) {
    const state = settingState(env, name)
    if (state.status !== 'ok') throw new SettingError(name, state.reason)
  }
  return { url: `${base.replace(/\/+$/, '')}/chat/completions`, model, key }
}

/** The model as the push route, "try a question" and the answer see it: ready, none, or unusable and why. */
export type ModelState =
  | { kind: 'ready'; settings: ModelSettings }
  | { kind: 'none' }
  /** A malformed LLM_* setting: the reason names it, never shows its value. */
  | { kind: 'malformed'; reason: string }

/** `modelSettings` without the throw: one place reads the settings' state for every caller. */
export function modelState(env: Env): ModelState {
  try {
    const settings = modelSettings(env)
    return settings === null ? { kind: 'none' } : { kind: 'ready', settings }
  } catch (error) {
    return { kind: 'malformed', reason: error instanceof SettingError ? error.message : 'model settings unreadable' }
  }
}

export interface AskOptions {
  maxTokens: number
  /** When to stop trying (epoch ms). */
  deadline: number
  /** Before each call after the first: keeps "typing…" up while the user waits. */
  beforeRetry?: () => Promise<void>
  /** Called with each call's failure before the next try, for the log. */
  onRetry?: (error: ModelError, call: number) => void
}

/** Calls the model until it answers, a failure will not get better, or the deadline comes. */
export async function askModel(settings: ModelSettings, messages: readonly ChatMessage[], options: AskOptions): Promise<Completion> {
  let last: ModelError = new ModelError('timeout', true)
  for (let call = 1; call <= MAX_CALLS; call++) {
    const left = options.deadline - Date.now()
    if (left <= 0) break
    if (call > 1) await options.beforeRetry?.()
    try {
      return await callModel(settings, messages, options.maxTokens, Math.min(CALL_TIMEOUT_MS, left))
    } catch (error) {
      last = error instanceof ModelError ? error : new ModelError('network failure', true)
      if (!last.retryable) throw last
      if (call < MAX_CALLS) options.onRetry?.(last, call)
    }
  }
  throw last
}

/** One exchange under `timeoutMs`, the body read inside it. */
export async function callModel(
  settings: ModelSettings,
  messages: readonly ChatMessage[],
  maxTokens: number,
  timeoutMs: number,
): Promise<Completion> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  try {
    const response = await fetch(settings.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${settings.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: settings.model, messages, max_tokens: maxTokens, temperature: 0.2, stream: false }),
      signal: controller.signal,
    })
    if (!response.ok) {
      await response.body?.cancel()
      const status = response.status
      throw new ModelError(`HTTP ${status}`, status === 429 || status >= 500)
    }
    return completionOf(await readBounded(response))
  } catch (error) {
    if (error instanceof ModelError) throw error
    throw new ModelError(controller.signal.aborted ? 'timeout' : 'network failure', true)
  } finally {
    clearTimeout(timer)
  }
}

/** The answer's body, read no further than MAX_ANSWER_BYTES: a provider or proxy gone wrong may send without end. */
async function readBounded(response: Response): Promise<string> {
  if (response.body === null) return ''
  const bytes = await readAtMost(response.body, MAX_ANSWER_BYTES)
  if (bytes === null) throw new ModelError('answer too large', false)
  return new TextDecoder().decode(bytes)
}

/** The answer's first choice and its usage; anything else is a malformed answer (worth a retry: a proxy's hiccup). */
export function completionOf(body: string): Completion {
  let value: unknown
  try {
    value = JSON.parse(body)
  } catch {
    throw new ModelError('malformed answer', true)
  }
  const choice = isRecord(value) && Array.isArray(value.choices) ? (value.choices[0] as unknown) : undefined
  const message = isRecord(choice) ? choice.message : undefined
  const text = isRecord(message) ? message.content : undefined
  if (!isRecord(value) || !isRecord(choice) || typeof text !== 'string') throw new ModelError('malformed answer', true)
  const usage = isRecord(value.usage) ? value.usage : {}
  return {
    text,
    finishReason: typeof choice.finish_reason === 'string' ? choice.finish_reason : null,
    promptTokens: count(usage.prompt_tokens),
    completionTokens: count(usage.completion_tokens),
  }
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : 0
}
