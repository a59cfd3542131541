/**
 * The outbox table: planned replies and what became of each. Every statement on `outbox` is
 * here — what a push adds, what a delivery pass marks, what the operator retries or drops,
 * what inspection, the journal and retention read — so its columns and states are read in
 * one place. Every write is synchronous, so it commits with whatever the caller writes
 * alongside it, and — through the output gate — before any request the caller makes next
 * leaves the object. Each write to status, errcode or reason is journaled to the D1 record
 * by trigger (storage.ts).
 *
 * Beyond the reply and its state, a row keeps `attempt_started_at` (when the attempt now in
 * flight left; null when none is), `manual` (1: the operator's reply through the admin API)
 * and `retried_at` (when the operator last retried it after it failed; its age counts from
 * there, `created_at` stays the push's).
 */
import type { AnswerCost } from '../ai/answer'
import type { AiRequest, ReplyMessage } from '../replies'
import type { AiUse, OutboxStatus } from './contract'
import { nextMark } from './journal-mark'
import type { Tables } from './schema.generated'

/** One outbox row, as the migrations define it (`schema.generated.ts`). */
export type OutboxRow = Omit<Tables['outbox'], 'status'> & { status: OutboxStatus }

/** A reply the model is still to write (`ReplyPlan.ai`): the row's `reply` until it has answered. */
export interface PendingAnswer {
  type: 'ai'
  request: AiRequest
}

/** What a row's `reply` holds: a reply to send, or a request to the model. */
export type StoredReply = ReplyMessage | PendingAnswer

export interface NewReplies {
  openid: string
  msgId: string | null
  dedupKey: string
  ruleId: string | null
  replies: readonly StoredReply[]
  /** Sent by the operator through the admin API. */
  manual?: boolean
}

/** A new send's id (?: now), as `addReplies` says. */
const NEXT_ID = '(SELECT max(COALESCE(MAX(id), 0) + 1, ?) FROM outbox)'
/**
 * The journal's mark (journal.ts), set by every statement that writes what the record shows
 * of a send: its creation, status, errcode or reason.
 */
const MARK = nextMark('outbox')

/**
 * Adds a push's replies, part 1 first; returns their ids. With `firstAttempt`, part 1 is
 * written already in flight (as `markInFlight` would leave it): the push's own commit marks
 * the attempt that is about to follow, one write and one commit fewer before it leaves.
 *
 * A send's id is the time it was made (epoch ms), or one more than the last id when that is
 * later. The record in D1 names a send `out:<openid>:<outbox id>` and outlives the object: a
 * user who comes back after their object was deleted gets a fresh database, whose sends must
 * not take the ids of the old one's rows — and they cannot, as long as the old one made fewer
 * sends than milliseconds passed. Without AUTOINCREMENT's counter: one row written less per send.
 */
