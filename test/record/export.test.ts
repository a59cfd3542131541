/**
 * The export's pieces (issue 31): the CSV writer (RFC 4180 quoting, line breaks, the BOM, the
 * formula guard, Chinese), read back with the console's own CSV reader; the reads against the
 * real local D1 (each through messages_at, merged without a sort, paged by the last row) and
 * the stream (whole over thousands of rows in small pages, and reading D1 only as it is read).
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { parseCsv } from '../../src/console/csv'
import { DOCTOR_OPENID } from '../../src/doctor'
import {
  daysBetween,
  decodeExportCursor,
  encodeExportCursor,
  exportBound,
  exportBoundQuery,
  exportPageQuery,
  isDay,
  readExportPage,
  startOf,
  type ExportRange,
} from '../../src/record/export'
import { encodeCursor } from '../../src/record/cursor'
import { chinaTime, CSV_BOM, csvCell, csvLine, EXPORT_COLUMNS, exportHeader, exportLine } from '../../src/record/export-csv'
import { exportStream } from '../../src/record/export-stream'
import type { Statement } from '../../src/record/sql'
import { writeRecord } from '../../src/record/write'
import { uniqueAppid, uniqueOpenid } from '../support/fake-wechat-client'
import { recordSeed } from '../support/record-seed'

const db = env.DB
const seed = recordSeed(9_310_000_000_000_000_000n)
/** 2021-03-01 00:00 in China. */
const MARCH_1 = Date.parse('2021-03-01T00:00:00+08:00')
const HOUR = 3_600_000

async function plan({ sql, params }: Statement): Promise<string> {
  const { results } = await db
    .prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>()
  return results.map((row) => row.detail).join(' | ')
}

/** Reads a stream to its end, chunk by chunk. */
async function readAll(stream: ReadableStream<Uint8Array>): Promise<{ text: string; chunks: number }> {
  const reader = stream.getReader()
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true })
  let text = ''
  let chunks = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return { text: text + decoder.decode(), chunks }
    chunks++
    text += decoder.decode(value, { stream: true })
  }
}

function records(text: string): string[][] {
  const parsed = parseCsv(text)
  if (!parsed.ok) throw new Error(`not CSV: ${parsed.problem} at row ${parsed.row}`)
  return parsed.records.map((r) => r.fields)
}

