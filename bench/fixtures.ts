/**
 * What every benchmark section plays WeChat with: the local (made-up) keys, message content
 * of an exact UTF-8 size, and signed, encrypted safe-mode pushes built by dev/push.ts.
 */
import { buildPush, textMessage } from '../dev/push'
import { importCipher, type Cipher } from '../src/wechat/cipher'
import type { PushFormat } from '../src/wechat/message'

/** Made-up local keys (the same shapes as .dev.vars.example); never production values. */
export const KEYS = {
  appid: 'wx1234567890abcdef',
  secret: 'localsecret0123456789abcdef0123',
  token: 'kefuLocalToken',
  encodingAesKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR',
} as const

export function cipherFor(appid: string = KEYS.appid): Promise<Cipher> {
  return importCipher(KEYS.encodingAesKey, appid)
}

const PHRASE = '您好，请问我买的东西什么时候发货？order 20261126 谢谢 '

/** Text of exactly `bytes` UTF-8 bytes: CJK and ASCII mixed, varied by `variant`. */
export function contentOfBytes(bytes: number, variant = 0): string {
  const encoder = new TextEncoder()
  const phrase = `${variant} ${PHRASE}`
  let out = ''
  let size = 0
  for (let i = 0; ; i++) {
    const ch = phrase[i % phrase.length]!
    const n = encoder.encode(ch).length
    if (size + n > bytes) break
    out += ch
    size += n
  }
  return out + 'x'.repeat(bytes - size)
}

export interface SignedPush {
  /** Query string without the leading `?`. */
  search: string
  query: Record<string, string>
  body: string
}

export interface PushSpec {
  openid: string
  content: string
  msgId: string
  format: PushFormat
  /** Seconds; defaults to now. */
  timestamp?: number
  nonce?: string
  cipher: Cipher
}

/** A safe-mode (encrypted) text push, signed as WeChat signs it. */
export async function signedPush(spec: PushSpec): Promise<SignedPush> {
  const { query, body } = await buildPush(textMessage(spec.openid, spec.content, spec.msgId), {
    token: KEYS.token,
    mode: 'safe',
    format: spec.format,
    cipher: spec.cipher,
    ...(spec.timestamp === undefined ? {} : { timestamp: spec.timestamp }),
    ...(spec.nonce === undefined ? {} : { nonce: spec.nonce }),
  })
  return { search: query.toString(), query: Object.fromEntries(query), body }
}
