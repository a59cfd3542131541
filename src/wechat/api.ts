/**
 * The WeChat server API client: custom/send, typing, temporary image upload, subscribe/send
 * and uniform_send, each with the access_token from `token.ts`. Every failure is a
 * WechatApiError (`api-error.ts`) of kind retryable, token or permanent. A call refused for
 * its token (40001/42001/40014) gets one new token and one retry, inside the client.
 *
 * Paths (relative to WECHAT_API_BASE):
 * - POST /cgi-bin/stable_token                    (token.ts)
 * - POST /cgi-bin/message/custom/send
 * - POST /cgi-bin/message/custom/business/typing
 * - POST /cgi-bin/media/upload?type=image        (media.ts)
 * - GET  /cgi-bin/media/get?media_id=             (a user's image, for the archive: media/archive-queue.ts)
 * - POST /cgi-bin/message/subscribe/send
 * - POST /cgi-bin/message/wxopen/template/uniform_send
 */
import { readAtMost } from '../bounded-read'
import { appidOf, apiBase, numberSetting, requireSetting, type Env } from '../settings/env'
import { log } from '../log'
import { SyntheticErrcode, WechatApiError } from './api-error'
import { exchangeJson, fetchWithin, type JsonObject } from './http'
import {
  fetchImage,
  mediaKey,
  MEDIA_UPLOAD_PATH,
  readCachedMedia,
  readStoredImage,
  writeCachedMedia,
  type FetchedImage,
  type ImageSource,
} from './media'
import { isolateMemory, type IsolateMemory } from './memory'
import { TokenSource } from './token'

export {
  classifyErrcode,
  Errcode,
  explainErrcode,
  SyntheticErrcode,
  TOKEN_ERRCODES,
  WechatApiError,
  type ApiErrorKind,
} from './api-error'
export { IMAGE_MAX_BYTES, MEDIA_CACHE_SECONDS } from './media'
export { IsolateMemory } from './memory'

export const CUSTOM_SEND_PATH = '/cgi-bin/message/custom/send'
/**
 * Mini programs and mini games use `custom/business/typing`; `custom/typing` is the
 * Official Account path (developers.weixin.qq.com/doc/service/api/customer/message/api_typing,
 * "注意事项"). Older mini program pages and WxJava show the Official Account one.
 */
export const TYPING_PATH = '/cgi-bin/message/custom/business/typing'
export const MEDIA_GET_PATH = '/cgi-bin/media/get'
export const SUBSCRIBE_SEND_PATH = '/cgi-bin/message/subscribe/send'
/**
 * The uniform service message (统一服务消息): today an Official Account template message sent
 * with the mini program's token, to a user of either. Its mini program half,
 * weapp_template_msg, is retired ("小程序模板消息已下线，不用传此节点").
 * https://developers.weixin.qq.com/miniprogram/dev/server/API/mp-message-management/uniform-message/api_senduniformmessage.html
 */
export const UNIFORM_SEND_PATH = '/cgi-bin/message/wxopen/template/uniform_send'

/** Every call's time-out unless the constructor says otherwise. */
export const DEFAULT_TIMEOUT_MS = 8_000

export type CustomMessage =
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'image'; image: { media_id: string } }
  | { msgtype: 'link'; link: { title: string; description: string; url: string; thumb_url: string } }
  | {
      msgtype: 'miniprogrampage'
      miniprogrampage: { title: string; pagepath: string; thumb_media_id: string; appid?: string }
    }

export interface SubscribeMessage {
  touser: string
  template_id: string
  page?: string
  data: Record<string, { value: string }>
  miniprogram_state?: 'developer' | 'trial' | 'formal'
  lang?: 'zh_CN' | 'en_US' | 'zh_HK' | 'zh_TW'
}

/** The Official Account template message a uniform_send carries. */
export interface MpTemplateMessage {
  /** The Official Account's appid: bound to this mini program, same owner (else 40013). */
  appid: string
  template_id: string
  /** Where a tap goes; with `miniprogram` too, the mini program wins. */
  url?: string
  miniprogram?: { appid: string; pagepath?: string }
  data: Record<string, { value: string; color?: string }>
}

export interface UniformMessage {
  /** The user's openid in this mini program or in the Official Account. */
  touser: string
  mp_template_msg: MpTemplateMessage
}

export interface WechatClientOptions {
  appid: string
  secret: string
  /** e.g. `https://api.weixin.qq.com`, without a trailing slash. */
  apiBase: string
  cache: KVNamespace
  /** The MEDIA bucket, where images uploaded in the console are read from. */
  files?: R2Bucket
  /** Per HTTP exchange (token, call, image download, upload). Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number
  /** Isolate memory to use; tests pass a fresh one to play a new isolate. */
  memory?: IsolateMemory
  /** The clock, in ms since epoch; tests move it to expire cached tokens. */
  now?: () => number
}