/** `count` pushes of one user, one an hour from `from`, inserted as the record's own SQL would (fast). */
async function insertMany(appid: string, openid: string, from: number, count: number): Promise<void> {
  await db
    .prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?4 - 1)
       INSERT INTO messages (appid, id, openid, direction, kind, text, status, at, updated_at, day)
       SELECT ?1, 'msg:bulk-' || i, ?2, 'in', 'text', 'bulk ' || i, 'received', ?3 + i * 60000, ?3 + i * 60000,
              strftime('%Y-%m-%d', (?3 + i * 60000) / 1000 + 8 * 3600, 'unixepoch') FROM n`,
    )
    .bind(appid, openid, from, count)
    .run()
}

// ---------------------------------------------------------------- the CSV writer

describe('the CSV writer', () => {
  it('quotes a field with a comma, a quote, CR or LF, doubling its quotes; leaves others bare', () => {
    expect(csvCell('plain')).toBe('plain')
    expect(csvCell('a,b')).toBe('"a,b"')
    expect(csvCell('say "hi"')).toBe('"say ""hi"""')
    expect(csvCell('line 1\nline 2')).toBe('"line 1\nline 2"')
    expect(csvCell('a\rb')).toBe('"a\rb"')
    expect(csvCell('')).toBe('')
    expect(csvCell(null)).toBe('')
    expect(csvCell(0)).toBe('0')
    // Numbers are numbers: a negative errcode is not guarded.
    expect(csvCell(-1)).toBe('-1')
  })

  it('guards text that a spreadsheet would run as a formula with a leading apostrophe', () => {
    for (const text of ['=HYPERLINK("http://x","y")', '+1', '-2+3', '@SUM(A1)', '\tcmd', '\r=1']) {
      const cell = csvCell(text)
      const [field] = records(`${cell}\r\n`)[0] ?? []
      expect(field, JSON.stringify(text)).toBe(`'${text}`)
    }
    // Only at the start.
    expect(csvCell('a=b')).toBe('a=b')
    expect(csvCell('1-2')).toBe('1-2')
  })

  it('ends lines with CRLF and starts the file with the UTF-8 byte-order mark; Chinese passes as it is', () => {
    expect(csvLine(['你好，世界', '订单 "123"', null, 7])).toBe('你好，世界,"订单 ""123""",,7\r\n')
    const header = exportHeader()
    expect(header.startsWith(CSV_BOM)).toBe(true)
    expect(header.slice(1)).toBe(`${EXPORT_COLUMNS.join(',')}\r\n`)
    const bytes = new TextEncoder().encode(header)
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
  })

  it('writes what any text holds so that a CSV reader gets it back, whole', () => {
    const texts = ['你好', 'a,b', '"', '""', 'x\r\ny', '\n', ' 前后空格 ', '表情 😀', 'tab\tinside', '=1', '-', '@']
    const text = exportHeader() + texts.map((t) => csvLine([t, 1])).join('')
    const rows = records(text)
    expect(rows[0]).toEqual([...EXPORT_COLUMNS])
    expect(rows.slice(1).map(([t]) => t)).toEqual(texts.map((t) => (/^[=+\-@\t\r]/.test(t) ? `'${t}` : t)))
  })

  it('China time and day, whatever the UTC date', () => {
    const at = Date.parse('2021-02-28T16:30:05Z')
    expect(chinaTime(at)).toBe('2021-03-01 00:30:05')
  })

  it('a message as a line of the documented columns', () => {
    const line = exportLine({
      id: 'out:o1:3',
      day: '2021-03-01',
      at: MARCH_1 + 1000,
      direction: 'out',
      openid: 'o1',
      kind: 'text',
      text: '您好，"人工"客服',
      rule_id: 'ai',
      rules_version: null,
      unmatched: 0,
      inbound_key: 'msg:1',
      part: 0,
      manual: 0,
      status: 'failed',
      errcode: 45015,
      reason: 'window closed',
      latency_ms: 850,
      tokens: 321,
      refused: null,
      sources: '["k-1"]',
      first_at: MARCH_1 - 24 * HOUR,
    })
    const [fields] = records(line)
    expect(Object.fromEntries(EXPORT_COLUMNS.map((name, i) => [name, fields?.[i]]))).toEqual({
      day: '2021-03-01',
      time: '2021-03-01 00:00:01',
      at_ms: String(MARCH_1 + 1000),
      direction: 'out',
      openid: 'o1',
      kind: 'text',
      text: '您好，"人工"客服',
      rule_id: 'ai',
      rules_version: '',
      unmatched: '',
      status: 'failed',
      errcode: '45015',
      reason: 'window closed',
      part: '0',
      manual: '0',
      latency_ms: '850',
      ai_tokens: '321',
      ai_refused: '',
      ai_sources: '["k-1"]',
      message_id: 'out:o1:3',
      in_reply_to: 'msg:1',
      user_first_day: '2021-02-28',
    })
  })
})

// ---------------------------------------------------------------- days and cursors

