/**
 * The admin API's answers as valibot schemas: `scripts/openapi/document.ts` turns them into the
 * OpenAPI document's responses, and the admin-api test checks real answers against them. The
 * requests are requests.ts. At the end, a check that fails compilation when an answer schema
 * and the view the record (or the Conversation object) returns drift apart.
 */
import * as v from 'valibot'
import type { ConversationState, SubscribeSendResult, SubscriptionView } from '../conversation/contract'
import type { ConversationView, DayStats, FailedView, MessageView, Page, Stats } from '../record/views'
import type { DiffHunk } from '../rules/diff'
import type { HistoryItem, HistoryListItem } from '../rules/history'
import { HISTORY_FROM } from '../rules/history-format'
import type { CampaignMessage, CampaignView, TargetView, TemplateCount } from '../subscribe/campaign-store'
import { MAX_PROBLEMS } from '../wechat/body-check'
import { LANGS, MINIPROGRAM_STATES } from '../wechat/subscribe-data'

const ErrorAnswer = v.object({ error: v.string() })

const WindowAnswer = v.object({ remaining: v.number(), closesAt: v.number(), open: v.boolean() })

const ConversationAnswer = v.object({
  openid: v.string(),
  firstAt: v.number(),
  lastAt: v.number(),
  lastText: v.nullable(v.string()),
  unmatched: v.number(),
  window: WindowAnswer,
  pending: v.number(),
  failed: v.number(),
})

const MessageAnswer = v.object({
  id: v.string(),
  direction: v.picklist(['in', 'out']),
  kind: v.string(),
  text: v.nullable(v.string()),
  ruleId: v.nullable(v.string()),
  rulesVersion: v.nullable(v.string()),
  unmatched: v.boolean(),
  inboundKey: v.nullable(v.string()),
  part: v.nullable(v.number()),
  manual: v.boolean(),
  status: v.string(),
  errcode: v.nullable(v.number()),
  reason: v.nullable(v.string()),
  at: v.number(),
  pushedAt: v.nullable(v.number()),
  updatedAt: v.number(),
})

const FailedAnswer = v.object({
  id: v.string(),
  openid: v.string(),
  kind: v.string(),
  text: v.nullable(v.string()),
  ruleId: v.nullable(v.string()),
  inboundKey: v.nullable(v.string()),
  part: v.nullable(v.number()),
  manual: v.boolean(),
  errcode: v.nullable(v.number()),
  reason: v.nullable(v.string()),
  pushedAt: v.nullable(v.number()),
  updatedAt: v.number(),
})

function pageOf<T extends v.GenericSchema>(item: T) {
  return v.object({ items: v.array(item), nextCursor: v.nullable(v.string()) })
}

/** The user's Conversation object itself (`state()`): what the D1 record may not have yet. */
const StateAnswer = v.object({
  window: v.pipe(
    v.object({ remaining: v.number(), openedAt: v.number(), closesAt: v.number(), open: v.boolean() }),
    v.description('The send allowance: what is left, when the last granting action was, when it ends (epoch ms).'),
  ),
  inbound: v.pipe(
    v.array(
      v.object({
        kind: v.string(),
        summary: v.string(),
        msgId: v.nullable(v.string()),
        ruleId: v.nullable(v.string()),
        receivedAt: v.number(),
      }),
    ),
    v.description('The last pushes in (at most 20).'),
  ),
  outbound: v.pipe(
    v.array(
      v.object({
        id: v.number(),
        msgId: v.nullable(v.string()),
        ruleId: v.nullable(v.string()),
        part: v.number(),
        type: v.string(),
        status: v.string(),
        attempts: v.number(),
        errcode: v.nullable(v.number()),
        reason: v.nullable(v.string()),
        createdAt: v.number(),
        retriedAt: v.nullable(v.number()),
        updatedAt: v.number(),
        attemptStartedAt: v.nullable(v.number()),
        manual: v.boolean(),
      }),
    ),
    v.description('The last replies out (at most 50, from the outbox), with their attempts, errcode and reason.'),
  ),
  record: v.pipe(
    v.object({ backlog: v.number(), failures: v.number() }),
    v.description('The copy to the D1 record: entries not yet there, and the most failed copies of one.'),
  ),
})

