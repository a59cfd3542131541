/**
 * Opening the 微信客服 callback (docs/wecom-kf-protocol.md §2): the same WXBizMsgCrypt as the
 * mini program's safe mode (src/wechat/cipher.ts, signature.ts, envelope.ts), with the CorpID
 * as the receive id. Nothing is parsed before `msg_signature` holds over the ciphertext a
 * bounded scan takes out of the raw body; the timestamp must be as fresh as /wechat's.
 * Every refusal is a PushError (400/401) whose message carries no secret and no content.
 */
import { decrypt, type Cipher } from '../wechat/cipher'
import { extractEncrypt } from '../wechat/envelope'
import { badRequest, unauthorized } from '../wechat/errors'
import { checkFreshness } from '../wechat/push'
import { verifySignature } from '../wechat/signature'
import { parseXml } from '../wechat/xml'
import type { KfNotice } from './types'

export interface KfCallbackQuery {
  msg_signature?: string | undefined
  timestamp?: string | undefined
  nonce?: string | undefined
  echostr?: string | undefined
}

export interface KfCallbackKeys {
  /** WECOM_KF_TOKEN. */
  token: string
  /** The cipher of WECOM_KF_ENCODING_AES_KEY with WECOM_CORPID as the receive id (importCipher). */
  cipher: () => Promise<Cipher>
  /** PUSH_MAX_AGE_SECONDS. */
  maxAgeSeconds: number
  /** Seconds since the epoch. */
  now: number
}

/** The callback's one event type (§2); anything else on this URL is refused. */
export const KF_NOTICE_EVENT = 'kf_msg_or_event'
const CREATE_TIME = /^\d{1,12}$/

/**
 * The GET URL check: the decrypted `echostr`, to be answered as it is, only once
 * `msg_signature` holds over the encrypted one.
 */
export async function verifyKfUrl(query: KfCallbackQuery, keys: KfCallbackKeys): Promise<string> {
  const { msg_signature: signature, timestamp, nonce, echostr } = query
  if (!signature || !timestamp || !nonce || !echostr) throw badRequest('msg_signature, timestamp, nonce and echostr are required')
  checkFreshness(timestamp, keys)
  if (!(await verifySignature(signature, [keys.token, timestamp, nonce, echostr]))) throw unauthorized('bad msg_signature')
  return (await decrypt(await keys.cipher(), echostr)).message
}

/** A POSTed callback: the notice it carries, or a PushError. */
export async function openKfCallback(query: KfCallbackQuery, body: string, keys: KfCallbackKeys): Promise<KfNotice> {
  const { msg_signature: signature, timestamp, nonce } = query
  if (!signature || !timestamp || !nonce) throw badRequest('msg_signature, timestamp and nonce are required')
  checkFreshness(timestamp, keys)
  const ciphertext = extractEncrypt('xml', body)
  if (!(await verifySignature(signature, [keys.token, timestamp, nonce, ciphertext]))) throw unauthorized('bad msg_signature')
  const { message } = await decrypt(await keys.cipher(), ciphertext)
  return toNotice(parseXml(message))
}

/** The decrypted XML's fields as a notice: a kf_msg_or_event event with its Token and OpenKfId. */
function toNotice(fields: Record<string, unknown>): KfNotice {
  const text = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : '')
  const event = text('Event')
  if (text('MsgType') !== 'event' || event !== KF_NOTICE_EVENT) {
    // The event's name is WeChat Work's word, never user content: safe to say, cut short.
    throw badRequest(`not a ${KF_NOTICE_EVENT} notice${event ? ` (Event ${event.slice(0, 40)})` : ''}`)
  }
  const token = text('Token')
  const openKfId = text('OpenKfId')
  if (!token || !openKfId) throw badRequest(`${KF_NOTICE_EVENT} without Token or OpenKfId`)
  const createTime = text('CreateTime')
  if (!CREATE_TIME.test(createTime)) throw badRequest('CreateTime is not a number')
  return { token, openKfId, createTime: Number(createTime) }
}
