/**
 * WeChat's side of a push: builds the query and body WeChat would send for a message, signed
 * and (in safe or compatible mode) encrypted. Used by the tests, the chat client and the
 * benchmarks, so there is one way to play WeChat.
 */
import { encrypt, type Cipher } from '../src/wechat/cipher'
import { serializeFields, type FlatFields, type PushFormat } from '../src/wechat/message'
import { cdata } from '../src/wechat/xml'
import { sign } from '../src/wechat/signature'

export type PushMode = 'plaintext' | 'compatible' | 'safe'

export interface PushOptions {
  token: string
  mode: PushMode
  format: PushFormat
  /** Needed for compatible and safe mode. */
  cipher?: Cipher
  timestamp?: number
  nonce?: string
}

export interface BuiltPush {
  query: URLSearchParams
  body: string
}

/** `message` is the plaintext body: flat fields, or an already serialized XML/JSON string. */
export async function buildPush(message: FlatFields | string, options: PushOptions): Promise<BuiltPush> {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000))
  const nonce = options.nonce ?? String(Math.floor(Math.random() * 1e9))
  const plain = typeof message === 'string' ? message : serializePush(options.format, message)
  const openid = typeof message === 'string' ? undefined : message.FromUserName
  const query = new URLSearchParams({
    signature: await sign([options.token, timestamp, nonce]),
    timestamp,
    nonce,
  })
  if (typeof openid === 'string') query.set('openid', openid)
  if (options.mode === 'plaintext') return { query, body: plain }

  if (!options.cipher) throw new Error(`${options.mode} mode needs a cipher`)
  const encrypted = await encrypt(options.cipher, plain)
  query.set('encrypt_type', 'aes')
  query.set('msg_signature', await sign([options.token, timestamp, nonce, encrypted]))
  const toUserName = typeof message === 'string' ? '' : String(message.ToUserName ?? '')
  if (options.mode === 'safe') {
    return { query, body: serializeFields(options.format, { ToUserName: toUserName, Encrypt: encrypted }) }
  }
  // Compatible mode: the plaintext fields and the ciphertext side by side.
  const fields = typeof message === 'string' ? { ToUserName: toUserName } : message
  return { query, body: serializePush(options.format, { ...fields, Encrypt: encrypted }) }
}

/** WeChat writes the 64-bit MsgId as a bare JSON number; so do we, to test precision. */
function serializePush(format: PushFormat, fields: FlatFields): string {
  const text = serializeFields(format, fields)
  return format === 'json' ? text.replace(/"MsgId":"(\d+)"/, '"MsgId":$1') : text
}

/** A text message from a user, as WeChat would push it. */
export function textMessage(openid: string, content: string, msgId: string): FlatFields {
  return {
    ToUserName: 'gh_97417a04a28d',
    FromUserName: openid,
    CreateTime: Math.floor(Date.now() / 1000),
    MsgType: 'text',
    Content: content,
    MsgId: msgId,
  }
}

/**
 * A user's answer to the subscribe-message popup (wx.requestSubscribeMessage), as WeChat
 * pushes subscribe_msg_popup_event: in XML one <List> per template inside
 * <SubscribeMsgPopupEvent>; in JSON a top-level List, an object for one template and an array
 * for several (as WeChat's samples write them, PopupScene as a string). PopupScene 0: the
 * mini program's own popup. `items`: [template id, status] pairs.
 */
export function popupEvent(
  format: PushFormat,
  openid: string,
  items: readonly (readonly [string, string])[],
  createTime = Math.floor(Date.now() / 1000),
): string {
  const fields: FlatFields = {
    ToUserName: 'gh_97417a04a28d',
    FromUserName: openid,
    CreateTime: createTime,
    MsgType: 'event',
    Event: 'subscribe_msg_popup_event',
  }
  if (format === 'json') {
    const list = items.map(([id, status]) => ({ TemplateId: id, SubscribeStatusString: status, PopupScene: '0' }))
    return JSON.stringify({ ...fields, List: list.length === 1 ? list[0] : list })
  }
  const lists = items
    .map(
      ([id, status]) =>
        `<List><TemplateId>${cdata(id)}</TemplateId><SubscribeStatusString>${cdata(status)}</SubscribeStatusString><PopupScene>0</PopupScene></List>`,
    )
    .join('')
  return serializeFields('xml', fields).replace(/<\/xml>$/, `<SubscribeMsgPopupEvent>${lists}</SubscribeMsgPopupEvent></xml>`)
}
