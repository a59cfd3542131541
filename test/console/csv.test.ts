/**
 * The CSV reader the knowledge import uses (src/console/csv.ts): RFC 4180 as spreadsheets
 * write it — quoted commas, quotes and line breaks, CRLF, a byte-order mark — and where a
 * file stops being CSV, by row.
 */
import { describe, expect, it } from 'vitest'
import { parseCsv } from '../../src/console/csv'

const fieldsOf = (text: string) => {
  const parsed = parseCsv(text)
  if (!parsed.ok) throw new Error(`not CSV: ${parsed.problem} at ${parsed.row}`)
  return parsed.records.map((r) => r.fields)
}

describe('parseCsv', () => {
  it('reads plain fields and records, LF or CRLF, with or without a final line break', () => {
    expect(fieldsOf('a,b\nc,d\n')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ])
    expect(fieldsOf('a,b\r\nc,d')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ])
    expect(fieldsOf('a,b\rc,d\r')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ])
  })

  it('keeps commas, doubled quotes and line breaks inside a quoted field', () => {
    expect(fieldsOf('"a, b","say ""hi""","line 1\nline 2\r\nline 3"\n')).toEqual([['a, b', 'say "hi"', 'line 1\nline 2\r\nline 3']])
  })

  it('keeps empty fields: leading, trailing, quoted', () => {
    expect(fieldsOf(',a,\n"",""\n')).toEqual([
      ['', 'a', ''],
      ['', ''],
    ])
  })

  it('drops a byte-order mark and skips blank lines', () => {
    expect(fieldsOf('\uFEFFquestion,answer\n\n\nq,a\n\n')).toEqual([
      ['question', 'answer'],
      ['q', 'a'],
    ])
  })

  it('numbers records as a spreadsheet numbers rows: blank lines count, a quoted line break does not', () => {
    const parsed = parseCsv('h1,h2\n"x\ny",z\n\nlast,row\n')
    expect(parsed.ok && parsed.records.map((r) => r.row)).toEqual([1, 2, 4])
  })

  it('keeps a quote inside an unquoted field as text', () => {
    expect(fieldsOf('5" screen,ok\n')).toEqual([['5" screen', 'ok']])
  })

  it('reads Chinese text and full-width commas as any text', () => {
    expect(fieldsOf('问题,答案\n"发票抬头写错了，怎么办？","联系客服，重开发票"\n')).toEqual([
      ['问题', '答案'],
      ['发票抬头写错了，怎么办？', '联系客服，重开发票'],
    ])
  })

  it('refuses a quote never closed, naming the row it opened on', () => {
    expect(parseCsv('a,b\nc,"never closed\nmore\n')).toEqual({ ok: false, row: 2, problem: 'unclosed_quote' })
  })

  it('refuses text right after a closing quote', () => {
    expect(parseCsv('a,b\n"c"d,e\n')).toEqual({ ok: false, row: 2, problem: 'stray_quote' })
  })

  it('reads an empty file as no records', () => {
    expect(parseCsv('')).toEqual({ ok: true, records: [] })
    expect(parseCsv('\uFEFF')).toEqual({ ok: true, records: [] })
  })

  it('reads a large file in linear time', () => {
    const line = '"a, quoted ""field""",plain field,"multi\nline"\n'
    const parsed = parseCsv(line.repeat(20_000))
    expect(parsed.ok && parsed.records.length).toBe(20_000)
  })
})
