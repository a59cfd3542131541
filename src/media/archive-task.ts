/**
 * The USER_MEDIA queue's message: one image a user sent, to be copied from WeChat's temporary
 * media into the MEDIA bucket (archive-queue.ts). The push route sends it after the push was
 * recorded; everything the consumer needs is in it, so it never reads the push again.
 */
import { isRecord } from '../is-record'

export interface UserMediaTask {
  /** The mini program (its D1 rows and its token). */
  appid: string
  openid: string
  /** The push's MsgId: the image's name, and its D1 row (`msg:<msgId>`). */
  msgId: string
  /** WeChat's temporary media_id of the image (3 days). */
  mediaId: string
  /** The push's CreateTime, epoch ms: its China day is the key's and the row's `day`. */
  at: number
}

/**
 * The attempt on which a failing task is recorded `failed` instead of retried: equal to the
 * consumer's `max_retries` in wrangler.toml, so the consumer, not the queue, has the last word.
 */
export const ARCHIVE_MAX_ATTEMPTS = 8

/** The first retry's wait; each next one is four times longer, up to an hour. */
const FIRST_RETRY_SECONDS = 10
const LONGEST_RETRY_SECONDS = 3600

/**
 * How long to wait before the next attempt after `attempts` failed ones: 10 s, 40 s, 160 s,
 * 640 s, 2560 s, then hourly — about 2.9 hours for all eight, well inside the 3 days WeChat
 * keeps the media.
 */
export function archiveRetryDelay(attempts: number): number {
  return Math.min(LONGEST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 4 ** Math.max(0, attempts - 1))
}

/** Whether a queued body is a task (a message written by an older or broken version is not). */
export function isUserMediaTask(value: unknown): value is UserMediaTask {
  return (
    isRecord(value) &&
    typeof value.appid === 'string' &&
    typeof value.openid === 'string' &&
    typeof value.msgId === 'string' &&
    /^\d{1,20}$/.test(value.msgId) &&
    typeof value.mediaId === 'string' &&
    value.mediaId !== '' &&
    typeof value.at === 'number' &&
    Number.isFinite(value.at)
  )
}
