/**
 * Stats over the last `days` days: per day, messages in and replies out by status, and the
 * push-to-reply time (median and 95th percentile, to the bucket: latency.ts); hits per rule;
 * the most asked unmatched questions; who answered (FAQ, the model, the hand-off). Index
 * searches in one batch over the per-day tables the writes keep (`daily`, `daily_latency`,
 * `rule_daily`) and the model's own messages: the rows read grow with the days asked for
 * and the model's answers, not with the messages stored. `npm run doctor`'s test pushes are in
 * none of them: the writes never count them (write.ts).
 */
import { HANDOFF_RULE_ID } from '../replies'
import { dayOf, lastDays } from './day'
import { percentileOf } from './latency'
import { prepare, statement, type Statement } from './sql'
import type { DayStats, Stats } from './views'

export const MAX_STATS_DAYS = 90
export const TOP_RULES = 200
export const TOP_UNMATCHED = 20

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
    `SELECT day, messages, events, unmatched, replies_pending, replies_sent, replies_failed, replies_dropped FROM daily
     WHERE appid = ?1 AND day >= ?2 AND day <= ?3`,
    [appid, from, to],
  )
}

export function latencyQuery({ appid, from, to }: StatsRange): Statement {
  return statement('SELECT day, bucket, n FROM daily_latency WHERE appid = ?1 AND day >= ?2 AND day <= ?3', [appid, from, to])
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

/**
 * Who answered the period's texts, beyond the operator's own rules: FAQ entries (`faq:<id>`
 * hits) and hand-offs from rule_daily, and the model's answers — sent, or refused for the
 * fallback — with the tokens they spent, from the messages it was asked for (messages_ai).
 */
export function answerSharesQuery({ appid, from, to }: StatsRange): Statement {
  return statement(
    `SELECT
       (SELECT COALESCE(SUM(hits), 0) FROM rule_daily WHERE appid = ?1 AND day >= ?2 AND day <= ?3 AND rule_id >= 'faq:' AND rule_id < 'faq;') AS faq,
       (SELECT COALESCE(SUM(hits), 0) FROM rule_daily WHERE appid = ?1 AND day >= ?2 AND day <= ?3 AND rule_id = '${HANDOFF_RULE_ID}') AS handoff,
       COUNT(*) FILTER (WHERE refused IS NULL) AS ai,
       COUNT(*) FILTER (WHERE refused IS NOT NULL) AS ai_refused,
       COALESCE(SUM(tokens), 0) AS tokens
     FROM messages INDEXED BY messages_ai WHERE appid = ?1 AND day >= ?2 AND day <= ?3 AND tokens IS NOT NULL`,
    [appid, from, to],
  )
}

export function statsQueries(range: StatsRange): Statement[] {
  return [dailyCountsQuery(range), latencyQuery(range), ruleHitsQuery(range), topUnmatchedQuery(range.appid), answerSharesQuery(range)]
}

interface CountRow {
  day: string
  messages: number
  events: number
  unmatched: number
  replies_pending: number
  replies_sent: number
  replies_failed: number
  replies_dropped: number
}
interface LatencyRow {
  day: string
  bucket: number
  n: number
}
interface RuleRow {
  rule_id: string
  hits: number
}
interface AnswersRow {
  faq: number
  handoff: number
  ai: number
  ai_refused: number
  tokens: number
}
interface UnmatchedRow {
  text: string
  count: number
  first_seen: number
  last_seen: number
}

export async function getStats(db: D1Database, appid: string, now: number, days: number): Promise<Stats> {
  const range = statsRange(appid, now, days)
  const [counts, latencies, rules, unmatched, shares] = await db.batch(statsQueries(range).map((q) => prepare(db, q)))
  const answers = (shares?.results as AnswersRow[] | undefined)?.[0]
  return {
    days,
    from: range.from,
    to: range.to,
    daily: dailyStats(lastDays(now, days), (counts?.results ?? []) as CountRow[], (latencies?.results ?? []) as LatencyRow[]),
    rules: ((rules?.results ?? []) as RuleRow[]).map((r) => ({ ruleId: r.rule_id, hits: r.hits })),
    unmatched: ((unmatched?.results ?? []) as UnmatchedRow[]).map((u) => ({
      text: u.text,
      count: u.count,
      firstSeen: u.first_seen,
      lastSeen: u.last_seen,
    })),
    answers: {
      faq: answers?.faq ?? 0,
      ai: answers?.ai ?? 0,
      aiRefused: answers?.ai_refused ?? 0,
      handoff: answers?.handoff ?? 0,
      tokens: answers?.tokens ?? 0,
    },
  }
}

/** Every day of the range, oldest first, zero when nothing happened. */
export function dailyStats(days: readonly string[], counts: readonly CountRow[], latencies: readonly LatencyRow[]): DayStats[] {
  const byDay = new Map<string, DayStats>()
  for (const day of days) {
    byDay.set(day, {
      day,
      messages: 0,
      events: 0,
      unmatched: 0,
      repliesSent: 0,
      repliesFailed: 0,
      repliesPending: 0,
      repliesDropped: 0,
      replyMs: null,
    })
  }
  for (const row of counts) {
    const stats = byDay.get(row.day)
    if (!stats) continue
    stats.messages = row.messages
    stats.events = row.events
    stats.unmatched = row.unmatched
    stats.repliesSent = row.replies_sent
    stats.repliesFailed = row.replies_failed
    stats.repliesPending = row.replies_pending
    // Failed sends the operator gave up on: neither failed any more nor still to come.
    stats.repliesDropped = row.replies_dropped
  }
  const histograms = new Map<string, Map<number, number>>()
  for (const row of latencies) {
    const histogram = histograms.get(row.day) ?? new Map<number, number>()
    histogram.set(row.bucket, row.n)
    histograms.set(row.day, histogram)
  }
  for (const [day, histogram] of histograms) {
    const stats = byDay.get(day)
    const median = percentileOf(histogram, 50)
    const p95 = percentileOf(histogram, 95)
    if (stats && median !== null && p95 !== null) stats.replyMs = { median, p95 }
  }
  return [...byDay.values()]
}