describe('days and cursors', () => {
  it('knows a day from what is not one', () => {
    expect(isDay('2021-03-01')).toBe(true)
    expect(isDay('2024-02-29')).toBe(true)
    for (const text of ['2021-02-29', '2021-13-01', '2021-3-1', '20210301', '2021-03-01T00:00', '']) expect(isDay(text), text).toBe(false)
    expect(daysBetween('2021-03-01', '2021-03-01')).toBe(1)
    expect(daysBetween('2021-02-01', '2021-05-01')).toBe(90)
  })

  it('a cursor names a row within its range only', () => {
    const range = { from: '2021-03-01', to: '2021-03-07' }
    // 2021-03-02 00:00 and 23:59:59.999 in China time: the first and last instants of that day.
    const [start, end] = [Date.parse('2021-03-02T00:00:00+08:00'), Date.parse('2021-03-03T00:00:00+08:00') - 1]
    const cursor = encodeExportCursor({ at: start, id: 'msg:42' })
    expect(decodeExportCursor(cursor, range)).toEqual({ at: start, id: 'msg:42' })
    expect(decodeExportCursor(cursor, { from: '2021-03-03', to: '2021-03-07' })).toBeNull()
    expect(decodeExportCursor(encodeExportCursor({ at: end, id: 'out:o1:1' }), { from: '2021-03-01', to: '2021-03-02' })).toEqual({
      at: end,
      id: 'out:o1:1',
    })
    expect(decodeExportCursor(encodeExportCursor({ at: end + 1, id: 'msg:1' }), { from: '2021-03-01', to: '2021-03-02' })).toBeNull()
    // Another list's cursor, the old `<at>.<rowid>` form, and garbage.
    const listCursor = encodeCursor('messages', { at: start, id: 'msg:42' })
    for (const bad of ['2021-03-02', '2021-03-02.1', `${start}.1`, `${start}.`, 'x.1', listCursor, ''])
      expect(decodeExportCursor(bad, range)).toBeNull()
  })
})

// ---------------------------------------------------------------- reads

describe('the reads', () => {
  const range: ExportRange = { appid: 'wxplanplanplanplan00', from: '2021-03-01', to: '2021-03-31' }

  it('search messages_at (and the conversation by its key), in order without sorting', async () => {
    for (const query of [
      exportPageQuery(range, startOf(range), 500),
      exportPageQuery(range, { at: Date.parse('2021-03-05T10:00:00+08:00'), id: 'msg:1234' }, 500),
      exportBoundQuery(range, startOf(range), 100_000),
    ]) {
      const lines = await plan(query)
      expect(lines).toMatch(/SEARCH m(essages)? USING (COVERING )?INDEX messages_at \(appid=\? AND at=\? AND id>\?\)/)
      expect(lines).toMatch(/SEARCH m(essages)? USING (COVERING )?INDEX messages_at \(appid=\? AND at>\? AND at<\?\)/)
      expect(lines).not.toMatch(/TEMP B-TREE|SCAN /)
      if (query.sql.includes('conversations')) expect(lines).toMatch(/SEARCH c USING PRIMARY KEY \(appid=\? AND openid=\?\)/)
    }
  })

  it('serve the range only, in order, paged by the last row, each row once; not the doctor, not another app', async () => {
    const appid = uniqueAppid()
    const other = uniqueAppid()
    const [alice, bob] = [uniqueOpenid(), uniqueOpenid()]
    const before = seed.inbound(appid, alice, MARCH_1 - HOUR) // Feb 28
    // Two at the same instant: paged by their ids.
    const pushes = [0, 1, 1, 2, 30, 31, 50].map((h, i) => seed.inbound(appid, i % 2 ? bob : alice, MARCH_1 + h * HOUR))
    const after = seed.inbound(appid, alice, MARCH_1 + 3 * 24 * HOUR) // March 4
    const doctor = seed.inbound(appid, DOCTOR_OPENID, MARCH_1 + HOUR)
    const elsewhere = seed.inbound(other, alice, MARCH_1 + HOUR)
    await writeRecord(db, [before, ...pushes, after, doctor, elsewhere])
    const r: ExportRange = { appid, from: '2021-03-01', to: '2021-03-03' }

    const ids: string[] = []
    let position = startOf(r)
    for (let guard = 0; guard < 10; guard++) {
      const page = await readExportPage(db, r, position, 2)
      ids.push(...page.map((row) => row.id))
      const last = page[page.length - 1]
      if (!last || page.length < 2) break
      position = { at: last.at, id: last.id }
    }
    const order = [...pushes].sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : 1))
    expect(ids).toEqual(order.map((p) => p.key))

    // Where a bounded response ends: after the 4th row, more follow; 6 rows fit.
    const stop = await exportBound(db, r, startOf(r), 4)
    const page = await readExportPage(db, r, startOf(r), 10)
    expect(stop).toEqual({ at: page[3]?.at, id: page[3]?.id })
    expect(await exportBound(db, r, startOf(r), 7)).toBeNull()
    expect(await exportBound(db, r, stop!, 3)).toBeNull()
  })
})

