/**
 * The Conversation object's RPC contract: what the push route records, what it gets back,
 * and what inspection returns. Types only, so Node-side tools can use them too.
 */
import type { ReplyPlan } from '../replies'
import type { SubscribeChange } from '../subscribe/grants'
import type { GrantingAction } from './policy'

export interface RecordInput {
  /** MsgId for messages; FromUserName + CreateTime + Event for events. */
  dedupKey: string
  openid: string
  msgId: string | null
  /** The message type, for inspection. */
  kind: string
  /** A short description of the message, for inspection. */
  summary: string
  grant: GrantingAction | null
  /** When the user acted, epoch ms. */
  at: number
  plan: ReplyPlan
  /** A subscribe event's items: grants given, cleared, or a send's outcome. */
  subscribe?: SubscribeChange[]
}

export interface RecordResult {
  /** A retry of a push already recorded: nothing new was queued. */
  duplicate: boolean
  /** Answer the push with transfer_customer_service (the same answer on every retry). */
  transfer: boolean
  /** Sends waiting in the outbox. */
  pending: number
  /** The rule the push was answered by (after what the rules remember: `handoff` for the hand-off). */
  ruleId: string | null
  /** The user is at the human desk (HUMAN_DESK = console): the consoles are shown this push. */
  atDesk: boolean
  /** The send window now, when the push transfers or the user is at the desk (the desk shows it). */
  window?: DeskWindow
  /** The push was the user's satisfaction rating after a close at the desk: the score, and whose conversation it was. */
  rating?: { score: number; agent: { id: string; name: string } }
}

/**
 * The send window as the human desk is told it: when it closes, the sends left, and when the
 * granting action it counts from was (epoch ms) — the desk keeps the newest it hears of, as
 * reports of one user's window may reach it out of order.
 */
export interface DeskWindow {
  closesAt: number
  remaining: number
  openedAt: number
}

export interface ConversationState {
  /** The send allowance: what is left, when the last granting action was, when it ends (epoch ms). */
  window: { remaining: number; openedAt: number; closesAt: number; open: boolean }
  inbound: { kind: string; summary: string; msgId: string | null; ruleId: string | null; receivedAt: number }[]
  outbound: {
    id: number
    msgId: string | null
    ruleId: string | null
    part: number
    type: string
    status: string
    attempts: number
    errcode: number | null
    reason: string | null
    /**
     * When the push was recorded (a reply by hand: when it was asked for); kept when the
     * operator retries the send. The reply expires REPLY_MAX_AGE_SECONDS after it, or after
     * `retriedAt` once retried.
     */
    createdAt: number
    /** When the operator last retried it after it failed; null if never. */
    retriedAt: number | null
    updatedAt: number
    /** When the attempt in flight left; null when none is. */
    attemptStartedAt: number | null
    /** Sent by the operator through the admin API. */
    manual: boolean
    /** A send the model was asked for, once it answered: its sources, tokens, and why it was refused. */
    ai: AiUse | null
  }[]
  /** The copy to the D1 record: entries not yet there, and the most failed copies of one. */
  record: { backlog: number; failures: number }
}

/**
 * What became of a planned send: waiting (or in flight), taken by WeChat, failed for good, or
 * given up by the operator. The outbox's `status` column, and the D1 record's (`OutboundEvent`).
 */
export type OutboxStatus = 'pending' | 'sent' | 'failed' | 'dropped'

/** What a send the model was asked for came from and cost, as inspection and the record show it. */
export interface AiUse {
  /** The knowledge entries of the passages the model was given. */
  sources: string[]
  /** Tokens spent, prompt and completion. */
  tokens: number
  /** Why its answer was not sent and the fallback was; null when it was sent. */
  refused: string | null
}

/** One outbox row as the operator's actions report it. */
export interface OutboundOutcome {
  /** The outbox row id within this user's object. */
  id: number
  /** Its id in the D1 record and the admin API: `out:<openid>:<id>`. */
  recordId: string
  /**
   * After the delivery pass the action ran: usually sent; pending when it must wait (a retry's
   * backoff). The object has it when the action answers; the D1 record follows (`journal.ts`).
   */
  status: OutboxStatus
  errcode: number | null
  reason: string | null
}

/** Why WeChat would refuse a send now: the window has closed, or its count is used up. */
export type WindowRefusal = 'window_closed' | 'limit_reached'

/** `replyByHand`: queued and delivered like any reply, or refused before anything is stored. */
export type ManualReplyResult = { ok: true; outcome: OutboundOutcome } | { ok: false; refusal: WindowRefusal }

/** `retryFailed` / `dropFailed`: what became of the row, or why nothing was done. */
export type FailedActionResult =
  | { ok: true; outcome: OutboundOutcome }
  /** not_found: no such row (or deleted after the retention period); not_failed: it is pending or sent. */
  | { ok: false; problem: 'not_found' | 'not_failed' | WindowRefusal }

/** One template as the user stands with it (`GET /admin/api/users/:openid/subscriptions`). */
export interface SubscriptionView {
  templateId: string
  /** One-time sends the user allowed and has not been sent yet. */
  grants: number
  /** The last status from the popup or the settings page: accept, reject, acceptWithAudio…; null before any. */
  status: string | null
  /** Listed in SUBSCRIBE_LONG_TERM_TEMPLATES: sends go while the status is accept, spending nothing. */
  longTerm: boolean
  /** A send may go now. */
  reachable: boolean
  /** Accepts and rejects counted from the popup and the settings page. */
  accepted: number
  rejected: number
  updatedAt: number
  /** The last send's outcome (ours, or WeChat's sent event): errcode 0 is delivered. */
  lastSend: { at: number; errcode: number | null; msgId: string | null } | null
}

/** `sendSubscribe`: sent (spending what it took), or why not. */
export type SubscribeSendResult =
  | { ok: true; spent: 'grant' | 'long_term' | 'forced' }
  /** Nothing was sent (no API call): the user holds no grant for the template. */
  | { ok: false; problem: 'no_grant' }
  /** This campaign was sent to the user before (`sending`: a reset cut that send short, outcome unknown). */
  | { ok: false; problem: 'already_sent'; previous: 'sending' | 'sent' | 'failed'; errcode: number | null }
  /** WeChat refused: 43101 (the user refused; grants cleared) or another errcode, with its explanation. */
  | { ok: false; problem: 'refused' | 'failed'; errcode: number; reason: string }
