/** What the record's queries answer: the shapes the admin API serves (camelCase, epoch ms). */
import type { AiUse } from '../conversation/contract'
import type { Channel } from './event'

export interface WindowView {
  /** Sends left; 0 once the window has closed. */
  remaining: number
  closesAt: number
  open: boolean
}

export interface ConversationView {
  openid: string
  firstAt: number
  lastAt: number
  /** The last message's text or summary; null after RETENTION_DAYS. */
  lastText: string | null
  /** Messages of this user only the default reply answered. */
  unmatched: number
  window: WindowView
  pending: number
  failed: number
  /** How they came: the mini program, or 微信客服 (the openid is then their external_userid). */
  channel: Channel
}

export interface MessageView {
  id: string
  direction: 'in' | 'out'
  kind: string
  text: string | null
  ruleId: string | null
  rulesVersion: string | null
  unmatched: boolean
  /** Out: the push it answers. */
  inboundKey: string | null
  part: number | null
  manual: boolean
  /** In: received. Out: pending, sent or failed. */
  status: string
  errcode: number | null
  reason: string | null
  at: number
  pushedAt: number | null
  updatedAt: number
  /**
   * Out, a send the model was asked for (rule `ai` or `ai:fallback`): the knowledge entries of
   * its passages, the tokens it spent, and why its answer was refused (the fallback went out).
   */
  ai: AiUse | null
  /**
   * In, an image (migrations/0011): whether the archive kept it in MEDIA — null (not yet, or
   * a push from before the archive), `archived`, or `failed: <reason>` (media/archive-queue.ts).
   */
  media: string | null
}

export interface FailedView {
  id: string
  openid: string
  kind: string
  text: string | null
  ruleId: string | null
  inboundKey: string | null
  part: number | null
  manual: boolean
  errcode: number | null
  reason: string | null
  pushedAt: number | null
  updatedAt: number
}

export interface Page<T> {
  items: T[]
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null
}

export interface DayStats {
  day: string
  /** User messages received (text, image, card). */
  messages: number
  /** Events received (entering the session, subscription events). */
  events: number
  /** User texts only the default reply (or nothing) answered. */
  unmatched: number
  repliesSent: number
  repliesFailed: number
  repliesPending: number
  /** Failed sends the operator dropped (POST /admin/api/failed/:id/drop). */
  repliesDropped: number
  /** Push-to-reply time of the replies rules sent that day (nearest rank), ms; null without any. */
  replyMs: { median: number; p95: number } | null
}

export interface Stats {
  days: number
  from: string
  to: string
  daily: DayStats[]
  rules: { ruleId: string; hits: number }[]
  unmatched: { text: string; count: number; firstSeen: number; lastSeen: number }[]
  /** Texts answered by FAQ entries, by the model (and its answers refused for the fallback), handed off; the model's tokens. */
  answers: { faq: number; ai: number; aiRefused: number; handoff: number; tokens: number }
}
