/**
 * The D1 record's queries against the real local D1 with the migrations applied:
 *
 * - every statement an admin API route runs (and every retention step) searches an index:
 *   `EXPLAIN QUERY PLAN` on exactly the builders' output shows no table scan, so a page
 *   costs the same over ten rows or millions;
 * - writing the same events twice counts them once;
 * - retention clears texts and forgets questions after RETENTION_DAYS, keeps counts while
 *   the stats can show them, and leaves other apps alone.
 */
import { env } from 'cloudflare:workers'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  CONVERSATION_FILTERS,
  conversationQuery,
  getConversation,
  listConversations,
  listConversationsQuery,
  messagesQuery,
} from '../../src/record/conversations'
import { decodeCursor, encodeCursor } from '../../src/record/cursor'
import { DOCTOR_KIND, DOCTOR_OPENID } from '../../src/doctor'
import { DAY_MS, dayOf } from '../../src/record/day'
import type { InboundEvent, OutboundEvent, RecordEvent, WindowEvent } from '../../src/record/event'
import { failedQuery, listFailed } from '../../src/record/failed'
import { appidsQuery, pruneRecord, pruneSteps } from '../../src/record/retention'
import { latencyBucket, percentileOf } from '../../src/record/latency'
import { prepare, type Statement } from '../../src/record/sql'
import { getStats, MAX_STATS_DAYS, statsQueries, statsRange } from '../../src/record/stats'
import { recordStatements, recounts, windowStatement, writeRecord } from '../../src/record/write'
import { uniqueAppid, uniqueOpenid } from '../support/fake-wechat-client'

const db = env.DB
const NOW = Date.now()
const AT = { at: NOW, id: 'o-cursor' }

/** The plan's lines: `SEARCH messages USING INDEX messages_failed (appid=? AND …)` and the like. */
async function plan({ sql, params }: Statement): Promise<string[]> {
  const { results } = await db
    .prepare(`EXPLAIN QUERY PLAN ${sql}`)
    .bind(...params)
    .all<{ detail: string }>()
  return results.map((row) => row.detail)
}

const TABLES = ['conversations', 'messages', 'daily', 'daily_latency', 'rule_daily', 'unmatched']

/**
 * Every step on one of the record's tables is a search through an index or the primary key,
 * constrained by at least the appid: never `SCAN <table>` (all rows) nor an index scan
 * from end to end.
 */
