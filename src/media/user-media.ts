/**
 * Images users send, kept in the MEDIA bucket: the one home of their keys. WeChat keeps a
 * pushed image (its MediaId, its PicUrl) for three days; the archive queue (archive-queue.ts)
 * copies it here so an operator opening the conversation later still sees it.
 *
 * R2 key (see STORAGE.md):
 * - `users/<appid>/<day>/<openid>/<msgId>.jpg|png|gif|webp`  the image as WeChat gave it;
 *   httpMetadata.contentType; customMetadata { msgId, at }
 *
 * `<day>` is the China day of the push (record/day.ts), first after the appid so retention
 * deletes whole old days by prefix, and a user's images are found by listing only the days
 * that can still hold them.
 */
import { dayOf, DAY_MS, lastDays } from '../record/day'
import { sniffImage } from '../wechat/media'

export const USER_MEDIA_PREFIX = 'users/'

/**
 * The most we keep of one image. WeChat's pages state no limit for what a user sends (only
 * for what we upload: 2 MB, ../shared/wechat-protocol.md §7); the chat compresses photos unless
 * the user ticks 原图, and a phone's original is a few MB. 10 MB is the largest the Official
 * Account page names for an image; anything larger is refused and recorded, not held in memory.
 */
export const USER_IMAGE_MAX_BYTES = 10 * 1024 * 1024

/** What a user's image can be: what a browser shows in an `<img>`. Anything else is refused. */
export type UserImageType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp'

const EXTENSIONS: Record<UserImageType, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
}

const GIF87 = [0x47, 0x49, 0x46, 0x38, 0x37, 0x61]
const GIF89 = [0x47, 0x49, 0x46, 0x38, 0x39, 0x61]
const RIFF = [0x52, 0x49, 0x46, 0x46]
const WEBP = [0x57, 0x45, 0x42, 0x50]

/**
 * The type by the bytes, never by what the answer declares. JPEG and PNG are what WeChat
 * delivers for photos; a sticker may come as GIF, and some clients send WEBP: all four are
 * kept and shown, as the browser renders them. Null for anything else.
 */
export function sniffUserImage(bytes: Uint8Array): UserImageType | null {
  const still = sniffImage(bytes)
  if (still !== null) return still
  if (startsWith(bytes, GIF87, 0) || startsWith(bytes, GIF89, 0)) return 'image/gif'
  if (startsWith(bytes, RIFF, 0) && startsWith(bytes, WEBP, 8)) return 'image/webp'
  return null
}

function startsWith(bytes: Uint8Array, prefix: number[], at: number): boolean {
  return bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b)
}

export function isUserImageType(value: string): value is UserImageType {
  return value in EXTENSIONS
}

/**
 * Where one image lives.
 *
 * @example
 * userMediaKey('wx1234567890abcdef', '2026-12-06', 'oUser…', '24234234234', 'image/jpeg')
 * // → 'users/wx1234567890abcdef/2026-12-06/oUser…/24234234234.jpg'
 */
export function userMediaKey(appid: string, day: string, openid: string, msgId: string, type: UserImageType): string {
  return `${userMediaPrefix(appid, day, openid)}${msgId}.${EXTENSIONS[type]}`
}

/** Every image one user sent on one day: `users/<appid>/<day>/<openid>/`. */
export function userMediaPrefix(appid: string, day: string, openid: string): string {
  return `${dayPrefix(appid, day)}${openid}/`
}

/** Every image of an app on one day: what retention deletes. */
function dayPrefix(appid: string, day: string): string {
  return `${appPrefix(appid)}${day}/`
}

function appPrefix(appid: string): string {
  return `${USER_MEDIA_PREFIX}${appid}/`
}

/**
 * The first day still kept: an image goes once its whole China day is older than
 * RETENTION_DAYS, so it lives between RETENTION_DAYS and a day more (the text of the same push
 * is cleared at RETENTION_DAYS exactly).
 */
export function firstKeptDay(now: number, retentionDays: number): string {
  return dayOf(now - retentionDays * DAY_MS)
}

/** Whether the images of `day` are still kept (retention has not deleted them, or will not have by now). */
export function isUserMediaKept(day: string, now: number, retentionDays: number): boolean {
  return day >= firstKeptDay(now, retentionDays)
}

/**
 * The days that can still hold images, oldest first: what a user's deletion or export lists.
 *
 * @example
 * const days = keptDays(Date.now(), retentionDays(env))
 * await deleteUserMedia(env.MEDIA, appid, openid, days)
 */
export function keptDays(now: number, retentionDays: number): string[] {
  return lastDays(now, Math.max(1, Math.floor(retentionDays)) + 1)
}

/**
 * The key of one image if it is stored (its extension is its type, known only once fetched),
 * else null: one listing of the user's day, narrowed to the message.
 */
