/**
 * Retention of the record, run by the cron (src/scheduled.ts):
 *
 * - What users wrote and were sent (messages.text, conversations.last_text) is cleared
 *   RETENTION_DAYS after it was written. So are unmatched questions not asked for
 *   RETENTION_DAYS: their key is the user's text, so the row goes with it.
 * - Rows and counts stay while the stats can show them (MAX_STATS_DAYS, or RETENTION_DAYS
 *   when that is longer): message rows without text still count in the daily stats, and
 *   still stop a late retry of the same push from being counted twice.
 * - Windows that have closed are shown as closed (0 left), which keeps the partial index of
 *   open windows small.
 *
 * Every statement works through an index on (appid, time), in chunks, so a first run over a
 * large backlog never holds the database for long.
 */
import { log } from '../log'
import { dayOf, DAY_MS } from './day'
import { all, prepare, statement, type Statement } from './sql'
import { MAX_STATS_DAYS } from './stats'

/** Rows per statement; a chunk that comes back full is run again. */
export const PRUNE_CHUNK = 1000
/** At most this many chunks per statement and run: the next hourly run goes on. */
const MAX_CHUNKS = 100
/** Days beyond any real retention; keeps date arithmetic within range. */
const MAX_DAYS = 36_500

export interface PruneOptions {
  /** One app, or every app with rows in the record. */
  appid?: string
  now: number
  retentionDays: number
}

export interface PruneCounts {
  textsCleared: number
  lastTextsCleared: number
  questionsForgotten: number
  windowsClosed: number
  messagesDeleted: number
  conversationsDeleted: number
  ruleDaysDeleted: number
  /** Rows of `daily` and `daily_latency`. */
  dayCountsDeleted: number
}

/** The apps with rows, by a skip scan over each table's leading appid: one index seek per app. */
export function appidsQuery(): Statement {
  const skipScan = (name: string, table: string) => `
    ${name}(appid) AS (
      SELECT min(appid) FROM ${table}
      UNION ALL SELECT (SELECT min(appid) FROM ${table} WHERE appid > ${name}.appid) FROM ${name} WHERE ${name}.appid IS NOT NULL
    )`
  return statement(
    `WITH RECURSIVE ${skipScan('c', 'conversations')}, ${skipScan('m', 'messages')}, ${skipScan('u', 'unmatched')}
     SELECT appid FROM c WHERE appid IS NOT NULL
     UNION SELECT appid FROM m WHERE appid IS NOT NULL
     UNION SELECT appid FROM u WHERE appid IS NOT NULL`,
    [],
  )
}

export interface PruneStep {
  name: keyof PruneCounts
  statement: Statement
  /** Whether the statement works in chunks of PRUNE_CHUNK rows (run until one comes back short). */
  chunked: boolean
}

/** The statements of one app's pruning; ?1 appid, ?2 the cut-off, ?3 the chunk size. */
export function pruneSteps(appid: string, now: number, retentionDays: number): PruneStep[] {
  const textCutoff = now - Math.min(retentionDays, MAX_DAYS) * DAY_MS
  const rowDays = Math.min(Math.max(retentionDays, MAX_STATS_DAYS), MAX_DAYS)
  // Rows of days before this one go; counts of the last rowDays days stay.
  const firstKeptDay = dayOf(now - (rowDays - 1) * DAY_MS)
  const rowCutoff = now - rowDays * DAY_MS
  const chunked = (name: keyof PruneCounts, sql: string, cutoff: string | number): PruneStep => ({
    name,
    statement: statement(sql, [appid, cutoff, PRUNE_CHUNK]),
    chunked: true,
  })
  return [
    chunked(
      'textsCleared',
      `UPDATE messages SET text = NULL WHERE rowid IN (
         SELECT rowid FROM messages INDEXED BY messages_text WHERE appid = ?1 AND at < ?2 AND text IS NOT NULL LIMIT ?3)`,
      textCutoff,
    ),
    chunked(
      'lastTextsCleared',
      `UPDATE conversations SET last_text = NULL WHERE appid = ?1 AND openid IN (
         SELECT openid FROM conversations INDEXED BY conversations_text WHERE appid = ?1 AND last_at < ?2 AND last_text IS NOT NULL LIMIT ?3)`,
      textCutoff,
    ),
    chunked(
      'questionsForgotten',
      `DELETE FROM unmatched WHERE appid = ?1 AND text IN (
         SELECT text FROM unmatched INDEXED BY unmatched_seen WHERE appid = ?1 AND last_seen < ?2 LIMIT ?3)`,
      textCutoff,
    ),
    chunked(
      'windowsClosed',
      `UPDATE conversations SET window_remaining = 0 WHERE appid = ?1 AND openid IN (
         SELECT openid FROM conversations INDEXED BY conversations_open WHERE appid = ?1 AND window_remaining > 0 AND window_closes_at <= ?2 LIMIT ?3)`,
      now,
    ),
    chunked(
      'messagesDeleted',
      `DELETE FROM messages WHERE rowid IN (
         SELECT rowid FROM messages INDEXED BY messages_day WHERE appid = ?1 AND day < ?2 LIMIT ?3)`,
      firstKeptDay,
    ),
    chunked(
      'conversationsDeleted',
      `DELETE FROM conversations WHERE appid = ?1 AND openid IN (
         SELECT openid FROM conversations INDEXED BY conversations_recent WHERE appid = ?1 AND last_at < ?2 LIMIT ?3)`,
      rowCutoff,
    ),
    {
      name: 'ruleDaysDeleted',
      // Days times rules: small, one statement.
      statement: statement('DELETE FROM rule_daily WHERE appid = ?1 AND day < ?2', [appid, firstKeptDay]),
      chunked: false,
    },
    {
      name: 'dayCountsDeleted',
      statement: statement('DELETE FROM daily WHERE appid = ?1 AND day < ?2', [appid, firstKeptDay]),
      chunked: false,
    },
    {
      name: 'dayCountsDeleted',
      statement: statement('DELETE FROM daily_latency WHERE appid = ?1 AND day < ?2', [appid, firstKeptDay]),
      chunked: false,
    },
  ]
}

export function noCounts(): PruneCounts {
  return {
    textsCleared: 0,
    lastTextsCleared: 0,
    questionsForgotten: 0,
    windowsClosed: 0,
    messagesDeleted: 0,
    conversationsDeleted: 0,
    ruleDaysDeleted: 0,
    dayCountsDeleted: 0,
  }
}

/** Prunes the record of one app or of all; logs `record.pruned` per app with what it did. */
export async function pruneRecord(db: D1Database, { appid, now, retentionDays }: PruneOptions): Promise<PruneCounts> {
  const appids = appid !== undefined ? [appid] : (await all<{ appid: string }>(db, appidsQuery())).map((r) => r.appid)
  const total = noCounts()
  for (const app of appids) {
    const counts = noCounts()
    for (const step of pruneSteps(app, now, retentionDays)) {
      counts[step.name] += await run(db, step)
    }
    for (const name of Object.keys(counts) as (keyof PruneCounts)[]) total[name] += counts[name]
    log.info('record.pruned', { appid: app, retentionDays, ...counts })
  }
  return total
}

async function run(db: D1Database, step: PruneStep): Promise<number> {
  let changed = 0
  for (let chunk = 0; chunk < (step.chunked ? MAX_CHUNKS : 1); chunk++) {
    const { meta } = await prepare(db, step.statement).run()
    changed += meta.changes
    if (meta.changes < PRUNE_CHUNK) break
  }
  return changed
}