export function addReplies(sql: SqlStorage, input: NewReplies, now: number, firstAttempt?: { retryAt: number }): number[] {
  return input.replies.map((reply, index) => {
    const inFlight = index === 0 && firstAttempt !== undefined
    return sql
      .exec<{ id: number }>(
        `INSERT INTO outbox (id, openid, msg_id, dedup_key, rule_id, part, reply, status, attempts, attempt_started_at,
           next_attempt_at, created_at, updated_at, manual, journal_seq)
         VALUES (${NEXT_ID}, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ${MARK}) RETURNING id`,
        now,
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

/**
 * The model has answered, or the fallback replaces its answer: the row (still pending, the
 * attempt in flight) now holds the first reply to send, under `ruleId`, with what the answer
 * cost; the other replies follow as the push's next parts, due at once. Call in a transaction.
 */
export function writeAnswer(
  sql: SqlStorage,
  row: OutboxRow,
  replies: readonly [ReplyMessage, ...ReplyMessage[]],
  ruleId: string,
  ai: AnswerCost | null,
  now: number,
): OutboxRow {
  const [first, ...rest] = replies
  sql.exec(
    'UPDATE outbox SET reply = ?, rule_id = ?, ai = ?, updated_at = ? WHERE id = ?',
    JSON.stringify(first),
    ruleId,
    ai === null ? null : JSON.stringify(ai),
    now,
    row.id,
  )
  rest.forEach((reply, index) => {
    sql.exec(
      `INSERT INTO outbox (id, openid, msg_id, dedup_key, rule_id, part, reply, status, attempts, next_attempt_at, created_at, updated_at, manual, journal_seq)
       VALUES (${NEXT_ID}, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, 0, ${MARK})`,
      now,
      row.openid,
      row.msg_id,
      row.dedup_key,
      ruleId,
      row.part + index + 1,
      JSON.stringify(reply),
      now,
      row.created_at,
      now,
    )
  })
  return { ...row, reply: JSON.stringify(first), rule_id: ruleId, ai: ai === null ? null : JSON.stringify(ai), updated_at: now }
}

/** `outbox.ai` as inspection and the record show it; null for a send the model was not asked for. */
export function aiUseOf(row: Pick<OutboxRow, 'ai'>): AiUse | null {
  if (row.ai === null) return null
  try {
    const cost = JSON.parse(row.ai) as AnswerCost
    return { sources: cost.sources, tokens: cost.promptTokens + cost.completionTokens, refused: cost.refused ?? null }
  } catch {
    return null
  }
}

export function outboxRow(sql: SqlStorage, id: number): OutboxRow | undefined {
  return sql.exec<OutboxRow>('SELECT * FROM outbox WHERE id = ?', id).toArray()[0]
}

/** The newest rows first, for inspection. */
export function latestRows(sql: SqlStorage, limit: number): OutboxRow[] {
  return sql.exec<OutboxRow>('SELECT * FROM outbox ORDER BY id DESC LIMIT ?', limit).toArray()
}

export function pendingRows(sql: SqlStorage): OutboxRow[] {
  return sql.exec<OutboxRow>("SELECT * FROM outbox WHERE status = 'pending' ORDER BY id").toArray()
}

/** Rows left in flight: by a reset, or by the push that marked them (`addReplies`). */
export function inFlightRows(sql: SqlStorage): OutboxRow[] {
  return sql.exec<OutboxRow>("SELECT * FROM outbox WHERE status = 'pending' AND attempt_started_at IS NOT NULL").toArray()
}

export function pendingCount(sql: SqlStorage): number {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'").one().n
}

/** Sends waiting and sends failed, for the record's view of the user. */
export function outboxCounts(sql: SqlStorage): { pending: number; failed: number } {
  return sql
    .exec<{ pending: number; failed: number }>(
      "SELECT COUNT(*) FILTER (WHERE status = 'pending') AS pending, COUNT(*) FILTER (WHERE status = 'failed') AS failed FROM outbox",
    )
    .one()
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

/** When one row is next due, as it is stored now. */
export function nextAttemptAt(sql: SqlStorage, id: number): number {
  return sql.exec<{ at: number }>('SELECT next_attempt_at AS at FROM outbox WHERE id = ?', id).one().at
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
    `UPDATE outbox SET status = 'sent', attempt_started_at = NULL, errcode = NULL, reason = NULL, updated_at = ?, journal_seq = ${MARK} WHERE id = ?`,
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
    `UPDATE outbox SET attempt_started_at = NULL, next_attempt_at = ?, errcode = ?, reason = ?, updated_at = ?, journal_seq = ${MARK} WHERE id = ?`,
    outcome.nextAttemptAt,
    outcome.errcode,
    outcome.reason,
    now,
    row.id,
  )
}

export function markFailed(sql: SqlStorage, row: OutboxRow, reason: string, errcode: number | null, now: number): void {
  sql.exec(
    `UPDATE outbox SET status = 'failed', attempt_started_at = NULL, reason = ?, errcode = ?, updated_at = ?, journal_seq = ${MARK} WHERE id = ?`,
    reason,
    errcode,
    now,
    row.id,
  )
}

/**
 * The operator retries a failed send: a fresh start, due now. Its age (REPLY_MAX_AGE_SECONDS)
 * counts from the retry (`retried_at`); `created_at` stays the push's, from which the record
 * measures push-to-reply time.
 */
export function markRetriedByOperator(sql: SqlStorage, id: number, now: number): void {
  sql.exec(
    `UPDATE outbox SET status = 'pending', attempts = 0, attempt_started_at = NULL, next_attempt_at = ?,
       errcode = NULL, reason = NULL, retried_at = ?, updated_at = ?, journal_seq = ${MARK} WHERE id = ?`,
    now,
    now,
    now,
    id,
  )
}

/** The operator gives a failed send up: kept, as dropped. */
export function markDropped(sql: SqlStorage, id: number, now: number): void {
  sql.exec(`UPDATE outbox SET status = 'dropped', updated_at = ?, journal_seq = ${MARK} WHERE id = ?`, now, id)
}

/** Deletes the finished rows (anything not pending) last changed before `before` that the record has (marked at or before `copied`). */
export function pruneFinished(sql: SqlStorage, before: number, copied: number): void {
  sql.exec("DELETE FROM outbox WHERE status != 'pending' AND updated_at < ? AND journal_seq <= ?", before, copied)
}

/** The sends marked after `mark`, oldest mark first: what the record has not got yet. */
export function outboxMarkedAfter(sql: SqlStorage, mark: number, limit: number): OutboxRow[] {
  return sql.exec<OutboxRow>('SELECT * FROM outbox WHERE journal_seq > ? ORDER BY journal_seq LIMIT ?', mark, limit).toArray()
}

/** What retention and the alarm ask of the outbox, in one read. */
export interface OutboxSpan {
  /** When the oldest finished row last changed; null when there is none. */
  oldestFinished: number | null
  /** When any row last changed; null when there is none. */
  newest: number | null
  /** Rows still to send. */
  pending: number
}

export function outboxSpan(sql: SqlStorage): OutboxSpan {
  return sql
    .exec<{ oldestFinished: number | null; newest: number | null; pending: number }>(
      `SELECT MIN(updated_at) FILTER (WHERE status != 'pending') AS oldestFinished, MAX(updated_at) AS newest,
         COUNT(*) FILTER (WHERE status = 'pending') AS pending FROM outbox`,
    )
    .one()
}
