/**
 * The 微信客服 access_token, from `GET /cgi-bin/gettoken?corpid=&corpsecret=`
 * (docs/wecom-kf-protocol.md §1): in isolate memory, then in the CACHE KV namespace, then from
 * WeChat Work — the mini program's pattern (src/wechat/token.ts) without its stable_token
 * specifics. gettoken is rate-limited, so concurrent callers in an isolate share one fetch and
 * one refresh (IsolateMemory.once), and a refused token is replaced once per refusal.
 *
 * KV key (see STORAGE.md): `wecom:token:<corpid>` {token, refreshAt, expiresAt}; TTL until
 * just before expiry. The token and the secret are never logged.
 */
import { log } from '../log'
import { cachePut } from '../wechat/cache'
import { exchangeJson } from '../wechat/http'
import type { CachedToken, IsolateMemory } from '../wechat/memory'
import { usableSeconds } from '../wechat/token'
import { SyntheticErrcode } from '../wechat/api-error'
import { KfApiError } from './api-error'
import { asKfApiError } from './http'

export const GETTOKEN_PATH = '/cgi-bin/gettoken'
const KV_MIN_TTL_SECONDS = 60
/** A token this close to expiry is not used: a call takes time. */
const EXPIRY_SAFETY_MS = 30_000

export const kfTokenKey = (corpid: string): string => `wecom:token:${corpid}`
/** Isolate memory is shared with the mini programs' tokens (keyed by appid): a prefix keeps them apart. */
const memoryKey = (corpid: string): string => `wecom:${corpid}`

export interface KfTokenOptions {
  corpid: string
  secret: string
  apiBase: string
  cache: KVNamespace
  memory: IsolateMemory
  timeoutMs: number
  now: () => number
}

export class KfTokenSource {
  readonly #o: KfTokenOptions

  constructor(options: KfTokenOptions) {
    this.#o = options
  }

  /** A token to call with: memory, then KV, then one shared gettoken per isolate. */
  async get(): Promise<string> {
    const { corpid, memory } = this.#o
    const known = memory.tokens.get(memoryKey(corpid))
    if (known && this.#fresh(known)) return known.token
    return memory.once(`wecom-token:${corpid}`, async () => {
      const stored = await this.#readKv()
      if (stored && this.#fresh(stored)) return this.#remember(stored).token
      return (await this.#fetch()).token
    })
  }

  /**
   * WeChat Work refused `failed` (40014, 42001, 40001): its successor. Another isolate may
   * have fetched one already (KV); else gettoken. Every call that saw `failed` fail shares it.
   */
  refresh(failed: string): Promise<string> {
    const { corpid, memory } = this.#o
    const key = memoryKey(corpid)
    if (memory.tokens.get(key)?.token === failed) memory.tokens.delete(key)
    return memory.once(`wecom-refresh:${corpid}:${failed}`, async () => {
      const known = memory.tokens.get(key)
      if (known && known.token !== failed && this.#valid(known)) return known.token
      const stored = await this.#readKv()
      if (stored && stored.token !== failed && this.#valid(stored)) return this.#remember(stored).token
      return (await this.#fetch()).token
    })
  }

  async #readKv(): Promise<CachedToken | null> {
    let value: Partial<CachedToken> | null
    try {
      value = await this.#o.cache.get<Partial<CachedToken>>(kfTokenKey(this.#o.corpid), 'json')
    } catch (error) {
      // KV is a cache: gettoken is the way round it.
      log.warn('wecom.cache.read_failed', { what: 'token', error: error instanceof Error ? error.name : 'error' })
      return null
    }
    if (!value || typeof value.token !== 'string' || typeof value.refreshAt !== 'number' || typeof value.expiresAt !== 'number') {
      return null
    }
    const token = { token: value.token, refreshAt: value.refreshAt, expiresAt: value.expiresAt }
    return this.#valid(token) ? token : null
  }

  #fresh(token: CachedToken): boolean {
    return this.#o.now() < token.refreshAt
  }

  #valid(token: CachedToken): boolean {
    return this.#o.now() < token.expiresAt - EXPIRY_SAFETY_MS
  }

  #remember(token: CachedToken): CachedToken {
    this.#o.memory.tokens.set(memoryKey(this.#o.corpid), token)
    return token
  }

  async #fetch(): Promise<CachedToken> {
    const { corpid, secret } = this.#o
    const query = new URLSearchParams({ corpid, corpsecret: secret })
    const body = await exchangeJson(
      `${this.#o.apiBase}${GETTOKEN_PATH}?${query}`,
      { method: 'GET' },
      { api: 'gettoken', timeoutMs: this.#o.timeoutMs, redact: [secret] },
    ).catch((error: unknown) => {
      // On gettoken itself 40001 is the secret, not a token: retrying with it will not help.
      throw asKfApiError(error, 'gettoken', [secret])
    })
    const token = body.access_token
    const expiresIn = body.expires_in
    if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || expiresIn <= 0) {
      throw new KfApiError({
        api: 'gettoken',
        errcode: SyntheticErrcode.malformed,
        errmsg: 'answer has no access_token or expires_in',
        kind: 'retryable',
      })
    }
    const now = this.#o.now()
    const cached = { token, refreshAt: now + usableSeconds(expiresIn) * 1000, expiresAt: now + expiresIn * 1000 }
    this.#remember(cached)
    const ttl = Math.max(KV_MIN_TTL_SECONDS, Math.floor((cached.expiresAt - EXPIRY_SAFETY_MS - now) / 1000))
    await cachePut(this.#o.cache, kfTokenKey(corpid), JSON.stringify(cached), ttl, 'token')
    log.info('wecom.token.fetched', { corpid, expires_in: expiresIn })
    return cached
  }
}
