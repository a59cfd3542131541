/**
 * Passive replies: the body WeChat reads from our answer to a push. Written in the push's own
 * format (a JSON-configured app must get JSON), and sealed like the request in safe mode.
 */
import { encrypt, type Cipher } from './cipher'
import { serializeFields, type FlatFields, type InboundMessage, type PushFormat } from './message'
import { sign } from './signature'

/** `transfer_customer_service` hands the conversation to the web customer-service tool. */
export function transferReply(message: InboundMessage, now: number): FlatFields {
  return {
    ToUserName: message.fromUserName,
    FromUserName: message.toUserName,
    CreateTime: now,
    MsgType: 'transfer_customer_service',
  }
}

export interface SealOptions {
  token: string
  timestamp: number
  nonce: string
  /** Fixed only by tests reproducing official vectors. */
  random?: Uint8Array<ArrayBuffer>
}

/** Encrypts a serialized reply into WeChat's {Encrypt, MsgSignature, TimeStamp, Nonce}. */
export async function sealReply(cipher: Cipher, format: PushFormat, plaintext: string, options: SealOptions): Promise<string> {
  const encrypted = await encrypt(cipher, plaintext, options.random)
  const timestamp = String(options.timestamp)
  const signature = await sign([options.token, timestamp, options.nonce, encrypted])
  return serializeFields(format, {
    Encrypt: encrypted,
    MsgSignature: signature,
    TimeStamp: options.timestamp,
    Nonce: options.nonce,
  })
}