function expectSearches(lines: string[], name: string): void {
  const onTables = lines.filter((line) => TABLES.some((table) => new RegExp(`^(SCAN|SEARCH) ${table}\\b`).test(line)))
  expect(onTables.length, `${name}: ${lines.join(' | ')}`).toBeGreaterThan(0)
  for (const line of onTables) {
    // The rowid form is the second half of `WHERE rowid IN (<an index search>)`.
    expect(line, `${name}: ${lines.join(' | ')}`).toMatch(
      /^SEARCH \w+ USING ((COVERING )?INDEX \w+ \(appid=\?|PRIMARY KEY \(appid=\?|INTEGER PRIMARY KEY \(rowid=\?\))/,
    )
  }
}

describe('every query of the admin API uses an index', () => {
  const appid = 'wxplanplanplanplan00'
  const cases: [string, Statement][] = [
    ['conversation', conversationQuery(appid, 'o1')],
    ['messages', messagesQuery({ appid, openid: 'o1', limit: 50 })],
    ['messages after a cursor', messagesQuery({ appid, openid: 'o1', limit: 50, after: AT })],
    ['failed', failedQuery({ appid, limit: 50 })],
    ['failed after a cursor', failedQuery({ appid, limit: 50, after: AT })],
    ...(['all', ...CONVERSATION_FILTERS] as const).flatMap((filter): [string, Statement][] => {
      const options = { appid, limit: 50, now: NOW, ...(filter === 'all' ? {} : { filter }) }
      return [
        [`conversations ${filter}`, listConversationsQuery(options)],
        [`conversations ${filter} after a cursor`, listConversationsQuery({ ...options, after: AT })],
      ]
    }),
    ...statsQueries(statsRange(appid, NOW, MAX_STATS_DAYS)).map((query, i): [string, Statement] => [`stats #${i}`, query]),
  ]

  for (const [name, query] of cases) {
    it(name, async () => expectSearches(await plan(query), name))
  }

  it('the list and the messages walk their index in order (no sort of the rows)', async () => {
    for (const query of [
      listConversationsQuery({ appid, limit: 50, now: NOW }),
      messagesQuery({ appid, openid: 'o1', limit: 50 }),
      failedQuery({ appid, limit: 50 }),
    ]) {
      expect((await plan(query)).join(' | ')).not.toMatch(/TEMP B-TREE/)
    }
  })

  it('the open list reads no further back than a window can reach, and walks the recent list in order', async () => {
    for (const after of [undefined, AT]) {
      const query = listConversationsQuery({ appid, limit: 50, now: NOW, filter: 'open', ...(after ? { after } : {}) })
      const lines = (await plan(query)).join(' | ')
      expect(lines).toMatch(/INDEX conversations_recent \(appid=\? AND last_at>\?( AND \(last_at,openid\)<\(\?,\?\))?\)/)
      expect(lines).not.toMatch(/TEMP B-TREE/)
    }
  })

  it('and so do the counts a batch of the record moves', async () => {
    const push = inbound(appid, 'o1', NOW, 'hi')
    const events = [push, outbound(appid, 'o1', 1, push.key, NOW)]
    const { before, after } = recounts(events)
    for (const [i, step] of [...before, ...after].entries()) expectSearches(await plan(step), `count #${i}`)
  })

  it('and so does every retention step', async () => {
    for (const step of pruneSteps(appid, NOW, 7)) expectSearches(await plan(step.statement), step.name)
    // The list of apps: one seek per app on each table's leading appid.
    for (const line of await plan(appidsQuery())) expect(line).not.toMatch(/^SCAN (conversations|messages|unmatched)$/)
  })
})

// ---------------------------------------------------------------- seeding

let msgIds = 9_100_000_000_000_000_000n

function inbound(appid: string, openid: string, at: number, text: string, extra: Partial<InboundEvent> = {}): InboundEvent {
  const msgId = String(++msgIds)
  return {
    type: 'inbound',
    appid,
    openid,
    key: `msg:${msgId}`,
    msgId,
    kind: 'text',
    text,
    ruleId: 'r1',
    rulesVersion: 'v1',
    unmatched: false,
    at,
    ...extra,
  }
}

function outbound(
  appid: string,
  openid: string,
  id: number,
  inboundKey: string,
  pushedAt: number,
  extra: Partial<OutboundEvent> = {},
): OutboundEvent {
  return {
    type: 'outbound',
    appid,
    openid,
    id,
    inboundKey,
    ruleId: 'r1',
    part: 0,
    replyType: 'text',
    text: `reply ${id}`,
    status: 'sent',
    errcode: null,
    reason: null,
    pushedAt,
    updatedAt: pushedAt + 100,
    manual: false,
    ...extra,
  }
}

function windowEvent(appid: string, openid: string, at: number, extra: Partial<WindowEvent> = {}): WindowEvent {
  return { type: 'window', appid, openid, remaining: 4, closesAt: at + 48 * 3600_000, pending: 0, failed: 0, at, ...extra }
}

const count = async (sql: string, ...params: (string | number)[]) =>
  (
    await db
      .prepare(sql)
      .bind(...params)
      .first<{ n: number }>()
  )?.n ?? 0

describe('writing the record', () => {
  it('counts events written twice (or replayed in a later batch) once', async () => {
    const appid = uniqueAppid()
    const openid = uniqueOpenid()
    const hello = inbound(appid, openid, NOW - 1000, 'Hello there', { ruleId: 'default', unmatched: true })
    const order = inbound(appid, openid, NOW - 500, '订单 123456')
    const events: RecordEvent[] = [
      hello,
      outbound(appid, openid, 1, hello.key, hello.at),
      order,
      outbound(appid, openid, 2, order.key, order.at, { status: 'failed', errcode: 40003, reason: 'invalid openid' }),
      windowEvent(appid, openid, NOW, { remaining: 3, failed: 1 }),
    ]
    await writeRecord(db, events)
    await writeRecord(db, events)
    await writeRecord(db, [events[2]!, events[0]!])

    expect(await count('SELECT COUNT(*) AS n FROM messages WHERE appid = ?', appid)).toBe(4)
    expect(await count('SELECT SUM(hits) AS n FROM rule_daily WHERE appid = ?', appid)).toBe(2)
    expect(await count("SELECT count AS n FROM unmatched WHERE appid = ? AND text = 'hello there'", appid)).toBe(1)
    expect(await count('SELECT unmatched AS n FROM conversations WHERE appid = ?', appid)).toBe(1)

    const stats = await getStats(db, appid, NOW, 1)
    expect(stats.daily).toEqual([
      {
        day: dayOf(NOW),
        messages: 2,
        events: 0,
        unmatched: 1,
        repliesSent: 1,
        repliesFailed: 1,
        repliesPending: 0,
        repliesDropped: 0,
        replyMs: { median: 100, p95: 100 },
      },
    ])
    expect(stats.rules).toEqual([
      { ruleId: 'default', hits: 1 },
      { ruleId: 'r1', hits: 1 },
    ])
    expect(stats.unmatched).toMatchObject([{ text: 'hello there', count: 1 }])
  })

  it('never moves a send back: an older or equal-time lower status does not overwrite a newer one', async () => {
    const appid = uniqueAppid()
    const openid = uniqueOpenid()
    const push = inbound(appid, openid, NOW - 1000, 'hi')
    const sent = outbound(appid, openid, 1, push.key, push.at, { updatedAt: push.at + 200 })
    await writeRecord(db, [push, sent])
    await writeRecord(db, [outbound(appid, openid, 1, push.key, push.at, { status: 'pending', updatedAt: push.at + 10 })])
    await writeRecord(db, [outbound(appid, openid, 1, push.key, push.at, { status: 'failed', errcode: -1, updatedAt: push.at + 200 })])
    const page = await listFailed(db, { appid, limit: 10 })
    expect(page.items).toEqual([])
    const detail = await getConversation(db, { appid, openid, limit: 10, now: NOW })
    expect(detail?.messages.items.map((m) => [m.direction, m.status])).toEqual([
      ['out', 'sent'],
      ['in', 'received'],
    ])
  })

  it('writes the conversation once for a message and the window its batch reports', async () => {
    const appid = uniqueAppid()
    const openid = uniqueOpenid()
    const remaining = () => count('SELECT window_remaining AS n FROM conversations WHERE appid = ? AND openid = ?', appid, openid)
    const push = inbound(appid, openid, NOW - 1000, 'hi')
    const report = windowEvent(appid, openid, NOW, { remaining: 3 })
    const statements = recordStatements([push, outbound(appid, openid, 1, push.key, push.at), report])
    const results = await db.batch(statements.map((s) => prepare(db, s)))
    // The report's own statement finds its window already there: no row written twice.
    const own = statements.findIndex((s) => s.sql === windowStatement(report).sql)
    expect(results[own]!.meta.rows_written).toBe(0)
    expect(await remaining()).toBe(3)

    // A replay whose message D1 already has, with the window moved on: the report writes it.
    await writeRecord(db, [push, windowEvent(appid, openid, NOW + 1000, { remaining: 2, pending: 1 })])
    expect(await remaining()).toBe(2)
    expect(await count('SELECT pending AS n FROM conversations WHERE appid = ? AND openid = ?', appid, openid)).toBe(1)

    // A new message with an older report: the message counts, the newer window stays.
    await writeRecord(db, [inbound(appid, openid, NOW + 2000, 'again'), windowEvent(appid, openid, NOW + 500, { remaining: 5 })])
    expect(await remaining()).toBe(2)
    expect((await listConversations(db, { appid, limit: 10, now: NOW })).items[0]).toMatchObject({ lastText: 'again' })
  })

  it('keeps the newest window report', async () => {
    const appid = uniqueAppid()
    const openid = uniqueOpenid()
    await writeRecord(db, [
      inbound(appid, openid, NOW - 10_000, 'hi'),
      windowEvent(appid, openid, NOW - 1000, { remaining: 2, closesAt: NOW + 60_000 }),
    ])
    await writeRecord(db, [windowEvent(appid, openid, NOW - 5000, { remaining: 5 })])
    const [row] = (await listConversations(db, { appid, limit: 10, now: NOW })).items
    expect(row?.window).toEqual({ remaining: 2, closesAt: NOW + 60_000, open: true })
  })
})

describe('the daily counts the stats read', () => {
  // Any order of batches — each with several users' events, as the Recorder groups them —
  // with replays and out-of-order versions of a send, leaves `daily`, `rule_daily` and
  // `daily_latency` equal to counting the messages table itself.
  const KINDS = ['text', 'image', 'miniprogrampage', 'user_enter_tempsession', 'subscribe_msg_popup_event'] as const
  const STATUSES = ['pending', 'sent', 'failed', 'dropped'] as const

  it('equal the messages they count, whatever the order and however often a batch is replayed', async () => {
    const pushes = fc.array(
      fc.record({
        kind: fc.constantFrom(...KINDS),
        dayOffset: fc.integer({ min: 0, max: 2 }),
        // The doctor's test pushes count nowhere.
        who: fc.integer({ min: 0, max: 2 }),
        unmatched: fc.boolean(),
        rule: fc.constantFrom(null, 'r1', 'r2', 'default'),
      }),
      { minLength: 1, maxLength: 5 },
    )
    const versions = fc.array(
      fc.record({
        push: fc.nat(),
        status: fc.constantFrom(...STATUSES),
        // Few distinct times, so ties between statuses happen.
        after: fc.constantFrom(10, 40, 40, 900, 4000),
        id: fc.integer({ min: 1, max: 3 }),
        manual: fc.boolean(),
      }),
      { maxLength: 10 },
    )
    const batches = fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 5 })

    await fc.assert(
      fc.asyncProperty(pushes, versions, batches, async (pushSpecs, versionSpecs, batchSpecs) => {
        const appid = uniqueAppid()
        const openids = [uniqueOpenid(), uniqueOpenid(), DOCTOR_OPENID]
        const ins = pushSpecs.map((p, i) =>
          inbound(appid, openids[p.who]!, NOW - p.dayOffset * DAY_MS - i * 1000, `hi ${i}`, {
            kind: p.kind,
            unmatched: p.unmatched,
            ruleId: p.rule,
          }),
        )
        const outs = versionSpecs.map((v) => {
          const push = ins[v.push % ins.length]!
          // One send per (user, outbox id): all versions of it answer the same push.
          const first = ins.find((p) => p.openid === push.openid) ?? push
          return outbound(appid, first.openid, v.id, first.key, first.at, {
            status: v.status,
            updatedAt: first.at + v.after,
            manual: v.manual && v.id === 3,
          })
        })
        const events: RecordEvent[] = [...ins, ...outs]
        for (const batch of batchSpecs)
          await writeRecord(
            db,
            batch.map((i) => events[i % events.length]!),
          )

        const daily = await db
          .prepare(
            'SELECT day, messages, events, unmatched, replies_pending, replies_sent, replies_failed, replies_dropped FROM daily WHERE appid = ? AND (messages OR events OR unmatched OR replies_pending OR replies_sent OR replies_failed OR replies_dropped) ORDER BY day',
          )
          .bind(appid)
          .all()
        const counted = await db
          .prepare(
            `SELECT day,
               SUM(direction = 'in' AND kind IN ('text', 'image', 'miniprogrampage')) AS messages,
               SUM(direction = 'in' AND kind NOT IN ('text', 'image', 'miniprogrampage')) AS events,
               SUM(direction = 'in' AND unmatched = 1) AS unmatched,
               SUM(status = 'pending') AS replies_pending, SUM(status = 'sent') AS replies_sent,
               SUM(status = 'failed') AS replies_failed, SUM(status = 'dropped') AS replies_dropped
             FROM messages WHERE appid = ?1 AND (direction = 'out' OR openid <> ?2) GROUP BY day ORDER BY day`,
          )
          .bind(appid, DOCTOR_OPENID)
          .all()
        expect(daily.results).toEqual(counted.results)

        const hits = await db
          .prepare('SELECT day, rule_id, hits FROM rule_daily WHERE appid = ? AND hits > 0 ORDER BY day, rule_id')
          .bind(appid)
          .all()
        const answered = await db
          .prepare(
            `SELECT day, rule_id, COUNT(*) AS hits FROM messages
             WHERE appid = ?1 AND direction = 'in' AND openid <> ?2 AND rule_id IS NOT NULL GROUP BY day, rule_id ORDER BY day, rule_id`,
          )
          .bind(appid, DOCTOR_OPENID)
          .all()
        expect(hits.results).toEqual(answered.results)

        const histogram = await db
          .prepare('SELECT day, bucket, n FROM daily_latency WHERE appid = ? AND n > 0 ORDER BY day, bucket')
          .bind(appid)
          .all<{ day: string; bucket: number; n: number }>()
        const latencies = await db
          .prepare('SELECT day, latency_ms FROM messages WHERE appid = ? AND latency_ms IS NOT NULL')
          .bind(appid)
          .all<{ day: string; latency_ms: number }>()
        const expected = new Map<string, { day: string; bucket: number; n: number }>()
        for (const { day, latency_ms } of latencies.results) {
          const bucket = latencyBucket(latency_ms)
          const entry = expected.get(`${day} ${bucket}`) ?? { day, bucket, n: 0 }
          entry.n++
          expected.set(`${day} ${bucket}`, entry)
        }
        const sorted = [...expected.values()].sort((a, b) => a.day.localeCompare(b.day) || a.bucket - b.bucket)
        expect(histogram.results).toEqual(sorted)
      }),
      { numRuns: 60 },
    )
  })

  it('read as percentiles: the bound of the bucket holding the rank', () => {
    const counts = new Map([
      [latencyBucket(80), 50],
      [latencyBucket(400), 45],
      [latencyBucket(9000), 5],
    ])
    expect(percentileOf(counts, 50)).toBe(100)
    expect(percentileOf(counts, 95)).toBe(500)
    expect(percentileOf(counts, 96)).toBe(10_000)
    expect(percentileOf(new Map(), 50)).toBeNull()
    // Slower than the last bound: the open bucket reports where it starts.
    expect(percentileOf(new Map([[latencyBucket(3_600_000), 1]]), 50)).toBe(1_800_000)
  })
})

