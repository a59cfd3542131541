/**
 * What the push route hands the Conversation object for one verified push (`RecordInput`),
 * and whether it needs the object at all. Worker-side: the object records it in `push.ts`.
 */
import type { ReplyPlan } from '../replies'
import { dedupKey, msgIdOf, type InboundMessage } from '../wechat/message'
import type { RecordInput } from './contract'
import { grantOf } from './policy'
import { subscribeChangesOf } from '../subscribe/grants'

const SUMMARY_CHARS = 200

export function toRecordInput(message: InboundMessage, plan: ReplyPlan): RecordInput {
  return {
    dedupKey: dedupKey(message),
    openid: message.fromUserName,
    msgId: msgIdOf(message),
    kind: message.type,
    summary: summarize(message).slice(0, SUMMARY_CHARS),
    grant: grantOf(message),
    at: message.createTime * 1000,
    plan,
    subscribe: subscribeChangesOf(message),
  }
}

/** Whether the push needs the Conversation object at all: something to grant, send, answer or subscribe. */
export function needsRecording(input: RecordInput): boolean {
  return (
    input.grant !== null ||
    input.plan.transfer ||
    input.plan.sends.length > 0 ||
    input.plan.ai !== undefined ||
    (input.subscribe !== undefined && input.subscribe.length > 0)
  )
}

function summarize(message: InboundMessage): string {
  switch (message.type) {
    case 'text':
      return message.content
    case 'image':
      return message.picUrl
    case 'miniprogrampage':
      return `${message.title} ${message.pagePath}`
    case 'user_enter_tempsession':
      return `session_from=${message.sessionFrom}`
    case 'unknown':
      return message.event ?? message.msgType
    case 'user_authorization_revoke':
    case 'user_authorization_cancellation':
      return message.type
    default:
      return message.items.map((item) => item.templateId).join(',')
  }
}
