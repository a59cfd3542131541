/**
 * The D1 side of users' images: `messages.media` (migrations/0011_user_media.sql) on the
 * inbound image's row, written by the archive queue and read by the console's picture route.
 * The row is the record's (record/write.ts inserts it); only this column is ours.
 */
import { first, prepare, statement, type Statement } from '../record/sql'

/** What `messages.media` holds: NULL until the archive has tried, then one of these. */
export type MediaOutcome = { kind: 'archived' } | { kind: 'failed'; reason: string }

/** The reason as stored: short, like every reason in the record. */
const REASON_CHARS = 200

export function mediaColumn(outcome: MediaOutcome): string {
  return outcome.kind === 'archived' ? 'archived' : `failed: ${outcome.reason}`.slice(0, REASON_CHARS)
}

/** The inbound row of a push: its dedup key, as the Conversation object records it (`msg:<MsgId>`). */
export const inboundId = (msgId: string): string => `msg:${msgId}`

/**
 * The outcome on the row. `archived` is never replaced: a late, redelivered task that failed
 * cannot hide an image that is there. Touches the row whenever it exists, so no change
 * means the record has not got the push yet.
 */
export function recordMediaStatement(appid: string, openid: string, msgId: string, outcome: MediaOutcome): Statement {
  return statement(
    `UPDATE messages SET media = CASE WHEN media = 'archived' THEN media ELSE ?4 END
     WHERE appid = ?1 AND id = ?2 AND openid = ?3 AND direction = 'in'`,
    [appid, inboundId(msgId), openid, mediaColumn(outcome)],
  )
}

/** Whether the row was there to take it (false: D1 has not got the push yet). */
export async function recordMedia(db: D1Database, appid: string, openid: string, msgId: string, outcome: MediaOutcome): Promise<boolean> {
  const result = await prepare(db, recordMediaStatement(appid, openid, msgId, outcome)).run()
  return result.meta.changes > 0
}

export interface MediaRow {
  day: string
  media: string | null
}

/** One user's inbound image row, by its primary key: null when it is not theirs or not an image. */
export function mediaRowQuery(appid: string, openid: string, msgId: string): Statement {
  return statement(`SELECT day, media FROM messages WHERE appid = ?1 AND id = ?2 AND openid = ?3 AND direction = 'in' AND kind = 'image'`, [
    appid,
    inboundId(msgId),
    openid,
  ])
}

export function readMediaRow(db: D1Database, appid: string, openid: string, msgId: string): Promise<MediaRow | null> {
  return first<MediaRow>(db, mediaRowQuery(appid, openid, msgId))
}