// ---------------------------------------------------------------- the stream

describe('the stream', () => {
  it('a few thousand rows over three days come out whole, in order, a page per chunk', async () => {
    const appid = uniqueAppid()
    const openid = uniqueOpenid()
    // 3,000 pushes a minute apart from 2021-03-10 00:00 China time: about 2 days and 2 hours.
    const from = Date.parse('2021-03-10T00:00:00+08:00')
    await insertMany(appid, openid, from, 3000)
    const range: ExportRange = { appid, from: '2021-03-10', to: '2021-03-12' }
    const { text, chunks } = await readAll(exportStream(db, { range, after: startOf(range), stop: null, pageRows: 250 }))
    expect(text.startsWith(CSV_BOM)).toBe(true)
    const rows = records(text)
    expect(rows).toHaveLength(3001)
    expect(rows.slice(1).map((r) => r[6])).toEqual(Array.from({ length: 3000 }, (_, i) => `bulk ${i}`))
    expect(rows[1]?.[0]).toBe('2021-03-10')
    expect(rows[3000]?.[0]).toBe('2021-03-12')
    // The header, then 12 full pages and an empty last read (which closes).
    expect(chunks).toBe(13)
  })

  it('stops at the row it was told to', async () => {
    const appid = uniqueAppid()
    await insertMany(appid, uniqueOpenid(), Date.parse('2021-03-20T00:00:00+08:00'), 30)
    const range: ExportRange = { appid, from: '2021-03-20', to: '2021-03-20' }
    const stop = await exportBound(db, range, startOf(range), 17)
    expect(stop).not.toBeNull()
    const { text } = await readAll(exportStream(db, { range, after: startOf(range), stop, pageRows: 5 }))
    const rows = records(text)
    expect(rows).toHaveLength(18)
    expect(rows[17]?.[6]).toBe('bulk 16')
    const rest = await readAll(exportStream(db, { range, after: stop!, stop: null, pageRows: 5 }))
    expect(
      records(rest.text)
        .slice(1)
        .map((r) => r[6]),
    ).toEqual(Array.from({ length: 13 }, (_, i) => `bulk ${i + 17}`))
  })

  it('reads D1 as it is read: rows recorded after the header went out are in the file', async () => {
    const appid = uniqueAppid()
    const openid = uniqueOpenid()
    const range: ExportRange = { appid, from: '2021-03-25', to: '2021-03-25' }
    const reader = exportStream(db, { range, after: startOf(range), stop: null }).getReader()
    const first = await reader.read()
    expect(new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(first.value)).toBe(exportHeader())
    await writeRecord(db, [seed.inbound(appid, openid, Date.parse('2021-03-25T12:00:00+08:00'), { text: '后来的' })])
    const next = await reader.read()
    expect(new TextDecoder().decode(next.value)).toContain('后来的')
    expect((await reader.read()).done).toBe(true)
  })

  it('an empty range is the header alone', async () => {
    const range: ExportRange = { appid: uniqueAppid(), from: '2021-03-01', to: '2021-03-31' }
    const { text } = await readAll(exportStream(db, { range, after: startOf(range), stop: null }))
    expect(text).toBe(exportHeader())
  })
})
