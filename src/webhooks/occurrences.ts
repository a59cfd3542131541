/**
 * The events each place that produces them builds, from what it already has: the push route
 * (a newly recorded push: message.received, and the hand-off and subscribe changes it
 * brought) and a delivery pass (a reply's final outcome, the model handing over). Pure.
 */
import type { RecordInput, RecordResult } from '../conversation/contract'
import type { OutboxRow } from '../conversation/outbox'
import { HANDOFF_RULE_ID } from '../replies'
import { cutText, subscribeChanges, type WebhookData, type WebhookOccurrence } from './events'

/**
 * A push the Conversation object recorded for the first time (never a duplicate: WeChat's
 * retries of one push are one occurrence). A transfer or the hand-off is a `handoff` unless
 * the user is at the console's desk already (then nobody new is handed over).
 */
export function pushOccurrences(input: RecordInput, recorded: RecordResult, desk: 'wechat' | 'console'): WebhookOccurrence[] {
  if (recorded.duplicate) return []
  const events: WebhookOccurrence[] = [
    {
      event: 'message.received',
      data: {
        openid: input.openid,
        msg_id: input.msgId,
        kind: input.kind,
        // The point of the event: what the user wrote. Only a text's text, as the record keeps it.
        text: input.kind === 'text' ? cutText(input.summary) : null,
        rule_id: recorded.ruleId,
      },
    },
  ]
  if (recorded.transfer && !(desk === 'console' && recorded.atDesk)) {
    events.push({
      event: 'handoff',
      data: {
        openid: input.openid,
        msg_id: input.msgId,
        reason: recorded.ruleId === HANDOFF_RULE_ID ? 'handoff' : 'transfer',
        desk,
        rule_id: recorded.ruleId,
      },
    })
  }
  const changes = subscribeChanges(input.subscribe ?? [])
  if (changes.length > 0) events.push({ event: 'subscribe.changed', data: { openid: input.openid, changes } })
  return events
}

type ReplyRow = Pick<OutboxRow, 'id' | 'openid' | 'msg_id' | 'rule_id' | 'part' | 'manual'>

function replyData(row: ReplyRow): Omit<WebhookData['reply.sent'], 'attempts'> {
  return {
    openid: row.openid,
    reply_id: `out:${row.openid}:${row.id}`,
    msg_id: row.msg_id,
    rule_id: row.rule_id,
    part: row.part,
    manual: row.manual === 1,
  }
}

export function replySent(row: ReplyRow & Pick<OutboxRow, 'attempts'>): WebhookOccurrence {
  return { event: 'reply.sent', data: { ...replyData(row), attempts: row.attempts } }
}

export function replyFailed(row: ReplyRow, errcode: number | null, reason: string): WebhookOccurrence {
  return { event: 'reply.failed', data: { ...replyData(row), errcode, reason } }
}

/** The model gave up and the user was queued at the console's desk. */
export function aiHandoff(row: ReplyRow): WebhookOccurrence {
  return { event: 'handoff', data: { openid: row.openid, msg_id: row.msg_id, reason: 'ai', desk: 'console', rule_id: row.rule_id } }
}
