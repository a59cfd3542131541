/**
 * WeChat's XML, read by a reader of exactly its shape: `<xml>` holding text fields and, in
 * the subscribe events, one wrapper element (`<SubscribeMsgPopupEvent>`, …) holding `<List>`
 * items of text fields. Nothing else nests, no field appears twice, and there are no
 * attributes, comments, processing instructions or document type declarations: a DOCTYPE is
 * refused outright, so no entity can be declared and none expanded. A field's text is its
 * character data and CDATA sections as written, with XML's line-end normalisation and the
 * five predefined entities and character references decoded; ids stay strings. An
 * `<?xml version="1.0" …?>` declaration and a byte order mark may come first.
 *
 * One pass and no recursion: the shape has four levels (xml > wrapper > List > field).
 */
import { badRequest, type PushError } from './errors'

/** A field is its text; a wrapper holds its `<List>` items, in order. */
export type XmlValue = string | XmlRecord | XmlRecord[]
export interface XmlRecord {
  [name: string]: XmlValue
}

/** The subscribe events' wrappers: besides the root, the only elements with elements inside. */
const WRAPPERS = new Set(['SubscribeMsgPopupEvent', 'SubscribeMsgChangeEvent', 'SubscribeMsgSentEvent'])

/** Outside XML's Char production, bar lone surrogates (isWellFormed finds those). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the class exists to find the control characters XML forbids
const NOT_CHAR = /[\0-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]/
const DECLARATION =
  /<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(["'])1\.0\1(?:[ \t\n]+encoding[ \t\n]*=[ \t\n]*(["'])[A-Za-z][\w.-]*\2)?(?:[ \t\n]+standalone[ \t\n]*=[ \t\n]*(["'])(?:yes|no)\3)?[ \t\n]*\?>/y
/** A reference ends at the next `;`; `[^&;]` keeps a run of unterminated `&`s linear. */
const ENTITY = /&([^&;]*);|&/g
const PREDEFINED = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
])
const CDATA_OPEN = '<![CDATA['
/** Longer names are refused, so the errors that quote one stay short. */
const MAX_NAME = 64
const LT = 0x3c
const GT = 0x3e
const SLASH = 0x2f

/** ES2024, in workerd and Node 20; the project's lib is ES2023. */
interface WellFormed {
  isWellFormed(): boolean
}

const malformed = (): PushError => badRequest('malformed XML')

/** Parses `<xml>…</xml>` into a record of its fields; a PushError(400) for anything else. */
export function parseXml(source: string): XmlRecord {
  if (NOT_CHAR.test(source) || !(source as unknown as WellFormed).isWellFormed()) throw malformed()
  // Line ends are normalised before anything else, so `&#13;` still stands for a CR.
  const s = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source
  let at = s.charCodeAt(0) === 0xfeff ? 1 : 0
  if (s.startsWith('<?xml', at)) {
    DECLARATION.lastIndex = at
    if (!DECLARATION.test(s)) throw malformed()
    at = DECLARATION.lastIndex
  }
  at = skipSpace(s, at)
  if (s.charCodeAt(at) !== LT) throw malformed()
  const rootEnd = startTag(s, at)
  if (s.slice(at + 1, rootEnd) !== 'xml') throw badRequest('XML root is not <xml>')
  at = tagEnd(s, rootEnd)

  const root = record()
  // The open elements that hold elements: the root, then a wrapper, then a List item.
  const names = s.charCodeAt(at - 2) === SLASH ? [] : ['xml']
  const records = [root]
  while (names.length > 0) {
    at = skipSpace(s, at)
    if (s.charCodeAt(at) !== LT) throw malformed()
    if (s.charCodeAt(at + 1) === SLASH) {
      at = endTag(s, at, names.pop()!)
      records.pop()
      continue
    }
    const nameEnd = startTag(s, at)
    const name = s.slice(at + 1, nameEnd)
    at = tagEnd(s, nameEnd)
    const empty = s.charCodeAt(at - 2) === SLASH
    const depth = names.length
    const parent = records[depth - 1]!
    if (depth === 3 || (depth === 1 && !WRAPPERS.has(name))) {
      let value = ''
      if (!empty) {
        value = readField(s, at, name)
        at = fieldEnd
      }
      add(parent, name, value)
      continue
    }
    if (depth === 2 && name !== 'List') throw nested(name, names[1]!)
    const child = record()
    if (depth === 2) {
      parent.List ??= []
      const list = parent.List as XmlRecord[]
      list.push(child)
    } else {
      add(parent, name, child)
    }
    if (!empty) {
      names.push(name)
      records.push(child)
    }
  }
  if (skipSpace(s, at) !== s.length) throw malformed()
  return root
}

