/**
 * Everything the WeChat server API client can fail with, as one error type the caller
 * catches: an errcode (WeChat's own, or one of our synthetic negative codes for failures
 * WeChat never got to answer), the errmsg, and what the caller should do about it.
 *
 * The message is built only from the API's name, the errcode and a redacted errmsg: never a
 * URL (ours carry `access_token=`), never the secret, never a token.
 */

/**
 * - `retryable`: try again later (system busy, rate limits, HTTP 5xx, network, time-out).
 * - `token`: no usable access_token even after a refresh, or the credentials are refused;
 *   retrying soon will not help, the operator may have to act (secret, IP allowlist).
 * - `permanent`: this request will never succeed as it is (window closed, bad openid, …).
 */
export type ApiErrorKind = 'retryable' | 'token' | 'permanent'

/**
 * Synthetic errcodes for failures that are not WeChat's answer. WeChat's own codes are -1,
 * 0 and positive numbers, so these cannot collide.
 */
export const SyntheticErrcode = {
  /** The connection failed or was reset before an answer arrived. Retryable. */
  network: -1001,
  /** No complete answer within the client's time-out. Retryable. */
  timeout: -1002,
  /** An HTTP status other than 2xx (5xx and 429 retryable, other 4xx permanent). */
  http: -1003,
  /** A 2xx answer that is not the JSON the API documents. Retryable. */
  malformed: -1004,
  /** The image URL is not an absolute http(s) URL. Permanent. */
  imageUrl: -1101,
  /** The image is not a format WeChat accepts for a temporary image. Permanent. */
  imageType: -1102,
  /** The image is larger than IMAGE_MAX_BYTES. Permanent. */
  imageSize: -1103,
} as const

/** WeChat errcodes the client acts on; see README "WeChat API errors". */
export const Errcode = {
  busy: -1,
  invalidCredential: 40001,
  invalidOpenid: 40003,
  invalidMediaId: 40007,
  invalidAccessToken: 40014,
  accessTokenExpired: 42001,
  dailyQuota: 45009,
  minuteQuota: 45011,
  outOfTimeLimit: 45015,
  outOfCountLimit: 45047,
  dataFormat: 47001,
  argumentInvalid: 47003,
} as const

const RETRYABLE = new Set<number>([
  Errcode.busy,
  Errcode.dailyQuota,
  Errcode.minuteQuota,
  SyntheticErrcode.network,
  SyntheticErrcode.timeout,
  SyntheticErrcode.malformed,
])

/** The codes that mean "this access_token is not (or no longer) valid": refresh and retry. */
export const TOKEN_ERRCODES: ReadonlySet<number> = new Set<number>([
  Errcode.invalidCredential,
  Errcode.accessTokenExpired,
  Errcode.invalidAccessToken,
])

/** How a WeChat errcode is handled when nothing more specific is known. */
export function classifyErrcode(errcode: number): ApiErrorKind {
  if (RETRYABLE.has(errcode)) return 'retryable'
  if (TOKEN_ERRCODES.has(errcode)) return 'token'
  return 'permanent'
}

export interface WechatApiErrorInit {
  /** The API that failed, e.g. `custom/send`, `stable_token`, `image fetch`. */
  api: string
  errcode: number
  errmsg: string
  kind?: ApiErrorKind
  httpStatus?: number
  /** Values to scrub from errmsg (the token and secret in use). */
  redact?: readonly string[]
}

const MAX_ERRMSG = 200

export class WechatApiError extends Error {
  override readonly name = 'WechatApiError'
  readonly api: string
  readonly errcode: number
  readonly errmsg: string
  readonly kind: ApiErrorKind
  /** The HTTP status when the failure was an HTTP status (errcode -1003). */
  readonly httpStatus: number | undefined
  /** WeChat asks to retry 45011 "next minute"; a hint for the caller's backoff. */
  readonly retryAfterSeconds: number | undefined

  constructor(init: WechatApiErrorInit) {
    const errmsg = redact(init.errmsg, init.redact ?? [])
    super(`WeChat ${init.api} failed: ${init.errcode} ${errmsg}`)
    this.api = init.api
    this.errcode = init.errcode
    this.errmsg = errmsg
    this.kind = init.kind ?? classifyErrcode(init.errcode)
    this.httpStatus = init.httpStatus
    this.retryAfterSeconds = init.errcode === Errcode.minuteQuota ? 60 : undefined
  }

  get retryable(): boolean {
    return this.kind === 'retryable'
  }
}

/** errmsg comes from upstream: cut it short and blank out anything secret it might echo. */
function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join('***')
  }
  // Belt and braces: a URL with a token in it, whoever wrote it.
  out = out.replace(/(access_token|secret)=[^&\s"]*/gi, '$1=***')
  // Cut after scrubbing, so a secret is never cut in half and left partly visible.
  return out.length > MAX_ERRMSG ? `${out.slice(0, MAX_ERRMSG)}…` : out
}
