/**
 * The journal between a Conversation object and the D1 record (`record_journal`, schema 3).
 *
 * The object is the source of truth; D1 is the operator's copy, written after the object's
 * own write and never in the way of a push or a reply. So every change the record must see
 * is journaled in the object's own transaction — an inbound event as it was recorded, an
 * outbox row by reference (a trigger, on insert and on every status change) — and copied
 * to D1 later in one idempotent batch. An entry leaves the journal only once D1 has it, and
 * only if it did not change again while the batch was on its way (`seq`).
 */
import type { Channel, InboundEvent, OutboundEvent, RecordEvent, SubscriptionEvent, WindowEvent } from '../record/event'
import { parseReply } from './custom-message'
import type { RecordInput } from './contract'
import { refusal } from './policy'
import { isUnmatched } from './rule-memory'
import { aiUseOf, outboxCounts, outboxRow, type OutboxRow, type StoredReply } from './outbox'
import type { Tables } from './schema.generated'
import { subscriptionRow, type SubscriptionRow } from './subscriptions'
import { readWindow } from './window-store'

/** Entries per D1 batch: a batch stays well under D1's limits, and a backlog drains in a few. */
export const JOURNAL_BATCH = 50
/** A failed copy is tried again after 30 s, doubling to at most 10 minutes. */
const RETRY_BASE_MS = 30_000
const RETRY_CAP_MS = 10 * 60 * 1000

type JournalRow = Tables['record_journal']

/** What was taken from the journal for one batch: the entries, to clear once D1 has them. */
export interface JournalBatch {
  entries: { ref: string; seq: number }[]
  events: RecordEvent[]
  /** The user, as the events name them (an object serves one openid); null without events. */
  openid: string | null
}

export function journalInbound(
  sql: SqlStorage,
  input: RecordInput,
  appid: string,
  now: number,
  channel: { channel: Channel; kfAccount?: string } = { channel: 'miniprogram' },
): void {
  const { plan } = input
  const event: InboundEvent = {
    type: 'inbound',
    appid,
    openid: input.openid,
    key: input.dedupKey,
    msgId: input.msgId,
    kind: input.kind,
    text: input.summary,
    ruleId: plan.ruleId,
    rulesVersion: plan.ruleSetVersion,
    // A user's text that no rule of their own answered: the questions the rules miss.
    unmatched: isUnmatched(input.kind, plan.ruleId),
    at: Math.min(input.at, now),
    ...(channel.channel === 'kf' ? { channel: 'kf' as const, ...(channel.kfAccount ? { kfAccount: channel.kfAccount } : {}) } : {}),
  }
  sql.exec(
    `INSERT OR REPLACE INTO record_journal (ref, event, seq, since)
     VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM record_journal), ?)`,
    `in:${input.dedupKey}`,
    JSON.stringify(event),
    now,
  )
}

/**
 * The oldest entries as record events, with the user's window and counts as they are now.
 * An outbox row pruned since it was journaled has nothing left to copy: its entry just goes.
 */
export function takeJournal(sql: SqlStorage, appid: string, now: number): JournalBatch | null {
  const rows = sql.exec<JournalRow>('SELECT * FROM record_journal ORDER BY seq LIMIT ?', JOURNAL_BATCH).toArray()
  if (rows.length === 0) return null
  const events: RecordEvent[] = []
  for (const row of rows) {
    if (row.event !== null) {
      events.push(JSON.parse(row.event) as InboundEvent)
      continue
    }
    if (row.ref.startsWith('sub:')) {
      const sub = subscriptionRow(sql, row.ref.slice('sub:'.length))
      if (sub) events.push(subscriptionEvent(appid, sub))
      continue
    }
    const id = Number(row.ref.slice('out:'.length))
    const outbox = outboxRow(sql, id)
    if (outbox) events.push(outboundEvent(appid, outbox))
  }
  // The object's own name is not known inside an alarm; its rows know whose they are.
  const openid = events[0]?.openid ?? null
  if (openid !== null) events.push(windowEvent(sql, appid, openid, now))
  return { entries: rows.map(({ ref, seq }) => ({ ref, seq })), events, openid }
}

