/**
 * The 微信客服 access_token, from `GET /cgi-bin/gettoken?corpid=&corpsecret=`
 * (docs/wecom-kf-protocol.md §1): in isolate memory, then in the CACHE KV namespace (the same
 * TokenCache as the mini program's, src/wechat/token-cache.ts), then from WeChat Work, without
 * stable_token's specifics. gettoken is rate-limited, so concurrent callers in an isolate share
 * one fetch and one refresh (IsolateMemory.once), and a refused token is replaced once per refusal.
 *
 * KV key (see STORAGE.md): `wecom:token:<corpid>` {token, refreshAt, expiresAt}; TTL until
 * just before expiry. The token and the secret are never logged.
 */
import { log } from '../log'
import { exchangeJson } from '../wechat/http'
import type { CachedToken, IsolateMemory } from '../wechat/memory'
import { TokenCache } from '../wechat/token-cache'
import { SyntheticErrcode } from '../wechat/api-error'
import { KfApiError } from './api-error'
import { asKfApiError } from './http'

export const GETTOKEN_PATH = '/cgi-bin/gettoken'

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
  readonly #cache: TokenCache

  constructor(options: KfTokenOptions) {
    this.#o = options
    const { corpid, cache, memory, now } = options
    this.#cache = new TokenCache({ memory, memoryKey: memoryKey(corpid), cache, kvKey: kfTokenKey(corpid), now, channel: 'wecom' })
  }

  /** A token to call with: memory, then KV, then one shared gettoken per isolate. */
  async get(): Promise<string> {
    const { corpid, memory } = this.#o
    const known = this.#cache.inMemory()
    if (known && this.#fresh(known)) return known.token
    return memory.once(`wecom-token:${corpid}`, async () => {
      const stored = await this.#cache.fromKv()
      if (stored && this.#fresh(stored)) return this.#cache.remember(stored).token
      return (await this.#fetch()).token
    })
  }

  /**
   * WeChat Work refused `failed` (40014, 42001, 40001): its successor. Another isolate may
   * have fetched one already (KV); else gettoken. Every call that saw `failed` fail shares it.
   */
  refresh(failed: string): Promise<string> {
    const { corpid, memory } = this.#o
    this.#cache.forget(failed)
    return memory.once(`wecom-refresh:${corpid}:${failed}`, async () => {
      const known = this.#cache.inMemory()
      if (known && known.token !== failed && this.#cache.valid(known)) return known.token
      const stored = await this.#cache.fromKv()
      if (stored && stored.token !== failed && this.#cache.valid(stored)) return this.#cache.remember(stored).token
      return (await this.#fetch()).token
    })
  }

  #fresh(token: CachedToken): boolean {
    return this.#o.now() < token.refreshAt
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
    const cached = await this.#cache.keep(token, expiresIn)
    log.info('wecom.token.fetched', { corpid, expires_in: expiresIn })
    return cached
  }
}
