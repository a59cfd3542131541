/**
 * What kefu-edge tells other systems (issue 31): the events, their data and the JSON body a
 * receiver gets. Pure: the producers (emit.ts) build a `WebhookTask` from plain values, and the
 * consumer (deliver.ts) turns it into the body of one attempt.
 *
 * The body of every attempt:
 *
 * ```json
 * { "id": "wh-…", "event": "reply.sent", "timestamp": 1767000000000, "occurred_at": 1766999999000,
 *   "appid": "wx…", "data": { … } }
 * ```
 *
 * `id` is the delivery id, the same on every attempt and every retry (at least once: a receiver
 * drops an id it has seen). `timestamp` is when this attempt left, in epoch milliseconds: it is
 * inside the signed body, so a receiver refuses a body older than a few minutes (a replay)
 * without trusting a header. `occurred_at` is when the event happened (epoch ms), which a late
 * retry keeps.
 *
 * Ids are what the data carries: openid, the message and reply ids, rule ids, errcodes. The
 * user's own words only where they are the point: `message.received` carries the text of a
 * text message, cut to 200 characters as the record keeps it; no other event carries any.
 */
import type { SubscribeChange } from '../subscribe/grants'

export const WEBHOOK_EVENTS = ['message.received', 'reply.sent', 'reply.failed', 'handoff', 'subscribe.changed', 'user.deleted'] as const
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number]

/** What each event's `data` holds. */
export interface WebhookData {
  'message.received': {
    openid: string
    /** WeChat's MsgId; null for an event (entering the session, a subscribe popup). */
    msg_id: string | null
    /** text, image, miniprogrampage, or the event's name (user_enter_tempsession, subscribe_msg_popup_event, …). */
    kind: string
    /** A text message's text, ≤ 200 characters (personal data); null for anything else. */
    text: string | null
    /** The rule that answered it (`default`, `faq:<id>`, `handoff`, …); null when none did. */
    rule_id: string | null
  }
  'reply.sent': ReplyData & { attempts: number }
  'reply.failed': ReplyData & {
    /** WeChat's errcode when it refused the send; null for ours (expired, window closed, unreadable). */
    errcode: number | null
    reason: string
  }
  handoff: {
    openid: string
    msg_id: string | null
    /** transfer: a rule's transfer reply; handoff: the rule set's hand-off after unanswered texts; ai: the model gave up. */
    reason: 'transfer' | 'handoff' | 'ai'
    /** Where the person answers (HUMAN_DESK): WeChat's customer-service tool, or the console's desk. */
    desk: 'wechat' | 'console'
    rule_id: string | null
  }
  'subscribe.changed': {
    openid: string
    /** popup: the user answered the subscribe popup; change: the settings page. */
    changes: { template_id: string; status: string; source: 'popup' | 'change' }[]
  }
  'user.deleted': {
    /** The user's openid: the receiver needs it to delete the user in its own systems. */
    openid: string
  }
}

interface ReplyData {
  openid: string
  /** `out:<openid>:<n>`, the id the admin API's failed list and retry use. */
  reply_id: string
  /** The MsgId of the message it answers; null for an event or a reply by hand. */
  msg_id: string | null
  rule_id: string | null
  /** Its place among the replies to one message (1 first). */
  part: number
  /** Sent by an operator by hand, not by a rule. */
  manual: boolean
}

/** One event as queued: everything but the attempt's timestamp. */
export type WebhookTask = {
  [E in WebhookEvent]: {
    id: string
    event: E
    appid: string
    occurred_at: number
    data: WebhookData[E]
  }
}[WebhookEvent]

/**
 * One message of the WEBHOOKS queue: the task, and for an operator's retry the attempts of
 * the rounds before (the count keeps growing; the row is deleted once it is delivered).
 */
export interface QueuedDelivery {
  task: WebhookTask
  before?: number
}

/** An event before it has a delivery id: what the producers hand `emitEvents`. */
export type WebhookOccurrence = { [E in WebhookEvent]: { event: E; data: WebhookData[E] } }[WebhookEvent]

/** The JSON a receiver gets for one attempt. */
export type WebhookBody = WebhookTask & { timestamp: number }

/** The characters of the user's text an event carries, as the record keeps it. */
export const TEXT_CHARS = 200

/** A delivery id: `wh-` and a UUID. */
export const DELIVERY_ID = /^wh-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export function newDeliveryId(): string {
  return `wh-${crypto.randomUUID()}`
}

export function taskOf(appid: string, occurrence: WebhookOccurrence, now: number, id: string = newDeliveryId()): WebhookTask {
  return { id, appid, occurred_at: now, ...occurrence } as WebhookTask
}

/**
 * The raw body of one attempt. `timestamp` first after the id and event, so a receiver reading
 * the logs sees it; the receiver verifies the bytes, never a re-serialisation.
 */
export function bodyOf(task: WebhookTask, now: number): string {
  const body = { id: task.id, event: task.event, timestamp: now, occurred_at: task.occurred_at, appid: task.appid, data: task.data }
  return JSON.stringify(body)
}

/** The user a task is about, for its row when it keeps failing (a user's deletion deletes it). */
export function openidOf(task: WebhookTask): string {
  return task.data.openid
}

export function cutText(text: string): string {
  return Array.from(text).slice(0, TEXT_CHARS).join('')
}

/** The popup and settings-page answers of a subscribe event; WeChat's reports of its own sends are no change of the user's. */
export function subscribeChanges(changes: readonly SubscribeChange[]): WebhookData['subscribe.changed']['changes'] {
  return changes.flatMap((change) =>
    change.kind === 'sent' ? [] : [{ template_id: change.templateId, status: change.status, source: change.kind }],
  )
}

/** Whether a queued message is a task this version can deliver (a body from an older or newer build is recorded, never thrown). */
export function isTask(value: unknown): value is WebhookTask {
  if (typeof value !== 'object' || value === null) return false
  const task = value as Record<string, unknown>
  return (
    typeof task.id === 'string' &&
    typeof task.appid === 'string' &&
    typeof task.occurred_at === 'number' &&
    (WEBHOOK_EVENTS as readonly unknown[]).includes(task.event) &&
    typeof task.data === 'object' &&
    task.data !== null &&
    typeof (task.data as Record<string, unknown>).openid === 'string'
  )
}
