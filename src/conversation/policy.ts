/**
 * WeChat's customer-service allowance and our retry pacing, in one place.
 *
 * A user action opens (or widens) a window in which the service may send a number of
 * messages. Allowances do not add up: an action raises the remaining count and the deadline
 * to the larger of what is left and what it grants (wechat-protocol.md §5).
 */
import { isUserMessage, type InboundMessage } from '../wechat/message'

export type GrantingAction = 'message' | 'enter_session'

export const GRANTS: Record<GrantingAction, { count: number; durationMs: number }> = {
  /** 用户发送消息: a text, image or card from the user. */
  message: { count: 5, durationMs: 48 * 60 * 60 * 1000 },
  /** 用户进入客服消息: `user_enter_tempsession`. */
  enter_session: { count: 2, durationMs: 60 * 1000 },
}

/** The longest any window stays open after the action that opened it. */
export const LONGEST_GRANT_MS = Math.max(...Object.values(GRANTS).map((grant) => grant.durationMs))

/** Which allowance a push grants; other events grant nothing. */
export function grantOf(message: InboundMessage): GrantingAction | null {
  if (isUserMessage(message)) return 'message'
  if (message.type === 'user_enter_tempsession') return 'enter_session'
  return null
}

export interface SendWindow {
  remaining: number
  /** Epoch ms after which nothing may be sent. */
  closesAt: number
}

export const CLOSED: SendWindow = { remaining: 0, closesAt: 0 }

/** The window after a user action at `at` (epoch ms). */
export function widen(window: SendWindow, action: GrantingAction, at: number): SendWindow {
  const grant = GRANTS[action]
  const left = window.closesAt > at ? window.remaining : 0
  return {
    remaining: Math.max(left, grant.count),
    closesAt: Math.max(window.closesAt, at + grant.durationMs),
  }
}

/** Why WeChat refuses a send: the window has closed, or its count is used up. */
export type Refusal = 'window_closed' | 'limit_reached'

/** Why a send may not go out now, or null if it may. */
export function refusal(window: SendWindow, now: number): Refusal | null {
  if (now >= window.closesAt) return 'window_closed'
  if (window.remaining <= 0) return 'limit_reached'
  return null
}

/** Exponential backoff with jitter: about 2 s, 4 s, 8 s … capped at 10 minutes. */
export const RETRY_BASE_MS = 2000
export const RETRY_CAP_MS = 10 * 60 * 1000

export function retryDelay(attempts: number, random: number = Math.random()): number {
  const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1))
  return Math.round(ceiling / 2 + (ceiling / 2) * random)
}

/**
 * The alarm set when a push is recorded: if the delivery started by the push route never
 * runs (an eviction, a crash), this alarm finds the rows. Long enough that the normal
 * delivery has finished by then.
 */
export const SAFETY_ALARM_MS = 30 * 1000
