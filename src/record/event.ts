/**
 * What the Conversation object hands the record after its own SQLite write: the record is a
 * copy for the operator, written after the object and never ahead of it. Events are facts
 * keyed by their ids, so writing one twice (a retry after a lost answer, a catch-up) is the
 * same as writing it once.
 */
import type { AiUse, OutboxStatus } from '../conversation/contract'

/** A push the object recorded (a message or an event). */
export interface InboundEvent {
  type: 'inbound'
  appid: string
  openid: string
  /** The object's dedup key: `msg:<MsgId>` or `event:<openid>:<CreateTime>:<Event>`. */
  key: string
  msgId: string | null
  /** The message or event type (text, image, miniprogrampage, user_enter_tempsession, …). */
  kind: string
  /** The text, or a summary of what was sent; cut to TEXT_CHARS. */
  text: string
  /** The rule that answered, `default` for the default reply, null when none did. */
  ruleId: string | null
  rulesVersion: string | null
  /** A user's text that no rule but the default answered. */
  unmatched: boolean
  /** When the user acted, epoch ms. */
  at: number
  /** 'kf' for a 微信客服 customer; absent for the mini program (journals written before channels too). */
  channel?: Channel
  /** With channel 'kf': the account (open_kfid) they wrote to. */
  kfAccount?: string
}

/** How the user reached customer service: the mini program's button, or 微信客服 (wecom/). */
export type Channel = 'miniprogram' | 'kf'

/** A send in the object's outbox, as it is now. */
export interface OutboundEvent {
  type: 'outbound'
  appid: string
  openid: string
  /** The outbox row id: unique within the user's object. */
  id: number
  /** The dedup key of the push it answers. */
  inboundKey: string
  ruleId: string | null
  part: number
  /** text, image, link, miniprogrampage. */
  replyType: string
  /** A summary of the reply; cut to TEXT_CHARS. */
  text: string
  status: OutboxStatus
  errcode: number | null
  reason: string | null
  /** When the push it answers was received, epoch ms (for manual replies: when it was asked for). */
  pushedAt: number
  /** When the status last changed, epoch ms: the newest wins. */
  updatedAt: number
  /** Sent by the operator through the admin API, not by a rule. */
  manual: boolean
  /** A reply the model was asked for, once it answered: what it cost and came from; null otherwise. */
  ai?: AiUse | null
}

/** The user's send window and outbox counts, as the object has them at `at`. */
export interface WindowEvent {
  type: 'window'
  appid: string
  openid: string
  remaining: number
  closesAt: number
  pending: number
  failed: number
  at: number
}

/** A user's standing with one subscribe template, as the object has it now. */
export interface SubscriptionEvent {
  type: 'subscription'
  appid: string
  openid: string
  templateId: string
  grants: number
  status: string | null
  accepted: number
  rejected: number
  lastSendAt: number | null
  lastErrcode: number | null
  /** When it last changed, epoch ms: the newest wins. */
  updatedAt: number
}

export type RecordEvent = InboundEvent | OutboundEvent | WindowEvent | SubscriptionEvent

/** Text kept per message, in characters (code points): the same bound as the object's summaries. */
export const TEXT_CHARS = 200
/** Reasons are our own short words plus WeChat's errmsg: bounded all the same. */
export const REASON_CHARS = 200

/** The first `max` code points: a cut never splits a surrogate pair. */
export function bounded(text: string, max: number): string {
  if (text.length <= max) return text
  return Array.from(text).slice(0, max).join('')
}

/** The message id of a send: unique per app, as outbox ids are unique per user. */
export function outboundId(openid: string, id: number): string {
  return `out:${openid}:${id}`
}
