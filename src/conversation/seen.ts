/** The pushes a Conversation has recorded (`seen`): WeChat's retries are recognised here. */
import type { RecordInput } from './contract'
import type { SeenRow } from './storage'

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
