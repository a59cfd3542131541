/**
 * A small multipart/form-data reader for the fake WeChat API: enough to see the parts a
 * media upload carries (name, filename, content type, bytes), strict about the framing.
 */

export interface Part {
  name: string
  filename: string | null
  contentType: string | null
  data: Buffer
}

/** The boundary from a Content-Type header, or null when it is not multipart/form-data. */
export function multipartBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^multipart\/form-data\s*;/i.test(contentType)) return null
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType)
  return match?.[1] ?? match?.[2] ?? null
}

/** The parts, or null when the body is not framed by the boundary. */
export function parseMultipart(body: Buffer, boundary: string): Part[] | null {
  const delimiter = Buffer.from(`--${boundary}`)
  let at = body.indexOf(delimiter)
  if (at !== 0) return null
  const parts: Part[] = []
  for (;;) {
    at += delimiter.length
    // `--` after a delimiter closes the body.
    if (body.subarray(at, at + 2).toString() === '--') return parts
    if (body.subarray(at, at + 2).toString() !== '\r\n') return null
    const headerEnd = body.indexOf('\r\n\r\n', at + 2)
    if (headerEnd < 0) return null
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4)
    if (next < 0) return null
    const part = readPart(body.subarray(at + 2, headerEnd).toString('utf8'), body.subarray(headerEnd + 4, next))
    if (!part) return null
    parts.push(part)
    at = next + 2
  }
}

function readPart(headerText: string, data: Buffer): Part | null {
  const headers = new Map<string, string>()
  for (const line of headerText.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon < 0) return null
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  const disposition = headers.get('content-disposition') ?? ''
  if (!/^form-data\s*;/i.test(disposition)) return null
  const name = /\bname="([^"]*)"/i.exec(disposition)?.[1]
  if (name === undefined) return null
  const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1] ?? null
  return { name, filename, contentType: headers.get('content-type') ?? null, data }
}
