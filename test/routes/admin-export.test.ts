/**
 * `GET /admin/api/export.csv` (issue 31) through the Worker, against the real local D1: a
 * range's messages in and out, in order, with the documented columns; an empty range is the
 * header; bad ranges are 400; only owner and admin may (403 otherwise, nothing audited);
 * another mini program's messages never appear; the per-answer bound with its continuation;
 * the body is a stream, and a large export comes out whole.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import type { Role } from '../../src/auth/roles'
import { parseCsv } from '../../src/console/csv'
import { CSV_BOM, EXPORT_COLUMNS } from '../../src/record/export-csv'
import { writeRecord } from '../../src/record/write'
import { uniqueOpenid } from '../support/fake-wechat-client'
import { workerFetch } from '../support/helpers'
import { APPID } from '../support/hygiene'
import { addTestOperator, OWNER_AUTH } from '../support/operators'
import { recordSeed } from '../support/record-seed'
import { SECOND_APP } from '../support/settings'

const db = env.DB
const seed = recordSeed(9_320_000_000_000_000_000n)
const at = (iso: string) => Date.parse(`${iso}+08:00`)

const get = (path: string, auth: { authorization: string } = OWNER_AUTH) => workerFetch(path, { headers: auth })

/** The body as sent, its byte-order mark kept (Response.text() drops it). */
const bodyOf = async (res: Response): Promise<string> =>
  new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(await res.arrayBuffer())

function table(text: string): Record<string, string>[] {
  expect(text.startsWith(CSV_BOM)).toBe(true)
  const parsed = parseCsv(text)
  if (!parsed.ok) throw new Error(`not CSV: ${parsed.problem}`)
  const [header, ...rows] = parsed.records.map((r) => r.fields)
  expect(header).toEqual([...EXPORT_COLUMNS])
  return rows.map((fields) => Object.fromEntries(EXPORT_COLUMNS.map((name, i) => [name, fields[i] ?? ''])))
}

async function exportsAudited(target: string): Promise<{ operator_id: string; summary: string }[]> {
  const { results } = await db
    .prepare("SELECT operator_id, summary FROM audit WHERE action = 'export' AND target = ? ORDER BY at")
    .bind(target)
    .all<{ operator_id: string; summary: string }>()
  return results
}

