/**
 * Opening a push: everything between the raw request and a typed message. Checks the
 * timestamp window and the signature, sniffs the format, decrypts safe-mode bodies and parses.
 * Pure apart from WebCrypto, so the route, the tests and the benchmarks share it.
 */
import { decrypt, type Cipher } from './cipher'
import { badRequest, unauthorized } from './errors'
import {
  parseFields,
  sniffFormat,
  toInboundMessage,
  type InboundMessage,
  type PushFormat,
} from './message'
import { verifySignature } from './signature'

export interface PushQuery {
  signature?: string | undefined
  timestamp?: string | undefined
  nonce?: string | undefined
  encrypt_type?: string | undefined
  msg_signature?: string | undefined
}

export interface PushKeys {
  token: string
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

/** Throws a PushError (4xx) for anything that is not a fresh, authentic, well-formed push. */
export async function openPush(
  query: PushQuery,
  body: string,
  keys: PushKeys,
): Promise<OpenedPush> {
  const { timestamp, nonce } = query
  if (!timestamp || !nonce) throw badRequest('timestamp and nonce are required')
  checkFreshness(timestamp, keys)

  const format = sniffFormat(body)
  if (query.encrypt_type !== 'aes') {
    // The plaintext signature does not cover the body, but a forged request is still
    // refused before its body is parsed.
    if (!query.signature) throw badRequest('signature is required')
    if (!(await verifySignature(query.signature, [keys.token, timestamp, nonce]))) {
      throw unauthorized('bad signature')
    }
    return { format, encrypted: false, message: toInboundMessage(parseFields(format, body)) }
  }

  const outer = parseFields(format, body)
  const encrypted = outer.Encrypt
  if (typeof encrypted !== 'string' || encrypted === '') throw badRequest('Encrypt is missing')
  if (!query.msg_signature) throw badRequest('msg_signature is required')
  if (!(await verifySignature(query.msg_signature, [keys.token, timestamp, nonce, encrypted]))) {
    throw unauthorized('bad msg_signature')
  }
  const { message } = await decrypt(await keys.cipher(), encrypted)
  const inner = parseFields(sniffFormat(message), message)
  return { format, encrypted: true, message: toInboundMessage(inner) }
}

/** Checks a URL-check or push timestamp: decimal seconds, within maxAgeSeconds of now. */
export function checkFreshness(timestamp: string, keys: Pick<PushKeys, 'maxAgeSeconds' | 'now'>) {
  if (!TIMESTAMP.test(timestamp)) throw badRequest('timestamp is not a number')
  if (Math.abs(keys.now - Number(timestamp)) > keys.maxAgeSeconds) {
    throw unauthorized('timestamp too far from now')
  }
}
