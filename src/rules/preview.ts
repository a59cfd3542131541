/**
 * What a rule set would answer to a message, without anything recorded, queued or sent:
 * the admin API's preview and the console's editor both ask this. `decide` is pure.
 */
import type { PreviewMessage } from '../routes/admin-api-schemas'
import type { ReplyMessage } from '../replies'
import type { InboundMessage } from '../wechat/message'
import { decide } from './match'
import type { RuleSet } from './rule-set'

export type { PreviewMessage } from '../routes/admin-api-schemas'

export interface Preview {
  /** The rule that answered, `default` for the default reply, null when nothing would. */
  ruleId: string | null
  replies: ReplyMessage[]
  transfer: boolean
  version: string
  /** The rule answers one user at most once in this many hours; null when it has no such limit. */
  oncePerHours: number | null
  /** A text no rule answered: this many in a row hand the user off instead; null without a hand-off. */
  handoffAfter: number | null
}

export function previewRules(ruleSet: RuleSet, message: PreviewMessage, now: number): Preview {
  const plan = decide(ruleSet, inboundOf(message, now), now)
  return {
    ruleId: plan.ruleId,
    replies: plan.sends,
    transfer: plan.transfer,
    version: plan.ruleSetVersion,
    oncePerHours: plan.oncePerHours ?? null,
    handoffAfter: plan.handoff?.afterUnmatched ?? null,
  }
}

/** The push a preview stands for: only the fields rules look at matter. */
function inboundOf(message: PreviewMessage, now: number): InboundMessage {
  const base = { toUserName: 'preview', fromUserName: 'preview', createTime: Math.floor(now / 1000) }
  switch (message.type) {
    case 'text':
      return { ...base, type: 'text', msgId: '0', content: message.text }
    case 'image':
      return { ...base, type: 'image', msgId: '0', picUrl: '', mediaId: '' }
    case 'miniprogrampage':
      return {
        ...base,
        type: 'miniprogrampage',
        msgId: '0',
        title: message.title ?? '',
        appId: '',
        pagePath: message.pagepath ?? '',
        thumbUrl: '',
        thumbMediaId: '',
      }
    case 'event':
      if (message.event === 'user_enter_tempsession') {
        return { ...base, type: 'user_enter_tempsession', sessionFrom: message.session_from ?? '' }
      }
      return { ...base, type: message.event, items: [] }
  }
}
