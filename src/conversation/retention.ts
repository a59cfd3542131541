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
 *   anything was written, the alarm deletes the object's whole storage (`deleteAll`) — not
 *   while D1 has not got what the journal holds (for one more retention period at most), nor
 *   while the user holds subscribe grants, which outlive RETENTION_DAYS.
 *
 * The policy only: each table's statements are its own module's (`seen.ts`, `outbox.ts`,
 * `window-store.ts`).
 */
import { rememberActivity, rememberedActivity } from './activity'
import { journalState } from './journal'
import { lastOutboxChangeAt, oldestFinishedAt, pendingCount, pruneFinished } from './outbox'
import { lastSeenAt, oldestSeenAt, pruneSeen } from './seen'
import { holdsGrants } from './subscriptions'
import { lastWindowEventAt, pruneWindowEvents, readWindow, windowEventsPrunableAt } from './window-store'

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

/**
 * Deletes every row past its time. When that takes the row holding the last activity, the
 * time is kept in `meta` (activity.ts): deletion counts RETENTION_DAYS from it, not from what
 * is left.
 */
export function prune(sql: SqlStorage, now: number, policy: Retention): void {
  const before = lastActivityAt(sql)
  pruneSeen(sql, now - policy.seenMs)
  pruneFinished(sql, now - policy.finishedMs)
  pruneWindowEvents(sql, now)
  if (before !== null && lastActivityAt(sql) !== before) rememberActivity(sql, before)
}

/** When the next row becomes prunable, or null when no row ever will (none is stored). */
export function nextPrunableAt(sql: SqlStorage, policy: Retention): number | null {
  const seen = oldestSeenAt(sql)
  const finished = oldestFinishedAt(sql)
  const times = [
    seen === null ? null : seen + policy.seenMs,
    finished === null ? null : finished + policy.finishedMs,
    windowEventsPrunableAt(sql),
  ].filter((at): at is number => at !== null)
  return times.length === 0 ? null : Math.min(...times)
}

/** When anything was last written: a push recorded, a reply's outcome, a window event (or that time, kept when its row was pruned). */
export function lastActivityAt(sql: SqlStorage): number | null {
  const times = [lastSeenAt(sql), lastOutboxChangeAt(sql), lastWindowEventAt(sql), rememberedActivity(sql)].filter(
    (at): at is number => at !== null,
  )
  return times.length === 0 ? null : Math.max(...times)
}

/**
 * When an idle object may delete its storage: RETENTION_DAYS after the last activity, and
 * not while the window is open (a shorter retention must not close a window WeChat keeps).
 */
export function deletableAt(lastActivity: number | null, windowClosesAt: number, policy: Retention): number {
  return Math.max(lastActivity === null ? 0 : lastActivity + policy.keepMs, windowClosesAt)
}

/** When the idle object may delete its storage: never while the user can be reached by a subscribe message. */
export function deleteAt(sql: SqlStorage, policy: Retention, longTerm: ReadonlySet<string>): number {
  // Grants are what subscribe messages reach quiet users with: they outlive RETENTION_DAYS.
  if (holdsGrants(sql, longTerm)) return Number.POSITIVE_INFINITY
  return deletableAt(lastActivityAt(sql), readWindow(sql).closesAt, policy)
}

/** Whether the object may delete its storage now (the alarm asks). */
export function idlePastRetention(sql: SqlStorage, now: number, policy: Retention, longTerm: ReadonlySet<string>): boolean {
  if (pendingCount(sql) > 0) return false
  // What D1 has not got yet waits for it — for one more retention period at most.
  const journal = journalState(sql)
  if (journal.oldest !== null && now - journal.oldest < policy.keepMs) return false
  return now >= deleteAt(sql, policy, longTerm)
}
