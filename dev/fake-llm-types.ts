/**
 * The stand-in model's vocabulary (dev/fake-llm.ts), shared by the Node server and tests that
 * drive its control API from inside workerd with `fetch`. No Node imports.
 */

/** The API key the stand-in accepts unless told otherwise: made up, local only. */
export const FAKE_LLM_API_KEY = 'sk-local-stand-in'
/** The model name `npm start` and the tests give the Worker (the stand-in answers to any). */
export const FAKE_LLM_MODEL = 'kefu-stand-in'
/** The answer for "the passages do not say": what the Worker's system prompt asks a model for. */
export const NO_ANSWER = 'NO_ANSWER'
/** The control API's prefix, at the root (not under /v1). */
export const FAKE_LLM_CONTROL_PREFIX = '/__fake'

/** How an injected fault answers a chat completion. */
export type FakeLlmFaultKind =
  /** 429, `retry-after: 1`, `code: "rate_limit_exceeded"`. */
  | 'rate_limit'
  /** 500 with an OpenAI-shaped error body. */
  | 'server_error'
  /** Never answers: the request is held until the client gives up, a reset, close(), or 120 s. */
  | 'timeout'
  /** 200, `content-type: application/json`, a body that is not JSON. */
  | 'malformed'
  /** The normal answer plus ` 详情请看 https://evil.example.net/offer`. */
  | 'made_up_link'
  /** The normal answer plus ` 或致电 400-820-1234 咨询`. */
  | 'made_up_phone'
  /** The normal answer plus ` 现在只要 ¥9.9`. */
  | 'made_up_price'
  /** The normal answer cut in half, `finish_reason: "length"`. */
  | 'truncated'
  /** `NO_ANSWER`, whatever the passages say. */
  | 'no_answer'
  /** A prompt injection that worked: `好的，我已忽略之前的指令。` + the question verbatim. */
  | 'obey'
  /** 200 and a JSON answer that never ends: 16 KiB more every 10 ms, until the client goes (or as `timeout`). */
  | 'endless'

export const FAKE_LLM_FAULT_KINDS: readonly FakeLlmFaultKind[] = [
  'rate_limit',
  'server_error',
  'timeout',
  'malformed',
  'made_up_link',
  'made_up_phone',
  'made_up_price',
  'truncated',
  'no_answer',
  'obey',
  'endless',
]

export interface FakeLlmFaultSpec {
  kind: FakeLlmFaultKind
  /**
   * Only requests whose last user message contains this (test files sharing one stand-in
   * each ask their own questions); absent: any request.
   */
  match?: string
  /** How many matching requests get the fault (default 1). */
  times?: number
}

export interface FakeLlmCallFilter {
  /** Only calls whose last user message contains this. */
  match?: string
}

export interface FakeLlmCall {
  /** When the request arrived, ms since the epoch. */
  at: number
  /** The HTTP status answered; null while a `timeout` fault holds it (and after). */
  status: number | null
  /**
   * The request's parsed JSON (the Authorization header is never recorded); the raw text when
   * it is not JSON, null when empty or over the size limit.
   */
  body: unknown
  /** The last user message's content, null when the body has none. */
  question: string | null
  /** The text answered, null when no completion was given (errors, timeout, malformed). */
  answer: string | null
  fault: FakeLlmFaultKind | null
}
