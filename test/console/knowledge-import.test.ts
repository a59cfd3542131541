/**
 * What the knowledge import makes of a file (src/console/knowledge-import.ts): a CSV's FAQ
 * rows by header name, each bad row refused with its row and why; a Markdown file as one
 * document or split at its headings.
 */
import { describe, expect, it } from 'vitest'
import { documentsFromMarkdown, faqsFromCsv, linesOf, MAX_IMPORT_ROWS } from '../../src/console/knowledge-import'

describe('faqsFromCsv', () => {
  it('takes question and answer by header name, in any order, with other phrasings one per line', () => {
    const csv = 'Answer,Variants,Question\n"Within 7 days, unused.","退货期限\nhow long to return",签收后多久还能退\n'
    expect(faqsFromCsv(csv)).toEqual({
      ok: true,
      faqs: [{ row: 2, question: '签收后多久还能退', variants: ['退货期限', 'how long to return'], answer: 'Within 7 days, unused.' }],
      refused: [],
    })
  })

  it('takes a row without the optional variants column (fewer fields: empty columns)', () => {
    const result = faqsFromCsv('question,answer,variants\nq,a\n')
    expect(result.ok && result.faqs).toEqual([{ row: 2, question: 'q', variants: [], answer: 'a' }])
  })

  it('reads Chinese headers', () => {
    const result = faqsFromCsv('问题,答案\n发票抬头写错了怎么办,联系客服重开\n')
    expect(result.ok && result.faqs).toEqual([{ row: 2, question: '发票抬头写错了怎么办', variants: [], answer: '联系客服重开' }])
  })

  it('refuses each bad row with its row and why, and keeps the good ones', () => {
    const csv = [
      'question,answer',
      'good,yes',
      'too,many,fields',
      ',no question',
      'no answer,  ',
      'only one field',
      'also good,"a, b"',
    ].join('\n')
    const result = faqsFromCsv(csv)
    expect(result.ok && result.faqs.map((f) => [f.row, f.question, f.answer])).toEqual([
      [2, 'good', 'yes'],
      [7, 'also good', 'a, b'],
    ])
    expect(result.ok && result.refused).toEqual([
      { row: 3, problem: 'columns' },
      { row: 4, problem: 'no_question' },
      { row: 5, problem: 'no_answer' },
      { row: 6, problem: 'no_answer' },
    ])
  })

  it('refuses a file with no question and answer header, or one that is not CSV, whole', () => {
    expect(faqsFromCsv('foo,bar\nq,a\n')).toEqual({ ok: false, problem: 'no_header', row: 1 })
    expect(faqsFromCsv('question,answer\n"open,a\n')).toEqual({ ok: false, problem: 'not_csv', row: 2 })
    expect(faqsFromCsv('')).toEqual({ ok: false, problem: 'empty' })
  })

  it(`takes at most ${MAX_IMPORT_ROWS} rows, refusing the rest as too many`, () => {
    const rows = Array.from({ length: MAX_IMPORT_ROWS + 3 }, (_, i) => `q${i},a${i}`)
    const result = faqsFromCsv(['question,answer', ...rows].join('\n'))
    expect(result.ok && result.faqs.length).toBe(MAX_IMPORT_ROWS)
    expect(result.ok && result.refused.map((r) => r.problem)).toEqual(['too_many', 'too_many', 'too_many'])
  })
})

describe('linesOf', () => {
  it('trims, drops empty lines and repeats', () => {
    expect(linesOf(' a \r\n\nb\na\r  ')).toEqual(['a', 'b'])
  })
})

describe('documentsFromMarkdown', () => {
  const md = [
    'Intro before any heading.',
    '',
    '# Returns',
    'General words.',
    '',
    '## Window',
    '7 days.',
    '',
    '```',
    '# not a heading',
    '```',
    '## Empty',
    '',
    '# Invoices',
    'Reissued on request.',
  ].join('\n')

  it('unsplit: one document titled by the first # heading', () => {
    expect(documentsFromMarkdown(md, 'policy.md', false)).toEqual([{ title: 'Returns', text: md.trim() }])
  })

  it('unsplit without a # heading: titled by the file name', () => {
    expect(documentsFromMarkdown('## Only a sub heading\ntext', 'dir/returns-policy.md', false)).toEqual([
      { title: 'returns-policy', text: '## Only a sub heading\ntext' },
    ])
  })

  it('split: one per # and ## heading, code fences kept whole, empty sections left out', () => {
    expect(documentsFromMarkdown(md, 'policy.md', true)).toEqual([
      { title: 'policy', text: 'Intro before any heading.' },
      { title: 'Returns', text: '# Returns\nGeneral words.' },
      { title: 'Returns — Window', text: '## Window\n7 days.\n\n```\n# not a heading\n```' },
      { title: 'Invoices', text: '# Invoices\nReissued on request.' },
    ])
  })

  it('an empty file is no document', () => {
    expect(documentsFromMarkdown('  \n', 'x.md', false)).toEqual([])
    expect(documentsFromMarkdown('\uFEFF', 'x.md', true)).toEqual([])
  })

  it('CRLF line ends read as LF', () => {
    expect(documentsFromMarkdown('# A\r\none\r\n# B\r\ntwo', 'x.md', true)).toEqual([
      { title: 'A', text: '# A\none' },
      { title: 'B', text: '# B\ntwo' },
    ])
  })
})
