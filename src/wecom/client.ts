/**
 * The 微信客服 server API (docs/wecom-kf-protocol.md §3, §5–7): pull messages, send, send on an
 * event code, read and move a customer's session state. Each method returns the documented
 * answer's fields, typed, or throws a KfApiError. A refused access_token (40014, 42001, 40001)
 * is replaced once and the call repeated; anything else is the caller's to handle — this
 * client holds no cursor, no dedup and no state: the per-account object does.
 *
 * @example
 *   const kf = KfClient.fromEnv(env)
 *   const page = await kf.syncMsg({ openKfId, token: notice.token, cursor })
 */
import { requireSetting, numberSetting, wecomApiBase, type Env } from '../settings/env'
import { DEFAULT_TIMEOUT_MS } from '../wechat/api'
import { type IsolateMemory, isolateMemory } from '../wechat/memory'
import { KF_TOKEN_ERRCODES, KfApiError } from './api-error'
import { postKf, type JsonObject } from './http'
import { toKfMessage } from './messages'
import { KfTokenSource } from './token'
import type { KfServiceState, SendMsgInput, SendMsgOnEventInput, SyncMsgInput, SyncMsgResult, TransStateInput } from './types'

export interface KfClientOptions {
  corpid: string
  secret: string
  apiBase: string
  cache: KVNamespace
  /** Each exchange's time-out (WECHAT_API_TIMEOUT_MS, default 8000). */
  timeoutMs?: number
  /** Tests pass a fresh one to play a cold isolate. */
  memory?: IsolateMemory
  now?: () => number
}

export class KfClient {
  readonly #apiBase: string
  readonly #timeoutMs: number
  readonly #tokens: KfTokenSource
  /** Scrubbed from every error: WeChat Work's errmsg may echo it. */
  readonly #secret: string

