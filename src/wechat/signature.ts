/**
 * WeChat's push signatures: SHA-1 over the sorted, concatenated strings, as lowercase hex.
 * The URL check and plaintext pushes sign token/timestamp/nonce; safe mode (msg_signature)
 * and encrypted replies add the Encrypt field.
 */
import { toHex, utf8 } from './bytes'

export async function sign(parts: readonly string[]): Promise<string> {
  const joined = [...parts].sort().join('')
  const digest = await crypto.subtle.digest('SHA-1', utf8.encode(joined))
  return toHex(new Uint8Array(digest))
}

/**
 * Constant time for equal lengths. A SHA-1 hex digest has a public, fixed length, so an early
 * exit on length leaks nothing. Written by hand because `crypto.subtle.timingSafeEqual` is a
 * workerd extension and this module also runs in Node (benchmarks, scripts).
 */
export function equalConstantTime(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

export async function verifySignature(expected: string, parts: readonly string[]): Promise<boolean> {
  return equalConstantTime(await sign(parts), expected.toLowerCase())
}
