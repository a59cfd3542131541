/**
 * WeChat's XML, read safely. saxes is a strict, non-validating parser: a document type
 * declaration is refused outright here, so no entity can be declared and none expanded, and
 * only XML's five predefined entities are decoded. The tree is built without recursion and
 * depth-limited, so deep nesting cannot exhaust the stack.
 */
import { SaxesParser } from 'saxes'
import { badRequest } from './errors'

/** An element is its text, or its children by name (a repeated name becomes a list). */
export type XmlValue = string | XmlRecord | XmlValue[]
export interface XmlRecord {
  [name: string]: XmlValue
}

/** WeChat's deepest shape is xml > SubscribeMsg…Event > List > field. */
const MAX_DEPTH = 8

interface Frame {
  name: string
  text: string
  children: XmlRecord | null
}

/** Parses `<xml>…</xml>` into a record of its children; a PushError(400) for anything else. */
export function parseXml(source: string): XmlRecord {
  const parser = new SaxesParser({ position: false })
  const stack: Frame[] = []
  const result: { root?: XmlRecord } = {}

  parser.on('doctype', () => {
    throw badRequest('XML document type declarations are not accepted')
  })
  parser.on('opentag', (tag) => {
    if (stack.length >= MAX_DEPTH) throw badRequest('XML nested too deeply')
    if (stack.length === 0 && tag.name !== 'xml') throw badRequest('XML root is not <xml>')
    stack.push({ name: tag.name, text: '', children: null })
  })
  const onText = (text: string): void => {
    const top = stack[stack.length - 1]
    if (top) top.text += text
  }
  parser.on('text', onText)
  parser.on('cdata', onText)
  parser.on('closetag', () => {
    const frame = stack.pop()
    if (!frame) return
    const value: XmlValue = frame.children ?? frame.text
    const parent = stack[stack.length - 1]
    if (!parent) {
      result.root = typeof value === 'string' || Array.isArray(value) ? record() : value
      return
    }
    parent.children ??= record()
    const existing = parent.children[frame.name]
    if (existing === undefined) parent.children[frame.name] = value
    else if (Array.isArray(existing)) existing.push(value)
    else parent.children[frame.name] = [existing, value]
  })

  try {
    parser.write(source).close()
  } catch (error) {
    if (error instanceof Error && error.name === 'PushError') throw error
    throw badRequest('malformed XML')
  }
  if (!result.root) throw badRequest('malformed XML')
  return result.root
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