export class WechatClient {
  readonly appid: string
  readonly #secret: string
  readonly #base: string
  readonly #cache: KVNamespace
  readonly #files: R2Bucket | undefined
  readonly #timeoutMs: number
  readonly #memory: IsolateMemory
  readonly #now: () => number
  readonly #tokens: TokenSource

  constructor(options: WechatClientOptions) {
    this.appid = options.appid
    this.#secret = options.secret
    this.#base = options.apiBase.replace(/\/+$/, '')
    this.#cache = options.cache
    this.#files = options.files
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.#memory = options.memory ?? isolateMemory
    this.#now = options.now ?? Date.now
    this.#tokens = new TokenSource({
      appid: this.appid,
      secret: this.#secret,
      apiBase: this.#base,
      cache: this.#cache,
      memory: this.#memory,
      timeoutMs: this.#timeoutMs,
      now: this.#now,
    })
  }

  /**
   * Throws SettingError naming WECHAT_APPID, WECHAT_APPSECRET, WECHAT_API_BASE or
   * WECHAT_API_TIMEOUT_MS.
   */
  static fromEnv(env: Env): WechatClient {
    return new WechatClient({
      appid: appidOf(env),
      secret: requireSetting(env, 'WECHAT_APPSECRET'),
      apiBase: apiBase(env),
      cache: env.CACHE,
      files: env.MEDIA,
      timeoutMs: numberSetting(env, 'WECHAT_API_TIMEOUT_MS', DEFAULT_TIMEOUT_MS),
    })
  }

  /** One customer-service message (counts against the user's 5-in-48-hours window). */
  /**
   * `aiWritten`: the reply was written by a model, and carries WeChat's AI label,
   * `"aimsgcontext": { "is_ai_msg": 1 }` — WeChat then shows 内容由第三方AI生成 under it (the
   * mini program's custom/send page, kf-mgnt/kf-message/api_sendcustommessage).
   */
  async sendCustom(touser: string, message: CustomMessage, options: { aiWritten?: boolean } = {}): Promise<void> {
    const label = options.aiWritten ? { aimsgcontext: { is_ai_msg: 1 } } : {}
    await this.#postJson('custom/send', CUSTOM_SEND_PATH, { touser, ...message, ...label })
  }

  /** Shows or hides "typing…" (15 s; 45080 without an exchange in the last 30 s). */
  async typing(touser: string, command: 'Typing' | 'CancelTyping'): Promise<void> {
    await this.#postJson('typing', TYPING_PATH, { touser, command })
  }

  /**
   * The media_id of an image (at a URL, or uploaded in the console), uploaded as a temporary
   * image once and then taken from KV. Concurrent first uses in one isolate share one upload;
   * across isolates two may both upload (the later KV write wins), which costs an upload,
   * never a loop. `beforeUpload` runs only when the image must really be read and uploaded.
   */
  async uploadImage(source: ImageSource, beforeUpload?: () => Promise<void>): Promise<string> {
    const key = await mediaKey(this.appid, source)
    return this.#memory.once(key, async () => {
      const cached = await readCachedMedia(this.#cache, key, this.#now())
      if (cached) return cached
      await beforeUpload?.()
      const image = 'url' in source ? await fetchImage(source.url, this.#timeoutMs) : await readStoredImage(this.#files, source.file)
      const mediaId = await this.#withToken((token) => this.#upload(token, image))
      await writeCachedMedia(this.#cache, key, { media_id: mediaId, createdAt: this.#now() })
      log.info('wechat.media.uploaded', {
        appid: this.appid,
        media_key: key.slice(-16),
        type: image.type,
        bytes: image.bytes.byteLength,
      })
      return mediaId
    })
  }

  /**
   * The bytes of a temporary media_id (a user's pushed image: WeChat keeps it 3 days), read
   * up to `maxBytes`. WeChat answers a refusal with a JSON error body instead of the file
   * (40007: unknown or expired media_id): thrown as a WechatApiError with its errcode (a token
   * refusal gets a new token and one retry, as every call). Larger than `maxBytes`: a
   * permanent -1103. The bytes' type is the caller's to check: the answer's own word for it
   * is only `declaredType`.
   */
  async getTempMedia(mediaId: string, maxBytes: number): Promise<{ bytes: Uint8Array<ArrayBuffer>; declaredType: string }> {
    return this.#withToken((token) =>
      fetchWithin(
        this.#url(MEDIA_GET_PATH, token, { media_id: mediaId }),
        {},
        { api: 'media/get', timeoutMs: this.#timeoutMs },
        (response) => readTempMedia(response, maxBytes, [token, this.#secret]),
      ),
    )
  }

  /** Drops the cached media_id of an image, so the next use uploads it again. */
  async forgetImage(source: ImageSource): Promise<void> {
    await this.#cache.delete(await mediaKey(this.appid, source))
  }

  /**
   * One subscribe message. A refusal throws WechatApiError with WeChat's errcode, api
   * `subscribe/send` and kind `permanent`: 43101 no grant (refused, or a one-time grant used),
   * 40037 bad template_id, 47003 a data value breaking its rule, 41030 bad page.
   */
  async sendSubscribe(message: SubscribeMessage): Promise<void> {
    await this.#postJson('subscribe/send', SUBSCRIBE_SEND_PATH, message)
  }

  /**
   * One uniform service message (an Official Account template message). A refusal throws
   * WechatApiError with api `uniform_send`: 43004 the user does not follow the Official
   * Account, 40037 bad template_id, 40013 appid not bound to this mini program, 40003 bad openid.
   */
  async sendUniform(message: UniformMessage): Promise<void> {
    await this.#postJson('uniform_send', UNIFORM_SEND_PATH, message)
  }

  async #postJson(api: string, path: string, body: object): Promise<JsonObject> {
    const json = JSON.stringify(body)
    return this.#withToken((token) =>
      exchangeJson(
        this.#url(path, token),
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: json },
        { api, timeoutMs: this.#timeoutMs, redact: [token, this.#secret] },
      ),
    )
  }

  async #upload(token: string, image: FetchedImage): Promise<string> {
    // Built per attempt: a FormData body is consumed by the request that sends it.
    const form = new FormData()
    form.append('media', new Blob([image.bytes], { type: image.type }), image.filename)
    const body = await exchangeJson(
      this.#url(MEDIA_UPLOAD_PATH, token, { type: 'image' }),
      { method: 'POST', body: form },
      { api: 'media/upload', timeoutMs: this.#timeoutMs, redact: [token, this.#secret] },
    )
    if (typeof body.media_id === 'string' && body.media_id !== '') return body.media_id
    throw new WechatApiError({
      api: 'media/upload',
      errcode: SyntheticErrcode.malformed,
      errmsg: 'answer has no media_id',
      kind: 'retryable',
    })
  }

  /**
   * Runs `call` with a token; when WeChat refuses the token, gets a new one (token.ts
   * decides whether that takes a force refresh) and runs `call` once more. A second
   * refusal is thrown as it is: kind `token`.
   */
  async #withToken<T>(call: (token: string) => Promise<T>): Promise<T> {
    const token = await this.#tokens.get()
    try {
      return await call(token)
    } catch (error) {
      if (!(error instanceof WechatApiError) || error.kind !== 'token') throw error
      log.warn('wechat.token.rejected', { appid: this.appid, api: error.api, errcode: error.errcode })
      const fresh = await this.#tokens.refresh(token, error)
      return await call(fresh)
    }
  }

  #url(path: string, token: string, query: Record<string, string> = {}): string {
    const params = new URLSearchParams({ access_token: token, ...query })
    return `${this.#base}${path}?${params}`
  }
}

