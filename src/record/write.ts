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
 * - A send's count per day and status moves with its row: taken from the old status and
 *   given to the new one only when the event replaces the row, in the same batch, before the
 *   row changes. Its push-to-reply time is counted when the row first gets one.
 * - The window and outbox counts are the object's own numbers at `at`; an older report never
 *   replaces a newer one.
 *
 * `npm run doctor`'s test pushes (DOCTOR_OPENID) are written as messages, with their
 * conversation row, so the doctor can find them (`GET /admin/api/conversations/<openid>`),
 * but feed no count: not the day's messages and events, no rule hit, no unmatched question.
 * The list of conversations leaves the doctor's out (conversations.ts).
 */
import { isDoctor } from '../doctor'
import { foldText } from '../rules/normalize'
import { isUserMessageType } from '../wechat/message'
import { dayOf } from './day'
import { latencyBucket } from './latency'
import {
  bounded,
  outboundId,
  REASON_CHARS,
  TEXT_CHARS,
  type InboundEvent,
  type OutboundEvent,
  type RecordEvent,
  type SubscriptionEvent,
  type WindowEvent,
} from './event'
import { prepare, statement, type Statement } from './sql'

/** Unmatched questions are keyed by their folded text, cut like every text. */
export function unmatchedKey(text: string): string {
  return bounded(foldText(text), TEXT_CHARS)
}

/** ?1 is the appid and ?2 the message id in every inbound statement. */
const NEW_MESSAGE = 'NOT EXISTS (SELECT 1 FROM messages WHERE appid = ?1 AND id = ?2)'

/** The conversation's columns a new inbound message moves. */
const SEEN_UPDATE = `
  first_at = min(first_at, excluded.first_at),
  last_text = CASE WHEN excluded.last_at >= last_at OR last_text IS NULL THEN excluded.last_text ELSE last_text END,
  last_at = max(last_at, excluded.last_at),
  unmatched = unmatched + excluded.unmatched`

const CONVERSATION_SEEN = `
INSERT INTO conversations (appid, openid, first_at, last_at, last_text, unmatched, channel, kf_account)
SELECT ?1, ?3, ?4, ?4, ?5, ?6, ?7, ?8 WHERE ${NEW_MESSAGE}
ON CONFLICT (appid, openid) DO UPDATE SET${SEEN_UPDATE}`

const WINDOW_COLUMNS = ['window_remaining', 'window_closes_at', 'pending', 'failed'] as const

/**
 * As CONVERSATION_SEEN, with the window its batch reports (?9–?13): the row is written once,
 * and WINDOW, which still follows, finds nothing to change. A report older than the stored
 * one changes nothing, as in WINDOW.
 */
const CONVERSATION_SEEN_WITH_WINDOW = `
INSERT INTO conversations (appid, openid, first_at, last_at, last_text, unmatched, channel, kf_account, ${WINDOW_COLUMNS.join(', ')}, window_at)
SELECT ?1, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13 WHERE ${NEW_MESSAGE}
ON CONFLICT (appid, openid) DO UPDATE SET${SEEN_UPDATE},
  ${WINDOW_COLUMNS.map((c) => `${c} = CASE WHEN excluded.window_at >= window_at THEN excluded.${c} ELSE ${c} END`).join(',\n  ')},
  window_at = max(window_at, excluded.window_at)`

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

const INBOUND_COUNTED = `
INSERT INTO daily (appid, day, messages, events, unmatched)
SELECT ?1, ?3, ?4, 1 - ?4, ?5 WHERE ${NEW_MESSAGE}
ON CONFLICT (appid, day) DO UPDATE SET
  messages = messages + excluded.messages,
  events = events + excluded.events,
  unmatched = unmatched + excluded.unmatched`

const INBOUND_ROW = `
INSERT INTO messages (appid, id, openid, direction, kind, text, rule_id, rules_version, unmatched, status, at, updated_at, day)
VALUES (?1, ?2, ?3, 'in', ?4, ?5, ?6, ?7, ?8, 'received', ?9, ?9, ?10)
ON CONFLICT (appid, id) DO NOTHING`

/** At the same instant: the operator's drop is final, a send beats a failure, any outcome beats pending. */
const STATUS_RANK = (column: string) => `(CASE ${column} WHEN 'dropped' THEN 3 WHEN 'sent' THEN 2 WHEN 'failed' THEN 1 ELSE 0 END)`

/**
 * In the outbound statements: the stored row (its columns unqualified) is replaced by this
 * event (?10 status, ?14 updated_at). The same rule as OUTBOUND_ROW's WHERE.
 */
