/** Request bodies read within a bound: the admin API's JSON and the console's forms. */

/**
 * The body's bytes, or null when it is larger than `maxBytes`: the declared length is
 * checked first, and a body that goes on past the bound is cancelled, never buffered whole.
 */
export async function readBounded(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (declared > maxBytes) return null
  const chunks: Uint8Array[] = []
  let size = 0
  if (request.body) {
    const reader = request.body.getReader()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      size += value.byteLength
      if (size > maxBytes) {
        // The rest is never read (workerd may log the sender's pipe as aborted).
        await reader.cancel().catch(() => undefined)
        return null
      }
      chunks.push(value)
    }
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}
