/**
 * What the knowledge base searches: rows of text ("passages"). An FAQ entry is its question and
 * each of its variants, one row each; a document is cut into passages of a few hundred
 * characters on paragraph, then sentence boundaries, each under the heading it sits in.
 */

/** A passage aims at this many characters… */
export const PASSAGE_TARGET = 300
/** …and never holds more. */
export const PASSAGE_MAX = 500

/** An FAQ entry's searchable rows: the question first, then the variants. */
export function faqPassages(question: string, variants: readonly string[]): string[] {
  return [question, ...variants]
}

/**
 * A document (plain text or Markdown) cut into passages. Paragraphs (blank-line separated)
 * are joined while they fit PASSAGE_TARGET; a paragraph over PASSAGE_MAX is cut after
 * sentences (。！？!?；; and line ends), a sentence over it at PASSAGE_MAX. A Markdown heading
 * starts a new passage and is repeated at the head of each passage below it, so a passage
 * says what it is about. The title heads the first. Markdown's marks (list bullets, numbers,
 * quotes, emphasis) go: the model reads, and a user may be sent, plain sentences.
 */
export function documentPassages(title: string, text: string): string[] {
  const passages: string[] = []
  let heading = title.trim()
  let current = ''
  const flush = () => {
    const body = current.trim()
    if (body !== '') passages.push(heading === '' ? body : `${heading}\n${body}`)
    current = ''
  }
  for (const block of text.replaceAll('\r\n', '\n').split(/\n\s*\n/)) {
    const lines = block.trim().split('\n')
    // A heading line starts its section; the rest of its block belongs to it.
    while (lines.length > 0 && /^#{1,6}\s/.test(lines[0]!)) {
      flush()
      heading = lines
        .shift()!
        .replace(/^#{1,6}\s+/, '')
        .trim()
    }
    const paragraph = lines.map(plainLine).join('\n').trim()
    if (paragraph === '') continue
    for (const piece of pieces(paragraph)) {
      if (current !== '' && length(current) + length(piece) + 1 > PASSAGE_TARGET) flush()
      current = current === '' ? piece : `${current}\n${piece}`
    }
  }
  flush()
  return passages
}

/** A Markdown line as plain text: no list marker, quote mark or emphasis. */
export function plainLine(line: string): string {
  return line
    .replace(/^\s*(?:>\s*)+/, '')
    .replace(/^\s*(?:[-*+]\s+|\d{1,3}(?:[.)]\s+|、\s*))/, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/`([^`]+)`/g, '$1')
}

/** A paragraph as pieces of at most PASSAGE_MAX characters: itself, its sentences, or cuts. */
function pieces(paragraph: string): string[] {
  if (length(paragraph) <= PASSAGE_MAX) return [paragraph]
  const out: string[] = []
  let current = ''
  for (const sentence of paragraph.match(/[^。！？!?；;\n]+[。！？!?；;\n]*/gu) ?? [paragraph]) {
    for (const part of cut(sentence)) {
      if (current !== '' && length(current) + length(part) > PASSAGE_TARGET) {
        out.push(current.trim())
        current = ''
      }
      current += part
    }
  }
  if (current.trim() !== '') out.push(current.trim())
  return out
}

function cut(sentence: string): string[] {
  const chars = Array.from(sentence)
  if (chars.length <= PASSAGE_MAX) return [sentence]
  const out: string[] = []
  for (let i = 0; i < chars.length; i += PASSAGE_MAX) out.push(chars.slice(i, i + PASSAGE_MAX).join(''))
  return out
}

/** Characters as people count them (code points). */
function length(text: string): number {
  let n = 0
  for (const _ of text) n++
  return n
}