/** D1 has the batch: its entries go, unless one changed again meanwhile (a newer seq). */
export function clearJournal(sql: SqlStorage, batch: JournalBatch): void {
  for (const { ref, seq } of batch.entries) sql.exec('DELETE FROM record_journal WHERE ref = ? AND seq = ?', ref, seq)
}

/** D1 refused the batch: counted on its entries; returns when to try again. */
export function journalFailed(sql: SqlStorage, batch: JournalBatch, now: number): { failures: number; retryAt: number } {
  for (const { ref } of batch.entries) sql.exec('UPDATE record_journal SET failures = failures + 1 WHERE ref = ?', ref)
  const failures = journalFailures(sql)
  const delay = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, failures - 1))
  return { failures, retryAt: now + delay }
}

/** The most failed copies of any entry still waiting (0 when none failed). */
function journalFailures(sql: SqlStorage): number {
  return sql.exec<{ n: number | null }>('SELECT MAX(failures) AS n FROM record_journal').one().n ?? 0
}

export interface JournalState {
  /** Entries not yet in D1. */
  backlog: number
  /** The most failed copies of any of them. */
  failures: number
  /** When the oldest of them last changed; null when the journal is empty. */
  oldest: number | null
}

export function journalState(sql: SqlStorage): JournalState {
  const row = sql
    .exec<{ backlog: number; failures: number | null; oldest: number | null }>(
      'SELECT COUNT(*) AS backlog, MAX(failures) AS failures, MIN(since) AS oldest FROM record_journal',
    )
    .one()
  return { backlog: row.backlog, failures: row.failures ?? 0, oldest: row.oldest }
}

function outboundEvent(appid: string, row: OutboxRow): OutboundEvent {
  const reply = parseReply(row.reply)
  return {
    type: 'outbound',
    appid,
    openid: row.openid,
    id: row.id,
    inboundKey: row.dedup_key,
    ruleId: row.rule_id,
    part: row.part,
    replyType: reply?.type ?? 'unreadable',
    text: reply ? replySummary(reply) : '',
    status: row.status,
    errcode: row.errcode,
    reason: row.reason,
    pushedAt: row.created_at,
    updatedAt: row.updated_at,
    manual: row.manual === 1,
    ai: aiUseOf(row),
  }
}

function subscriptionEvent(appid: string, row: SubscriptionRow): SubscriptionEvent {
  return {
    type: 'subscription',
    appid,
    openid: row.openid,
    templateId: row.template_id,
    grants: row.grants,
    status: row.status,
    accepted: row.accepted,
    rejected: row.rejected,
    lastSendAt: row.last_send_at,
    lastErrcode: row.last_errcode,
    updatedAt: row.updated_at,
  }
}

function windowEvent(sql: SqlStorage, appid: string, openid: string, now: number): WindowEvent {
  const window = readWindow(sql)
  const counts = outboxCounts(sql)
  return {
    type: 'window',
    appid,
    openid,
    // A closed window shows nothing left, whatever count it closed with.
    remaining: refusal(window, now) === 'window_closed' ? 0 : window.remaining,
    closesAt: window.closesAt,
    pending: counts.pending,
    failed: counts.failed,
    at: now,
  }
}

/** What the operator reads for a reply in lists: its text, or what it shows. */
export function replySummary(reply: StoredReply): string {
  switch (reply.type) {
    case 'ai':
      return reply.request.question
    case 'text':
      return reply.text
    case 'image':
      if ('url' in reply) return reply.url
      return 'file' in reply ? `file ${reply.file}` : `media_id ${reply.media_id}`
    case 'link':
      return `${reply.title} ${reply.url}`
    case 'miniprogrampage':
      return `${reply.title} ${reply.pagepath}`
  }
}
