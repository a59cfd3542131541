/**
 * Everything kefu-edge keeps about one user, as one JSON document (issue 31:
 * `GET /admin/api/users/:openid/export`, the console's conversation page): the same stores
 * users/forget.ts deletes, read instead — their Conversation object's view (window, pushes,
 * replies, subscriptions), their D1 record row by row with every column, the desk's note and
 * queue entry, the images they sent, the audit lines that name them and the webhook
 * deliveries about them given up on. Reading never creates anything (an object without
 * storage answers an empty view).
 */
import { conversationOf, deskOf } from '../settings/mini-program-state'
import type { Env } from '../settings/env'
import { retentionDays } from '../settings/conversation'
import { userNotesQuery } from '../desk/notes'
import { keptDays, listUserMedia } from '../media/user-media'
import { EXPORT_MAX_MESSAGES, userRecordQueries } from '../record/user-data'
import { all, first, statement, type Statement } from '../record/sql'
import { userFailuresQuery } from '../webhooks/store'
import { viewOfUser } from '../wecom/user-view'

type Row = Record<string, unknown>

export interface UserExport {
  /** The document's own version: a field added later is a new version (2: audit, webhookFailures, cut). */
  format: 2
  appid: string
  openid: string
  exportedAt: string
  /** What the user's Conversation object holds: the window, the latest pushes and replies, subscriptions. */
  conversation: unknown
  subscriptions: unknown
  record: {
    conversation: Row | null
    messages: Row[]
    /** More messages than EXPORT_MAX_MESSAGES: the oldest are here, and this says so. */
    messagesCut: boolean
    subscriptions: Row[]
    campaignTargets: Row[]
  }
  desk: { queue: unknown; notes: Row[] }
  /** The images they sent, kept in MEDIA: the console shows each at `/admin/conversations/<openid>/media/<msgId>`. */
  media: { day: string; msgId: string; bytes: number }[]
  /** The audit log's lines naming them (an operator's reply, retry, send or export), oldest first, every column. */
  audit: Row[]
  /** The events about them WEBHOOK_URL never got (webhook_failures), every column: `task` as queued, with their text. */
  webhookFailures: Row[]
  /** More audit lines or failed deliveries than EXPORT_MAX_MESSAGES: the oldest are here. */
  cut: { audit: boolean; webhookFailures: boolean }
}

/**
 * The audit lines that name the user: the entries admin/audit.ts's forgetUserStatement
 * rewrites on their deletion — their openid as the target, or inside a send id
 * (`out:<openid>:<n>`; substr, not LIKE, whose `_` an openid holds).
 */
function userAuditQuery(appid: string, openid: string, limit: number): Statement {
  const sendPrefix = `out:${openid}:`
  return statement('SELECT * FROM audit WHERE appid = ?1 AND (target = ?2 OR substr(target, 1, ?3) = ?4) ORDER BY at, id LIMIT ?5', [
    appid,
    openid,
    sendPrefix.length,
    sendPrefix,
    limit,
  ])
}

export async function exportUser(env: Env, appid: string, openid: string, now = Date.now()): Promise<UserExport> {
  const queries = userRecordQueries(appid, openid)
  // A 微信客服 customer's object is in their account's view.
  const object = conversationOf(await viewOfUser(env, openid), openid)
  const [state, subscriptions, conversation, messages, subs, targets, notes, queue, media, audit, failures] = await Promise.all([
    object.state(),
    object.subscriptions(),
    first<Row>(env.DB, queries.conversation),
    all<Row>(env.DB, queries.messages),
    all<Row>(env.DB, queries.subscriptions),
    all<Row>(env.DB, queries.campaignTargets),
    all<Row>(env.DB, userNotesQuery(appid, openid)),
    deskOf(env).item(openid),
    env.MEDIA ? listUserMedia(env.MEDIA, appid, openid, keptDays(now, retentionDays(env))) : Promise.resolve([]),
    all<Row>(env.DB, userAuditQuery(appid, openid, EXPORT_MAX_MESSAGES + 1)),
    all<Row>(env.DB, userFailuresQuery(appid, openid, EXPORT_MAX_MESSAGES + 1)),
  ])
  return {
    format: 2,
    appid,
    openid,
    exportedAt: new Date(now).toISOString(),
    conversation: state,
    subscriptions,
    record: {
      conversation,
      messages: messages.slice(0, EXPORT_MAX_MESSAGES),
      messagesCut: messages.length > EXPORT_MAX_MESSAGES,
      subscriptions: subs,
      campaignTargets: targets,
    },
    desk: { queue, notes },
    media: media.map((item) => ({ day: item.day, msgId: item.msgId, bytes: item.size })),
    audit: audit.slice(0, EXPORT_MAX_MESSAGES),
    webhookFailures: failures.slice(0, EXPORT_MAX_MESSAGES),
    cut: { audit: audit.length > EXPORT_MAX_MESSAGES, webhookFailures: failures.length > EXPORT_MAX_MESSAGES },
  }
}
