/**
 * `webhook_failures` (migrations/0009_webhooks.sql): the deliveries the queue gave up on,
 * until an operator's retry gets them through or retention deletes them. Every statement of
 * the table, as plain data (record/sql.ts), each through a named index.
 */
import { all, first, prepare, statement, type Statement } from '../record/sql'
import type { QueuedDelivery, WebhookEvent, WebhookTask } from './events'
import { openidOf } from './events'

export type FailureStatus = 'failed' | 'retrying'

export interface FailureRow {
  appid: string
  id: string
  event: WebhookEvent
  openid: string | null
  task: string
  status: FailureStatus
  attempts: number
  last_status: number | null
  last_reason: string | null
  occurred_at: number
  failed_at: number
  retried_at: number | null
  retried_by: string | null
}

/** What the last attempt came to: the receiver's status (null: no answer) and why it failed. */
export interface LastAttempt {
  status: number | null
  reason: string
}

const REASON_CHARS = 200

/** A row as the admin API answers it (answers-webhooks.ts). */
export interface FailureView {
  id: string
  event: WebhookEvent
  openid: string | null
  status: FailureStatus
  attempts: number
  lastStatus: number | null
  lastReason: string | null
  occurredAt: number
  failedAt: number
  retriedAt: number | null
}

export function failureView(row: FailureRow): FailureView {
  return {
    id: row.id,
    event: row.event,
    openid: row.openid,
    status: row.status,
    attempts: row.attempts,
    lastStatus: row.last_status,
    lastReason: row.last_reason,
    occurredAt: row.occurred_at,
    failedAt: row.failed_at,
    retriedAt: row.retried_at,
  }
}

/** The queue gave up: recorded, or recorded again after a retry failed too (its attempts added up). */
export function recordFailure(task: WebhookTask, attempts: number, last: LastAttempt, now: number): Statement {
  return statement(
    `INSERT INTO webhook_failures (appid, id, event, openid, task, status, attempts, last_status, last_reason, occurred_at, failed_at)
     VALUES (?, ?, ?, ?, ?, 'failed', ?, ?, ?, ?, ?)
     ON CONFLICT (appid, id) DO UPDATE SET status = 'failed', attempts = excluded.attempts, last_status = excluded.last_status,
       last_reason = excluded.last_reason, failed_at = excluded.failed_at`,
    [
      task.appid,
      task.id,
      task.event,
      openidOf(task),
      JSON.stringify(task),
      attempts,
      last.status,
      Array.from(last.reason).slice(0, REASON_CHARS).join(''),
      task.occurred_at,
      now,
    ],
  )
}

/** The newest first, at most `limit`. */
export function newestFailures(appid: string, limit: number): Statement {
  return statement('SELECT * FROM webhook_failures INDEXED BY webhook_failures_newest WHERE appid = ? ORDER BY failed_at DESC LIMIT ?', [
    appid,
    limit,
  ])
}

export function failureById(appid: string, id: string): Statement {
  return statement('SELECT * FROM webhook_failures WHERE appid = ? AND id = ?', [appid, id])
}

export function markRetrying(appid: string, id: string, operatorId: string, now: number): Statement {
  return statement("UPDATE webhook_failures SET status = 'retrying', retried_at = ?, retried_by = ? WHERE appid = ? AND id = ?", [
    now,
    operatorId,
    appid,
    id,
  ])
}

/** A retried delivery got through: nothing is left to show. */
export function deleteFailure(appid: string, id: string): Statement {
  return statement('DELETE FROM webhook_failures WHERE appid = ? AND id = ?', [appid, id])
}

/** Retention: rows that last failed before `before`. */
export function pruneFailures(before: number): Statement {
  return statement('DELETE FROM webhook_failures INDEXED BY webhook_failures_age WHERE failed_at < ?', [before])
}

/** A user's deletion: every row about them (their events may carry their text). */
export function deleteUserFailures(appid: string, openid: string): Statement {
  return statement('DELETE FROM webhook_failures INDEXED BY webhook_failures_user WHERE appid = ? AND openid = ?', [appid, openid])
}

/** A user's export: every row about them, oldest first, at most `limit`. */
export function userFailuresQuery(appid: string, openid: string, limit: number): Statement {
  return statement(
    'SELECT * FROM webhook_failures INDEXED BY webhook_failures_user WHERE appid = ? AND openid = ? ORDER BY occurred_at, id LIMIT ?',
    [appid, openid, limit],
  )
}

export function listFailures(db: D1Database, appid: string, limit: number): Promise<FailureRow[]> {
  return all<FailureRow>(db, newestFailures(appid, limit))
}

export function readFailure(db: D1Database, appid: string, id: string): Promise<FailureRow | null> {
  return first<FailureRow>(db, failureById(appid, id))
}

/** The queue message that sends a recorded delivery again: the same task, the same id. */
export function requeued(row: FailureRow): QueuedDelivery {
  return { task: JSON.parse(row.task) as WebhookTask, before: row.attempts }
}

export async function run(db: D1Database, query: Statement): Promise<void> {
  await prepare(db, query).run()
}