describe('cursors', () => {
  it('decode only what was encoded for the same list', () => {
    const cursor = encodeCursor('messages', { at: 123, id: 'msg:1' })
    expect(decodeCursor('messages', cursor)).toEqual({ at: 123, id: 'msg:1' })
    expect(decodeCursor('failed', cursor)).toBeNull()
    for (const garbage of ['', 'x', '!!!', 'a'.repeat(600), btoa('[1,2,3]'), encodeCursor('messages', { at: 1.5, id: 'x' })]) {
      expect(decodeCursor('messages', garbage)).toBeNull()
    }
  })
})

describe('retention (pruneRecord)', () => {
  const RETENTION_DAYS = 7
  let appid: string
  let other: string
  let seeded: { a: InboundEvent; o: InboundEvent; r: InboundEvent }
  const openid = uniqueOpenid()
  const old = NOW - 10 * DAY_MS
  const ancient = NOW - (MAX_STATS_DAYS + 5) * DAY_MS

  beforeAll(async () => {
    appid = uniqueAppid()
    other = uniqueAppid()
    const write = async (app: string) => {
      const a = inbound(app, openid, ancient, 'ancient question', { ruleId: 'default', unmatched: true })
      const o = inbound(app, openid, old, 'old question', { ruleId: 'default', unmatched: true })
      const r = inbound(app, openid, NOW - 1000, 'recent question', { ruleId: 'default', unmatched: true })
      await writeRecord(db, [
        a,
        o,
        outbound(app, openid, 1, o.key, o.at),
        r,
        windowEvent(app, openid, old, { remaining: 5, closesAt: old + 60_000 }),
      ])
      // The window report is older than the last message, and its window closed long ago: the open list leaves it out.
      return { a, o, r }
    }
    seeded = await write(appid)
    await write(other)
  })

  it('clears old texts, forgets old questions, drops rows past the stats, and keeps counts', async () => {
    const counts = await pruneRecord(db, { appid, now: NOW, retentionDays: RETENTION_DAYS })
    expect(counts).toMatchObject({ textsCleared: 3, questionsForgotten: 2, messagesDeleted: 1, conversationsDeleted: 0 })

    const texts = (await db.prepare('SELECT text FROM messages WHERE appid = ? ORDER BY at').bind(appid).all<{ text: string | null }>())
      .results
    expect(texts.map((r) => r.text)).toEqual([null, null, 'recent question'])
    expect((await db.prepare('SELECT text FROM unmatched WHERE appid = ?').bind(appid).all<{ text: string }>()).results).toEqual([
      { text: 'recent question' },
    ])
    // The old day still counts its message and its reply: counts outlive texts.
    const stats = await getStats(db, appid, NOW, 14)
    expect(stats.daily.find((d) => d.day === dayOf(old))).toMatchObject({ messages: 1, repliesSent: 1 })
    expect((await listConversations(db, { appid, limit: 10, now: NOW, filter: 'open' })).items).toEqual([])
    expect((await listConversations(db, { appid, limit: 10, now: NOW })).items).toMatchObject([{ openid, lastText: 'recent question' }])

    // A second run has nothing left to do, and the other app was not touched.
    expect(await pruneRecord(db, { appid, now: NOW, retentionDays: RETENTION_DAYS })).toMatchObject({ textsCleared: 0, messagesDeleted: 0 })
    expect(await count('SELECT COUNT(*) AS n FROM messages WHERE appid = ? AND text IS NOT NULL', other)).toBe(4)
  })

  it('does not count a late retry of a push whose text was cleared: its row is kept', async () => {
    const before = await count("SELECT SUM(hits) AS n FROM rule_daily WHERE appid = ? AND rule_id = 'default'", appid)
    await writeRecord(db, [seeded.o])
    expect(await count("SELECT SUM(hits) AS n FROM rule_daily WHERE appid = ? AND rule_id = 'default'", appid)).toBe(before)
    expect(await count("SELECT COUNT(*) AS n FROM unmatched WHERE appid = ? AND text = 'old question'", appid)).toBe(0)
    expect(await count('SELECT unmatched AS n FROM conversations WHERE appid = ?', appid)).toBe(3)
  })
})

