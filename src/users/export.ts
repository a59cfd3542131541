/**
 * Everything kefu-edge keeps about one user, as one JSON document (issue 31:
 * `GET /admin/api/users/:openid/export`, the console's conversation page): the same stores
 * users/forget.ts deletes, read instead — their Conversation object's view (window, pushes,
 * replies, subscriptions), their D1 record row by row with every column, the desk's note and
 * queue entry, and the images they sent. Reading never creates anything (an object without
 * storage answers an empty view).
 */
import { conversationOf, deskOf } from '../settings/mini-program-state'
import type { Env } from '../settings/env'
import { retentionDays } from '../settings/conversation'
import { userNotesQuery } from '../desk/notes'
import { keptDays, listUserMedia } from '../media/user-media'
import { EXPORT_MAX_MESSAGES, userRecordQueries } from '../record/user-data'
import { all, first } from '../record/sql'
import { viewOfUser } from '../wecom/user-view'

type Row = Record<string, unknown>

export interface UserExport {
  /** The document's own version: a field added later is a new version. */
  format: 1
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
}

export async function exportUser(env: Env, appid: string, openid: string, now = Date.now()): Promise<UserExport> {
  const queries = userRecordQueries(appid, openid)
  // A 微信客服 customer's object is in their account's view.
  const object = conversationOf(await viewOfUser(env, openid), openid)
  const [state, subscriptions, conversation, messages, subs, targets, notes, queue, media] = await Promise.all([
    object.state(),
    object.subscriptions(),
    first<Row>(env.DB, queries.conversation),
    all<Row>(env.DB, queries.messages),
    all<Row>(env.DB, queries.subscriptions),
    all<Row>(env.DB, queries.campaignTargets),
    all<Row>(env.DB, userNotesQuery(appid, openid)),
    deskOf(env).item(openid),
    env.MEDIA ? listUserMedia(env.MEDIA, appid, openid, keptDays(now, retentionDays(env))) : Promise.resolve([]),
  ])
  return {
    format: 1,
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
  }
}
