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

/** The callback's notice (§2): the one event that asks for a pull. */
export const KF_NOTICE_EVENT = 'kf_msg_or_event'
/**
 * WeChat Work's other event on this URL (§2): accounts granted to or taken from the app, with
 * `AuthAddOpenKfId` / `AuthDelOpenKfId` repeated. Answered 200 (anything else is a failure
 * WeChat Work retries) and logged; nothing to pull.
 */
export const KF_AUTH_CHANGE_EVENT = 'kf_account_auth_change'
const CREATE_TIME = /^\d{1,12}$/

/** What a POSTed callback carries: a notice to pull, or the accounts' authorization changing. */
export type KfCallback = { kind: 'notice'; notice: KfNotice } | { kind: 'auth_change'; added: string[]; removed: string[] }

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

/** A POSTed callback: what it carries, or a PushError. */
export async function openKfCallback(query: KfCallbackQuery, body: string, keys: KfCallbackKeys): Promise<KfCallback> {
  const { msg_signature: signature, timestamp, nonce } = query
  if (!signature || !timestamp || !nonce) throw badRequest('msg_signature, timestamp and nonce are required')
  checkFreshness(timestamp, keys)
  const ciphertext = extractEncrypt('xml', body)
  if (!(await verifySignature(signature, [keys.token, timestamp, nonce, ciphertext]))) throw unauthorized('bad msg_signature')
  const { message } = await decrypt(await keys.cipher(), ciphertext)
  // Past the signature the plaintext is WeChat Work's own: the authorization change repeats its
  // account elements, which the strict reader (one element of a name) refuses, so it is read
  // by name here.
  if (elementText(message, 'Event') === KF_AUTH_CHANGE_EVENT) {
    return { kind: 'auth_change', added: elementTexts(message, 'AuthAddOpenKfId'), removed: elementTexts(message, 'AuthDelOpenKfId') }
  }
  return { kind: 'notice', notice: toNotice(parseXml(message)) }
}

/** An open_kfid, or an event's name: word characters only, as WeChat Work writes them. */
const ID = '[A-Za-z0-9_-]{1,64}'

function elementTexts(xml: string, name: string): string[] {
  const pattern = new RegExp(`<${name}>(?:<!\\[CDATA\\[(${ID})\\]\\]>|(${ID}))</${name}>`, 'g')
  return [...xml.matchAll(pattern)].map((match) => match[1] ?? match[2] ?? '').slice(0, 100)
}

function elementText(xml: string, name: string): string | null {
  return elementTexts(xml, name)[0] ?? null
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
