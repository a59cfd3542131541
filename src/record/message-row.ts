/**
 * A row of the record's `messages` table (migrations/0001, 0007, 0011, 0014; STORAGE.md), as
 * D1 answers it: each query reads the columns it needs, a Pick (or Omit) of this type. And the fields
 * every view of a message shows alike, so a conversation's messages and the failed list
 * never tell the same column two ways.
 */
import type { MessageView } from './views'

export interface MessageRow {
  appid: string
  id: string
  openid: string
  direction: 'in' | 'out'
  kind: string
  text: string | null
  rule_id: string | null
  rules_version: string | null
  unmatched: number
  inbound_key: string | null
  part: number | null
  manual: number
  status: string
  errcode: number | null
  reason: string | null
  at: number
  pushed_at: number | null
  updated_at: number
  day: string
  latency_ms: number | null
  sources: string | null
  tokens: number | null
  refused: string | null
  media: string | null
}

/** The columns of a send that every view shows (views.ts: MessageView, FailedView). */
export type SendRow = Pick<
  MessageRow,
  'id' | 'kind' | 'text' | 'rule_id' | 'inbound_key' | 'part' | 'manual' | 'errcode' | 'reason' | 'pushed_at' | 'updated_at'
>

type SendFields = Pick<
  MessageView,
  'id' | 'kind' | 'text' | 'ruleId' | 'inboundKey' | 'part' | 'manual' | 'errcode' | 'reason' | 'pushedAt' | 'updatedAt'
>

export function sendFields(row: SendRow): SendFields {
  return {
    id: row.id,
    kind: row.kind,
    text: row.text,
    ruleId: row.rule_id,
    inboundKey: row.inbound_key,
    part: row.part,
    manual: row.manual === 1,
    errcode: row.errcode,
    reason: row.reason,
    pushedAt: row.pushed_at,
    updatedAt: row.updated_at,
  }
}
