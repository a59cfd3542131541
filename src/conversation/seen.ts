/**
 * The pushes a Conversation has recorded (`seen`): WeChat's retries are recognised here, and
 * inspection shows the last ones. All of the table's statements.
 */
import type { RecordInput } from './contract'
import type { Tables } from './schema.generated'

export type SeenRow = Tables['seen']

export function findSeen(sql: SqlStorage, dedupKey: string): SeenRow | undefined {
  return sql.exec<SeenRow>('SELECT * FROM seen WHERE key = ?', dedupKey).toArray()[0]
}

export function addSeen(sql: SqlStorage, input: RecordInput, now: number): void {
  sql.exec(
    'INSERT INTO seen (key, kind, summary, msg_id, rule_id, transfer, received_at, rules_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    input.dedupKey,
    input.kind,
    input.summary,
    input.msgId,
    input.plan.ruleId,
    input.plan.transfer ? 1 : 0,
    now,
    input.plan.ruleSetVersion,
  )
}

/** The newest pushes first, for inspection. */
export function latestSeen(sql: SqlStorage, limit: number): SeenRow[] {
  return sql.exec<SeenRow>('SELECT * FROM seen ORDER BY received_at DESC LIMIT ?', limit).toArray()
}

/** Deletes the pushes received before `before`. */
export function pruneSeen(sql: SqlStorage, before: number): void {
  sql.exec('DELETE FROM seen WHERE received_at < ?', before)
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