/** media/get's answer: the file, or WeChat's JSON refusal (`{"errcode":40007,…}`) thrown. */
async function readTempMedia(
  response: Response,
  maxBytes: number,
  redact: readonly string[],
): Promise<{ bytes: Uint8Array<ArrayBuffer>; declaredType: string }> {
  const declaredType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase()
  const tooLarge = () =>
    new WechatApiError({
      api: 'media/get',
      errcode: SyntheticErrcode.imageSize,
      errmsg: `larger than ${maxBytes} bytes`,
      kind: 'permanent',
    })
  if (Number(response.headers.get('content-length') ?? NaN) > maxBytes) {
    await response.body?.cancel()
    throw tooLarge()
  }
  const bytes = response.body ? await readAtMost(response.body, maxBytes) : new Uint8Array(0)
  if (bytes === null) throw tooLarge()
  const refusal = jsonRefusal(bytes, declaredType)
  if (refusal !== null) {
    throw new WechatApiError({ api: 'media/get', errcode: refusal.errcode, errmsg: refusal.errmsg, redact })
  }
  if (bytes.byteLength === 0) {
    throw new WechatApiError({ api: 'media/get', errcode: SyntheticErrcode.malformed, errmsg: 'empty answer', kind: 'retryable' })
  }
  return { bytes, declaredType }
}

/** A JSON object with a non-zero errcode, as WeChat answers media/get's failures; null for a file. */
function jsonRefusal(bytes: Uint8Array, declaredType: string): { errcode: number; errmsg: string } | null {
  // An image never starts with `{`; a JSON answer declared as text/plain still does.
  if (bytes[0] !== 0x7b && declaredType !== 'application/json') return null
  try {
    const body: unknown = JSON.parse(new TextDecoder().decode(bytes))
    if (typeof body !== 'object' || body === null) return null
    const { errcode, errmsg } = body as { errcode?: unknown; errmsg?: unknown }
    if (typeof errcode !== 'number' || errcode === 0) return null
    return { errcode, errmsg: typeof errmsg === 'string' ? errmsg : '' }
  } catch {
    return null
  }
}
