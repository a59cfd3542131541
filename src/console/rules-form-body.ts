/**
 * The rules form's body as the browser posts it — multipart, with the images chosen in it —
 * read as it streams in, never buffered whole: a phone photo is 3–12 MB, and the page must still
 * come back with the draft and the refusal under the photo's part (console/rule-uploads.ts).
 *
 * Text fields are kept, at most `textMaxBytes` in all. A file is kept up to `fileMaxBytes` (the
 * most any use takes, media/uploads.ts); past that it is read on and dropped, remembered only as
 * too large, with its size. The files kept add up to at most `filesMaxBytes`. A body larger than
 * `bodyMaxBytes` (as declared, or as read) or past either budget is not read further: null, for
 * the route's page that says so. A body that is not multipart, or does not parse, has no fields
 * (as console/form.ts reads it).
 */

/** A file past `fileMaxBytes`: its bytes were dropped as they came. */
export interface OversizeFile {
  readonly oversize: true
  readonly name: string
  readonly bytes: number
}

export type PostedValue = string | File | OversizeFile

/** A form's fields by name; a repeated name keeps its first value, as `FormData.get` reads it. */
export type PostedFields = Readonly<Record<string, PostedValue>>

export interface MultipartLimits {
  bodyMaxBytes: number
  textMaxBytes: number
  fileMaxBytes: number
  filesMaxBytes: number
}

/** A part's headers are a few lines: more is not a browser's form. */
const HEADERS_MAX_BYTES = 16 * 1024
const CRLF = new Uint8Array([13, 10])
const CRLF_CRLF = new Uint8Array([13, 10, 13, 10])
const DASH = 45

const TOO_LARGE = Symbol('too large')
const MALFORMED = Symbol('malformed')

/**
 * The fields of a multipart form, or null when it is too large to read (see the module's comment).
 *
 * @example
 * const fields = await readMultipart(c.req.raw, { bodyMaxBytes, textMaxBytes, fileMaxBytes, filesMaxBytes })
 * if (fields === null) return tooLargePage(c)
 */
export async function readMultipart(request: Request, limits: MultipartLimits): Promise<PostedFields | null> {
  const declared = Number(request.headers.get('content-length') ?? '0')
  if (declared > limits.bodyMaxBytes) return null
  const none: PostedFields = Object.create(null)
  const boundary = boundaryOf(request.headers.get('content-type') ?? '')
  if (boundary === null || !request.body) return none
  const parser = new Parser(boundary, limits)
  const reader = request.body.getReader()
  let read = 0
  try {
    while (!parser.done) {
      const { done, value } = await reader.read()
      if (done) break
      read += value.byteLength
      if (read > limits.bodyMaxBytes) throw TOO_LARGE
      parser.push(value)
    }
  } catch (error) {
    // The rest is never read (workerd may log the sender's pipe as aborted).
    await reader.cancel().catch(() => undefined)
    if (error === TOO_LARGE) return null
    if (error === MALFORMED) return none
    throw error
  }
  // What follows the closing delimiter (an epilogue) is not the form's.
  if (parser.done) await reader.cancel().catch(() => undefined)
  return parser.done ? parser.fields : none
}

/** The boundary of a `multipart/form-data` Content-Type (1–70 characters, RFC 2046), or null. */
function boundaryOf(contentType: string): string | null {
  if (contentType.split(';')[0]?.trim().toLowerCase() !== 'multipart/form-data') return null
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s"]{1,70}))\s*(?:;|$)/i.exec(contentType)
  return match ? (match[1] ?? match[2] ?? null) : null
}

interface Part {
  name: string
  /** null for a text field; a file input's file name ('' when none was chosen). */
  filename: string | null
  type: string
  chunks: Uint8Array<ArrayBuffer>[]
  size: number
  oversize: boolean
}

/**
 * The body's states: before the first delimiter, just after a delimiter, in a part's headers,
 * in its body, and past the closing delimiter. The first delimiter has no CRLF before it: the
 * buffer starts with one, so every delimiter is CRLF "--" boundary.
 */
type State = 'preamble' | 'after' | 'headers' | 'body' | 'done'

class Parser {
  readonly fields: Record<string, PostedValue> = Object.create(null)
  private readonly delimiter: Uint8Array
  private buffer: Uint8Array = CRLF
  private state: State = 'preamble'
  private part: Part | null = null
  private textBytes = 0
  private keptBytes = 0

  constructor(
    boundary: string,
    private readonly limits: MultipartLimits,
  ) {
    this.delimiter = new TextEncoder().encode(`\r\n--${boundary}`)
  }

  get done(): boolean {
    return this.state === 'done'
  }

  push(chunk: Uint8Array): void {
    this.buffer = concat(this.buffer, chunk)
    while (this.step()) {
      // Each step takes what it can from the buffer; false when it needs more bytes.
    }
  }

  private step(): boolean {
    switch (this.state) {
      case 'preamble':
      case 'body':
        return this.content()
      case 'after':
        return this.afterDelimiter()
      case 'headers':
        return this.headers()
      case 'done':
        return false
    }
  }

