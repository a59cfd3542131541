/**
 * What a rule set would answer to a message, without anything recorded, queued or sent:
 * the admin API's preview and the console's editor both ask this, of the set in force or of a
 * draft (`previewDraft`). `decide` is pure. The knowledge base is not asked here (it is in D1):
 * the preview says when it would be, before the default reply (`faqThreshold`).
 */
import * as v from 'valibot'
import type { ReplyMessage } from '../replies'
import type { InboundMessage } from '../wechat/message'
import { compileRules, toRuleSet } from './compile'
import { knowledgeQuestion } from './faq'
import { decide } from './match'
import type { RuleSet } from './rule-set'
import { EVENTS, type RuleSetSource } from './schema'

/** Preview text is matched like a push's; WeChat's own messages stay far below this. */
export const MAX_PREVIEW_TEXT = 4096

const PreviewText = v.strictObject({
  type: v.literal('text'),
  text: v.pipe(v.string(), v.maxLength(MAX_PREVIEW_TEXT, `must be at most ${MAX_PREVIEW_TEXT} characters`)),
})
const PreviewImage = v.strictObject({ type: v.literal('image') })
const PreviewPage = v.strictObject({
  type: v.literal('miniprogrampage'),
  title: v.optional(v.pipe(v.string(), v.maxLength(MAX_PREVIEW_TEXT))),
  pagepath: v.optional(v.pipe(v.string(), v.maxLength(MAX_PREVIEW_TEXT))),
})
const PreviewEvent = v.strictObject({
  type: v.literal('event'),
  event: v.picklist(EVENTS, `must be one of ${EVENTS.join(', ')}`),
  session_from: v.optional(
    v.pipe(v.string(), v.maxLength(MAX_PREVIEW_TEXT), v.description('With user_enter_tempsession: the SessionFrom.')),
  ),
})

/** The message a preview answers: only what rules look at (the admin API's PreviewBody holds it). */
export const PreviewMessage = v.variant(
  'type',
  [PreviewText, PreviewImage, PreviewPage, PreviewEvent],
  'must be one of text, image, miniprogrampage, event',
)
export type PreviewMessage = v.InferOutput<typeof PreviewMessage>

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
  /**
   * A text no rule answered, with `ai` enabled: the knowledge base is asked first, and an FAQ
   * entry scoring at least this answers in place of the default; null otherwise.
   */
  faqThreshold: number | null
}

/** What `ruleSet` (the set in force, or a draft's) would answer to `message` at `now`. */
export function previewRules(ruleSet: RuleSet, message: PreviewMessage, now: number): Preview {
  const inbound = inboundOf(message, now)
  const plan = decide(ruleSet, inbound, now)
  return {
    ruleId: plan.ruleId,
    replies: plan.sends,
    transfer: plan.transfer,
    version: plan.ruleSetVersion,
    oncePerHours: plan.oncePerHours ?? null,
    handoffAfter: plan.handoff?.afterUnmatched ?? null,
    faqThreshold: knowledgeQuestion(ruleSet, inbound, plan) === null ? null : (ruleSet.knowledge?.faqThreshold ?? null),
  }
}

/** What a draft (validated: validateRuleSet's value) would answer, compiled as version `draft`. */
export function previewDraft(draft: RuleSetSource, message: PreviewMessage, now: number): Preview {
  return previewRules(toRuleSet(compileRules(draft, 'draft')), message, now)
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
