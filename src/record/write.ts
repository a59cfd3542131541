/**
 * Writing events into the record: one atomic D1 batch per call, idempotent.
 *
 * Why writing twice changes nothing:
 * - An inbound message row is inserted once (`ON CONFLICT DO NOTHING`); every count it
 *   feeds (the conversation's, the rule's day, the unmatched question) is raised in the same
 *   batch, before that insert, only while no row with its key exists. A retry finds the row
 *   and raises nothing. Retention clears text but keeps rows while counts can be shown, so a
 *   late retry still finds its row.
 * - An outbound row takes a status only from an event with a newer `updatedAt` (at the same
 *   instant, dropped beats sent beats failed beats pending): a replay out of order cannot move `sent`
 *   back to `pending`. Its text is written only when the row is created.
 * - The window and outbox counts are the object's own numbers at `at`; an older report never
 *   replaces a newer one.
 */
import { foldText } from '../rules/normalize'
import { dayOf } from './day'
import {
  bounded,
  outboundId,
  REASON_CHARS,
  TEXT_CHARS,
  type InboundEvent,
  type OutboundEvent,
  type RecordEvent,
  type WindowEvent,
} from './event'
import { prepare, statement, type Statement } from './sql'

/** Unmatched questions are keyed by their folded text, cut like every text. */
export function unmatchedKey(text: string): string {
  return bounded(foldText(text), TEXT_CHARS)
}

/** ?1 is the appid and ?2 the message id in every inbound statement. */
const NEW_MESSAGE = 'NOT EXISTS (SELECT 1 FROM messages WHERE appid = ?1 AND id = ?2)'

const CONVERSATION_SEEN = `
INSERT INTO conversations (appid, openid, first_at, last_at, last_text, unmatched)
SELECT ?1, ?3, ?4, ?4, ?5, ?6 WHERE ${NEW_MESSAGE}
ON CONFLICT (appid, openid) DO UPDATE SET
  first_at = min(first_at, excluded.first_at),
  last_text = CASE WHEN excluded.last_at >= last_at OR last_text IS NULL THEN excluded.last_text ELSE last_text END,
  last_at = max(last_at, excluded.last_at),
  unmatched = unmatched + excluded.unmatched`

const RULE_HIT = `
INSERT INTO rule_daily (appid, day, rule_id, hits)
SELECT ?1, ?3, ?4, 1 WHERE ${NEW_MESSAGE}
ON CONFLICT (appid, day, rule_id) DO UPDATE SET hits = hits + 1`

const UNMATCHED_ASKED = `
INSERT INTO unmatched (appid, text, count, first_seen, last_seen)
SELECT ?1, ?3, 1, ?4, ?4 WHERE ${NEW_MESSAGE}
ON CONFLICT (appid, text) DO UPDATE SET
  count = count + 1,
  first_seen = min(first_seen, excluded.first_seen),
  last_seen = max(last_seen, excluded.last_seen)`

const INBOUND_ROW = `
INSERT INTO messages (appid, id, openid, direction, kind, text, rule_id, rules_version, unmatched, status, at, updated_at, day)
VALUES (?1, ?2, ?3, 'in', ?4, ?5, ?6, ?7, ?8, 'received', ?9, ?9, ?10)
ON CONFLICT (appid, id) DO NOTHING`

/** At the same instant: the operator's drop is final, a send beats a failure, any outcome beats pending. */
const STATUS_RANK = (column: string) =>
  `(CASE ${column} WHEN 'dropped' THEN 3 WHEN 'sent' THEN 2 WHEN 'failed' THEN 1 ELSE 0 END)`

const OUTBOUND_ROW = `
INSERT INTO messages (appid, id, openid, direction, kind, text, rule_id, inbound_key, part, manual, status, errcode, reason, at, pushed_at, updated_at, day, latency_ms)
VALUES (?1, ?2, ?3, 'out', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?16)
ON CONFLICT (appid, id) DO UPDATE SET
  status = excluded.status,
  errcode = excluded.errcode,
  reason = excluded.reason,
  updated_at = excluded.updated_at,
  latency_ms = excluded.latency_ms
WHERE excluded.updated_at > messages.updated_at
   OR (excluded.updated_at = messages.updated_at AND ${STATUS_RANK('excluded.status')} > ${STATUS_RANK('messages.status')})`

const WINDOW = `
INSERT INTO conversations (appid, openid, first_at, last_at, window_remaining, window_closes_at, pending, failed, window_at)
VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?3)
ON CONFLICT (appid, openid) DO UPDATE SET
  window_remaining = excluded.window_remaining,
  window_closes_at = excluded.window_closes_at,
  pending = excluded.pending,
  failed = excluded.failed,
  window_at = excluded.window_at
WHERE excluded.window_at >= conversations.window_at`

export function inboundStatements(event: InboundEvent): Statement[] {
  const { appid, key, openid, at } = event
  const text = bounded(event.text, TEXT_CHARS)
  const day = dayOf(at)
  const unmatched = event.unmatched ? 1 : 0
  const statements = [statement(CONVERSATION_SEEN, [appid, key, openid, at, text, unmatched])]
  if (event.ruleId !== null) statements.push(statement(RULE_HIT, [appid, key, day, event.ruleId]))
  if (event.unmatched) {
    const question = unmatchedKey(event.text)
    if (question !== '') statements.push(statement(UNMATCHED_ASKED, [appid, key, question, at]))
  }
  // Last: the statements above count only while this row does not exist yet.
  statements.push(
    statement(INBOUND_ROW, [appid, key, openid, event.kind, text, event.ruleId, event.rulesVersion, unmatched, at, day]),
  )
  return statements
}

export function outboundStatement(event: OutboundEvent): Statement {
  const { appid, openid, pushedAt, updatedAt } = event
  // Push-to-reply time counts only replies a rule sent: an operator's reply has no push to answer.
  const latency = event.status === 'sent' && !event.manual ? Math.max(0, updatedAt - pushedAt) : null
  return statement(OUTBOUND_ROW, [
    appid,
    outboundId(openid, event.id),
    openid,
    event.replyType,
    bounded(event.text, TEXT_CHARS),
    event.ruleId,
    event.inboundKey,
    event.part,
    event.manual ? 1 : 0,
    event.status,
    event.errcode,
    event.reason === null ? null : bounded(event.reason, REASON_CHARS),
    pushedAt,
    updatedAt,
    dayOf(pushedAt),
    latency,
  ])
}

export function windowStatement(event: WindowEvent): Statement {
  const { appid, openid, at } = event
  return statement(WINDOW, [appid, openid, at, event.remaining, event.closesAt, event.pending, event.failed])
}

/** The statements for `events`, in order: later events see what earlier ones wrote. */
export function recordStatements(events: readonly RecordEvent[]): Statement[] {
  return events.flatMap((event) => {
    switch (event.type) {
      case 'inbound':
        return inboundStatements(event)
      case 'outbound':
        return [outboundStatement(event)]
      case 'window':
        return [windowStatement(event)]
    }
  })
}

/**
 * Writes `events` in one batch: all or nothing. Throws what D1 throws; the caller (the
 * Conversation object) counts, logs and writes the same events again later.
 */
export async function writeRecord(db: D1Database, events: readonly RecordEvent[]): Promise<void> {
  const statements = recordStatements(events)
  if (statements.length === 0) return
  await db.batch(statements.map((s) => prepare(db, s)))
}
