/** Byte helpers shared by the signature and the cipher: hex, base64, UTF-8. */

export const utf8 = new TextEncoder()
/** `fatal`: a decrypted message that is not valid UTF-8 is a bad ciphertext, not mojibake. */
export const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (const b of bytes) out += HEX[b]
  return out
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** Strict base64: returns null for anything atob would tolerate but WeChat never sends. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return null
  let binary: string
  try {
    binary = atob(text)
  } catch {
    return null
  }
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}

export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  // Chunks keep String.fromCharCode's argument list well under engine limits.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  }
  return btoa(binary)
}
