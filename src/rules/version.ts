import { toHex } from '../wechat/bytes'

/** A rule set's version: the first 16 hex digits of the SHA-256 of the exact KV value. */
export async function ruleSetVersion(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  // TextEncoder's type admits a SharedArrayBuffer behind the view; ours never is one.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
  return toHex(digest.subarray(0, 8))
}
