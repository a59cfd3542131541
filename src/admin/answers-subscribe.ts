/**
 * The admin API's answers about subscribe messages, campaigns and uniform sends, as valibot
 * schemas (answers.ts gathers every answer in ANSWERS). At the end, the check that fails
 * compilation when one of them and the view it describes drift apart.
 */
import * as v from 'valibot'
import type { SubscribeSendResult, SubscriptionView } from '../conversation/contract'
import type { CampaignMessage, CampaignView, TargetView, TemplateCount } from '../subscribe/campaign-store'
import { MAX_PROBLEMS } from '../wechat/body-check'
import { LANGS, MINIPROGRAM_STATES } from '../wechat/subscribe-data'

export const SendProblemsAnswer = v.object({
  error: v.pipe(v.string(), v.description('The first problem.')),
  problems: v.pipe(
    v.array(v.string()),
    v.description(
      `Every problem (at most ${MAX_PROBLEMS}, then a count of the rest), one \`path: sentence\` each, e.g. \`data.thing1.value: thing is at most 20 characters (got 21)\`.`,
    ),
  ),
})

export const WechatRefusalAnswer = v.object({
  error: v.pipe(
    v.picklist(['wechat_refused', 'wechat_failed']),
    v.description(
      'wechat_refused: WeChat refused for the user’s standing (409) or for the data (400); wechat_failed: any other errcode (502).',
    ),
  ),
  errcode: v.pipe(v.number(), v.description('WeChat’s errcode (time-outs and network failures have synthetic ones).')),
  reason: v.pipe(v.string(), v.description('What the errcode means.')),
})

export const NoGrantAnswer = v.object({
  error: v.pipe(v.literal('no_grant'), v.description('The user holds no grant for this one-time template; nothing was sent.')),
  reason: v.string(),
})

export const SubscribeSentAnswer = v.object({
  sent: v.literal(true),
  spent: v.pipe(
    v.picklist(['grant', 'long_term', 'forced']),
    v.description(
      'grant: one of the user’s one-time grants; long_term: nothing, the template is long-term and the user accepts; forced: nothing, sent with force and no grant.',
    ),
  ),
})

export const LastSendAnswer = v.object({
  at: v.number(),
  errcode: v.pipe(v.nullable(v.number()), v.description('0: delivered; null while WeChat has not answered.')),
  msgId: v.nullable(v.string()),
})

export const SubscriptionAnswer = v.object({
  templateId: v.string(),
  grants: v.pipe(v.number(), v.description('One-time sends the user allowed and has not been sent yet.')),
  status: v.pipe(
    v.nullable(v.string()),
    v.description('The last status from the popup or the settings page (accept, reject, …); null before any.'),
  ),
  longTerm: v.pipe(
    v.boolean(),
    v.description('Listed in SUBSCRIBE_LONG_TERM_TEMPLATES: sends go while the status is accept, spending nothing.'),
  ),
  reachable: v.pipe(v.boolean(), v.description('A send may go now.')),
  accepted: v.number(),
  rejected: v.number(),
  updatedAt: v.number(),
  lastSend: v.pipe(v.nullable(LastSendAnswer), v.description('The last send’s outcome; null before any.')),
})

export const SubscriptionsAnswer = v.object({ openid: v.string(), templates: v.array(SubscriptionAnswer) })

export const TemplateAnswer = v.object({
  templateId: v.string(),
  users: v.pipe(v.number(), v.description('Users the record knows with this template.')),
  grants: v.pipe(v.number(), v.description('One-time grants held, all users together.')),
  accepted: v.number(),
  rejected: v.number(),
  longTerm: v.pipe(v.boolean(), v.description('Listed in SUBSCRIBE_LONG_TERM_TEMPLATES.')),
  reachable: v.pipe(v.number(), v.description('Users a send can reach now: holding a grant, or accepting a long-term template.')),
})

export const TemplatesAnswer = v.object({ templates: v.array(TemplateAnswer) })

export const CampaignMessageAnswer = v.object({
  template_id: v.string(),
  page: v.optional(v.string()),
  data: v.record(v.string(), v.object({ value: v.string() })),
  miniprogram_state: v.optional(v.picklist(MINIPROGRAM_STATES)),
  lang: v.optional(v.picklist(LANGS)),
})

export const TARGET_STATUSES = ['queued', 'sent', 'failed', 'skipped'] as const

export const CampaignAnswer = v.object({
  id: v.string(),
  templateId: v.string(),
  message: v.pipe(CampaignMessageAnswer, v.description('What every user gets: a send without touser.')),
  longTerm: v.boolean(),
  total: v.pipe(v.number(), v.description('Users who could be reached when it started.')),
  createdAt: v.number(),
  counts: v.pipe(
    v.object({ queued: v.number(), sent: v.number(), failed: v.number(), skipped: v.number() }),
    v.description('Users by outcome so far; a user not yet paged in counts in none.'),
  ),
  done: v.pipe(v.boolean(), v.description('Every page ran and every user it queued has an outcome.')),
})

export const TargetAnswer = v.object({
  openid: v.string(),
  status: v.picklist(TARGET_STATUSES),
  errcode: v.nullable(v.number()),
  reason: v.nullable(v.string()),
  updatedAt: v.number(),
})

export const CampaignListAnswer = v.object({ campaigns: v.pipe(v.array(CampaignAnswer), v.description('The 50 newest, newest first.')) })

export const CampaignDetailAnswer = v.object({
  ...CampaignAnswer.entries,
  targets: v.pipe(v.array(TargetAnswer), v.description('A page of per-user outcomes, in openid order.')),
  nextCursor: v.nullable(v.string()),
})

export const CampaignCreatedAnswer = v.object({
  id: v.pipe(v.string(), v.description('The campaign id, c-<uuid>.')),
  total: v.pipe(v.number(), v.description('Users who can be reached; 0 queues nothing.')),
})

export const UniformSentAnswer = v.object({ sent: v.literal(true) })

// These fail to compile when an answer and the view it describes drift apart (a field added to
// a view and not here, or typed differently).
/** True when A and B are the same type: the drift checks compare an answer with its view. */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const drift: [
  Same<v.InferOutput<typeof SubscriptionAnswer>, SubscriptionView>,
  Same<v.InferOutput<typeof SubscriptionsAnswer>, { openid: string; templates: SubscriptionView[] }>,
  Same<v.InferOutput<typeof SubscribeSentAnswer>, { sent: true; spent: Extract<SubscribeSendResult, { ok: true }>['spent'] }>,
  // The templates route answers each count without withGrants and accepting, with what they mean.
  Same<v.InferOutput<typeof TemplateAnswer>, Omit<TemplateCount, 'withGrants' | 'accepting'> & { longTerm: boolean; reachable: number }>,
  Same<v.InferOutput<typeof CampaignMessageAnswer>, CampaignMessage>,
  Same<v.InferOutput<typeof CampaignAnswer>, CampaignView>,
  Same<v.InferOutput<typeof TargetAnswer>, TargetView>,
  Same<v.InferOutput<typeof CampaignDetailAnswer>, CampaignView & { targets: TargetView[]; nextCursor: string | null }>,
] = [true, true, true, true, true, true, true, true]
void drift
