/**
 * The fake WeChat API's control vocabulary, shared by the Node server (`fake-wechat.ts`) and
 * the helper tests use from inside workerd (`test/support/fake-wechat-client.ts`). No Node imports.
 */

/** How an injected fault answers. */
export type FaultKind =
  /** 200 with `{errcode, errmsg}` (errcode default -1). */
  | 'errcode'
  /** HTTP 500 with an HTML page, as WeChat's front ends do. */
  | 'http500'
  /** Accepts the request and never answers (until the client gives up or the fake closes). */
  | 'hang'
  /** 200 with a truncated JSON body. */
  | 'malformed'
  /** Drops the connection without an answer. */
  | 'reset'
  /** Does what the call asks (a send is accepted), then drops the connection: the answer is lost. */
  | 'lost_answer'

export interface FaultSpec {
  /** The exact request path, e.g. `/cgi-bin/message/custom/send`. */
  path: string
  /** Only calls for this appid (resolved from the token, or the body for stable_token). */
  appid?: string
  /** Only calls for this openid. */
  touser?: string
  /** How many matching calls get the fault (default 1). */
  times?: number
  kind: FaultKind
  errcode?: number
  errmsg?: string
  /**
   * Hold the call until `POST /__fake/release?gate=<name>`, then answer as `kind` says: the
   * call is recorded when it arrives (status and errcode null until it is answered), so a
   * test can act while the caller is waiting for its answer.
   */
  gate?: string
}

/**
 * A user action WeChat counts towards the customer-service allowance (wechat-protocol.md §5).
 * Once the fake knows one for an appid and openid, custom/send to that user is held to the
 * allowance: 45015 past the window, 45047 once its count is used up. Users the fake knows no
 * action of are not limited, so tests that do not care about the window never meet it.
 */
export interface FakeUserAction {
  appid: string
  openid: string
  kind: 'message' | 'enter_session'
  /** When the user acted (ms since epoch); default: when the fake hears of it. */
  at?: number
}

export interface CallFilter {
  appid?: string
  touser?: string
  path?: string
}

/** A multipart part as the fake saw it (files are summarised, not echoed). */
export interface RecordedPart {
  name: string
  filename: string | null
  contentType: string | null
  size: number
}

export interface FakeCall {
  /** Order of arrival across the whole fake. */
  seq: number
  /**
   * When the request arrived: wall-clock ms since the epoch with sub-ms precision
   * (performance.timeOrigin + performance.now()), not the fake's own clock. The benchmarks
   * use it to time push → reply.
   */
  receivedAt: number
  method: string
  path: string
  /** Query parameters without access_token. */
  query: Record<string, string>
  /** The access_token the call carried, if any. */
  token: string | null
  /** The appid the token (or the stable_token body, or /cgi-bin/token query) belongs to. */
  appid: string | null
  touser: string | null
  /** Parsed JSON, `{parts}` for multipart, the raw text otherwise, null when empty. */
  body: unknown
  /** What the fake answered: HTTP status and errcode (null for a hang or reset). */
  status: number | null
  errcode: number | null
  fault: FaultKind | null
}

export interface FakeTokenState {
  token: string
  expiresAt: number
  status: 'valid' | 'expired' | 'replaced'
  via: 'stable_token' | 'stable_token force' | 'token'
}

export interface FakeAppState {
  appid: string
  tokens: FakeTokenState[]
  forceRefreshes: number
  mediaIds: string[]
}

export interface FakeAppConfig {
  appid: string
  /** The secret the app accepts; unregistered appids adopt the first secret they see. */
  secret?: string
  /** expires_in of new tokens (default 7200). */
  expiresIn?: number
}

export const FAKE_CONTROL_PREFIX = '/__fake'
export const FAKE_IMAGE_PREFIX = '/__fake/images/'
/** A group robot's webhook: `POST /__fake/webhook/<name>` (DESK_ALERT_WEBHOOK in the tests). */
export const FAKE_WEBHOOK_PREFIX = '/__fake/webhook/'
