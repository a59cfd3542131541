/**
 * Writing events into the record: one atomic D1 batch per call, idempotent, for any number of
 * users' events (the Recorder object groups many users' copies into one call: recorder.ts).
 *
 * The counts the stats read — the day's messages, events, unmatched questions and replies by
 * status (`daily`), rule hits (`rule_daily`), push-to-reply times (`daily_latency`) — are an
 * aggregation of the `messages` rows, so a batch moves them by what it changes in those rows:
 * first the rows it is about to write take their counts away (`recounts`' before: nothing for rows
 * that do not exist yet), then the rows are written, then the same rows give their counts back
 * as they now are (its after). One statement per table and batch, summed over every message
 * in it, instead of one per message.
 *
 * Why writing twice changes nothing:
 * - An inbound message row is inserted once (`ON CONFLICT DO NOTHING`); what it feeds outside
 *   the counts (the conversation's row, the unmatched question) is raised in the same batch,
 *   before that insert, only while no row with its key exists. A retry finds the row: its
 *   counts are taken away and given back unchanged. Retention clears text but keeps rows while
 *   counts can be shown, so a late retry still finds its row.
 * - An outbound row takes a status only from an event with a newer `updatedAt` (at the same
 *   instant, dropped beats sent beats failed beats pending): a replay out of order cannot move
 *   `sent` back to `pending`. Its text is written only when the row is created, its
 *   push-to-reply time once, when it first gets one.
 * - The window and outbox counts are the object's own numbers at `at`; an older report never
 *   replaces a newer one.
 *
 * `npm run doctor`'s test pushes (DOCTOR_OPENID) are written as messages, with their
 * conversation row, so the doctor can find them (`GET /admin/api/conversations/<openid>`),
 * but feed no count: not the day's messages and events, no rule hit, no unmatched question.
 * The list of conversations leaves the doctor's out (conversations.ts).
 */
import { DOCTOR_OPENID, isDoctor } from '../doctor'
import { foldText } from '../rules/normalize'
import { USER_MESSAGE_TYPES } from '../wechat/message'
import { dayOf } from './day'
import { LATENCY_BUCKETS_MS } from './latency'
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

/** In every inbound statement ?1 is the appid, ?2 the message id, ?3 the openid and ?4 its time: the row's key. */
const NEW_MESSAGE = 'NOT EXISTS (SELECT 1 FROM messages WHERE appid = ?1 AND openid = ?3 AND at = ?4 AND id = ?2)'

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

const UNMATCHED_ASKED = `
INSERT INTO unmatched (appid, text, count, first_seen, last_seen)
SELECT ?1, ?5, 1, ?4, ?4 WHERE ${NEW_MESSAGE}
ON CONFLICT (appid, text) DO UPDATE SET
  count = count + 1,
  first_seen = min(first_seen, excluded.first_seen),
  last_seen = max(last_seen, excluded.last_seen)`

const INBOUND_ROW = `
INSERT INTO messages (appid, id, openid, direction, kind, text, rule_id, rules_version, unmatched, status, at, updated_at, day)
VALUES (?1, ?2, ?3, 'in', ?4, ?5, ?6, ?7, ?8, 'received', ?9, ?9, ?10)
ON CONFLICT (appid, openid, at, id) DO NOTHING`

/** At the same instant: the operator's drop is final, a send beats a failure, any outcome beats pending. */
const STATUS_RANK = (column: string) => `(CASE ${column} WHEN 'dropped' THEN 3 WHEN 'sent' THEN 2 WHEN 'failed' THEN 1 ELSE 0 END)`