const REPLACES = `(?14 > updated_at OR (?14 = updated_at AND ${STATUS_RANK('?10')} > ${STATUS_RANK('status')}))`
/** The day a send is counted on: its row's, once it has one (a retry by hand keeps it). */
const SEND_DAY = 'COALESCE((SELECT day FROM messages WHERE appid = ?1 AND id = ?2), ?15)'

/** Before the row changes: its old status's count goes when this event replaces it. */
const OUTBOUND_UNCOUNTED = `
UPDATE daily SET
  replies_pending = replies_pending - (m.status = 'pending'),
  replies_sent = replies_sent - (m.status = 'sent'),
  replies_failed = replies_failed - (m.status = 'failed'),
  replies_dropped = replies_dropped - (m.status = 'dropped')
FROM (SELECT status, day FROM messages WHERE appid = ?1 AND id = ?2 AND ${REPLACES}) AS m
WHERE daily.appid = ?1 AND daily.day = m.day`

/** The new status counts when the row is new or this event replaces it. */
const OUTBOUND_COUNTED = `
INSERT INTO daily (appid, day, replies_pending, replies_sent, replies_failed, replies_dropped)
SELECT ?1, ${SEND_DAY}, ?10 = 'pending', ?10 = 'sent', ?10 = 'failed', ?10 = 'dropped'
WHERE NOT EXISTS (SELECT 1 FROM messages WHERE appid = ?1 AND id = ?2 AND NOT ${REPLACES})
ON CONFLICT (appid, day) DO UPDATE SET
  replies_pending = replies_pending + excluded.replies_pending,
  replies_sent = replies_sent + excluded.replies_sent,
  replies_failed = replies_failed + excluded.replies_failed,
  replies_dropped = replies_dropped + excluded.replies_dropped`

/** A push-to-reply time (?16, bucket ?17) counts once: when the row first gets one. */
const LATENCY_COUNTED = `
INSERT INTO daily_latency (appid, day, bucket, n)
SELECT ?1, ${SEND_DAY}, ?17, 1
WHERE ?16 IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM messages WHERE appid = ?1 AND id = ?2 AND (NOT ${REPLACES} OR latency_ms IS NOT NULL))
ON CONFLICT (appid, day, bucket) DO UPDATE SET n = n + 1`

const OUTBOUND_ROW = `
INSERT INTO messages (appid, id, openid, direction, kind, text, rule_id, inbound_key, part, manual, status, errcode, reason, at, pushed_at, updated_at, day, latency_ms, sources, tokens, refused)
VALUES (?1, ?2, ?3, 'out', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?16, ?18, ?19, ?20)
ON CONFLICT (appid, id) DO UPDATE SET
  status = excluded.status,
  errcode = excluded.errcode,
  reason = excluded.reason,
  updated_at = excluded.updated_at,
  -- Set once, as daily_latency counts it: a send that went out stays out.
  latency_ms = COALESCE(messages.latency_ms, excluded.latency_ms),
  -- A send the model was asked for ('ai' until then) takes what was written: the answer or the fallback.
  kind = CASE WHEN messages.kind = 'ai' THEN excluded.kind ELSE messages.kind END,
  text = CASE WHEN messages.kind = 'ai' THEN excluded.text ELSE messages.text END,
  rule_id = CASE WHEN messages.kind = 'ai' THEN excluded.rule_id ELSE messages.rule_id END,
  sources = COALESCE(messages.sources, excluded.sources),
  tokens = COALESCE(messages.tokens, excluded.tokens),
  refused = COALESCE(messages.refused, excluded.refused)
WHERE excluded.updated_at > messages.updated_at
   OR (excluded.updated_at = messages.updated_at AND ${STATUS_RANK('excluded.status')} > ${STATUS_RANK('messages.status')})`

/**
 * The window report on its own: taken unless it is older than the stored one, and not
 * written at all when the row already holds it (the batch's inbound message wrote it).
 */
const WINDOW = `
INSERT INTO conversations (appid, openid, first_at, last_at, ${WINDOW_COLUMNS.join(', ')}, window_at)
VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?3)
ON CONFLICT (appid, openid) DO UPDATE SET
  ${WINDOW_COLUMNS.map((c) => `${c} = excluded.${c}`).join(',\n  ')},
  window_at = excluded.window_at
WHERE excluded.window_at >= conversations.window_at
  AND (conversations.window_at, ${WINDOW_COLUMNS.map((c) => `conversations.${c}`).join(', ')})
      IS NOT (excluded.window_at, ${WINDOW_COLUMNS.map((c) => `excluded.${c}`).join(', ')})`

