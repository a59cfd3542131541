/**
 * The admin API's answers as valibot schemas: `scripts/openapi/document.ts` turns them into the
 * OpenAPI document's responses, and the admin-api test checks real answers against them. The
 * requests are requests.ts; subscribe and campaign answers are answers-subscribe.ts, operators' and the 403 answers-operators.ts. At the end, a check that fails compilation when an answer schema
 * and the view the record (or the Conversation object) returns drift apart.
 */
import * as v from 'valibot'
import type { ConversationState } from '../conversation/contract'
import type { ConversationView, DayStats, FailedView, MessageView, Page, Stats } from '../record/views'
import type { DiffHunk } from '../rules/diff'
import type { HistoryItem, HistoryListItem } from '../rules/history'
import { HISTORY_FROM } from '../rules/history-format'
import {
  CampaignCreatedAnswer,
  CampaignDetailAnswer,
  CampaignListAnswer,
  NoGrantAnswer,
  SendProblemsAnswer,
  SubscribeSentAnswer,
  SubscriptionsAnswer,
  TemplatesAnswer,
  UniformSentAnswer,
  WechatRefusalAnswer,
  type Same,
} from './answers-subscribe'
import { AuditListAnswer } from './answers-audit'
import { ForbiddenAnswer, OperatorAnswer, OperatorConflictAnswer, OperatorCreatedAnswer, OperatorsAnswer } from './answers-operators'

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
  channel: v.pipe(
    v.picklist(['miniprogram', 'kf']),
    v.description('How they came: the mini program, or 微信客服 (openid is then their external_userid).'),
  ),
})

const AiUseAnswer = v.object({
  sources: v.pipe(v.array(v.string()), v.description('The knowledge entries of the passages the model was given.')),
  tokens: v.pipe(v.number(), v.description('Tokens the model spent (prompt and completion).')),
  refused: v.pipe(v.nullable(v.string()), v.description("Why the model's answer was not sent (the fallback was); null when it was.")),
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
  ai: v.pipe(v.nullable(AiUseAnswer), v.description('Out, rule ai or ai:fallback: the model was asked; null for every other message.')),
  media: v.pipe(
    v.nullable(v.string()),
    v.description(
      'In, an image the user sent: `archived` (kept in MEDIA, shown by the console), `failed: <reason>`, `deleted` (the user revoked their images), or null (not yet, or from before the archive; every other message).',
    ),
  ),
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
        ai: v.pipe(v.nullable(AiUseAnswer), v.description('A send the model was asked for, once it answered; null otherwise.')),
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
  answers: v.pipe(
    v.object({
      faq: v.pipe(v.number(), v.description('Texts answered by an FAQ entry.')),
      ai: v.pipe(v.number(), v.description('Texts answered by the model (sent with WeChat’s AI label).')),
      aiRefused: v.pipe(v.number(), v.description('Texts the model was asked about whose answer was not sent: the fallback was.')),
      handoff: v.pipe(v.number(), v.description('Users handed to a person by the rule set’s hand-off.')),
      tokens: v.pipe(v.number(), v.description('Tokens the model spent.')),
    }),
    v.description('Who answered the period’s texts beyond the rules (issue 27).'),
  ),
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
  faqThreshold: v.pipe(
    v.nullable(v.number()),
    v.description('An unmatched text with `ai` enabled: an FAQ entry of the knowledge base scoring at least this answers instead.'),
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
  by: v.optional(
    v.pipe(
      v.string(),
      v.description(
        'The operator who published it from the console or this API; absent for entries from before operators, from rules:push or rules:rollback, and unrecorded ones.',
      ),
    ),
  ),
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
  ForbiddenAnswer,
  OperatorsAnswer,
  OperatorAnswer,
  OperatorCreatedAnswer,
  OperatorConflictAnswer,
  AuditListAnswer,
}

// The answer schemas describe the views the record returns; these fail to compile when the
// two drift apart (a field added to a view and not here, or typed differently).
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
] = [true, true, true, true, true, true, true, true, true, true]
void drift
