/**
 * What the knowledge page's import makes of a file, before anything is stored: a CSV of
 * question,answer pairs (a header row naming the columns; an optional column of other
 * phrasings, one per line) becomes FAQ entries, each bad row refused with its row number and
 * why; a Markdown file becomes one document, or one per `#` / `##` heading when asked. Pure:
 * the route (routes-knowledge.tsx) stores what this returns and adds the store's refusals.
 */
import { parseCsv } from './csv'

/** The most rows one import takes: the rest are refused as `too_many` (import again in parts). */
export const MAX_IMPORT_ROWS = 500

export interface FaqRow {
  /** The row in the file as a spreadsheet numbers it (the header is row 1). */
  row: number
  question: string
  variants: string[]
  answer: string
}

export type RowProblem = 'columns' | 'no_question' | 'no_answer' | 'too_many'

export interface RefusedRow {
  row: number
  problem: RowProblem | 'store'
  /** For `store`: what the store said (a field and its limit); never the row's text. */
  detail?: string
}

export type FileProblem = 'not_csv' | 'no_header' | 'empty'

export type CsvImport = { ok: true; faqs: FaqRow[]; refused: RefusedRow[] } | { ok: false; problem: FileProblem; row?: number }

/** Header names, compared trimmed and case-insensitively. */
const COLUMNS = {
  question: ['question', 'q', '问题', '标准问题', '问'],
  answer: ['answer', 'a', '答案', '回答', '答复', '答'],
  variants: ['variants', 'other phrasings', 'phrasings', '其他问法', '相似问法', '相似问题'],
} as const

/**
 * The FAQ rows of a CSV file, and the rows refused: more fields than the header names (an
 * unquoted comma; fewer are empty columns, as a hand-written file leaves them), an empty
 * question or answer, past MAX_IMPORT_ROWS. A file that is not CSV (a quote never
 * closed) or has no header naming a question and an answer column is refused whole.
 *
 * @example
 * faqsFromCsv('question,answer\n"Hours, please?",9 to 5\n')
 * // { ok: true, faqs: [{ row: 2, question: 'Hours, please?', variants: [], answer: '9 to 5' }], refused: [] }
 */
export function faqsFromCsv(text: string): CsvImport {
  const parsed = parseCsv(text)
  if (!parsed.ok) return { ok: false, problem: 'not_csv', row: parsed.row }
  const [header, ...rows] = parsed.records
  if (header === undefined) return { ok: false, problem: 'empty' }
  const names = header.fields.map((name) => name.trim().toLowerCase())
  const column = (choices: readonly string[]) => names.findIndex((name) => choices.includes(name))
  const q = column(COLUMNS.question)
  const a = column(COLUMNS.answer)
  const va = column(COLUMNS.variants)
  if (q < 0 || a < 0) return { ok: false, problem: 'no_header', row: header.row }
  const faqs: FaqRow[] = []
  const refused: RefusedRow[] = []
  for (const record of rows) {
    if (faqs.length >= MAX_IMPORT_ROWS) {
      refused.push({ row: record.row, problem: 'too_many' })
      continue
    }
    const { fields } = record
    if (fields.length > names.length) {
      refused.push({ row: record.row, problem: 'columns' })
      continue
    }
    const question = (fields[q] ?? '').trim()
    const answer = (fields[a] ?? '').trim()
    if (question === '') refused.push({ row: record.row, problem: 'no_question' })
    else if (answer === '') refused.push({ row: record.row, problem: 'no_answer' })
    else faqs.push({ row: record.row, question, variants: va < 0 ? [] : linesOf(fields[va] ?? ''), answer })
  }
  return { ok: true, faqs, refused }
}

/** Non-empty trimmed lines, each once: the "other phrasings" box and column. */
export function linesOf(text: string): string[] {
  const seen = new Set<string>()
  for (const line of text.split(/\r\n|\r|\n/)) {
    const trimmed = line.trim()
    if (trimmed !== '') seen.add(trimmed)
  }
  return [...seen]
}

export interface DocumentPart {
  title: string
  text: string
}

const HEADING = /^(#{1,2})[ \t]+(.+?)[ \t]*#*[ \t]*$/
const FENCE = /^[ \t]{0,3}(```|~~~)/

/**
 * The documents of a Markdown file. Unsplit: one, titled by its first `#` heading or else the
 * file's name. Split: one per `#` or `##` heading (a `##` under a `#` titled `# — ##`), the
 * text before the first heading one of its own under the file's name; headings inside fenced
 * code are text. Parts with no text but their heading are left out.
 *
 * @example
 * documentsFromMarkdown('# Returns\n\n## Window\n7 days\n', 'policy.md', true)
 * // [{ title: 'Returns — Window', text: '## Window\n7 days' }]
 */
export function documentsFromMarkdown(input: string, fileName: string, split: boolean): DocumentPart[] {
  const text = (input.charCodeAt(0) === 0xfeff ? input.slice(1) : input).replace(/\r\n?/g, '\n')
  const fallback = titleOfFile(fileName)
  const lines = text.split('\n')
  if (!split) {
    const first = headings(lines)[0]
    const body = text.trim()
    return body === '' ? [] : [{ title: first?.level === 1 ? first.text : fallback, text: body }]
  }
  const parts: DocumentPart[] = []
  let title = fallback
  let top: string | null = null
  let start = 0
  const flush = (end: number) => {
    const body = lines.slice(start, end).join('\n').trim()
    // A part that is only its heading line holds nothing to answer from.
    if (
      body !== '' &&
      !(
        start < end &&
        HEADING.test(lines[start] ?? '') &&
        lines
          .slice(start + 1, end)
          .join('')
          .trim() === ''
      )
    )
      parts.push({ title, text: body })
  }
  for (const heading of headings(lines)) {
    flush(heading.line)
    start = heading.line
    if (heading.level === 1) {
      top = heading.text
      title = heading.text
    } else title = top === null ? heading.text : `${top} — ${heading.text}`
  }
  flush(lines.length)
  return parts
}

/** The `#` and `##` headings outside fenced code, with their line. */
function headings(lines: string[]): { line: number; level: 1 | 2; text: string }[] {
  const found: { line: number; level: 1 | 2; text: string }[] = []
  let fence: string | null = null
  lines.forEach((line, index) => {
    const opened = FENCE.exec(line)
    if (opened) {
      const marker = opened[1] ?? ''
      if (fence === null) fence = marker
      else if (marker === fence) fence = null
      return
    }
    if (fence !== null) return
    const match = HEADING.exec(line)
    if (match) found.push({ line: index, level: match[1] === '#' ? 1 : 2, text: match[2] ?? '' })
  })
  return found
}

/** `returns-policy.md` → `returns-policy`; a name with nothing left → `document`. */
function titleOfFile(name: string): string {
  const base = name
    .replace(/^.*[\\/]/, '')
    .replace(/\.(md|markdown|txt)$/i, '')
    .trim()
  return base === '' ? 'document' : base
}
