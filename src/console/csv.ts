/**
 * CSV as spreadsheets write it (RFC 4180): fields separated by commas, records by CRLF or LF,
 * a field in double quotes may hold commas, quotes (doubled: `""`) and line breaks. A leading
 * UTF-8 byte-order mark (Excel's "CSV UTF-8") is dropped. The knowledge page's import reads
 * question,answer pairs with it (knowledge-import.ts). A few dozen lines, no dependency: the
 * npm parsers worth having are 6–30 KB minified for options this does not need.
 */

export interface CsvRecord {
  /** The record's row as a spreadsheet numbers it: the first record is row 1 (a quoted line break does not start a row). */
  row: number
  fields: string[]
}

export type CsvResult = { ok: true; records: CsvRecord[] } | { ok: false; row: number; problem: 'unclosed_quote' | 'stray_quote' }

/**
 * The records of `text`, or where it stops being CSV: a quote never closed, or text right
 * after a closing quote (`"a"b`). A quote inside an unquoted field is kept as text, as
 * spreadsheets read it. Blank lines are skipped (and counted as rows, as a spreadsheet shows them).
 *
 * @example
 * parseCsv('question,answer\n"a, b","c ""d"""\n') // records: [['question','answer'], ['a, b', 'c "d"']]
 */
export function parseCsv(input: string): CsvResult {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input
  const records: CsvRecord[] = []
  let fields: string[] = []
  let field = ''
  let row = 1
  let i = 0
  /** Whether the current record has anything yet (a blank line has not). */
  let started = false
  const endRecord = () => {
    if (started) records.push({ row, fields: [...fields, field] })
    fields = []
    field = ''
    started = false
    row++
  }
  while (i < text.length) {
    const ch = text[i]
    if (ch === '"' && field === '') {
      // A quoted field: up to the closing quote, `""` standing for one quote.
      const startRow = row
      i++
      for (;;) {
        const close = text.indexOf('"', i)
        if (close < 0) return { ok: false, row: startRow, problem: 'unclosed_quote' }
        field += text.slice(i, close)
        if (text[close + 1] === '"') {
          field += '"'
          i = close + 2
          continue
        }
        i = close + 1
        break
      }
      started = true
      const next = text[i]
      if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') return { ok: false, row: startRow, problem: 'stray_quote' }
      continue
    }
    if (ch === ',') {
      fields.push(field)
      field = ''
      started = true
      i++
    } else if (ch === '\n' || ch === '\r') {
      endRecord()
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1
    } else {
      const stop = nextSpecial(text, i)
      field += text.slice(i, stop)
      started = true
      i = stop
    }
  }
  endRecord()
  return { ok: true, records }
}

/** The index of the next comma, line break or end, from `from`. */
function nextSpecial(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const ch = text[i]
    if (ch === ',' || ch === '\n' || ch === '\r') return i
  }
  return text.length
}