/** `window`: the batch's window report, written with the conversation's row. */
export function inboundStatements(event: InboundEvent, window?: WindowEvent): Statement[] {
  const { appid, key, openid, at } = event
  const text = bounded(event.text, TEXT_CHARS)
  const day = dayOf(at)
  const unmatched = event.unmatched ? 1 : 0
  // The channel is the conversation's first row's: set on insert, never changed by an update.
  const seen = [appid, key, openid, at, text, unmatched, event.channel ?? 'miniprogram', event.kfAccount ?? null]
  const statements = [
    window === undefined
      ? statement(CONVERSATION_SEEN, seen)
      : statement(CONVERSATION_SEEN_WITH_WINDOW, [...seen, window.remaining, window.closesAt, window.pending, window.failed, window.at]),
  ]
  // The doctor's test push: its row and its conversation's, and no count.
  const counted = !isDoctor(openid)
  if (counted && event.ruleId !== null) statements.push(statement(RULE_HIT, [appid, key, day, event.ruleId]))
  if (counted && event.unmatched) {
    const question = unmatchedKey(event.text)
    if (question !== '') statements.push(statement(UNMATCHED_ASKED, [appid, key, question, at]))
  }
  if (counted) {
    statements.push(statement(INBOUND_COUNTED, [appid, key, day, isUserMessageType(event.kind) ? 1 : 0, event.unmatched ? 1 : 0]))
  }
  // Last: the statements above count only while this row does not exist yet.
  statements.push(statement(INBOUND_ROW, [appid, key, openid, event.kind, text, event.ruleId, event.rulesVersion, unmatched, at, day]))
  return statements
}

/**
 * A send's row and the counts it feeds: the counts move first, while the row still shows
 * what it was; then the row takes the event if it is newer.
 */
export function outboundStatements(event: OutboundEvent): Statement[] {
  const { appid, openid, pushedAt, updatedAt } = event
  // Push-to-reply time counts only replies a rule sent: an operator's reply has no push to answer.
  const latency = event.status === 'sent' && !event.manual ? Math.max(0, updatedAt - pushedAt) : null
  const params = [
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
    latency === null ? null : latencyBucket(latency),
    event.ai ? JSON.stringify(event.ai.sources) : null,
    event.ai ? event.ai.tokens : null,
    event.ai?.refused ?? null,
  ]
  // Each statement is bound with exactly the parameters up to the highest it uses.
  return [
    statement(OUTBOUND_UNCOUNTED, params.slice(0, 14)),
    statement(OUTBOUND_COUNTED, params.slice(0, 15)),
    statement(LATENCY_COUNTED, params.slice(0, 17)),
    // ?17 (the latency bucket) is not the row's; the model's columns follow it.
    statement(OUTBOUND_ROW, params),
  ]
}

/** Same instant or newer wins: two changes within a millisecond come in journal order. */
const SUBSCRIPTION = `
INSERT INTO subscriptions (appid, template_id, openid, grants, status, accepted, rejected, last_send_at, last_errcode, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
ON CONFLICT (appid, template_id, openid) DO UPDATE SET
  grants = excluded.grants,
  status = excluded.status,
  accepted = excluded.accepted,
  rejected = excluded.rejected,
  last_send_at = excluded.last_send_at,
  last_errcode = excluded.last_errcode,
  updated_at = excluded.updated_at
WHERE excluded.updated_at >= subscriptions.updated_at`

export function subscriptionStatement(event: SubscriptionEvent): Statement {
  return statement(SUBSCRIPTION, [
    event.appid,
    event.templateId,
    event.openid,
    event.grants,
    event.status,
    event.accepted,
    event.rejected,
    event.lastSendAt,
    event.lastErrcode,
    event.updatedAt,
  ])
}

export function windowStatement(event: WindowEvent): Statement {
  const { appid, openid, at } = event
  return statement(WINDOW, [appid, openid, at, event.remaining, event.closesAt, event.pending, event.failed])
}

/** The statements for `events`, in order: later events see what earlier ones wrote. */
export function recordStatements(events: readonly RecordEvent[]): Statement[] {
  // A batch comes from one user's object and ends with their window (journal.ts): the
  // inbound messages' conversation rows carry it, so the row is written once.
  const windowOf = (openid: string) => events.find((e): e is WindowEvent => e.type === 'window' && e.openid === openid)
  // biome-ignore lint/suspicious/useIterableCallbackReturn: the switch covers every RecordEvent type, which TypeScript checks (a missing case adds undefined to the callback's type and fails the Statement[] return)
  return events.flatMap((event) => {
    switch (event.type) {
      case 'inbound':
        return inboundStatements(event, windowOf(event.openid))
      case 'outbound':
        return outboundStatements(event)
      case 'window':
        return [windowStatement(event)]
      case 'subscription':
        return [subscriptionStatement(event)]
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