/** Where the field readField last read ends: past its end tag. */
let fieldEnd = 0

/** A field's text up to its end tag: character data and CDATA, never an element. */
function readField(s: string, from: number, name: string): string {
  let value = ''
  let at = from
  for (;;) {
    const lt = s.indexOf('<', at)
    if (lt === -1) throw malformed()
    if (lt > at) value += text(s.slice(at, lt))
    if (s.charCodeAt(lt + 1) === SLASH) {
      fieldEnd = endTag(s, lt, name)
      return value
    }
    if (!s.startsWith(CDATA_OPEN, lt)) throw nested(s.slice(lt + 1, startTag(s, lt)), name)
    const end = s.indexOf(']]>', lt + CDATA_OPEN.length)
    if (end === -1) throw malformed()
    value += s.slice(lt + CDATA_OPEN.length, end)
    at = end + 3
  }
}

/** Character data: `]]>` may not appear in it, and every `&` starts a known reference. */
function text(raw: string): string {
  if (raw.includes(']]>')) throw malformed()
  return raw.includes('&') ? raw.replace(ENTITY, (_, name?: string) => entity(name)) : raw
}

/** A predefined entity or a reference to a Char; `name` is undefined for a bare `&`. */
function entity(name: string | undefined): string {
  if (name === undefined) throw malformed()
  const predefined = PREDEFINED.get(name)
  if (predefined !== undefined) return predefined
  const code = /^#[0-9]+$/.test(name) ? parseInt(name.slice(1), 10) : /^#x[0-9a-fA-F]+$/.test(name) ? parseInt(name.slice(2), 16) : NaN
  const isChar =
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  if (!isChar) throw malformed()
  return String.fromCodePoint(code)
}

/**
 * The end of the name in the start tag whose `<` is at `lt`. Names are ASCII identifiers
 * (letters, digits, `_`, `.`, `-`; no namespaces); anything else after `<` is refused.
 */
function startTag(s: string, lt: number): number {
  let at = lt + 1
  let c = s.charCodeAt(at)
  if (!((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f)) {
    if (s.startsWith('<!DOCTYPE', lt)) throw badRequest('XML document type declarations are not accepted')
    throw malformed()
  }
  do c = s.charCodeAt(++at)
  while ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2e || c === 0x2d)
  if (at - lt - 1 > MAX_NAME) throw malformed()
  return at
}

/** Past the `>` or `/>` that follows a start tag's name: attributes are refused. */
function tagEnd(s: string, from: number): number {
  const at = skipSpace(s, from)
  const c = s.charCodeAt(at)
  if (c === GT) return at + 1
  if (c === SLASH && s.charCodeAt(at + 1) === GT) return at + 2
  throw malformed()
}

/** Past the end tag `</name>` that starts at `lt`, or refused. */
function endTag(s: string, lt: number, name: string): number {
  const from = lt + 2
  // Compared a character at a time: startsWith costs several times more here.
  for (let i = 0; i < name.length; i++) {
    if (s.charCodeAt(from + i) !== name.charCodeAt(i)) throw malformed()
  }
  const at = skipSpace(s, from + name.length)
  if (s.charCodeAt(at) !== GT) throw malformed()
  return at + 1
}

function skipSpace(s: string, from: number): number {
  let at = from
  for (;;) {
    const c = s.charCodeAt(at)
    if (c !== 0x20 && c !== 0x9 && c !== 0xa) return at
    at++
  }
}

function nested(child: string, parent: string): PushError {
  return badRequest(`XML nested too deeply: <${child}> inside <${parent}>`)
}

/** One element of a name per parent: WeChat never repeats a field (List items aside). */
function add(parent: XmlRecord, name: string, value: XmlValue): void {
  if (parent[name] !== undefined) throw badRequest(`XML element <${name}> appears more than once`)
  parent[name] = value
}

/**
 * Element names are the sender's: on a plain object `<__proto__>` would set the record's
 * prototype (and with it fields nobody sent), and `<constructor>` would find Object's.
 */
function record(): XmlRecord {
  return Object.create(null) as XmlRecord
}

/** Wraps text in CDATA, splitting any `]]>` so the section cannot be closed early. */
export function cdata(text: string): string {
  return `<![CDATA[${text.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`
}
