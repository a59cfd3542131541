/**
 * What a 微信客服 API call can fail with: one error type, with the errcode (WeChat Work's, or
 * the synthetic negative codes of src/wechat/api-error.ts for transport failures) and what
 * the caller should do. The message carries the API's name, the errcode and a redacted
 * errmsg: never a URL (ours carry access_token), a token or the secret.
 *
 * Classification (docs/wecom-kf-protocol.md §1, §5–7):
 * - retryable: -1 busy, 45009 call limit, 45033 concurrency limit, transport failures.
 * - permanent: everything else — 95018 state forbids sending, 95001 five sends used,
 *   95002 48 h passed, 95013 session ended, 95016 transition refused, 40001 on gettoken
 *   (the secret is wrong)…
 * Token refusals (40014, 42001, 40001 on a call) are retried by the client after one
 * refresh; if that fails too they surface as permanent.
 */
import { SyntheticErrcode } from '../wechat/api-error'

export type KfApiErrorKind = 'retryable' | 'permanent'

export const KfErrcode = {
  busy: -1,
  invalidSecret: 40001,
  invalidCorpid: 40013,
  invalidAccessToken: 40014,
  accessTokenExpired: 42001,
  callLimit: 45009,
  concurrencyLimit: 45033,
  invalidOpenKfId: 95000,
  countLimit: 95001,
  timeLimit: 95002,
  openKfIdNotFound: 95004,
  invalidMsgToken: 95007,
  sessionEnded: 95013,
  servicerNotReceiving: 95014,
  transitionRefused: 95016,
  stateForbidsSend: 95018,
  /** Not WeChat Work's: the stand-in's answer to a send with a msgid already used (the real code is undocumented). */
  duplicateMsgid: 95020,
} as const

const RETRYABLE = new Set<number>([
  KfErrcode.busy,
  KfErrcode.callLimit,
  KfErrcode.concurrencyLimit,
  SyntheticErrcode.network,
  SyntheticErrcode.timeout,
  SyntheticErrcode.malformed,
])

/** The codes that mean "this access_token is not (or no longer) valid": refresh once and retry. */
export const KF_TOKEN_ERRCODES: ReadonlySet<number> = new Set<number>([
  KfErrcode.invalidSecret,
  KfErrcode.invalidAccessToken,
  KfErrcode.accessTokenExpired,
])

export function classifyKfErrcode(errcode: number, httpStatus?: number): KfApiErrorKind {
  if (httpStatus !== undefined) return httpStatus >= 500 || httpStatus === 429 ? 'retryable' : 'permanent'
  return RETRYABLE.has(errcode) ? 'retryable' : 'permanent'
}

export interface KfApiErrorInit {
  /** e.g. `kf/sync_msg`, `gettoken`. */
  api: string
  errcode: number
  errmsg: string
  kind?: KfApiErrorKind
  httpStatus?: number
}

export class KfApiError extends Error {
  override readonly name = 'KfApiError'
  readonly api: string
  readonly errcode: number
  readonly errmsg: string
  readonly kind: KfApiErrorKind
  readonly httpStatus: number | undefined

  constructor(init: KfApiErrorInit) {
    super(`WeCom ${init.api} failed: ${init.errcode} ${init.errmsg}`)
    this.api = init.api
    this.errcode = init.errcode
    this.errmsg = init.errmsg
    this.kind = init.kind ?? classifyKfErrcode(init.errcode, init.httpStatus)
    this.httpStatus = init.httpStatus
  }

  get retryable(): boolean {
    return this.kind === 'retryable'
  }
}
