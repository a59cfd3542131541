/** Request bodies read within a bound: the admin API's JSON (routes/admin-validation.ts) and the console's forms (console/form.ts). */
import { readAtMost } from '../bounded-read'

/**
 * The body's bytes, or null when it is larger than `maxBytes`: the declared length is
 * checked first, and a body that goes on past the bound is cancelled, never buffered whole.
 */
export async function readBounded(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (declared > maxBytes) return null
  if (!request.body) return new Uint8Array(0)
  return readAtMost(request.body, maxBytes)
}
