/**
 * How long a Conversation keeps what it stored, and when an idle one deletes itself.
 *
 * - `seen` (dedup keys, and up to 200 characters of what the user wrote: personal data) for
 *   two days — WeChat's retries come within seconds — and never longer than RETENTION_DAYS.
 * - Finished outbox rows for RETENTION_DAYS, for inspection.
 * - Window events while they can still change the window (`window.ts`, about two days).
 * - Pruning runs when a push is recorded and from the alarm, at most once an hour, so a row
 *   outlives its time by an hour at most — also for a user who has gone quiet.
 * - Once nothing is pending, the window has closed and RETENTION_DAYS have passed since
 *   anything was written, the alarm deletes the object's whole storage (`deleteAll`).
 */
import { pruneWindowEvents, windowEventsPrunableAt } from './window-store'

const DAY_MS = 24 * 60 * 60 * 1000

/** Dedup needs seconds; two days is ample, and less when the retention is shorter. */
export const SEEN_MAX_MS = 2 * DAY_MS
/** Pruning scans the user's rows, so it runs at most hourly per object, not on every push. */
export const PRUNE_EVERY_MS = 60 * 60 * 1000

export interface Retention {
  /** How long an idle object keeps its storage (RETENTION_DAYS). */
  keepMs: number
  /** How long a `seen` row is kept. */
  seenMs: number
  /** How long a finished (sent or failed) outbox row is kept. */
  finishedMs: number
}

export function retention(keepMs: number): Retention {
  return { keepMs, seenMs: Math.min(SEEN_MAX_MS, keepMs), finishedMs: keepMs }
}

/** Deletes every row past its time. */
export function prune(sql: SqlStorage, now: number, policy: Retention): void {
  sql.exec('DELETE FROM seen WHERE received_at < ?', now - policy.seenMs)
  sql.exec("DELETE FROM outbox WHERE status != 'pending' AND updated_at < ?", now - policy.finishedMs)
  pruneWindowEvents(sql, now)
}

/** When the next row becomes prunable, or null when no row ever will (none is stored). */
export function nextPrunableAt(sql: SqlStorage, policy: Retention): number | null {
  const seen = sql.exec<{ at: number | null }>('SELECT MIN(received_at) AS at FROM seen').one().at
  const finished = sql
    .exec<{ at: number | null }>("SELECT MIN(updated_at) AS at FROM outbox WHERE status != 'pending'")
    .one().at
  const times = [
    seen === null ? null : seen + policy.seenMs,
    finished === null ? null : finished + policy.finishedMs,
    windowEventsPrunableAt(sql),
  ].filter((at): at is number => at !== null)
  return times.length === 0 ? null : Math.min(...times)
}

/** When anything was last written: a push recorded, a reply's outcome, a window event. */
export function lastActivityAt(sql: SqlStorage): number | null {
  return sql
    .exec<{ at: number | null }>(
      `SELECT MAX(at) AS at FROM (
         SELECT MAX(received_at) AS at FROM seen
         UNION ALL SELECT MAX(updated_at) FROM outbox
         UNION ALL SELECT MAX(at) FROM window_events)`,
    )
    .one().at
}

/**
 * When an idle object may delete its storage: RETENTION_DAYS after the last activity, and
 * not while the window is open (a shorter retention must not close a window WeChat keeps).
 */
export function deletableAt(lastActivity: number | null, windowClosesAt: number, policy: Retention): number {
  return Math.max(lastActivity === null ? 0 : lastActivity + policy.keepMs, windowClosesAt)
}
