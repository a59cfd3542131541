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
import { copiedMarks, journalState } from './journal'
import { type OutboxSpan, outboxSpan, pruneFinished } from './outbox'
import { pruneSeen, seenSpan } from './seen'
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
 * The times retention decides from, each table read once: the pushes kept, the outbox, the
 * window's events (kept in memory, window-store.ts) and the remembered activity. A push's
 * alarm plan reads them once for when to prune and when to delete.
 */
export interface Times {
  seen: { oldest: number | null; newest: number | null }
  outbox: OutboxSpan
  windowPrunableAt: number | null
  windowNewest: number | null
  remembered: number | null
}

export function readTimes(sql: SqlStorage): Times {
  return {
    seen: seenSpan(sql),
    outbox: outboxSpan(sql),
    windowPrunableAt: windowEventsPrunableAt(sql),
    windowNewest: lastWindowEventAt(sql),
    remembered: rememberedActivity(sql),
  }
}

/**
 * Deletes every row past its time, once D1 has it (journal.ts). When that takes the row
 * holding the last activity, the time is kept in `meta` (activity.ts): deletion counts
 * RETENTION_DAYS from it, not from what is left.
 */
export function prune(sql: SqlStorage, now: number, policy: Retention): void {
  const before = lastActivityAt(sql)
  const copied = copiedMarks(sql)
  pruneSeen(sql, now - policy.seenMs, copied.seen)
  pruneFinished(sql, now - policy.finishedMs, copied.outbox)
  pruneWindowEvents(sql, now)
  if (before !== null && lastActivityAt(sql) !== before) rememberActivity(sql, before)
}

/** When the next row becomes prunable, or null when no row ever will (none is stored). */
export function nextPrunableAt(times: Times, policy: Retention): number | null {
  const { seen, outbox } = times
  const at = [
    seen.oldest === null ? null : seen.oldest + policy.seenMs,
    outbox.oldestFinished === null ? null : outbox.oldestFinished + policy.finishedMs,
    times.windowPrunableAt,
  ].filter((t): t is number => t !== null)
  return at.length === 0 ? null : Math.min(...at)
}

/** When anything was last written: a push recorded, a reply's outcome, a window event (or that time, kept when its row was pruned). */
export function lastActivityAt(sql: SqlStorage, times: Times = readTimes(sql)): number | null {
  const at = [times.seen.newest, times.outbox.newest, times.windowNewest, times.remembered].filter((t): t is number => t !== null)
  return at.length === 0 ? null : Math.max(...at)
}

/**
 * When an idle object may delete its storage: RETENTION_DAYS after the last activity, and
 * not while the window is open (a shorter retention must not close a window WeChat keeps).
 */
export function deletableAt(lastActivity: number | null, windowClosesAt: number, policy: Retention): number {
  return Math.max(lastActivity === null ? 0 : lastActivity + policy.keepMs, windowClosesAt)
}

/** When the idle object may delete its storage: never while the user can be reached by a subscribe message. */
export function deleteAt(sql: SqlStorage, policy: Retention, longTerm: ReadonlySet<string>, times: Times = readTimes(sql)): number {
  // Grants are what subscribe messages reach quiet users with: they outlive RETENTION_DAYS.
  if (holdsGrants(sql, longTerm)) return Number.POSITIVE_INFINITY
  return deletableAt(lastActivityAt(sql, times), readWindow(sql).closesAt, policy)
}

/** Whether the object may delete its storage now (the alarm asks). */
export function idlePastRetention(sql: SqlStorage, now: number, policy: Retention, longTerm: ReadonlySet<string>): boolean {
  const times = readTimes(sql)
  if (times.outbox.pending > 0) return false
  // What D1 has not got yet waits for it — for one more retention period at most.
  const journal = journalState(sql)
  if (journal.oldest !== null && now - journal.oldest < policy.keepMs) return false
  return now >= deleteAt(sql, policy, longTerm, times)
}
