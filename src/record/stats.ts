/**
 * Stats over the last `days` days: per day, messages in and replies out by status, and the
 * push-to-reply time (median and 95th percentile, nearest rank); hits per rule; the most
 * asked unmatched questions. Four index searches in one batch; the percentiles are picked in
 * SQL from the latency index, already in (day, time) order, so nothing is sorted and only
 * two rows per day come back.
 */
import { dayOf, lastDays } from './day'
import { prepare, statement, type Statement } from './sql'
import type { DayStats, Stats } from './views'

export const MAX_STATS_DAYS = 90
export const TOP_RULES = 200
export const TOP_UNMATCHED = 20

/** User messages; every other inbound kind is an event. */
const MESSAGE_KINDS = new Set(['text', 'image', 'miniprogrampage'])

export interface StatsRange {
  appid: string
  from: string
  to: string
}

export function statsRange(appid: string, now: number, days: number): StatsRange {
  const range = lastDays(now, days)
  return { appid, from: range[0] ?? dayOf(now), to: range[range.length - 1] ?? dayOf(now) }
}

export function dailyCountsQuery({ appid, from, to }: StatsRange): Statement {
  return statement(
    `SELECT day, direction, status, kind, COUNT(*) AS n FROM messages INDEXED BY messages_day
     WHERE appid = ?1 AND day >= ?2 AND day <= ?3 GROUP BY day, direction, status, kind`,
    [appid, from, to],
  )
}

/** Nearest rank: the median is the ceil(c/2)-th time of c, the 95th percentile the ceil(0.95c)-th. */
export function latencyQuery({ appid, from, to }: StatsRange): Statement {
  return statement(
    `SELECT day, latency_ms, n, c FROM (
       SELECT day, latency_ms, row_number() OVER w AS n,
              count(*) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS c
       FROM messages INDEXED BY messages_latency
       WHERE appid = ?1 AND day >= ?2 AND day <= ?3 AND latency_ms IS NOT NULL
       WINDOW w AS (PARTITION BY day ORDER BY latency_ms)
     ) WHERE n = (c + 1) / 2 OR n = (c * 95 + 99) / 100`,
    [appid, from, to],
  )
}

export function ruleHitsQuery({ appid, from, to }: StatsRange): Statement {
  return statement(
    `SELECT rule_id, SUM(hits) AS hits FROM rule_daily
     WHERE appid = ?1 AND day >= ?2 AND day <= ?3
     GROUP BY rule_id ORDER BY hits DESC, rule_id LIMIT ?4`,
    [appid, from, to, TOP_RULES],
  )
}

/**
 * The most asked of the questions kept: a question drops out RETENTION_DAYS after it was
 * last asked, so this is not limited to the stats' days (its count spans its whole life).
 */
export function topUnmatchedQuery(appid: string): Statement {
  return statement(
    'SELECT text, count, first_seen, last_seen FROM unmatched INDEXED BY unmatched_top WHERE appid = ?1 ORDER BY count DESC, text DESC LIMIT ?2',
    [appid, TOP_UNMATCHED],
  )
}

export function statsQueries(range: StatsRange): Statement[] {
  return [dailyCountsQuery(range), latencyQuery(range), ruleHitsQuery(range), topUnmatchedQuery(range.appid)]
}

interface CountRow {
  day: string
  direction: 'in' | 'out'
  status: string
  kind: string
  n: number
}
interface LatencyRow {
  day: string
  latency_ms: number
  n: number
  c: number
}
interface RuleRow {
  rule_id: string
  hits: number
}
interface UnmatchedRow {
  text: string
  count: number
  first_seen: number
  last_seen: number
}

export async function getStats(db: D1Database, appid: string, now: number, days: number): Promise<Stats> {
  const range = statsRange(appid, now, days)
  const [counts, latencies, rules, unmatched] = await db.batch(statsQueries(range).map((q) => prepare(db, q)))
  return {
    days,
    from: range.from,
    to: range.to,
    daily: dailyStats(
      lastDays(now, days),
      (counts?.results ?? []) as CountRow[],
      (latencies?.results ?? []) as LatencyRow[],
    ),
    rules: ((rules?.results ?? []) as RuleRow[]).map((r) => ({ ruleId: r.rule_id, hits: r.hits })),
    unmatched: ((unmatched?.results ?? []) as UnmatchedRow[]).map((u) => ({
      text: u.text,
      count: u.count,
      firstSeen: u.first_seen,
      lastSeen: u.last_seen,
    })),
  }
}

/** Every day of the range, oldest first, zero when nothing happened. */
export function dailyStats(days: readonly string[], counts: readonly CountRow[], latencies: readonly LatencyRow[]): DayStats[] {
  const byDay = new Map<string, DayStats>()
  for (const day of days) {
    byDay.set(day, { day, messages: 0, events: 0, repliesSent: 0, repliesFailed: 0, repliesPending: 0, repliesDropped: 0, replyMs: null })
  }
  for (const row of counts) {
    const stats = byDay.get(row.day)
    if (!stats) continue
    if (row.direction === 'in') {
      if (MESSAGE_KINDS.has(row.kind)) stats.messages += row.n
      else stats.events += row.n
    } else if (row.status === 'sent') stats.repliesSent += row.n
    else if (row.status === 'failed') stats.repliesFailed += row.n
    // Failed sends the operator gave up on: neither failed any more nor still to come.
    else if (row.status === 'dropped') stats.repliesDropped += row.n
    else stats.repliesPending += row.n
  }
  for (const row of latencies) {
    const stats = byDay.get(row.day)
    if (!stats) continue
    const current = stats.replyMs ?? { median: row.latency_ms, p95: row.latency_ms }
    // One row can be both ranks (a day with one or two replies).
    if (row.n === Math.floor((row.c + 1) / 2)) current.median = row.latency_ms
    if (row.n === Math.floor((row.c * 95 + 99) / 100)) current.p95 = row.latency_ms
    stats.replyMs = current
  }
  return [...byDay.values()]
}
