/**
 * The outbox table: planned replies and what became of each. Every write here is
 * synchronous, so it commits with whatever the caller writes alongside it, and — through the
 * output gate — before any request the caller makes next leaves the object.
 */
import type { ReplyMessage } from '../replies'
import type { OutboxRow } from './storage'

export interface NewReplies {
  openid: string
  msgId: string | null
  dedupKey: string
  ruleId: string | null
  replies: readonly ReplyMessage[]
  /** Sent by the operator through the admin API. */
  manual?: boolean
}

/**
 * Adds a push's replies, part 1 first; returns their ids. With `firstAttempt`, part 1 is
 * written already in flight (as `markInFlight` would leave it): the push's own commit marks
 * the attempt that is about to follow, one write and one commit fewer before it leaves.
 */
export function addReplies(sql: SqlStorage, input: NewReplies, now: number, firstAttempt?: { retryAt: number }): number[] {
  return input.replies.map((reply, index) => {
    const inFlight = index === 0 && firstAttempt !== undefined
    return sql
      .exec<{ id: number }>(
        `INSERT INTO outbox (openid, msg_id, dedup_key, rule_id, part, reply, status, attempts, attempt_started_at,
           next_attempt_at, created_at, updated_at, manual)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?) RETURNING id`,
        input.openid,
        input.msgId,
        input.dedupKey,
        input.ruleId,
        index + 1,
        JSON.stringify(reply),
        inFlight ? 1 : 0,
        inFlight ? now : null,
        inFlight ? firstAttempt.retryAt : now,
        now,
        now,
        input.manual ? 1 : 0,
      )
      .one().id
  })
}

export function pendingRows(sql: SqlStorage): OutboxRow[] {
  return sql.exec<OutboxRow>("SELECT * FROM outbox WHERE status = 'pending' ORDER BY id").toArray()
}

export function pendingCount(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'").one().n
}

/** When the earliest waiting push is next due: the backoff of each push's first pending part. */
export function nextDue(sql: SqlStorage): number | null {
  return sql
    .exec<{ due: number | null }>(
      `SELECT MIN(next_attempt_at) AS due FROM outbox AS o WHERE status = 'pending'
         AND id = (SELECT MIN(id) FROM outbox WHERE status = 'pending' AND dedup_key = o.dedup_key)`,
    )
    .one().due
}

/**
 * Marks an attempt in flight before its request leaves: counted, with its start, and with
 * the backoff it gets if nothing else is written — so a reset mid-send, or an exception on
 * the way out, leaves a row that waits instead of one that is sent again at once.
 */
export function markInFlight(sql: SqlStorage, row: OutboxRow, startedAt: number, retryAt: number): OutboxRow {
  const attempt = { ...row, attempts: row.attempts + 1, attempt_started_at: startedAt, next_attempt_at: retryAt }
  sql.exec(
    'UPDATE outbox SET attempts = ?, attempt_started_at = ?, next_attempt_at = ?, updated_at = ? WHERE id = ?',
    attempt.attempts,
    startedAt,
    retryAt,
    startedAt,
    row.id,
  )
  return attempt
}

export function markSent(sql: SqlStorage, row: OutboxRow, now: number): void {
  sql.exec(
    "UPDATE outbox SET status = 'sent', attempt_started_at = NULL, errcode = NULL, reason = NULL, updated_at = ? WHERE id = ?",
    now,
    row.id,
  )
}

export function markRetry(
  sql: SqlStorage,
  row: OutboxRow,
  outcome: { nextAttemptAt: number; errcode: number | null; reason: string },
  now: number,
): void {
  sql.exec(
    'UPDATE outbox SET attempt_started_at = NULL, next_attempt_at = ?, errcode = ?, reason = ?, updated_at = ? WHERE id = ?',
    outcome.nextAttemptAt,
    outcome.errcode,
    outcome.reason,
    now,
    row.id,
  )
}

export function markFailed(sql: SqlStorage, row: OutboxRow, reason: string, errcode: number | null, now: number): void {
  sql.exec(
    "UPDATE outbox SET status = 'failed', attempt_started_at = NULL, reason = ?, errcode = ?, updated_at = ? WHERE id = ?",
    reason,
    errcode,
    now,
    row.id,
  )
}
