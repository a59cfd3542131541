/**
 * One exchange with the 微信客服 API: src/wechat/http.ts's fetch under a time-out and its
 * reading of `{errcode, errmsg}` (WeChat Work answers the same way), with its errors turned
 * into KfApiError, classified by WeChat Work's codes rather than the mini program's.
 */
import { WechatApiError } from '../wechat/api-error'
import { exchangeJson, type JsonObject } from '../wechat/http'
import { KfApiError } from './api-error'

export type { JsonObject } from '../wechat/http'

export interface KfExchange {
  apiBase: string
  /** The path after `/cgi-bin/`, e.g. `kf/sync_msg`: also the API's name in errors. */
  api: string
  accessToken: string
  /** JSON, or a FormData sent as multipart (a media upload). */
  body: unknown
  /** More query parameters beside access_token (a media upload's `type`). */
  query?: Record<string, string>
  timeoutMs: number
  /** Other values no error may carry (the app's Secret): WeChat Work's errmsg may echo anything. */
  secrets: readonly string[]
}

/** POSTs JSON (or a form) with `?access_token=` (never in the body: 41001); the answer when errcode is 0. */
export async function postKf({ apiBase, api, accessToken, body, query = {}, timeoutMs, secrets }: KfExchange): Promise<JsonObject> {
  const url = `${apiBase}/cgi-bin/${api}?${new URLSearchParams({ ...query, access_token: accessToken })}`
  // A FormData sets its own multipart content type, boundary included.
  const init: RequestInit =
    body instanceof FormData
      ? { method: 'POST', body }
      : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
  try {
    return await exchangeJson(url, init, { api, timeoutMs, redact: [accessToken, ...secrets] })
  } catch (error) {
    throw asKfApiError(error, api, [accessToken, ...secrets])
  }
}

/** Any failure of an exchange as a KfApiError; errmsg is already redacted by exchangeJson. */
export function asKfApiError(error: unknown, api: string, secrets: readonly string[]): KfApiError {
  if (error instanceof KfApiError) return error
  if (error instanceof WechatApiError) {
    return new KfApiError({
      api,
      errcode: error.errcode,
      errmsg: scrub(error.errmsg, secrets),
      ...(error.httpStatus === undefined ? {} : { httpStatus: error.httpStatus }),
    })
  }
  // Not expected (exchangeJson throws only WechatApiError): named, never its message.
  return new KfApiError({ api, errcode: -1001, errmsg: error instanceof Error ? error.name : 'error', kind: 'retryable' })
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('***')
  return out
}