const ConversationsAnswer = pageOf(ConversationAnswer)
const ConversationDetailAnswer = v.object({ conversation: ConversationAnswer, messages: pageOf(MessageAnswer) })
const FailedListAnswer = pageOf(FailedAnswer)

const OutcomeAnswer = v.object({
  outcome: v.object({
    id: v.number(),
    recordId: v.string(),
    status: v.picklist(['pending', 'sent', 'failed', 'dropped']),
    errcode: v.nullable(v.number()),
    reason: v.nullable(v.string()),
  }),
})

const DayAnswer = v.object({
  day: v.string(),
  messages: v.number(),
  events: v.number(),
  unmatched: v.number(),
  repliesSent: v.number(),
  repliesFailed: v.number(),
  repliesPending: v.number(),
  repliesDropped: v.number(),
  replyMs: v.nullable(v.object({ median: v.number(), p95: v.number() })),
})

const StatsAnswer = v.object({
  days: v.number(),
  from: v.string(),
  to: v.string(),
  daily: v.array(DayAnswer),
  rules: v.array(v.object({ ruleId: v.string(), hits: v.number() })),
  unmatched: v.array(v.object({ text: v.string(), count: v.number(), firstSeen: v.number(), lastSeen: v.number() })),
})

const RulesAnswer = v.object({
  version: v.pipe(v.string(), v.description('The version in force (`empty` for the built-in empty set).')),
  status: v.picklist(['not_loaded', 'ok', 'missing', 'invalid', 'unavailable']),
  rules: v.number(),
  from: v.picklist(['compiled', 'source', 'none']),
  source: v.pipe(v.nullable(v.string()), v.description('The rule set stored in KV, as text; null when there is none.')),
  sourceVersion: v.nullable(v.string()),
  rejectedVersion: v.optional(v.string()),
  errors: v.optional(v.array(v.string())),
})

const ReplyMessageAnswer = v.record(v.string(), v.unknown())

const PreviewAnswer = v.object({
  ruleId: v.pipe(v.nullable(v.string()), v.description('The rule that answers, `default` for the default reply, null for none.')),
  replies: v.pipe(v.array(ReplyMessageAnswer), v.description('What would be sent, in order (placeholders filled).')),
  transfer: v.boolean(),
  version: v.pipe(v.string(), v.description('The version of the rule set in force, or `draft`.')),
  oncePerHours: v.pipe(
    v.nullable(v.number()),
    v.description('The rule answers one user at most once in this many hours (a user welcomed since gets nothing).'),
  ),
  handoffAfter: v.pipe(
    v.nullable(v.number()),
    v.description('An unmatched text: when it is this many in a row for the user, the hand-off transfers instead.'),
  ),
})

const PreviewRefusal = v.object({ error: v.string(), issues: v.array(v.string()) })

const PublishAnswer = v.object({
  version: v.pipe(v.string(), v.description('The version in force now.')),
  rules: v.number(),
  unchanged: v.pipe(v.boolean(), v.description('It already was the version in force: nothing was published or recorded.')),
})

const PublishRefusal = v.object({
  error: v.string(),
  issues: v.pipe(v.array(v.string()), v.description('Every problem, naming the rule and the field, as `rules:check` prints them.')),
})

const ConflictAnswer = v.object({
  error: v.pipe(v.literal('version_changed'), v.description('Another version was published since the one given.')),
  currentVersion: v.nullable(v.string()),
})

const HistoryItemAnswer = v.object({
  version: v.string(),
  publishedAt: v.number(),
  from: v.pipe(
    v.picklist(HISTORY_FROM),
    v.description('`unrecorded`: found in force by a publish, put there by hand; publishedAt is when it was found.'),
  ),
  rules: v.pipe(v.nullable(v.number()), v.description('How many rules; null if it is not a rule set.')),
})

