/** A rule set's version: the first 16 hex digits of the SHA-256 of the exact KV value. */
export async function ruleSetVersion(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  // TextEncoder's type admits a SharedArrayBuffer behind the view; ours never is one.
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>))
  let hex = ''
  for (let i = 0; i < 8; i++) hex += digest[i]!.toString(16).padStart(2, '0')
  return hex
}
