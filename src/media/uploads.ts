/**
 * Images operators upload (the console's forms, the admin API): checked by their bytes, named
 * by their hash and kept in the MEDIA bucket, where a reply's `file` or a card's `thumb_file`
 * finds them (wechat/media.ts `readStoredImage`) and a link's thumbnail is served from.
 *
 * R2 key (see STORAGE.md):
 * - `uploads/<sha256 of the bytes, hex>.jpg|png`  the image; httpMetadata.contentType;
 *   customMetadata { use, uploadedBy, public? } — `public: '1'` only once uploaded for a link
 */
import { MEDIA_FILE } from '../rules/schema'
import { toHex } from '../wechat/bytes'
import { IMAGE_MAX_BYTES, type ImageType, sniffImage, UPLOADS_PREFIX } from '../wechat/media'

/** Where an image is used: a reply's image, a mini-program card's cover, a link's thumbnail. */
export type MediaUse = 'image' | 'card' | 'link'

export const MEDIA_USES: readonly MediaUse[] = ['image', 'card', 'link']

export type UploadProblem = { code: 'upload_empty' } | { code: 'upload_not_image' } | { code: 'upload_too_large'; max: number }

export type UploadOutcome = { ok: true; name: string; type: ImageType } | { ok: false; problem: UploadProblem }

const JPEG_PNG: readonly ImageType[] = ['image/jpeg', 'image/png']

/**
 * What WeChat takes for each use (checked 2026-12 against the mini program's custom/send and
 * uploadTempMedia pages, and ../shared/wechat-protocol.md §6–7):
 * - `image`: uploaded as temporary media (`type=image`). The pages disagree (none stated;
 *   "2MB"; "10M, PNG/JPEG/JPG/GIF"): the strictest, 2 MB of JPEG or PNG, as for an image URL.
 * - `card`: `thumb_media_id` is the same kind of temporary image media, so the same limits;
 *   520×416 is only a suggested size, and we do not decode images to check dimensions.
 * - `link`: `thumb_url` "支持 JPG、PNG 格式", best 640×320 (large) or 80×80 (small); no size
 *   is stated. WeChat's client fetches it on the user's phone, so we choose 1 MB: a 640×320
 *   JPEG is tens of KB and even a PNG of it fits, and a user's data is not spent on more.
 */
export const UPLOAD_LIMITS: Record<MediaUse, { maxBytes: number; types: readonly ImageType[] }> = {
  image: { maxBytes: IMAGE_MAX_BYTES, types: JPEG_PNG },
  card: { maxBytes: IMAGE_MAX_BYTES, types: JPEG_PNG },
  link: { maxBytes: 1024 * 1024, types: JPEG_PNG },
}

/** The most any use takes: what a request body may be before it is refused unread. */
export const UPLOAD_MAX_BYTES = Math.max(...MEDIA_USES.map((use) => UPLOAD_LIMITS[use].maxBytes))

export function isMediaUse(value: unknown): value is MediaUse {
  return typeof value === 'string' && (MEDIA_USES as readonly string[]).includes(value)
}

/** Whether a name is one `saveUpload` gives (64 hex characters, .jpg or .png): anything else is never looked up. */
export function isUploadName(name: string): boolean {
  return MEDIA_FILE.test(name)
}

/** The problem with these bytes for this use, or their type. Pure: the route and the tests share it. */
export function checkUpload(bytes: Uint8Array, use: MediaUse): { ok: true; type: ImageType } | { ok: false; problem: UploadProblem } {
  if (bytes.byteLength === 0) return { ok: false, problem: { code: 'upload_empty' } }
  const limits = UPLOAD_LIMITS[use]
  if (bytes.byteLength > limits.maxBytes) return { ok: false, problem: { code: 'upload_too_large', max: limits.maxBytes } }
  // By content only: a name or a declared Content-Type says nothing WeChat will believe.
  const type = sniffImage(bytes)
  if (type === null || !limits.types.includes(type)) return { ok: false, problem: { code: 'upload_not_image' } }
  return { ok: true, type }
}

/**
 * Checks and stores an upload. The name is the bytes' SHA-256, so the same image uploaded
 * twice (or for two rules) is one object and one media_id in WeChat's cache. An image already
 * stored is not written again, unless it is now wanted for a link and was private: then it is
 * written once more, public, keeping who first uploaded it.
 *
 * @example
 * const saved = await saveUpload(env.MEDIA, bytes, 'image', operator.id)
 * if (!saved.ok) return c.json({ error: saved.problem.code }, 400)
 */
export async function saveUpload(bucket: R2Bucket, bytes: Uint8Array, use: MediaUse, uploadedBy: string): Promise<UploadOutcome> {
  const checked = checkUpload(bytes, use)
  if (!checked.ok) return checked
  const name = await uploadName(bytes, checked.type)
  const key = `${UPLOADS_PREFIX}${name}`
  const stored = await bucket.head(key)
  const wantsPublic = use === 'link'
  if (stored !== null && (!wantsPublic || stored.customMetadata?.public === '1')) return { ok: true, name, type: checked.type }
  // Two first uploads at once write the same bytes twice, which is harmless; a private one
  // landing just after a link's could drop `public`, and uploading for the link again mends it.
  const customMetadata: Record<string, string> = stored?.customMetadata
    ? { ...stored.customMetadata, public: '1' }
    : { use, uploadedBy, ...(wantsPublic ? { public: '1' } : {}) }
  await bucket.put(key, bytes, { httpMetadata: { contentType: checked.type }, customMetadata })
  return { ok: true, name, type: checked.type }
}

/** `<sha256 hex>.jpg|png`: the same bytes always get the same name. */
export async function uploadName(bytes: Uint8Array, type: ImageType): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes)
  return `${toHex(new Uint8Array(digest))}.${type === 'image/png' ? 'png' : 'jpg'}`
}

/** Where the console shows an upload (behind its sign-in). */
export function mediaPath(name: string): string {
  return `/admin/media/${name}`
}

/** Where anyone (WeChat's client) fetches a link's thumbnail: only public uploads answer there. */
export function publicMediaUrl(origin: string, name: string): string {
  return `${origin.replace(/\/+$/, '')}/media/${name}`
}