const HistoryListItemAnswer = v.object({
  ...HistoryItemAnswer.entries,
  current: v.pipe(v.boolean(), v.description('The rule set in force (the newest entry of its version).')),
})

const HistoryListAnswer = v.object({
  items: v.array(HistoryListItemAnswer),
  nextCursor: v.nullable(v.string()),
  currentVersion: v.pipe(
    v.nullable(v.string()),
    v.description('The version in force; it has no entry when it was put by hand since the last publish.'),
  ),
})

const DiffHunkAnswer = v.object({
  oldStart: v.number(),
  oldLines: v.number(),
  newStart: v.number(),
  newLines: v.number(),
  lines: v.array(v.object({ op: v.picklist(['same', 'added', 'removed']), text: v.string() })),
})

const HistoryEntryAnswer = v.object({
  ...HistoryListItemAnswer.entries,
  source: v.pipe(v.string(), v.description('The rule set as stored.')),
  previous: v.pipe(v.nullable(HistoryItemAnswer), v.description('The entry published before it; null for the oldest kept.')),
  diff: v.pipe(
    v.nullable(v.array(DiffHunkAnswer)),
    v.description(
      'From the previous entry (or from nothing) to this one, over pretty-printed JSON lines; null when a source is over 256 KiB.',
    ),
  ),
})

// ---------------------------------------------------------------- subscribe and uniform messages

const SendProblemsAnswer = v.object({
  error: v.pipe(v.string(), v.description('The first problem.')),
  problems: v.pipe(
    v.array(v.string()),
    v.description(
      `Every problem (at most ${MAX_PROBLEMS}, then a count of the rest), one \`path: sentence\` each, e.g. \`data.thing1.value: thing is at most 20 characters (got 21)\`.`,
    ),
  ),
})

const WechatRefusalAnswer = v.object({
  error: v.pipe(
    v.picklist(['wechat_refused', 'wechat_failed']),
    v.description(
      'wechat_refused: WeChat refused for the user’s standing (409) or for the data (400); wechat_failed: any other errcode (502).',
    ),
  ),
  errcode: v.pipe(v.number(), v.description('WeChat’s errcode (time-outs and network failures have synthetic ones).')),
  reason: v.pipe(v.string(), v.description('What the errcode means.')),
})

const NoGrantAnswer = v.object({
  error: v.pipe(v.literal('no_grant'), v.description('The user holds no grant for this one-time template; nothing was sent.')),
  reason: v.string(),
})

const SubscribeSentAnswer = v.object({
  sent: v.literal(true),
  spent: v.pipe(
    v.picklist(['grant', 'long_term', 'forced']),
    v.description(
      'grant: one of the user’s one-time grants; long_term: nothing, the template is long-term and the user accepts; forced: nothing, sent with force and no grant.',
    ),
  ),
})

const LastSendAnswer = v.object({
  at: v.number(),
  errcode: v.pipe(v.nullable(v.number()), v.description('0: delivered; null while WeChat has not answered.')),
  msgId: v.nullable(v.string()),
})