const OUTBOUND_ROW = `
INSERT INTO messages (appid, id, openid, direction, kind, text, rule_id, inbound_key, part, manual, status, errcode, reason, at, pushed_at, updated_at, day, latency_ms, sources, tokens, refused)
VALUES (?1, ?2, ?3, 'out', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
ON CONFLICT (appid, openid, at, id) DO UPDATE SET
  status = excluded.status,
  errcode = excluded.errcode,
  reason = excluded.reason,
  updated_at = excluded.updated_at,
  -- Set once: a send that went out stays out, counted once in daily_latency.
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
  const unmatched = event.unmatched ? 1 : 0
  // The channel is the conversation's first row's: set on insert, never changed by an update.
  const seen = [appid, key, openid, at, text, unmatched, event.channel ?? 'miniprogram', event.kfAccount ?? null]
  const statements = [
    window === undefined
      ? statement(CONVERSATION_SEEN, seen)
      : statement(CONVERSATION_SEEN_WITH_WINDOW, [...seen, window.remaining, window.closesAt, window.pending, window.failed, window.at]),
  ]
  // The doctor's test push is no user's question.
  if (event.unmatched && !isDoctor(openid)) {
    const question = unmatchedKey(event.text)
    if (question !== '') statements.push(statement(UNMATCHED_ASKED, [appid, key, openid, at, question]))
  }
  // Last: the statements above write only while this row does not exist yet.
  statements.push(
    statement(INBOUND_ROW, [appid, key, openid, event.kind, text, event.ruleId, event.rulesVersion, unmatched, at, dayOf(at)]),
  )
  return statements
}

/** A send's row: it takes the event if the event is newer (the counts follow in `counted`). */
export function outboundStatements(event: OutboundEvent): Statement[] {
  const { appid, openid, pushedAt, updatedAt } = event
  // Push-to-reply time counts only replies a rule sent: an operator's reply has no push to answer.
  const latency = event.status === 'sent' && !event.manual ? Math.max(0, updatedAt - pushedAt) : null
  return [
    statement(OUTBOUND_ROW, [
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
      event.ai ? JSON.stringify(event.ai.sources) : null,
      event.ai ? event.ai.tokens : null,
      event.ai?.refused ?? null,
    ]),
  ]
}

/*
 * The counts of a set of message rows (?1 the appid, ?2 their keys as a JSON array of
 * [openid, at, id], ?3 the doctor's openid), per day — what `recounts`' before takes away before a
 * batch writes them and its after gives back. Equal to counting the whole table (the property test in
 * test/record/queries.test.ts): `daily`'s replies by status, its messages, events and
 * unmatched questions (a user's, not the doctor's); `rule_daily`'s hits (the rule that
 * answered a push); `daily_latency`'s push-to-reply times by bucket.
 */
// The keys drive the join, each one search of the primary key (a row-value IN would search by (appid, openid) alone).
const ROWS = `FROM json_each(?2) AS k CROSS JOIN messages
  ON messages.openid = k.value ->> 0 AND messages.at = k.value ->> 1 AND messages.id = k.value ->> 2 WHERE messages.appid = ?1`
const COUNTED_IN = "direction = 'in' AND openid <> ?3"
const USER_KIND = `kind IN (${USER_MESSAGE_TYPES.map((t) => `'${t}'`).join(', ')})`
const REPLY_STATUSES = ['pending', 'sent', 'failed', 'dropped'] as const
const DAILY_COUNTS: readonly (readonly [column: string, expression: string])[] = [
  ['messages', `${COUNTED_IN} AND ${USER_KIND}`],
  ['events', `${COUNTED_IN} AND NOT ${USER_KIND}`],
  ['unmatched', `${COUNTED_IN} AND unmatched = 1`],
  ...REPLY_STATUSES.map((status) => [`replies_${status}`, `direction = 'out' AND status = '${status}'`] as const),
]
const DAILY_ROWS = `SELECT appid, day, ${DAILY_COUNTS.map(([column, expression]) => `sum(${expression}) AS ${column}`).join(', ')}
  ${ROWS} AND (direction = 'out' OR openid <> ?3) GROUP BY day`
/** The bucket of latency_ms, as latencyBucket computes it. */
const BUCKET = `CASE ${LATENCY_BUCKETS_MS.slice(0, -1)
  .map((bound, i) => `WHEN latency_ms <= ${bound} THEN ${i}`)
  .join(' ')} ELSE ${LATENCY_BUCKETS_MS.length - 1} END`
const RULE_ROWS = `SELECT appid, day, rule_id, count(*) AS hits ${ROWS} AND ${COUNTED_IN} AND rule_id IS NOT NULL GROUP BY day, rule_id`
const LATENCY_ROWS = `SELECT appid, day, ${BUCKET} AS bucket, count(*) AS n ${ROWS} AND latency_ms IS NOT NULL GROUP BY day, bucket`

const DAILY_UNCOUNTED = `
UPDATE daily SET ${DAILY_COUNTS.map(([column]) => `${column} = daily.${column} - c.${column}`).join(', ')}
FROM (${DAILY_ROWS}) AS c
WHERE daily.appid = ?1 AND daily.day = c.day`

const RULES_UNCOUNTED = `
UPDATE rule_daily SET hits = rule_daily.hits - c.hits
FROM (${RULE_ROWS}) AS c
WHERE rule_daily.appid = ?1 AND rule_daily.day = c.day AND rule_daily.rule_id = c.rule_id`

const LATENCY_UNCOUNTED = `
UPDATE daily_latency SET n = daily_latency.n - c.n
FROM (${LATENCY_ROWS}) AS c
WHERE daily_latency.appid = ?1 AND daily_latency.day = c.day AND daily_latency.bucket = c.bucket`

// Each SELECT has a WHERE, so SQLite reads the ON CONFLICT as the upsert's, not a join's.
const DAILY_COUNTED = `
INSERT INTO daily (appid, day, ${DAILY_COUNTS.map(([column]) => column).join(', ')})
${DAILY_ROWS}
ON CONFLICT (appid, day) DO UPDATE SET ${DAILY_COUNTS.map(([column]) => `${column} = daily.${column} + excluded.${column}`).join(', ')}`

const RULES_COUNTED = `
INSERT INTO rule_daily (appid, day, rule_id, hits)
${RULE_ROWS}
ON CONFLICT (appid, day, rule_id) DO UPDATE SET hits = rule_daily.hits + excluded.hits`

const LATENCY_COUNTED = `
INSERT INTO daily_latency (appid, day, bucket, n)
${LATENCY_ROWS}
ON CONFLICT (appid, day, bucket) DO UPDATE SET n = daily_latency.n + excluded.n`

type MessageKey = [openid: string, at: number, id: string]

/**
 * The message rows `events` write, per app and message id: their keys (inbound: the push's
 * key and time; outbound: the send's id and its push's time).
 */
function messageKeys(events: readonly RecordEvent[]): Map<string, Map<string, MessageKey>> {
  const keys = new Map<string, Map<string, MessageKey>>()
  for (const event of events) {
    if (event.type !== 'inbound' && event.type !== 'outbound') continue
    const app = keys.get(event.appid) ?? new Map<string, MessageKey>()
    keys.set(event.appid, app)
    const id = event.type === 'inbound' ? event.key : outboundId(event.openid, event.id)
    app.set(id, [event.openid, event.type === 'inbound' ? event.at : event.pushedAt, id])
  }
  return keys
}

/**
 * The counts of the message rows `events` write: `before` the batch writes them, their counts
 * as they are now go (none for new rows); `after`, the same rows count as they now are. One
 * list of keys per app serves both.
 */
export function recounts(events: readonly RecordEvent[]): { before: Statement[]; after: Statement[] } {
  const apps = [...messageKeys(events)].map(([appid, app]) => [appid, JSON.stringify([...app.values()]), DOCTOR_OPENID])
  // D1 binds exactly the parameters a statement uses: the latency's leave out the doctor.
  const each = (sqls: readonly string[]) =>
    apps.flatMap((params) => sqls.map((sql) => statement(sql, sql.includes('?3') ? params : params.slice(0, 2))))
  return {
    before: each([DAILY_UNCOUNTED, RULES_UNCOUNTED, LATENCY_UNCOUNTED]),
    after: each([DAILY_COUNTED, RULES_COUNTED, LATENCY_COUNTED]),
  }
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

/**
 * The statements for `events`, in order (later events see what earlier ones wrote), between
 * the counts taken away and given back.
 */
export function recordStatements(events: readonly RecordEvent[]): Statement[] {
  // A user's copy ends with their window (journal.ts): the inbound messages' conversation
  // rows carry it, so the row is written once.
  const windows = new Map<string, WindowEvent>()
  for (const event of events) if (event.type === 'window') windows.set(`${event.appid} ${event.openid}`, event)
  // biome-ignore lint/suspicious/useIterableCallbackReturn: the switch covers every RecordEvent type, which TypeScript checks (a missing case adds undefined to the callback's type and fails the Statement[] return)
  const rows = events.flatMap((event) => {
    switch (event.type) {
      case 'inbound':
        return inboundStatements(event, windows.get(`${event.appid} ${event.openid}`))
      case 'outbound':
        return outboundStatements(event)
      case 'window':
        return [windowStatement(event)]
      case 'subscription':
        return [subscriptionStatement(event)]
    }
  })
  if (rows.length === 0) return []
  const { before, after } = recounts(events)
  return [...before, ...rows, ...after]
}

/**
 * Writes `events` in one batch: all or nothing. Throws what D1 throws; the caller (the
 * Conversation object, through the Recorder) counts, logs and writes the same events again later.
 */
export async function writeRecord(db: D1Database, events: readonly RecordEvent[]): Promise<void> {
  const statements = recordStatements(events)
  if (statements.length === 0) return
  await db.batch(statements.map((s) => prepare(db, s)))
}
