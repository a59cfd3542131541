/** What inspection (`GET /admin/api/conversations/:openid/state`, the console) shows of one Conversation. */
import type { ConversationState } from './contract'
import { parseReply } from './custom-message'
import { journalState } from './journal'
import { aiUseOf, latestRows } from './outbox'
import { refusal } from './policy'
import { latestSeen } from './seen'
import { readWindow } from './window-store'
import { NO_WINDOW } from './window'

/** A user the object knows nothing of (never seen, or deleted after the retention period). */
export const EMPTY_STATE: ConversationState = {
  window: { ...NO_WINDOW, open: false },
  inbound: [],
  outbound: [],
  record: { backlog: 0, failures: 0 },
}

/** The window, the last pushes in and replies out, with failures and their reasons. */
export function conversationState(sql: SqlStorage, now: number): ConversationState {
  const window = readWindow(sql)
  const journal = journalState(sql)
  return {
    window: { ...window, open: refusal(window, now) === null },
    inbound: latestSeen(sql, 20).map((row) => ({
      kind: row.kind,
      summary: row.summary,
      msgId: row.msg_id,
      ruleId: row.rule_id,
      receivedAt: row.received_at,
    })),
    outbound: latestRows(sql, 50).map((row) => ({
      id: row.id,
      msgId: row.msg_id,
      ruleId: row.rule_id,
      part: row.part,
      type: parseReply(row.reply)?.type ?? 'unreadable',
      status: row.status,
      attempts: row.attempts,
      errcode: row.errcode,
      reason: row.reason,
      createdAt: row.created_at,
      retriedAt: row.retried_at,
      updatedAt: row.updated_at,
      attemptStartedAt: row.attempt_started_at,
      manual: row.manual === 1,
      ai: aiUseOf(row),
    })),
    record: { backlog: journal.backlog, failures: journal.failures },
  }
}