const SubscriptionAnswer = v.object({
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

const SubscriptionsAnswer = v.object({ openid: v.string(), templates: v.array(SubscriptionAnswer) })

const TemplateAnswer = v.object({
  templateId: v.string(),
  users: v.pipe(v.number(), v.description('Users the record knows with this template.')),
  grants: v.pipe(v.number(), v.description('One-time grants held, all users together.')),
  accepted: v.number(),
  rejected: v.number(),
  longTerm: v.pipe(v.boolean(), v.description('Listed in SUBSCRIBE_LONG_TERM_TEMPLATES.')),
  reachable: v.pipe(v.number(), v.description('Users a send can reach now: holding a grant, or accepting a long-term template.')),
})

const TemplatesAnswer = v.object({ templates: v.array(TemplateAnswer) })

const CampaignMessageAnswer = v.object({
  template_id: v.string(),
  page: v.optional(v.string()),
  data: v.record(v.string(), v.object({ value: v.string() })),
  miniprogram_state: v.optional(v.picklist(MINIPROGRAM_STATES)),
  lang: v.optional(v.picklist(LANGS)),
})

const TARGET_STATUSES = ['queued', 'sent', 'failed', 'skipped'] as const

const CampaignAnswer = v.object({
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

const TargetAnswer = v.object({
  openid: v.string(),
  status: v.picklist(TARGET_STATUSES),
  errcode: v.nullable(v.number()),
  reason: v.nullable(v.string()),
  updatedAt: v.number(),
})

const CampaignListAnswer = v.object({ campaigns: v.pipe(v.array(CampaignAnswer), v.description('The 50 newest, newest first.')) })

const CampaignDetailAnswer = v.object({
  ...CampaignAnswer.entries,
  targets: v.pipe(v.array(TargetAnswer), v.description('A page of per-user outcomes, in openid order.')),
  nextCursor: v.nullable(v.string()),
})

const CampaignCreatedAnswer = v.object({
  id: v.pipe(v.string(), v.description('The campaign id, c-<uuid>.')),
  total: v.pipe(v.number(), v.description('Users who can be reached; 0 queues nothing.')),
})

const UniformSentAnswer = v.object({ sent: v.literal(true) })

export const ANSWERS = {
  ErrorAnswer,
  ConversationsAnswer,
  ConversationDetailAnswer,
  StateAnswer,
  FailedListAnswer,
  OutcomeAnswer,
  StatsAnswer,
  RulesAnswer,
  PreviewAnswer,
  PreviewRefusal,
  PublishAnswer,
  PublishRefusal,
  ConflictAnswer,
  HistoryListAnswer,
  HistoryEntryAnswer,
  SendProblemsAnswer,
  WechatRefusalAnswer,
  NoGrantAnswer,
  SubscribeSentAnswer,
  SubscriptionsAnswer,
  TemplatesAnswer,
  CampaignListAnswer,
  CampaignDetailAnswer,
  CampaignCreatedAnswer,
  UniformSentAnswer,
}

// The answer schemas describe the views the record returns; these fail to compile when the
// two drift apart (a field added to a view and not here, or typed differently).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const drift: [
  Same<v.InferOutput<typeof ConversationAnswer>, ConversationView>,
  Same<v.InferOutput<typeof MessageAnswer>, MessageView>,
  Same<v.InferOutput<typeof FailedAnswer>, FailedView>,
  Same<v.InferOutput<typeof DayAnswer>, DayStats>,
  Same<v.InferOutput<typeof StatsAnswer>, Stats>,
  Same<v.InferOutput<typeof ConversationsAnswer>, Page<ConversationView>>,
  Same<v.InferOutput<typeof StateAnswer>, ConversationState>,
  Same<v.InferOutput<typeof HistoryItemAnswer>, HistoryItem>,
  Same<v.InferOutput<typeof HistoryListItemAnswer>, HistoryListItem>,
  Same<v.InferOutput<typeof DiffHunkAnswer>, DiffHunk>,
  Same<v.InferOutput<typeof SubscriptionAnswer>, SubscriptionView>,
  Same<v.InferOutput<typeof SubscriptionsAnswer>, { openid: string; templates: SubscriptionView[] }>,
  Same<v.InferOutput<typeof SubscribeSentAnswer>, { sent: true; spent: Extract<SubscribeSendResult, { ok: true }>['spent'] }>,
  // The templates route answers each count without withGrants and accepting, with what they mean.
  Same<v.InferOutput<typeof TemplateAnswer>, Omit<TemplateCount, 'withGrants' | 'accepting'> & { longTerm: boolean; reachable: number }>,
  Same<v.InferOutput<typeof CampaignMessageAnswer>, CampaignMessage>,
  Same<v.InferOutput<typeof CampaignAnswer>, CampaignView>,
  Same<v.InferOutput<typeof TargetAnswer>, TargetView>,
  Same<v.InferOutput<typeof CampaignDetailAnswer>, CampaignView & { targets: TargetView[]; nextCursor: string | null }>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true, true]
void drift
