/**
 * The D1 side of users' images: `messages.media` (migrations/0011_user_media.sql) on the
 * inbound image's row, written by the archive queue and read by the console's picture route.
 * The row is the record's (record/write.ts inserts it); only this column is ours.
 */
import { DAY_MS } from '../record/day'
import { first, prepare, statement, type Statement } from '../record/sql'
import { isUserMediaKept } from './user-media'

/** What `messages.media` holds: NULL until the archive has tried, then one of these. */
export type MediaOutcome = { kind: 'archived' } | { kind: 'failed'; reason: string }

/**
 * `messages.media` once the user took their images back (RevokeInfo 14): the image is gone
 * from MEDIA and the archive never stores it again, whatever it was before (NULL, pending, too).
 */
export const MEDIA_DELETED = 'deleted'

/** The reason as stored: short, like every reason in the record. */
const REASON_CHARS = 200

export function mediaColumn(outcome: MediaOutcome): string {
  return outcome.kind === 'archived' ? 'archived' : `failed: ${outcome.reason}`.slice(0, REASON_CHARS)
}

/** The inbound row of a push: its dedup key, as the Conversation object records it (`msg:<MsgId>`). */
export const inboundId = (msgId: string): string => `msg:${msgId}`

/**
 * The outcome on the row. `archived` is never replaced: a late, redelivered task that failed
 * cannot hide an image that is there; nor is `deleted`. Touches the row whenever it exists and
 * is not `deleted`, so no change means the row is gone (the user was deleted) or says
 * `deleted` (they revoked their images): the archive then deletes what it stored.
 */
export function recordMediaStatement(appid: string, openid: string, msgId: string, outcome: MediaOutcome): Statement {
  return statement(
    `UPDATE messages SET media = CASE WHEN media = 'archived' THEN media ELSE ?4 END
     WHERE appid = ?1 AND openid = ?3 AND id = ?2 AND direction = 'in' AND media IS NOT '${MEDIA_DELETED}'`,
    [appid, inboundId(msgId), openid, mediaColumn(outcome)],
  )
}

/**
 * RevokeInfo 14: every image row of the user says `deleted`, those the archive has not done
 * yet included. Run before their images are deleted from MEDIA, so a task storing one at the
 * same time finds its row `deleted` when it records, and deletes what it stored.
 */
export function withdrawUserImagesStatement(appid: string, openid: string): Statement {
  return statement(
    `UPDATE messages SET media = '${MEDIA_DELETED}'
     WHERE appid = ?1 AND openid = ?2 AND direction = 'in' AND kind = 'image' AND media IS NOT '${MEDIA_DELETED}'`,
    [appid, openid],
  )
}

/** Whether the row was there to take it (false: it is gone or says `deleted`). */
export async function recordMedia(db: D1Database, appid: string, openid: string, msgId: string, outcome: MediaOutcome): Promise<boolean> {
  const result = await prepare(db, recordMediaStatement(appid, openid, msgId, outcome)).run()
  return result.meta.changes > 0
}

export interface MediaRow {
  day: string
  media: string | null
}

/**
 * One user's inbound image row, null when it is not theirs or not an image. The key's time is
 * not in the task, so this and recordMediaStatement search the user's part of the key, which
 * holds their messages only.
 */
export function mediaRowQuery(appid: string, openid: string, msgId: string): Statement {
  return statement(`SELECT day, media FROM messages WHERE appid = ?1 AND openid = ?3 AND id = ?2 AND direction = 'in' AND kind = 'image'`, [
    appid,
    inboundId(msgId),
    openid,
  ])
}

export function readMediaRow(db: D1Database, appid: string, openid: string, msgId: string): Promise<MediaRow | null> {
  return first<MediaRow>(db, mediaRowQuery(appid, openid, msgId))
}

/** What the console shows for a user's image. */
export type ImageState = 'shown' | 'saving' | 'failed' | 'expired' | 'deleted'

/** WeChat keeps a pushed image this long: until then, an image not yet archived may still be. */
const WECHAT_MEDIA_MS = 3 * DAY_MS

/**
 * The image as the console shows it: the picture while it is archived and retention has not
 * deleted its day; why not otherwise (`deleted`: the user took it back). A row from before the archive (NULL) is shown as saving
 * only while WeChat could still hand it over, then as expired. Never the PicUrl: it dies with
 * WeChat's copy and leads to WeChat's CDN.
 */
export function imageState(media: string | null, day: string, at: number, now: number, retentionDays: number): ImageState {
  if (media === 'archived') return isUserMediaKept(day, now, retentionDays) ? 'shown' : 'expired'
  if (media === MEDIA_DELETED) return 'deleted'
  if (media !== null) return 'failed'
  return now - at < WECHAT_MEDIA_MS ? 'saving' : 'expired'
}

/** Where the console fetches a user's archived image (routes/user-media.ts serves it, signed in). */
export function userImagePath(openid: string, msgId: string): string {
  return `/admin/conversations/${encodeURIComponent(openid)}/media/${encodeURIComponent(msgId)}`
}
