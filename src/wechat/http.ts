/**
 * One HTTP exchange with the WeChat API under a time-out, and the reading of its answer:
 * every way it can go wrong comes out as a WechatApiError, so callers handle one type.
 */
import { SyntheticErrcode, WechatApiError } from './api-error'

export interface ExchangeOptions {
  /** The API's name for errors and logs; never the URL, which carries the token. */
  api: string
  timeoutMs: number
  /** Values that must never appear in an error (token, secret). */
  redact: readonly string[]
}

export type JsonObject = Record<string, unknown>

/** Redirects followed by hand, each target checked before it is fetched. */
export interface RedirectPolicy {
  max: number
  /** Why a URL may not be fetched, or null when it may. */
  refuse: (url: URL) => string | null
}

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308])

/**
 * Sends the request and returns the JSON answer when its errcode is 0 or absent.
 * The time-out covers the whole exchange, the body included: a server that sends headers
 * and then stalls is as hung as one that never answers.
 */
export async function exchangeJson(url: string, init: RequestInit, options: ExchangeOptions): Promise<JsonObject> {
  return checkAnswer(await fetchWithin(url, init, options, (response) => response.text()), options)
}

/**
 * One fetch under `timeoutMs`, answer read by `read` inside the same time-out. A non-2xx
 * answer, a network failure and the time-out all come out as a WechatApiError; `read` may
 * throw its own.
 */
export async function fetchWithin<T>(
  url: string,
  init: RequestInit,
  options: Pick<ExchangeOptions, 'api' | 'timeoutMs'> & { redirects?: RedirectPolicy },
  read: (response: Response) => Promise<T>,
): Promise<T> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), options.timeoutMs)
  try {
    const response = await fetchFollowing(url, { ...init, signal: controller.signal }, options)
    if (!response.ok) {
      await response.body?.cancel()
      throw httpError(response.status, options)
    }
    return await read(response)
  } catch (error) {
    if (error instanceof WechatApiError) throw error
    throw transportError(controller.signal.aborted, options)
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Without a policy the runtime follows redirects; with one, each hop is checked (a redirect
 * must not lead where the first URL could not) and counted, all under the one time-out.
 */
async function fetchFollowing(
  url: string,
  init: RequestInit,
  options: Pick<ExchangeOptions, 'api'> & { redirects?: RedirectPolicy },
): Promise<Response> {
  const policy = options.redirects
  if (!policy) return fetch(url, init)
  let target = new URL(url)
  for (let hop = 0; ; hop++) {
    const refused = policy.refuse(target)
    if (refused) throw redirectError(options, hop === 0 ? `URL ${refused}` : `redirected to a URL that ${refused}`)
    const response = await fetch(target.href, { ...init, redirect: 'manual' })
    if (!REDIRECT_STATUSES.has(response.status)) return response
    await response.body?.cancel()
    const location = response.headers.get('location')
    if (!location) throw redirectError(options, 'redirect without a Location')
    if (hop >= policy.max) throw redirectError(options, `more than ${policy.max} redirects`)
    target = new URL(location, target)
  }
}

function redirectError(options: Pick<ExchangeOptions, 'api'>, errmsg: string): WechatApiError {
  return new WechatApiError({ api: options.api, errcode: SyntheticErrcode.imageUrl, errmsg, kind: 'permanent' })
}

/** A fetch that threw: our time-out if we aborted it, otherwise the network. */
function transportError(timedOut: boolean, options: Pick<ExchangeOptions, 'api'>) {
  return timedOut
    ? new WechatApiError({
        api: options.api,
        errcode: SyntheticErrcode.timeout,
        errmsg: 'no answer within the time-out',
        kind: 'retryable',
      })
    : new WechatApiError({
        api: options.api,
        errcode: SyntheticErrcode.network,
        errmsg: 'network failure',
        kind: 'retryable',
      })
}

/** 5xx and 429 pass; any other non-2xx is a request that will not get better by repeating. */
function httpError(status: number, options: Pick<ExchangeOptions, 'api'>): WechatApiError {
  return new WechatApiError({
    api: options.api,
    errcode: SyntheticErrcode.http,
    errmsg: `HTTP ${status}`,
    kind: status >= 500 || status === 429 ? 'retryable' : 'permanent',
    httpStatus: status,
  })
}

function checkAnswer(text: string, options: ExchangeOptions): JsonObject {
  const body = parseObject(text)
  if (!body) {
    throw new WechatApiError({
      api: options.api,
      errcode: SyntheticErrcode.malformed,
      errmsg: 'answer is not a JSON object',
      kind: 'retryable',
    })
  }
  const errcode = body.errcode
  if (errcode === undefined || errcode === 0) return body
  if (typeof errcode !== 'number') {
    throw new WechatApiError({
      api: options.api,
      errcode: SyntheticErrcode.malformed,
      errmsg: 'errcode is not a number',
      kind: 'retryable',
    })
  }
  throw new WechatApiError({
    api: options.api,
    errcode,
    errmsg: typeof body.errmsg === 'string' ? body.errmsg : '',
    redact: options.redact,
  })
}

function parseObject(text: string): JsonObject | null {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : null
  } catch {
    return null
  }
}
