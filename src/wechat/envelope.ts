/**
 * The ciphertext of an encrypted push, taken out of the raw body by one bounded scan, so a
 * forged body is refused by its signature before any parser sees it.
 *
 * Safe mode sends `{ToUserName, Encrypt}`; compatible mode sends the plaintext fields beside
 * `Encrypt`. We only ever read `Encrypt`: the plaintext copy is covered by no signature.
 * The scan is linear in the body and allocates nothing but the result.
 */
import { badRequest } from './errors'
import type { PushFormat } from './message'
import { isBase64 } from './bytes'

/** The Encrypt value of an XML or JSON push body; a PushError(400) unless exactly one. */
export function extractEncrypt(format: PushFormat, body: string): string {
  const values = format === 'xml' ? xmlValues(body) : jsonValues(body)
  if (values.length === 0) throw badRequest('Encrypt is missing')
  if (values.length > 1) throw badRequest('Encrypt appears more than once')
  const value = values[0]!
  if (value === '') throw badRequest('Encrypt is missing')
  // Base64, as WeChat writes Encrypt (whitespace is not expected and not accepted).
  if (!isBase64(value)) throw badRequest('Encrypt is not base64')
  return value
}

const OPEN = '<Encrypt>'
const CLOSE = '</Encrypt>'
const CDATA_OPEN = '<![CDATA['
const CDATA_CLOSE = ']]>'

/**
 * Every `<Encrypt>` element outside CDATA sections and comments: a `<` in XML text must be
 * escaped, so outside those two a literal `<Encrypt>` is a tag. Text a user typed (CDATA in
 * compatible mode) can therefore not pose as one. At most two are collected: a second one
 * is already a refusal.
 */
function xmlValues(body: string): string[] {
  const values: string[] = []
  let at = body.indexOf('<')
  while (at !== -1 && values.length < 2) {
    if (body.startsWith(CDATA_OPEN, at)) {
      at = skipPast(body, CDATA_CLOSE, at + CDATA_OPEN.length)
    } else if (body.startsWith('<!--', at)) {
      at = skipPast(body, '-->', at + 4)
    } else if (body.startsWith(OPEN, at)) {
      const start = at + OPEN.length
      const end = body.indexOf(CLOSE, start)
      if (end === -1) throw badRequest('malformed XML')
      values.push(unwrapCdata(body.slice(start, end)))
      at = end + CLOSE.length
    } else {
      at++
    }
    if (at === -1) throw badRequest('malformed XML')
    at = body.indexOf('<', at)
  }
  return values
}

function skipPast(body: string, marker: string, from: number): number {
  const end = body.indexOf(marker, from)
  return end === -1 ? -1 : end + marker.length
}

/** `<![CDATA[x]]>` or plain `x`. */
function unwrapCdata(text: string): string {
  if (!text.startsWith(CDATA_OPEN)) return text
  if (!text.endsWith(CDATA_CLOSE)) throw badRequest('malformed XML')
  return text.slice(CDATA_OPEN.length, -CDATA_CLOSE.length)
}

/**
 * Every `"Encrypt": "…"` member. A quote inside a JSON string is escaped, so an unescaped
 * `"Encrypt"` followed by a colon is a key, never text a user typed. Base64 needs no
 * escapes, so the value ends at the next quote.
 */
const JSON_MEMBER = /"Encrypt"\s*:\s*"([^"\\]*)"/g

function jsonValues(body: string): string[] {
  const values: string[] = []
  for (const match of body.matchAll(JSON_MEMBER)) {
    values.push(match[1]!)
    if (values.length === 2) break
  }
  if (values.length === 0 && /"Encrypt"\s*:/.test(body)) throw badRequest('Encrypt is not base64')
  return values
}
