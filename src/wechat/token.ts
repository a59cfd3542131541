/**
 * The access_token, from `POST /cgi-bin/stable_token`: in isolate memory, then in the CACHE
 * KV namespace, then from WeChat. The stable token in normal mode hands every caller the
 * same token while it is valid, so any isolate may fetch it without invalidating the token
 * other isolates hold (`GET /cgi-bin/token` would). Only `force_refresh` replaces a token,
 * and WeChat allows few of those, spaced at least 30 s apart: we record the last one in KV.
 *
 * A token is fresh until its refresh point (5 minutes before expiry, when stable_token starts
 * handing out its successor) plus this isolate's share of a 2-minute spread; past that the
 * isolate asks for the successor, and while WeChat cannot be reached it keeps using the
 * old token, which stays valid until it expires. KV keeps it that long, not just to the
 * refresh point, so a cold isolate has it too.
 *
 * KV keys (see STORAGE.md):
 * - `wechat:token:<appid>`          {token, refreshAt, expiresAt}; TTL until just before expiry
 * - `wechat:token-force:<appid>`    ms timestamp of the last force refresh; TTL 60 s
 */
import { WechatApiError, type ApiErrorKind } from './api-error'
import { exchangeJson } from './http'
import type { CachedToken } from './memory'
import { log } from '../log'
import { cachePut } from './cache'
import { TokenCache, tokenAnswer, type SourceOptions } from './token-cache'

export const STABLE_TOKEN_PATH = '/cgi-bin/stable_token'

/** WeChat: force refreshes at least 30 s apart. */
export const FORCE_REFRESH_SPACING_MS = 30_000
/** KV's smallest expirationTtl. */
const KV_MIN_TTL_SECONDS = 60
/** Isolates spread their refreshes over this much time past the refresh point. */
export const REFRESH_SPREAD_MS = 120_000

export interface TokenSourceOptions extends SourceOptions {
  appid: string
}

export const tokenKey = (appid: string) => `wechat:token:${appid}`
export const forceRefreshKey = (appid: string) => `wechat:token-force:${appid}`

export class TokenSource {
  readonly #o: TokenSourceOptions
  readonly #cache: TokenCache

  constructor(options: TokenSourceOptions) {
    this.#o = options
    const { appid, cache, memory, now } = options
    this.#cache = new TokenCache({ memory, memoryKey: appid, cache, kvKey: tokenKey(appid), now, channel: 'wechat' })
  }

  /** A token to call with: memory, then KV, then one shared fetch per isolate. */
  get(): Promise<string> {
    const { appid } = this.#o
    return this.#cache.current(
      (token) => this.#fresh(token),
      `token:${appid}`,
      async (held) => {
        try {
          return (await this.#fetch(false)).token
        } catch (error) {
          const current = held.find((t) => this.#cache.valid(t))
          if (!current || !(error instanceof WechatApiError) || error.kind !== 'retryable') throw error
          // WeChat cannot be reached: the token in hand is still valid; ask again next time.
          log.warn('wechat.token.refresh_deferred', { appid, errcode: error.errcode })
          return current.token
        }
      },
    )
  }

  /**
   * WeChat refused `failed`: find its successor. Another isolate may have replaced it
   * already (KV); otherwise ask for the stable token, and only when WeChat hands back the
   * very token it just refused, force a new one — at most once per 30 s across isolates.
   * `cause` is the refusal, rethrown as kind `token` when no new token can be had.
   */
  refresh(failed: string, cause: WechatApiError): Promise<string> {
    const { appid } = this.#o
    return this.#cache.replace(failed, `refresh:${appid}:${failed}`, async () => {
      const fresh = await this.#fetch(false)
      if (fresh.token !== failed) return fresh.token

      if (!(await this.#mayForceRefresh())) {
        log.warn('wechat.token.force_refresh_skipped', { appid, errcode: cause.errcode })
        throw asTokenError(cause)
      }
      return (await this.#fetch(true)).token
    })
  }

  /** Before this isolate's refresh point: use it without asking WeChat. */
  #fresh(token: CachedToken): boolean {
    const spread = Math.min(REFRESH_SPREAD_MS, (token.expiresAt - token.refreshAt) / 2)
    return this.#o.now() < token.refreshAt + spread * this.#o.memory.refreshJitter
  }

  /** True when no force refresh was made in the last 30 s; records this one before it runs. */
  async #mayForceRefresh(): Promise<boolean> {
    const { appid, cache, memory } = this.#o
    const now = this.#o.now()
    const inMemory = memory.lastForceRefresh.get(appid) ?? 0
    const inKv = Number((await cache.get(forceRefreshKey(appid))) ?? 0)
    if (now - Math.max(inMemory, inKv) < FORCE_REFRESH_SPACING_MS) return false
    // Recorded before the call: a concurrent isolate reading KV now sees it and holds back.
    memory.lastForceRefresh.set(appid, now)
    await cachePut(cache, forceRefreshKey(appid), String(now), KV_MIN_TTL_SECONDS, 'force_refresh')
    return true
  }

  async #fetch(forceRefresh: boolean): Promise<CachedToken> {
    const { appid, secret } = this.#o
    const body = await exchangeJson(
      `${this.#o.apiBase}${STABLE_TOKEN_PATH}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          grant_type: 'client_credential',
          appid,
          secret,
          force_refresh: forceRefresh,
        }),
      },
      { api: 'stable_token', timeoutMs: this.#o.timeoutMs, redact: [secret] },
    ).catch((error: unknown) => {
      // WeChat refusing (positive errcode, not transient) means the credentials are refused.
      if (error instanceof WechatApiError && error.kind !== 'retryable' && error.errcode > 0) {
        throw asTokenError(error)
      }
      throw error
    })

    const { token, expiresIn } = tokenAnswer('stable_token', body)
    const cached = await this.#cache.keep(token, expiresIn)
    log.info('wechat.token.fetched', { appid, force_refresh: forceRefresh, expires_in: expiresIn })
    return cached
  }
}

function asTokenError(error: WechatApiError): WechatApiError {
  const kind: ApiErrorKind = 'token'
  if (error.kind === kind) return error
  return new WechatApiError({ api: error.api, errcode: error.errcode, errmsg: error.errmsg, kind })
}
