/**
 * The Conversation object's RPC contract: what the push route records, what it gets back,
 * and what inspection returns. Types only, so Node-side tools can use them too.
 */
import type { ReplyPlan } from '../replies'
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
}

export interface RecordResult {
  /** A retry of a push already recorded: nothing new was queued. */
  duplicate: boolean
  /** Answer the push with transfer_customer_service (the same answer on every retry). */
  transfer: boolean
  /** Sends waiting in the outbox. */
  pending: number
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
    /** When the push was recorded: the reply expires REPLY_MAX_AGE_SECONDS after it. */
    createdAt: number
    updatedAt: number
    /** When the attempt in flight left; null when none is. */
    attemptStartedAt: number | null
  }[]
}
