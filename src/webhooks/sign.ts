/**
 * The signature a receiver checks: `X-Kefu-Signature: sha256=<hex>`, the HMAC-SHA256 of the
 * raw body with WEBHOOK_SECRET as the key (WebCrypto). Pure: no bindings.
 *
 * @example
 * const header = await signatureHeader(secret, body) // 'sha256=5c0f…'
 */

const encoder = new TextEncoder()

/** The hex HMAC-SHA256 of `body` with `secret` (both as UTF-8). */
export async function hmacHex(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(body)))
  return Array.from(mac, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

export async function signatureHeader(secret: string, body: string): Promise<string> {
  return `sha256=${await hmacHex(secret, body)}`
}
