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
import { TokenCache, tokenAnswer, type SourceOptions } from '../wechat/token-cache'
import { asKfApiError } from './http'

export const GETTOKEN_PATH = '/cgi-bin/gettoken'

export const kfTokenKey = (corpid: string): string => `wecom:token:${corpid}`
/** Isolate memory is shared with the mini programs' tokens (keyed by appid): a prefix keeps them apart. */
const memoryKey = (corpid: string): string => `wecom:${corpid}`

export interface KfTokenOptions extends SourceOptions {
  corpid: string
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
  get(): Promise<string> {
    const { corpid, now } = this.#o
    return this.#cache.current(
      (token) => now() < token.refreshAt,
      `wecom-token:${corpid}`,
      () => this.#fetch(),
    )
  }

  /**
   * WeChat Work refused `failed` (40014, 42001, 40001): its successor. Another isolate may
   * have fetched one already (KV); else gettoken. Every call that saw `failed` fail shares it.
   */
  refresh(failed: string): Promise<string> {
    return this.#cache.replace(failed, `wecom-refresh:${this.#o.corpid}:${failed}`, () => this.#fetch())
  }

  async #fetch(): Promise<string> {
    const { corpid, secret } = this.#o
    const query = new URLSearchParams({ corpid, corpsecret: secret })
    const { token, expiresIn } = await exchangeJson(
      `${this.#o.apiBase}${GETTOKEN_PATH}?${query}`,
      { method: 'GET' },
      { api: 'gettoken', timeoutMs: this.#o.timeoutMs, redact: [secret] },
    )
      .then((body) => tokenAnswer('gettoken', body))
      .catch((error: unknown) => {
        // On gettoken itself 40001 is the secret, not a token: retrying with it will not help.
        throw asKfApiError(error, 'gettoken', [secret])
      })
    await this.#cache.keep(token, expiresIn)
    log.info('wecom.token.fetched', { corpid, expires_in: expiresIn })
    return token
  }
}
