/** What a failed attempt means for the row, the window and the rest of the pass. */
import { SettingError } from '../settings/env'
import type { ReplyMessage } from '../replies'
import { Errcode, SyntheticErrcode, WechatApiError } from '../wechat/api'
import { uploadedImages } from './custom-message'
import type { Refusal } from './policy'
import type { OutboxRow } from './outbox'
import { KfErrcode } from '../wecom/api-error'

/** WeChat's word on the window: the send was refused because of it (微信客服's 95002 and 95001 are the same window's). */
export function refusalOf(error: unknown): Refusal | null {
  if (!(error instanceof WechatApiError)) return null
  if (error.errcode === Errcode.outOfTimeLimit || error.errcode === KfErrcode.timeLimit) return 'window_closed'
  if (error.errcode === Errcode.outOfCountLimit || error.errcode === KfErrcode.countLimit) return 'limit_reached'
  return null
}

/**
 * The WeChat API could not be reached: no answer (network, our time-out) or its front end
 * failing (HTTP 5xx, 429). The next push's call would most likely fail the same way and cost
 * another time-out, so the pass stops here. An image host failing says nothing about WeChat:
 * only that push waits.
 */
export function isTransportFailure(error: unknown): boolean {
  if (!(error instanceof WechatApiError) || error.kind !== 'retryable') return false
  if (error.api === 'image fetch') return false
  return error.errcode === SyntheticErrcode.network || error.errcode === SyntheticErrcode.timeout || error.errcode === SyntheticErrcode.http
}

/** 40007 on a reply whose media_id came from our cache, for the first time on this row. */
export function isStaleMedia(error: unknown, row: OutboxRow, reply: ReplyMessage): boolean {
  return (
    error instanceof WechatApiError &&
    error.errcode === Errcode.invalidMediaId &&
    row.errcode !== Errcode.invalidMediaId &&
    uploadedImages(reply).length > 0
  )
}

export function isPermanent(error: unknown): error is WechatApiError {
  return error instanceof WechatApiError && error.kind === 'permanent'
}

export function errcodeOf(error: unknown): number | null {
  return error instanceof WechatApiError ? error.errcode : null
}

/** 45011 (per-minute quota) says when to come back; 0 when the error does not. */
export function retryAfterMs(error: unknown): number {
  return error instanceof WechatApiError ? (error.retryAfterSeconds ?? 0) * 1000 : 0
}

/** A failure's reason for the outbox row and the log: no secrets, no tokens, no URLs with them. */
export function describe(error: unknown): string {
  if (error instanceof WechatApiError) return `wechat: ${error.message}`
  if (error instanceof SettingError) return `setting: ${error.message}`
  return `unexpected: ${error instanceof Error ? error.name : 'error'}`
}