export async function findUserMedia(bucket: R2Bucket, appid: string, day: string, openid: string, msgId: string): Promise<string | null> {
  const listed = await bucket.list({ prefix: `${userMediaPrefix(appid, day, openid)}${msgId}.`, limit: 1 })
  return listed.objects[0]?.key ?? null
}

export interface UserMediaItem {
  key: string
  day: string
  msgId: string
  size: number
}

/** The images one user sent on these days (each day one listing, or more for over 1,000 images). */
export async function listUserMedia(bucket: R2Bucket, appid: string, openid: string, days: readonly string[]): Promise<UserMediaItem[]> {
  const items: UserMediaItem[] = []
  for (const day of days) {
    const prefix = userMediaPrefix(appid, day, openid)
    await eachPage(bucket, prefix, (objects) => {
      for (const object of objects) {
        const name = object.key.slice(prefix.length)
        items.push({ key: object.key, day, msgId: name.replace(/\.[a-z]+$/, ''), size: object.size })
      }
    })
  }
  return items
}

/**
 * Deletes the images one user sent on these days; returns how many there were. The user's
 * deletion calls it with `keptDays`: older days hold nothing (retention deleted them).
 */
export async function deleteUserMedia(bucket: R2Bucket, appid: string, openid: string, days: readonly string[]): Promise<number> {
  let deleted = 0
  for (const day of days) {
    deleted += await deletePrefix(bucket, userMediaPrefix(appid, day, openid), Number.POSITIVE_INFINITY)
  }
  return deleted
}

export interface PruneMediaCounts {
  daysDeleted: number
  objectsDeleted: number
  /** The budget ran out: the next run goes on. */
  more: boolean
}

/** Objects deleted per cron run at most (each listing of 1,000 and its delete are two subrequests). */
export const PRUNE_MEDIA_MAX_OBJECTS = 20_000

/**
 * Retention for one app: deletes the images of every day before `firstKeptDay`, whole days by
 * prefix, oldest first, at most `maxObjects` objects (the next hourly run goes on).
 */
export async function pruneUserMedia(
  bucket: R2Bucket,
  appid: string,
  retentionDays: number,
  now: number,
  maxObjects = PRUNE_MEDIA_MAX_OBJECTS,
): Promise<PruneMediaCounts> {
  const counts: PruneMediaCounts = { daysDeleted: 0, objectsDeleted: 0, more: false }
  const keepFrom = firstKeptDay(now, retentionDays)
  for (const day of await childNames(bucket, appPrefix(appid))) {
    // Listed in key order, which is day order: the first kept day ends the work.
    if (day >= keepFrom) break
    const budget = maxObjects - counts.objectsDeleted
    if (budget <= 0) {
      counts.more = true
      break
    }
    const deleted = await deletePrefix(bucket, dayPrefix(appid, day), budget)
    counts.objectsDeleted += deleted
    if (deleted >= budget && (await bucket.list({ prefix: dayPrefix(appid, day), limit: 1 })).objects.length > 0) {
      counts.more = true
      break
    }
    counts.daysDeleted++
  }
  return counts
}

/**
 * The apps with images in the bucket, read from the bucket itself, so an app that left
 * WECHAT_APPS still has its users' images deleted on time.
 */
export async function userMediaAppids(bucket: R2Bucket): Promise<string[]> {
  return childNames(bucket, USER_MEDIA_PREFIX)
}

/** The "folder" names right under a prefix (`<prefix><name>/…`), in key order. */
async function childNames(bucket: R2Bucket, prefix: string): Promise<string[]> {
  const names: string[] = []
  let cursor: string | undefined
  for (;;) {
    const listed = await bucket.list({ prefix, delimiter: '/', ...(cursor ? { cursor } : {}) })
    for (const child of listed.delimitedPrefixes) names.push(child.slice(prefix.length, -1))
    if (!listed.truncated) break
    cursor = listed.cursor
  }
  return names.sort()
}

/** Deletes up to `max` objects under the prefix, a listing (≤ 1,000) and one delete at a time. */
async function deletePrefix(bucket: R2Bucket, prefix: string, max: number): Promise<number> {
  let deleted = 0
  while (deleted < max) {
    const listed = await bucket.list({ prefix, limit: Math.min(1000, max - deleted) })
    const keys = listed.objects.map((object) => object.key)
    if (keys.length === 0) break
    await bucket.delete(keys)
    deleted += keys.length
    if (!listed.truncated) break
  }
  return deleted
}

async function eachPage(bucket: R2Bucket, prefix: string, visit: (objects: R2Object[]) => void): Promise<void> {
  let cursor: string | undefined
  for (;;) {
    const listed = await bucket.list({ prefix, ...(cursor ? { cursor } : {}) })
    visit(listed.objects)
    if (!listed.truncated) return
    cursor = listed.cursor
  }
}
