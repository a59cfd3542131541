/**
 * Opening a push: everything between the raw request and a typed message. Checks the
 * timestamp window and the signature, sniffs the format, decrypts safe-mode bodies and parses.
 * Pure apart from WebCrypto, so the route, the tests and the benchmarks share it.
 */
import { decrypt, type Cipher } from './cipher'
import { extractEncrypt } from './envelope'
import { badRequest, unauthorized } from './errors'
import { parseFields, sniffFormat, toInboundMessage, type InboundMessage, type PushFormat } from './message'
import { verifySignature } from './signature'

/** The message encryption mode (消息加密方式) chosen in WeChat's console. */
export type PushMode = 'safe' | 'compatible' | 'plaintext'

export interface PushQuery {
  signature?: string | undefined
  timestamp?: string | undefined
  nonce?: string | undefined
  encrypt_type?: string | undefined
  msg_signature?: string | undefined
}

export interface PushKeys {
  token: string
  /** The encryption mode chosen in WeChat's console: a push in any other form is refused. */
  mode: PushMode
  /** Called only for encrypted pushes, so a plaintext deployment needs no AES key. */
  cipher: () => Promise<Cipher>
  maxAgeSeconds: number
  /** Seconds since the epoch. */
  now: number
}

export interface OpenedPush {
  format: PushFormat
  /** Safe or compatible mode: the passive reply must be sealed the same way. */
  encrypted: boolean
  message: InboundMessage
}

const TIMESTAMP = /^\d{1,12}$/

/**
 * Throws a PushError (4xx) for anything that is not a fresh, authentic, well-formed push in
 * the configured mode. Nothing is parsed before its signature holds: a plaintext body after
 * `signature`, an encrypted one after `msg_signature` over the ciphertext, which a bounded
 * scan takes out of the raw body.
 */
export async function openPush(query: PushQuery, body: string, keys: PushKeys): Promise<OpenedPush> {
  const { timestamp, nonce } = query
  if (!timestamp || !nonce) throw badRequest('timestamp and nonce are required')
  checkFreshness(timestamp, keys)
  const encrypted = isEncrypted(query, keys.mode)

  const format = sniffFormat(body)
  if (!encrypted) {
    // The plaintext signature does not cover the body (README "Security"), but a forged
    // request is still refused before its body is parsed.
    if (!query.signature) throw badRequest('signature is required')
    if (!(await verifySignature(query.signature, [keys.token, timestamp, nonce]))) {
      throw unauthorized('bad signature')
    }
    return { format, encrypted: false, message: toInboundMessage(parseFields(format, body)) }
  }

  if (!query.msg_signature) throw badRequest('msg_signature is required')
  const ciphertext = extractEncrypt(format, body)
  if (!(await verifySignature(query.msg_signature, [keys.token, timestamp, nonce, ciphertext]))) {
    throw unauthorized('bad msg_signature')
  }
  const { message } = await decrypt(await keys.cipher(), ciphertext)
  const inner = parseFields(sniffFormat(message), message)
  return { format, encrypted: true, message: toInboundMessage(inner) }
}

/**
 * Whether the push is encrypted, refusing one that does not fit the mode. Safe and
 * compatible mode both send `encrypt_type=aes`; accepting a plaintext push there would let
 * anyone who saw one push URL post any body, since the plaintext signature covers none of it.
 */
function isEncrypted(query: PushQuery, mode: PushMode): boolean {
  const type = query.encrypt_type
  if (type !== undefined && type !== 'aes') throw badRequest('encrypt_type is not aes')
  const encrypted = type === 'aes'
  if (mode === 'plaintext' && encrypted) throw badRequest('encrypted push refused: WECHAT_PUSH_MODE is plaintext')
  if (mode !== 'plaintext' && !encrypted) throw badRequest(`plaintext push refused: WECHAT_PUSH_MODE is ${mode}`)
  return encrypted
}

/** Checks a URL-check or push timestamp: decimal seconds, within maxAgeSeconds of now. */
export function checkFreshness(timestamp: string, keys: Pick<PushKeys, 'maxAgeSeconds' | 'now'>) {
  if (!TIMESTAMP.test(timestamp)) throw badRequest('timestamp is not a number')
  if (Math.abs(keys.now - Number(timestamp)) > keys.maxAgeSeconds) {
    throw unauthorized('timestamp too far from now')
  }
}
