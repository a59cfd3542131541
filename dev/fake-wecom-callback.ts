/**
 * WeChat Work's side of the 微信客服 callback (docs/wecom-kf-protocol.md §2): the signed,
 * encrypted POST of a `kf_msg_or_event` notice and the GET URL check, built with the Worker's
 * own cipher (src/wechat/cipher.ts, the CorpID as receive id). The stand-in sends these; the
 * tests build them directly to tamper with them.
 */
import { encrypt, importCipher } from '../src/wechat/cipher'
import { sign } from '../src/wechat/signature'
import { cdata } from '../src/wechat/xml'

export interface CallbackKeys {
  corpid: string
  /** The callback Token. */
  token: string
  aesKey: string
}

export interface NoticeFields {
  /** The sync_msg token. */
  syncToken: string
  openKfId: string
  /** Seconds; default now. */
  createTime?: number
  /** The decrypted XML's Event, for tests of what is refused (default kf_msg_or_event). */
  event?: string
}

export interface SignedRequest {
  query: URLSearchParams
  body: string
}

export interface SignOptions {
  /** Seconds; default now. */
  timestamp?: number
  nonce?: string
}

/** The decrypted notice, as WeChat Work writes it. */
export function noticeXml(corpid: string, fields: NoticeFields): string {
  const createTime = fields.createTime ?? Math.floor(Date.now() / 1000)
  return (
    `<xml><ToUserName>${cdata(corpid)}</ToUserName><CreateTime>${createTime}</CreateTime>` +
    `<MsgType>${cdata('event')}</MsgType><Event>${cdata(fields.event ?? 'kf_msg_or_event')}</Event>` +
    `<Token>${cdata(fields.syncToken)}</Token><OpenKfId>${cdata(fields.openKfId)}</OpenKfId></xml>`
  )
}

/** The POST WeChat Work makes for a notice (or for any decrypted XML given as a string). */
export async function sealNotice(keys: CallbackKeys, notice: NoticeFields | string, options: SignOptions = {}): Promise<SignedRequest> {
  const plain = typeof notice === 'string' ? notice : noticeXml(keys.corpid, notice)
  const encrypted = await encrypt(await importCipher(keys.aesKey, keys.corpid), plain)
  const { query } = await signed(keys, encrypted, options)
  // AgentID is sent for app callbacks and ignored by the Worker (§2).
  const body = `<xml><ToUserName>${cdata(keys.corpid)}</ToUserName><Encrypt>${cdata(encrypted)}</Encrypt><AgentID>${cdata('1000002')}</AgentID></xml>`
  return { query, body }
}

/** The GET URL check: `echostr` encrypted, and the plaintext the Worker must answer with. */
export async function urlCheck(keys: CallbackKeys, plain: string, options: SignOptions = {}): Promise<URLSearchParams> {
  const echostr = await encrypt(await importCipher(keys.aesKey, keys.corpid), plain)
  const { query } = await signed(keys, echostr, options)
  query.set('echostr', echostr)
  return query
}

async function signed(keys: CallbackKeys, encrypted: string, options: SignOptions): Promise<{ query: URLSearchParams }> {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000))
  const nonce = options.nonce ?? String(Math.floor(Math.random() * 1e9))
  const query = new URLSearchParams({ msg_signature: await sign([keys.token, timestamp, nonce, encrypted]), timestamp, nonce })
  return { query }
}