describe('the doctor’s test pushes (npm run doctor)', () => {
  it('are written with their conversation, which the doctor reads, but are in no list and no count', async () => {
    const appid = uniqueAppid()
    const [older, newer] = [uniqueOpenid(), uniqueOpenid()]
    const doctor = (at: number) =>
      inbound(appid, DOCTOR_OPENID, at, 'kefu-edge doctor: a test push, answered by nothing', {
        kind: DOCTOR_KIND,
        ruleId: null,
        rulesVersion: 'none',
      })
    const pushes = [doctor(NOW - 3000), doctor(NOW - 2000)]
    await writeRecord(db, [inbound(appid, older, NOW - 5000, 'first user'), windowEvent(appid, older, NOW - 5000)])
    await writeRecord(db, [
      inbound(appid, newer, NOW - 4000, 'second user', { ruleId: 'default', unmatched: true }),
      windowEvent(appid, newer, NOW - 4000),
    ])
    // The doctor's are the newest: a page that skipped nothing would start with them. (Its
    // window never opens; open here, so the open filter has something to leave out too.)
    for (const push of pushes) await writeRecord(db, [push, windowEvent(appid, DOCTOR_OPENID, push.at)])
    await writeRecord(db, [pushes[0]!, windowEvent(appid, DOCTOR_OPENID, NOW)])

    // The doctor finds its pushes in its conversation.
    const detail = await getConversation(db, { appid, openid: DOCTOR_OPENID, limit: 20, now: NOW })
    expect(detail?.messages.items.map((m) => [m.id, m.kind, m.ruleId, m.unmatched])).toEqual(
      [...pushes].reverse().map((p) => [p.key, DOCTOR_KIND, null, false]),
    )

    // No list has it, whatever the filter, and pages still hold whole pages of users.
    const all = await listConversations(db, { appid, limit: 10, now: NOW })
    expect(all.items.map((c) => c.openid)).toEqual([newer, older])
    const first = await listConversations(db, { appid, limit: 1, now: NOW })
    expect(first.items.map((c) => c.openid)).toEqual([newer])
    const second = await listConversations(db, { appid, limit: 1, now: NOW, after: decodeCursor('conversations', first.nextCursor!)! })
    expect(second.items.map((c) => c.openid)).toEqual([older])
    expect(second.nextCursor).toBeNull()
    for (const filter of CONVERSATION_FILTERS) {
      const page = await listConversations(db, { appid, limit: 10, now: NOW, filter })
      expect(page.items.map((c) => c.openid)).not.toContain(DOCTOR_OPENID)
    }

    // The stats count the two users' messages only.
    const stats = await getStats(db, appid, NOW, 1)
    expect(stats.daily).toMatchObject([{ day: dayOf(NOW), messages: 2, events: 0, unmatched: 1 }])
    expect(stats.rules).toEqual([
      { ruleId: 'default', hits: 1 },
      { ruleId: 'r1', hits: 1 },
    ])
    expect(await count('SELECT COUNT(*) AS n FROM daily WHERE appid = ? AND (messages + events) > 2', appid)).toBe(0)
  })
})
