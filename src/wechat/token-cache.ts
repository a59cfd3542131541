/**
 * An access token's two caches, for any source that fetches one — WeChat's stable_token
 * (token.ts) and WeChat Work's gettoken (wecom/token.ts): this isolate's memory, then the
 * CACHE KV namespace. KV keeps a token until just before it expires, not only to its refresh
 * point, so a cold isolate finds a valid one while the source cannot be reached. Both
 * sources look in the same order and share fetches the same way (`current`, `replace`), and
 * word their answers alike (`tokenAnswer`); when a token is fresh, how it is fetched and what
 * a source does when its fetch fails stay its own.
 */
import { log } from '../log'
import { SyntheticErrcode, WechatApiError } from './api-error'
import { cachePut } from './cache'
import type { JsonObject } from './http'
import type { CachedToken, IsolateMemory } from './memory'

/** Stop using a token this long before its source says it expires (WeChat renews 5 min early). */
export const TOKEN_MARGIN_SECONDS = 300
/** KV's smallest expirationTtl. */
const KV_MIN_TTL_SECONDS = 60
/** A token this close to expiry is not used, even as a fallback: a call takes time. */
const EXPIRY_SAFETY_MS = 30_000

/** What a token source (token.ts, wecom/token.ts) is made with, beside the account it is for. */
export interface SourceOptions {
  secret: string
  apiBase: string
  cache: KVNamespace
  memory: IsolateMemory
  timeoutMs: number
  now: () => number
}

export interface TokenCacheOptions {
  memory: IsolateMemory
  /** Its key in isolate memory, which the mini programs' and 微信客服's tokens share. */
  memoryKey: string
  cache: KVNamespace
  /** Its key in KV (STORAGE.md). */
  kvKey: string
  now: () => number
  /** Names the cache's log events: `<channel>.cache.read_failed`. */
  channel: 'wechat' | 'wecom'
}

export class TokenCache {
  readonly #o: TokenCacheOptions

  constructor(options: TokenCacheOptions) {
    this.#o = options
  }

  /** The token this isolate holds, if any (fresh or not). */
  inMemory(): CachedToken | undefined {
    return this.#o.memory.tokens.get(this.#o.memoryKey)
  }

  /** The source refused `failed`: this isolate stops offering it. */
  forget(failed: string): void {
    if (this.inMemory()?.token === failed) this.#o.memory.tokens.delete(this.#o.memoryKey)
  }

  /** Before its expiry, with time to spare for the call. */
  valid(token: CachedToken): boolean {
    return this.#o.now() < token.expiresAt - EXPIRY_SAFETY_MS
  }

  remember(token: CachedToken): CachedToken {
    this.#o.memory.tokens.set(this.#o.memoryKey, token)
    return token
  }

  /** The token in KV while it is valid; null when absent, expired or KV cannot be read. */
  async fromKv(): Promise<CachedToken | null> {
    let value: Partial<CachedToken> | null
    try {
      value = await this.#o.cache.get<Partial<CachedToken>>(this.#o.kvKey, 'json')
    } catch (error) {
      // KV is a cache: the source is the way round it.
      log.warn(`${this.#o.channel}.cache.read_failed`, { what: 'token', error: error instanceof Error ? error.name : 'error' })
      return null
    }
    if (!value || typeof value.token !== 'string' || typeof value.refreshAt !== 'number') return null
    // Written before expiresAt was kept: its refresh point is all we know.
    const token = { token: value.token, refreshAt: value.refreshAt, expiresAt: value.expiresAt ?? value.refreshAt }
    return this.valid(token) ? token : null
  }

  /**
   * A token to call with: this isolate's while `fresh` says so, then KV's, else `fetch`'s —
   * one fetch per isolate at a time (`onceKey`). `fetch` is handed the tokens found but no
   * longer fresh: still valid, they are what a source may fall back on while it cannot be reached.
   */
  async current(fresh: (token: CachedToken) => boolean, onceKey: string, fetch: (held: CachedToken[]) => Promise<string>): Promise<string> {
    const known = this.inMemory()
    if (known && fresh(known)) return known.token
    return this.#o.memory.once(onceKey, async () => {
      const stored = await this.fromKv()
      if (stored && fresh(stored)) return this.remember(stored).token
      return fetch([known, stored].filter((token) => token !== undefined && token !== null))
    })
  }

  /**
   * The source refused `failed`: this isolate stops offering it, and every call that saw it
   * fail shares one successor (`onceKey`, which names `failed`) — a valid token other than it
   * that another call or isolate (KV) has fetched since, else `fetch`'s.
   */
  replace(failed: string, onceKey: string, fetch: () => Promise<string>): Promise<string> {
    this.forget(failed)
    return this.#o.memory.once(onceKey, async () => {
      const known = this.inMemory()
      if (known && known.token !== failed && this.valid(known)) return known.token
      const stored = await this.fromKv()
      if (stored && stored.token !== failed && this.valid(stored)) return this.remember(stored).token
      return fetch()
    })
  }

  /** A token just fetched, valid `expiresIn` seconds: remembered here and kept in KV until just before it expires. */
  async keep(token: string, expiresIn: number): Promise<CachedToken> {
    const now = this.#o.now()
    const cached = this.remember({ token, refreshAt: now + usableSeconds(expiresIn) * 1000, expiresAt: now + expiresIn * 1000 })
    const ttl = Math.max(KV_MIN_TTL_SECONDS, Math.floor((cached.expiresAt - EXPIRY_SAFETY_MS - now) / 1000))
    await cachePut(this.#o.cache, this.#o.kvKey, JSON.stringify(cached), ttl, 'token')
    return cached
  }
}

/**
 * The token in a source's answer (`api`): stable_token's and gettoken's alike carry
 * access_token and expires_in (seconds). One without them is a retryable WechatApiError,
 * errcode malformed.
 */
export function tokenAnswer(api: string, answer: JsonObject): { token: string; expiresIn: number } {
  const token = answer.access_token
  const expiresIn = answer.expires_in
  if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || expiresIn <= 0) {
    throw new WechatApiError({
      api,
      errcode: SyntheticErrcode.malformed,
      errmsg: 'answer has no access_token or expires_in',
      kind: 'retryable',
    })
  }
  return { token, expiresIn }
}

/**
 * How long to use a token: its life minus the 5-minute margin WeChat renews in, or half
 * its life when it is too short for that (a fake or a token already near its end).
 */
export function usableSeconds(expiresIn: number): number {
  const margin = expiresIn > 2 * TOKEN_MARGIN_SECONDS ? TOKEN_MARGIN_SECONDS : expiresIn / 2
  return Math.max(1, Math.floor(expiresIn - margin))
}
