/**
 * The journal between a Conversation object and the D1 record (schema 13; in schemas 3–12 a
 * table of its own, `record_journal`).
 *
 * The object is the source of truth; D1 is the operator's copy, written after the object's
 * own write and never in the way of a push or a reply. So every change the record must see is
 * marked on the row it changes, by the statement that changes it: a push's `seen` row holds
 * its inbound event, and `seen`, `outbox` and `subscriptions` rows carry a mark
 * (`journal_seq`, journal-mark.ts) set on insert and on every change the record shows. A copy
 * takes the rows marked after the last marks D1 has (`meta` row `journal`), writes them in one
 * idempotent batch, and moves those marks forward: one row written per copy, where an entry of
 * its own per change was written and deleted again. A row changed again while its batch was
 * on its way has a newer mark and goes with the next copy. Retention keeps a row until it is
 * copied (`pruneSeen`, `pruneFinished`).
 */
import type { Channel, InboundEvent, OutboundEvent, RecordEvent, SubscriptionEvent, WindowEvent } from '../record/event'
import { parseReply } from './custom-message'
import type { RecordInput } from './contract'
import { JOURNAL_META_KEY, type JournalTable } from './journal-mark'
import { isUnmatched } from './rule-memory'
import { aiUseOf, outboxCounts, outboxMarkedAfter, type OutboxRow, type StoredReply } from './outbox'
import { seenMarkedAfter } from './seen'
import { subscriptionsMarkedAfter, type SubscriptionRow } from './subscriptions'
import { shownWindow } from './window-store'

/** Rows of each table per D1 batch: a batch stays well under D1's limits, and a backlog drains in a few. */
export const JOURNAL_BATCH = 50
/** A failed copy is tried again after 30 s, doubling to at most 10 minutes. */
const RETRY_BASE_MS = 30_000
const RETRY_CAP_MS = 10 * 60 * 1000

/** The last mark of each table D1 has, and the copies that failed since the last that landed. */
type Copied = Record<JournalTable, number> & { failures: number }

const NOTHING_COPIED: Copied = { seen: 0, outbox: 0, subscriptions: 0, failures: 0 }

/** What was taken from the journal for one batch: the marks it reaches, to move once D1 has it. */
export interface JournalBatch {
  /** The last mark of each table the batch holds (the mark D1 had, for a table it holds none of). */
  upTo: Record<JournalTable, number>
  events: RecordEvent[]
  /** The user, as the events name them (an object serves one openid); null without events. */
  openid: string | null
}

/** A push's event for the record, as `addSeen` keeps it on its `seen` row. */
export function inboundEvent(
  input: RecordInput,
  appid: string,
  now: number,
  channel: { channel: Channel; kfAccount?: string } = { channel: 'miniprogram' },
): InboundEvent {
  const { plan } = input
  return {
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
}

/** The marks D1 has; none before the first copy. */
export function copiedMarks(sql: SqlStorage): Copied {
  const row = sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', JOURNAL_META_KEY).toArray()[0]
  if (!row) return NOTHING_COPIED
  const stored = JSON.parse(row.value) as Partial<Copied>
  return {
    seen: stored.seen ?? 0,
    outbox: stored.outbox ?? 0,
    subscriptions: stored.subscriptions ?? 0,
    failures: stored.failures ?? 0,
  }
}

function writeCopied(sql: SqlStorage, copied: Copied): void {
  sql.exec(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    JOURNAL_META_KEY,
    JSON.stringify(copied),
  )
}

/**
 * The rows marked since the last copy, oldest mark first, as record events, with the user's
 * window and counts as they are now.
 */
export function takeJournal(sql: SqlStorage, appid: string, now: number): JournalBatch | null {
  const from = copiedMarks(sql)
  const seen = seenMarkedAfter(sql, from.seen, JOURNAL_BATCH)
  const sends = outboxMarkedAfter(sql, from.outbox, JOURNAL_BATCH)
  const subscriptions = subscriptionsMarkedAfter(sql, from.subscriptions, JOURNAL_BATCH)
  if (seen.length + sends.length + subscriptions.length === 0) return null
  const events: RecordEvent[] = []
  // A push recorded before schema 13 and copied then has no event (and no mark): never taken.
  for (const row of seen) if (row.event !== null) events.push(JSON.parse(row.event) as InboundEvent)
  for (const row of sends) events.push(outboundEvent(appid, row))
  for (const row of subscriptions) events.push(subscriptionEvent(appid, row))
  // The object's own name is not known inside an alarm; its rows know whose they are.
  const openid = events[0]?.openid ?? null
  if (openid !== null) events.push(windowEvent(sql, appid, openid, now))
  const last = (rows: readonly { journal_seq: number }[], had: number) => rows.at(-1)?.journal_seq ?? had
  return {
    upTo: { seen: last(seen, from.seen), outbox: last(sends, from.outbox), subscriptions: last(subscriptions, from.subscriptions) },
    events,
    openid,
  }
}

/**
 * D1 has the batch: the marks move to where it reached (a row marked again meanwhile stays
 * ahead). No need to read them first: only a copy moves them, one at a time (record-copy.ts),
 * and the batch's marks start from what it read.
 */
export function clearJournal(sql: SqlStorage, batch: JournalBatch): void {
  writeCopied(sql, { ...batch.upTo, failures: 0 })
}

/** D1 refused the batch: counted; returns when to try again. */
export function journalFailed(sql: SqlStorage, now: number): { failures: number; retryAt: number } {
  const copied = copiedMarks(sql)
  const failures = copied.failures + 1
  writeCopied(sql, { ...copied, failures })
  const delay = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, failures - 1))
  return { failures, retryAt: now + delay }
}

export interface JournalState {
  /** Rows whose change D1 has not got yet. */
  backlog: number
  /** The copies that failed since the last that landed. */
  failures: number
  /** When the oldest of them last changed; null when there is none. */
  oldest: number | null
}

export function journalState(sql: SqlStorage): JournalState {
  const copied = copiedMarks(sql)
  // One read over the three tables the journal marks: a statement each would be three per call.
  const row = sql
    .exec<{ backlog: number; oldest: number | null }>(
      `SELECT COUNT(*) AS backlog, MIN(at) AS oldest FROM (
         SELECT received_at AS at FROM seen WHERE journal_seq > ?1
         UNION ALL SELECT updated_at FROM outbox WHERE journal_seq > ?2
         UNION ALL SELECT updated_at FROM subscriptions WHERE journal_seq > ?3)`,
      copied.seen,
      copied.outbox,
      copied.subscriptions,
    )
    .one()
  return { backlog: row.backlog, failures: row.backlog > 0 ? copied.failures : 0, oldest: row.oldest }
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
  const window = shownWindow(sql, now)
  const counts = outboxCounts(sql)
  return {
    type: 'window',
    appid,
    openid,
    remaining: window.remaining,
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
