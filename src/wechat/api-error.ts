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

/** WeChat errcodes the client acts on; README "WeChat APIs used" lists them with what each does. */
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
  /** uniform_send: the appid is not bound to this mini program or not of the same owner. */
  invalidAppid: 40013,
  /** subscribe/send, uniform_send. */
  invalidTemplateId: 40037,
  /** The retired weapp_template_msg only. */
  invalidFormId: 41028,
  formIdUsed: 41029,
  invalidPage: 41030,
  /** uniform_send: the user does not follow the Official Account. */
  requireSubscribe: 43004,
  /** subscribe/send: the user has no grant for this template (refused, revoked or used up). */
  userNotSubscribed: 43101,
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

/**
 * What an errcode means, in a few words the console and logs can show next to WeChat's terse
 * errmsg. Sources: the global return codes
 * (https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html),
 * subscribe/send's errcodes
 * (https://developers.weixin.qq.com/miniprogram/dev/server/API/mp-message-management/subscribe-message/api_sendmessage.html)
 * and uniform_send's
 * (https://developers.weixin.qq.com/miniprogram/dev/server/API/mp-message-management/uniform-message/api_senduniformmessage.html).
 */
const EXPLANATIONS: ReadonlyMap<number, string> = new Map([
  [Errcode.busy, 'WeChat is busy; try again later'],
  [Errcode.invalidCredential, 'the AppSecret or the access_token is wrong or not the latest'],
  [Errcode.invalidOpenid, 'touser is not an openid of this app'],
  [Errcode.invalidMediaId, 'the media_id is unknown or expired (temporary media last 3 days)'],
  [Errcode.invalidAppid, 'the appid is wrong, or not bound to this mini program with the same owner'],
  [Errcode.invalidAccessToken, 'the access_token is not valid'],
  [Errcode.invalidTemplateId, 'the template_id is empty or not a template of this account'],
  [Errcode.invalidFormId, 'the form_id is invalid or expired (weapp_template_msg, which is retired)'],
  [Errcode.formIdUsed, 'the form_id was already used (weapp_template_msg, which is retired)'],
  [Errcode.invalidPage, 'the page does not exist in the released mini program'],
  [Errcode.accessTokenExpired, 'the access_token expired'],
  [Errcode.requireSubscribe, 'the user does not follow the Official Account'],
  [Errcode.userNotSubscribed, 'the user has no grant for this template: refused it, revoked it, or a one-time grant was used'],
  [43107, 'subscribe messages are banned for this account or this template'],
  [43108, 'another message to this user is being sent at the same moment'],
  [Errcode.dailyQuota, 'the daily call quota is used up'],
  [Errcode.minuteQuota, 'the per-minute call quota is used up; try again next minute'],
  [Errcode.outOfTimeLimit, 'the user’s 48-hour window is closed'],
  [Errcode.outOfCountLimit, 'the user’s message allowance in this window is used up'],
  [45168, 'the message contains a sensitive word'],
  [Errcode.dataFormat, 'the body is not the JSON the API expects'],
  [Errcode.argumentInvalid, 'a field is invalid, e.g. a template value breaking its keyword rule (errmsg names it)'],
  [48001, 'this app is not authorized for the API'],
])

/** A short English explanation of a WeChat errcode, or undefined for one not listed. */
export function explainErrcode(errcode: number): string | undefined {
  return EXPLANATIONS.get(errcode)
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