/** Pushes a minute apart from `from`, straight into the record's table (fast). */
async function insertMany(appid: string, openid: string, from: number, count: number): Promise<void> {
  await db
    .prepare(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?4 - 1)
       INSERT INTO messages (appid, id, openid, direction, kind, text, status, at, updated_at, day)
       SELECT ?1, 'msg:route-bulk-' || ?3 || '-' || i, ?2, 'in', 'text', '批量 ' || i, 'received', ?3 + i * 60000, ?3 + i * 60000,
              strftime('%Y-%m-%d', (?3 + i * 60000) / 1000 + 8 * 3600, 'unixepoch') FROM n`,
    )
    .bind(appid, openid, from, count)
    .run()
}

describe('GET /admin/api/export.csv', () => {
  it("a range's messages, in and out, in order, with the documented columns; nothing of another app", async () => {
    const [alice, bob] = [uniqueOpenid(), uniqueOpenid()]
    const q1 = seed.inbound(APPID, alice, at('2020-06-01T09:00:00'), { text: '你好，我要退款 "急"', ruleId: 'default', unmatched: true })
    const a1 = seed.outbound(APPID, alice, 1, q1, { text: '=HYPERLINK("http://evil")', ruleId: 'default' })
    const q2 = seed.inbound(APPID, bob, at('2020-06-02T23:59:59'), { text: '第二行\n换行' })
    const a2 = seed.outbound(APPID, bob, 1, q2, { status: 'failed', errcode: 45015, reason: 'window closed' })
    const outside = seed.inbound(APPID, alice, at('2020-06-03T00:00:00'))
    const elsewhere = seed.inbound(SECOND_APP.appid, alice, at('2020-06-01T10:00:00'), { text: '另一个小程序' })
    await writeRecord(db, [q1, a1, q2, a2, outside, elsewhere])

    const res = await get('/admin/api/export.csv?from=2020-06-01&to=2020-06-02')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="kefu-${APPID}-2020-06-01-2020-06-02.csv"`)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('x-next-cursor')).toBeNull()
    const rows = table(await bodyOf(res))
    expect(rows.map((r) => [r.message_id, r.direction])).toEqual([
      [q1.key, 'in'],
      [`out:${alice}:1`, 'out'],
      [q2.key, 'in'],
      [`out:${bob}:1`, 'out'],
    ])
    expect(rows[0]).toMatchObject({
      day: '2020-06-01',
      time: '2020-06-01 09:00:00',
      at_ms: String(q1.at),
      openid: alice,
      kind: 'text',
      text: '你好，我要退款 "急"',
      rule_id: 'default',
      rules_version: 'v1',
      unmatched: '1',
      status: 'received',
      manual: '',
      user_first_day: '2020-06-01',
    })
    expect(rows[1]).toMatchObject({
      text: `'=HYPERLINK("http://evil")`,
      status: 'sent',
      manual: '0',
      part: '0',
      in_reply_to: q1.key,
      latency_ms: '50',
    })
    expect(rows[2]).toMatchObject({ day: '2020-06-02', time: '2020-06-02 23:59:59', text: '第二行\n换行' })
    expect(rows[3]).toMatchObject({ status: 'failed', errcode: '45015', reason: 'window closed' })

    // The second app's export holds its own message only.
    const second = table(await bodyOf(await get(`/admin/api/export.csv?from=2020-06-01&to=2020-06-02&app=${SECOND_APP.appid}`)))
    expect(second.map((r) => r.text)).toEqual(['另一个小程序'])

    // Audited, with the range; the first app's and the second's.
    expect(await exportsAudited('2020-06-01..2020-06-02')).toEqual([
      { operator_id: 'owner', summary: 'CSV of 2020-06-01 to 2020-06-02; to the end' },
      { operator_id: 'owner', summary: 'CSV of 2020-06-01 to 2020-06-02; to the end' },
    ])
  })

  it('a range with nothing is the header alone', async () => {
    const res = await get('/admin/api/export.csv?from=2019-01-01&to=2019-01-31')
    expect(res.status).toBe(200)
    expect(await bodyOf(res)).toBe(`${CSV_BOM}${EXPORT_COLUMNS.join(',')}\r\n`)
  })

  it.each([
    ['', 'from: is required'],
    ['?from=2020-06-01', 'to: is required'],
    ['?to=2020-06-01', 'from: is required'],
    ['?from=2020-06-01&to=2020-02-30', 'to: must be a day, YYYY-MM-DD'],
    ['?from=2020/06/01&to=2020-06-02', 'from: must be a day, YYYY-MM-DD'],
    ['?from=2020-06-02&to=2020-06-01', 'to: must not be before from'],
    ['?from=2020-01-01&to=2020-03-31', 'to: must be at most 90 days after from, counting both'],
    ['?from=2020-06-01&to=2020-06-02&limit=0', 'limit: must be an integer from 1 to 100000'],
    ['?from=2020-06-01&to=2020-06-02&limit=100001', 'limit: must be an integer from 1 to 100000'],
    ['?from=2020-06-01&to=2020-06-02&cursor=2020-05-31.3', 'cursor: is not a cursor of this export'],
    ['?from=2020-06-01&to=2020-06-02&cursor=abc', 'cursor: is not a cursor of this export'],
    ['?from=2020-06-01&to=2020-06-02&days=3', 'days: is not a known parameter'],
  ])('%s → 400 %s, nothing audited', async (query, error) => {
    const res = await get(`/admin/api/export.csv${query}`)
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({ error })
  })

  it('90 days counting both ends is allowed', async () => {
    expect((await get('/admin/api/export.csv?from=2020-01-01&to=2020-03-30')).status).toBe(200)
  })

  it.each<[Role, number]>([
    ['owner', 200],
    ['admin', 200],
    ['agent', 403],
    ['viewer', 403],
  ])('%s → %i; a refusal audits nothing', async (role, status) => {
    const who = await addTestOperator(role)
    const range = role === 'agent' ? '2018-01-01' : role === 'viewer' ? '2018-01-02' : role === 'admin' ? '2018-01-03' : '2018-01-04'
    const res = await get(`/admin/api/export.csv?from=${range}&to=${range}`, who.auth)
    expect(res.status).toBe(status)
    if (status === 403) expect(await res.json()).toEqual({ error: 'forbidden', needs: 'admin' })
    else await res.arrayBuffer()
    expect(await exportsAudited(`${range}..${range}`)).toHaveLength(status === 200 ? 1 : 0)
  })

  it('holds at most `limit` rows, and says where the next file starts', async () => {
    const openid = uniqueOpenid()
    await insertMany(APPID, openid, at('2020-07-01T00:00:00'), 25)
    const first = await get('/admin/api/export.csv?from=2020-07-01&to=2020-07-01&limit=10')
    const cursor = first.headers.get('x-next-cursor')
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(first.headers.get('link')).toBe(`</admin/api/export.csv?from=2020-07-01&to=2020-07-01&limit=10&cursor=${cursor}>; rel="next"`)
    const texts = table(await bodyOf(first)).map((r) => r.text)
    expect(texts).toEqual(Array.from({ length: 10 }, (_, i) => `批量 ${i}`))

    const second = await get(first.headers.get('link')!.slice(1, first.headers.get('link')!.indexOf('>')))
    const next = second.headers.get('x-next-cursor')
    texts.push(...table(await bodyOf(second)).map((r) => r.text))
    const third = await get(`/admin/api/export.csv?from=2020-07-01&to=2020-07-01&limit=10&cursor=${next}`)
    expect(third.headers.get('x-next-cursor')).toBeNull()
    texts.push(...table(await bodyOf(third)).map((r) => r.text))
    expect(texts).toEqual(Array.from({ length: 25 }, (_, i) => `批量 ${i}`))
    expect((await exportsAudited('2020-07-01..2020-07-01')).map((e) => e.summary)).toEqual([
      'CSV of 2020-07-01 to 2020-07-01; 10 rows, more follow',
      `CSV of 2020-07-01 to 2020-07-01, after ${cursor}; 10 rows, more follow`,
      `CSV of 2020-07-01 to 2020-07-01, after ${next}; to the end`,
    ])
  })

  it('streams: the body is a stream, and 4,000 rows over three days come out whole', async () => {
    const openid = uniqueOpenid()
    await insertMany(APPID, openid, at('2020-08-01T00:00:00'), 4000)
    const res = await get('/admin/api/export.csv?from=2020-08-01&to=2020-08-03')
    expect(res.status).toBe(200)
    expect(res.body).toBeInstanceOf(ReadableStream)
    const reader = res.body!.getReader()
    const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true })
    let text = ''
    let chunks = 0
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      chunks++
      text += decoder.decode(part.value, { stream: true })
    }
    expect(chunks).toBeGreaterThan(1)
    const rows = table(text + decoder.decode())
    expect(rows).toHaveLength(4000)
    expect(rows.map((r) => r.text)).toEqual(Array.from({ length: 4000 }, (_, i) => `批量 ${i}`))
    expect(new Set(rows.map((r) => r.day))).toEqual(new Set(['2020-08-01', '2020-08-02', '2020-08-03']))
  })
})