  constructor(options: KfClientOptions) {
    this.#apiBase = options.apiBase.replace(/\/+$/, '')
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    this.#secret = options.secret
    this.#tokens = new KfTokenSource({
      corpid: options.corpid,
      secret: options.secret,
      apiBase: this.#apiBase,
      cache: options.cache,
      memory: options.memory ?? isolateMemory,
      timeoutMs: this.#timeoutMs,
      now: options.now ?? Date.now,
    })
  }

  /** From the Worker's settings; a SettingError (500 naming it) when one is missing or malformed. */
  static fromEnv(env: Env): KfClient {
    return new KfClient({
      corpid: requireSetting(env, 'WECOM_CORPID'),
      secret: requireSetting(env, 'WECOM_KF_SECRET'),
      apiBase: wecomApiBase(env),
      cache: env.CACHE,
      timeoutMs: numberSetting(env, 'WECHAT_API_TIMEOUT_MS', DEFAULT_TIMEOUT_MS),
    })
  }

  /**
   * One page of `kf/sync_msg`. `nextCursor` is the input cursor when WeChat Work sends none
   * (an empty page), so storing it never moves the position back.
   */
  async syncMsg({ cursor, token, limit, openKfId }: SyncMsgInput): Promise<SyncMsgResult> {
    const body = await this.#call('kf/sync_msg', {
      ...(cursor ? { cursor } : {}),
      ...(token ? { token } : {}),
      ...(limit === undefined ? {} : { limit }),
      open_kfid: openKfId,
    })
    const list = Array.isArray(body.msg_list) ? body.msg_list : []
    return {
      nextCursor: typeof body.next_cursor === 'string' && body.next_cursor !== '' ? body.next_cursor : (cursor ?? ''),
      hasMore: body.has_more === 1 || body.has_more === true,
      msgList: list.map(toKfMessage),
    }
  }

  /** `kf/send_msg`: accepted, not delivered — a msg_send_fail event may follow in a later pull. */
  async sendMsg({ touser, openKfId, msgid, message }: SendMsgInput): Promise<{ msgid: string }> {
    // An empty msgid is an error at WeChat Work (§5): absent unless given.
    const body = await this.#call('kf/send_msg', { touser, open_kfid: openKfId, ...(msgid ? { msgid } : {}), ...message })
    return { msgid: msgidOf(body, 'kf/send_msg') }
  }

  /** `kf/send_msg_on_event`: a welcome_code or msg_code, once, within its validity (§6). */
  async sendMsgOnEvent({ code, msgid, message }: SendMsgOnEventInput): Promise<{ msgid: string }> {
    const body = await this.#call('kf/send_msg_on_event', { code, ...(msgid ? { msgid } : {}), ...message })
    return { msgid: msgidOf(body, 'kf/send_msg_on_event') }
  }

  /** `kf/service_state/get`: the customer's session state, and the servicer in state 3. */
  async serviceState(openKfId: string, externalUserid: string): Promise<{ state: KfServiceState; servicerUserid?: string }> {
    const api = 'kf/service_state/get'
    const body = await this.#call(api, { open_kfid: openKfId, external_userid: externalUserid })
    const state = body.service_state
    if (state !== 0 && state !== 1 && state !== 2 && state !== 3 && state !== 4) throw malformed(api, 'service_state is not 0 to 4')
    const servicer = body.servicer_userid
    return typeof servicer === 'string' && servicer !== '' ? { state, servicerUserid: servicer } : { state }
  }

  /** `kf/service_state/trans`: a msg_code the first time a session enters 2 or 3, and on 4 (§7). */
  async transState({ openKfId, externalUserid, state, servicerUserid }: TransStateInput): Promise<{ msgCode?: string }> {
    const body = await this.#call('kf/service_state/trans', {
      open_kfid: openKfId,
      external_userid: externalUserid,
      service_state: state,
      ...(servicerUserid ? { servicer_userid: servicerUserid } : {}),
    })
    return typeof body.msg_code === 'string' && body.msg_code !== '' ? { msgCode: body.msg_code } : {}
  }

  /**
   * `media/upload?type=image`: a temporary image (3 days) for a send's `media_id` or
   * `thumb_media_id`. Built per attempt: a FormData body is spent by the request that sends it.
   */
  async uploadImage(image: { bytes: Uint8Array<ArrayBuffer>; type: string; filename: string }): Promise<string> {
    const api = 'media/upload'
    const form = () => {
      const data = new FormData()
      data.append('media', new Blob([image.bytes], { type: image.type }), image.filename)
      return data
    }
    const body = await this.#call(api, form, { type: 'image' })
    if (typeof body.media_id !== 'string' || body.media_id === '') throw malformed(api, 'answer has no media_id')
    return body.media_id
  }

  /** One call with the current token; a token refusal → one refresh and one repeat. A form is made per attempt. */
  async #call(api: string, payload: unknown, query: Record<string, string> = {}): Promise<JsonObject> {
    const token = await this.#tokens.get()
    const body = () => (typeof payload === 'function' ? (payload as () => FormData)() : payload)
    const exchange = { apiBase: this.#apiBase, api, query, timeoutMs: this.#timeoutMs, secrets: [this.#secret] }
    try {
      return await postKf({ ...exchange, body: body(), accessToken: token })
    } catch (error) {
      if (!(error instanceof KfApiError) || !KF_TOKEN_ERRCODES.has(error.errcode)) throw error
      // A second refusal comes out as it is: permanent, the operator's to look at.
      return postKf({ ...exchange, body: body(), accessToken: await this.#tokens.refresh(token) })
    }
  }
}

function msgidOf(body: JsonObject, api: string): string {
  if (typeof body.msgid !== 'string' || body.msgid === '') throw malformed(api, 'answer has no msgid')
  return body.msgid
}

function malformed(api: string, errmsg: string): KfApiError {
  return new KfApiError({ api, errcode: -1004, errmsg, kind: 'retryable' })
}
