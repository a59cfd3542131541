/**
 * The conversations agents closed, one row per close (`handled`, in the Desk object): what
 * the agents' figures count — whose it was, how long the first reply took, the user's rating.
 * Apart from the queue's `desk` rows (one per user, replaced when they come back), so a
 * returning user never erases what an agent did for them before. No text of the user's is
 * kept here. Every statement on the table is here.
 */
import type { DeskReason } from './queue'

export const HANDLED_SCHEMA = `
CREATE TABLE IF NOT EXISTS handled (
  openid TEXT NOT NULL,
  closed_at INTEGER NOT NULL,
  agent TEXT NOT NULL,
  agent_name TEXT NOT NULL,
  reason TEXT NOT NULL,
  queued_at INTEGER NOT NULL,
  first_response_at INTEGER,
  rating INTEGER,
  PRIMARY KEY (openid, closed_at)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS handled_closed ON handled (closed_at);
`

/** Closed conversations are kept this long, for the agents' figures. */
export const HANDLED_KEPT_MS = 30 * 24 * 3_600_000

export type HandledRow = {
  openid: string
  closed_at: number
  /** The agent who held it when it closed — or who closed it, when nobody held it. */
  agent: string
  agent_name: string
  reason: DeskReason
  queued_at: number
  /** The first reply by hand; null when it closed without one. */
  first_response_at: number | null
  /** The user's satisfaction rating (1–5) after the close; null when none came. */
  rating: number | null
}

export function recordHandled(sql: SqlStorage, row: Omit<HandledRow, 'rating'>): void {
  sql.exec(
    `INSERT OR REPLACE INTO handled (openid, closed_at, agent, agent_name, reason, queued_at, first_response_at, rating)
     VALUES (?, ?, ?, ?, ?, ?, ?, NULL)`,
    row.openid,
    row.closed_at,
    row.agent,
    row.agent_name,
    row.reason,
    row.queued_at,
    row.first_response_at,
  )
  sql.exec('DELETE FROM handled WHERE closed_at < ?', row.closed_at - HANDLED_KEPT_MS)
}

/** Conversations closed since `since`, for the figures. */
export function handledSince(sql: SqlStorage, since: number): HandledRow[] {
  return sql.exec<HandledRow>('SELECT * FROM handled WHERE closed_at >= ?', since).toArray()
}

/** The user's rating goes to their conversation closed last; false when they have none. */
export function rateHandled(sql: SqlStorage, openid: string, score: number): boolean {
  return (
    sql.exec(
      'UPDATE handled SET rating = ?1 WHERE openid = ?2 AND closed_at = (SELECT MAX(closed_at) FROM handled WHERE openid = ?2)',
      score,
      openid,
    ).rowsWritten > 0
  )
}

/** A user's data deleted: their closed conversations still count, each under a made-up name. */
export function forgetHandled(sql: SqlStorage, openid: string): boolean {
  return sql.exec("UPDATE handled SET openid = 'deleted:' || lower(hex(randomblob(16))) WHERE openid = ?", openid).rowsWritten > 0
}
