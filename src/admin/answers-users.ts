/** The answers of a user's export and deletion (routes/admin-users.ts), as valibot schemas for the OpenAPI document. */
import * as v from 'valibot'

const Rows = v.array(v.record(v.string(), v.unknown()))

export const UserExportAnswer = v.object({
  format: v.pipe(v.literal(2), v.description("The document's version (2: audit, webhookFailures and cut added).")),
  appid: v.string(),
  openid: v.string(),
  exportedAt: v.pipe(v.string(), v.description('ISO 8601.')),
  conversation: v.pipe(
    v.unknown(),
    v.description("The user's Conversation object: the send window, the latest pushes and replies, failures (as GET …/state)."),
  ),
  subscriptions: v.pipe(
    v.unknown(),
    v.description('Their subscribe grants per template (as GET /admin/api/users/{openid}/subscriptions).'),
  ),
  record: v.object({
    conversation: v.pipe(v.nullable(v.record(v.string(), v.unknown())), v.description('Their row of the D1 record, every column.')),
    messages: v.pipe(
      Rows,
      v.description('Every message in and out the record keeps, oldest first, every column (texts: within RETENTION_DAYS).'),
    ),
    messagesCut: v.pipe(v.boolean(), v.description('More than 20,000 messages: the oldest are here.')),
    subscriptions: Rows,
    campaignTargets: Rows,
  }),
  desk: v.object({
    queue: v.pipe(v.unknown(), v.description('Where they are at the human desk now, or null.')),
    notes: v.pipe(Rows, v.description("Agents' private notes on them.")),
  }),
  media: v.pipe(
    v.array(v.object({ day: v.string(), msgId: v.string(), bytes: v.number() })),
    v.description('The images they sent, kept in MEDIA (the console shows each at /admin/conversations/{openid}/media/{msgId}).'),
  ),
  audit: v.pipe(
    Rows,
    v.description('The audit lines naming them (as the target, or inside a send id out:{openid}:{n}), oldest first, every column.'),
  ),
  webhookFailures: v.pipe(
    Rows,
    v.description(
      'The events about them WEBHOOK_URL never got (webhook_failures), every column; task is the event as queued, with their text.',
    ),
  ),
  cut: v.pipe(
    v.object({ audit: v.boolean(), webhookFailures: v.boolean() }),
    v.description('More than 20,000 audit lines or failed deliveries: the oldest are here.'),
  ),
})

export const UserDeletedAnswer = v.object({
  deleted: v.literal(true),
  conversation: v.pipe(v.boolean(), v.description('Their Conversation object held storage (now gone).')),
  desk: v.pipe(v.boolean(), v.description('They were at the human desk (now gone).')),
  rows: v.pipe(v.number(), v.description('D1 rows deleted or changed.')),
  media: v.pipe(v.number(), v.description('Archived images deleted.')),
})

export const USERS_ANSWERS = { UserExportAnswer, UserDeletedAnswer }
