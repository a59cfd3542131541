/**
 * The pushes a Conversation has recorded (`seen`): WeChat's retries are recognised here, and
 * inspection shows the last ones; each row holds its push's event for the D1 record, marked
 * for the journal (journal.ts). All of the table's statements.
 */
import type { InboundEvent } from '../record/event'
import type { RecordInput } from './contract'
import { nextMark } from './journal-mark'
import type { Tables } from './schema.generated'

export type SeenRow = Tables['seen']

export function findSeen(sql: SqlStorage, dedupKey: string): SeenRow | undefined {
  return sql.exec<SeenRow>('SELECT * FROM seen WHERE key = ?', dedupKey).toArray()[0]
}

/** A new push, with `event` for the record, marked for the journal. */
export function addSeen(sql: SqlStorage, input: RecordInput, now: number, event: InboundEvent): void {
  sql.exec(
    `INSERT INTO seen (key, kind, summary, msg_id, rule_id, transfer, received_at, rules_version, event, journal_seq)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ${nextMark('seen')})`,
    input.dedupKey,
    input.kind,
    input.summary,
    input.msgId,
    input.plan.ruleId,
    input.plan.transfer ? 1 : 0,
    now,
    input.plan.ruleSetVersion,
    JSON.stringify(event),
  )
}

/** The pushes marked after `mark`, oldest mark first: what the record has not got yet. */
export function seenMarkedAfter(sql: SqlStorage, mark: number, limit: number): SeenRow[] {
  return sql.exec<SeenRow>('SELECT * FROM seen WHERE journal_seq > ? ORDER BY journal_seq LIMIT ?', mark, limit).toArray()
}

/** The newest pushes first, for inspection. */
export function latestSeen(sql: SqlStorage, limit: number): SeenRow[] {
  return sql.exec<SeenRow>('SELECT * FROM seen ORDER BY received_at DESC LIMIT ?', limit).toArray()
}

/** Deletes the pushes received before `before` that the record has (marked at or before `copied`). */
export function pruneSeen(sql: SqlStorage, before: number, copied: number): void {
  sql.exec('DELETE FROM seen WHERE received_at < ? AND journal_seq <= ?', before, copied)
}

/** When the oldest and the newest push kept were received (null when none is), in one read. */
export function seenSpan(sql: SqlStorage): { oldest: number | null; newest: number | null } {
  return sql
    .exec<{ oldest: number | null; newest: number | null }>('SELECT MIN(received_at) AS oldest, MAX(received_at) AS newest FROM seen')
    .one()
}

/** The model sees this many of the user's earlier texts, at most, from the last HISTORY_MS. */
export const HISTORY_TEXTS = 3
const HISTORY_MS = 30 * 60 * 1000

/**
 * The user's texts before the push `key`, oldest first: what they asked a moment ago gives
 * their question its context. Only this object's own rows — one user's.
 */
export function recentTexts(sql: SqlStorage, key: string, now: number): string[] {
  return sql
    .exec<{ summary: string }>(
      `SELECT summary FROM seen WHERE kind = 'text' AND key != ? AND received_at >= ?
         AND received_at <= COALESCE((SELECT received_at FROM seen WHERE key = ?), ?)
       ORDER BY received_at DESC LIMIT ?`,
      key,
      now - HISTORY_MS,
      key,
      now,
      HISTORY_TEXTS,
    )
    .toArray()
    .map((row) => row.summary)
    .reverse()
}
