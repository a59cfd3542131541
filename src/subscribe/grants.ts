/**
 * What subscribe grants are, as plain rules: which event changes them how, and who can be
 * reached. Pure; the Conversation object keeps them (`conversation/subscriptions.ts`).
 *
 * A one-time template (一次性订阅) allows one send per `accept` in the popup, and accepts add
 * up; a long-term template (长期订阅, only for some categories of mini program) allows sends
 * while the user's status is accept. WeChat's events do not say which kind a template is, so
 * the operator lists long-term ones in SUBSCRIBE_LONG_TERM_TEMPLATES; every other is one-time.
 * Source: https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/subscribe-message.html
 */
import type { InboundMessage } from '../wechat/message'

/** One `List` item of a subscribe event, as the Conversation object applies it. */
export type SubscribeChange =
  | { kind: 'popup' | 'change'; templateId: string; status: string }
  | { kind: 'sent'; templateId: string; msgId: string; errorCode: number; errorStatus: string }

/** The user refused (or holds no grant): WeChat's answer to a send, and a sent event's ErrorCode. */
export const REFUSED_ERRCODE = 43101

export function subscribeChangesOf(message: InboundMessage): SubscribeChange[] {
  switch (message.type) {
    case 'subscribe_msg_popup_event':
      return message.items.map((item) => ({ kind: 'popup', templateId: item.templateId, status: item.status }))
    case 'subscribe_msg_change_event':
      return message.items.map((item) => ({ kind: 'change', templateId: item.templateId, status: item.status }))
    case 'subscribe_msg_sent_event':
      return message.items.map((item) => ({ kind: 'sent', ...item }))
    default:
      return []
  }
}

/** `accept`, and the popup's variants with a sound or an alert (acceptWithAudio, acceptWithAlert). */
export function isAccept(status: string): boolean {
  return status.startsWith('accept')
}

/** A user's standing for one template. */
export interface Standing {
  grants: number
  status: string | null
}

/** Whether a send of the template may go to the user now. */
export function reachable(standing: Standing, longTerm: boolean): boolean {
  return longTerm ? standing.status !== null && isAccept(standing.status) : standing.grants > 0
}

/** The long-term templates of SUBSCRIBE_LONG_TERM_TEMPLATES (comma-separated ids). */
export function longTermTemplates(setting: string | undefined): ReadonlySet<string> {
  return new Set(
    (setting ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== ''),
  )
}
