/**
 * Reading a stream that may be larger than we will hold: request bodies (admin/body.ts) and
 * the images rules name (wechat/media.ts).
 */

/** The stream's bytes, or null once it passes `maxBytes`: the rest is cancelled, never buffered. */
export async function readAtMost(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
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
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}