  /** A part's bytes up to the next delimiter; all but what could be a delimiter's start when there is none yet. */
  private content(): boolean {
    const at = indexOf(this.buffer, this.delimiter)
    if (at === -1) {
      const keep = this.delimiter.length - 1
      if (this.buffer.length > keep) {
        this.take(this.buffer.subarray(0, this.buffer.length - keep))
        this.buffer = this.buffer.slice(this.buffer.length - keep)
      }
      return false
    }
    this.take(this.buffer.subarray(0, at))
    this.finish()
    this.buffer = this.buffer.subarray(at + this.delimiter.length)
    this.state = 'after'
    return true
  }

  /** After a delimiter: "--" closes the body; otherwise optional spaces, then CRLF and a part's headers. */
  private afterDelimiter(): boolean {
    if (this.buffer.length >= 2 && this.buffer[0] === DASH && this.buffer[1] === DASH) {
      this.state = 'done'
      return false
    }
    const end = indexOf(this.buffer, CRLF)
    if (end === -1) {
      if (this.buffer.length > 256) throw MALFORMED
      return false
    }
    if (!this.buffer.subarray(0, end).every((byte) => byte === 32 || byte === 9)) throw MALFORMED
    this.buffer = this.buffer.subarray(end + 2)
    this.state = 'headers'
    return true
  }

  private headers(): boolean {
    // A part without headers starts with its blank line.
    const end = this.buffer[0] === 13 && this.buffer[1] === 10 ? -2 : indexOf(this.buffer, CRLF_CRLF)
    if (end === -1) {
      if (this.buffer.length > HEADERS_MAX_BYTES) throw MALFORMED
      return false
    }
    this.part = partOf(new TextDecoder().decode(this.buffer.subarray(0, Math.max(0, end))))
    this.buffer = this.buffer.subarray(end + 4)
    this.state = 'body'
    return true
  }

  private take(bytes: Uint8Array): void {
    const part = this.part
    if (this.state === 'preamble' || part === null || bytes.length === 0) return
    part.size += bytes.length
    if (part.filename === null) {
      this.textBytes += bytes.length
      if (this.textBytes > this.limits.textMaxBytes) throw TOO_LARGE
      part.chunks.push(bytes.slice())
      return
    }
    if (part.oversize) return
    if (part.size > this.limits.fileMaxBytes) {
      // Past any use's limit: refused whatever it is, so nothing more of it is kept.
      this.keptBytes -= part.size - bytes.length
      part.chunks = []
      part.oversize = true
      return
    }
    this.keptBytes += bytes.length
    if (this.keptBytes > this.limits.filesMaxBytes) throw TOO_LARGE
    part.chunks.push(bytes.slice())
  }

  private finish(): void {
    const part = this.part
    this.part = null
    if (part === null || Object.hasOwn(this.fields, part.name)) return
    if (part.filename === null) this.fields[part.name] = new TextDecoder().decode(concat(...part.chunks))
    else if (part.oversize) this.fields[part.name] = { oversize: true, name: part.filename, bytes: part.size }
    else this.fields[part.name] = new File(part.chunks, part.filename, { type: part.type })
  }
}

/** A part from its header lines: a form field has `Content-Disposition: form-data; name="…"`; any other part is skipped. */
function partOf(headers: string): Part | null {
  let disposition = ''
  let type = ''
  for (const line of headers.split('\r\n')) {
    const colon = line.indexOf(':')
    const key = line.slice(0, colon).trim().toLowerCase()
    if (key === 'content-disposition') disposition = line.slice(colon + 1).trim()
    if (key === 'content-type') type = line.slice(colon + 1).trim()
  }
  if (!/^form-data\s*(;|$)/i.test(disposition)) return null
  const params = new Map<string, string>()
  for (const [, key, quoted, bare] of disposition.matchAll(/;\s*([A-Za-z*]+)\s*=\s*(?:"([^"]*)"|([^;\s]*))/g)) {
    params.set((key ?? '').toLowerCase(), unescapeName(quoted ?? bare ?? ''))
  }
  const name = params.get('name')
  if (name === undefined) return null
  return { name, filename: params.get('filename') ?? null, type, chunks: [], size: 0, oversize: false }
}

/** Browsers write `"`, CR and LF in names as %22, %0D and %0A (the HTML standard's multipart encoding). */
function unescapeName(name: string): string {
  return name.replace(/%22/g, '"').replace(/%0D/gi, '\r').replace(/%0A/gi, '\n')
}

function concat(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(parts.reduce((size, part) => size + part.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** Where `needle` starts in `haystack`, or -1: the runtime's own search for its first byte, then a comparison. */
function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  const first = needle[0]!
  const last = haystack.length - needle.length
  for (let at = haystack.indexOf(first); at !== -1 && at <= last; at = haystack.indexOf(first, at + 1)) {
    let j = 1
    while (j < needle.length && haystack[at + j] === needle[j]) j++
    if (j === needle.length) return at
  }
  return -1
}
