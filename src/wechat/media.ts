/**
 * Temporary images for custom/send: fetching an image by URL, checking it is one WeChat
 * takes, and the media_id cache. WeChat keeps a temporary media_id for 3 days; we keep ours
 * for less, so a cached one is never dead.
 *
 * KV key (see STORAGE.md):
 * - `wechat:media:<appid>:<sha256 of the URL, hex>`  {media_id, createdAt}; TTL MEDIA_CACHE_SECONDS
 */
import { readAtMost } from '../bounded-read'
import { SyntheticErrcode, WechatApiError } from './api-error'
import { toHex, utf8 } from './bytes'
import { fetchWithin } from './http'
import { cachePut } from './cache'
import { isHttpsOrLoopback, isHttpUrl } from '../url'

export const MEDIA_UPLOAD_PATH = '/cgi-bin/media/upload'

/**
 * The docs disagree (mini program page: no limit stated; Official Account page: "2MB" and
 * "10M"): the stricter one.
 */
export const IMAGE_MAX_BYTES = 2 * 1024 * 1024

/** The formats every revision of the docs accepts (GIF only in some): JPEG and PNG. */
export type ImageType = 'image/jpeg' | 'image/png'

/** 2.5 days: well inside the 3-day life of a temporary media_id. */
export const MEDIA_CACHE_SECONDS = 60 * 60 * 60

export interface CachedMedia {
  media_id: string
  /** When WeChat issued it (ms since epoch). */
  createdAt: number
}

export interface FetchedImage {
  bytes: Uint8Array<ArrayBuffer>
  type: ImageType
  filename: string
}

/** Where a reply's image comes from: a URL on the web, or a file uploaded in the console (the MEDIA bucket). */
export type ImageSource = { url: string } | { file: string }

/** The cache key of a source's media_id. A file's name is a hash of its bytes, so one upload serves every rule using it. */
export async function mediaKey(appid: string, source: ImageSource): Promise<string> {
  const name = 'url' in source ? source.url : `file:${source.file}`
  const digest = await crypto.subtle.digest('SHA-256', utf8.encode(name))
  return `wechat:media:${appid}:${toHex(new Uint8Array(digest))}`
}

/** The cached media_id, or null when absent or too close to WeChat's 3-day expiry. */
export async function readCachedMedia(cache: KVNamespace, key: string, now: number): Promise<string | null> {
  const value = await cache.get<CachedMedia>(key, 'json')
  if (!value || typeof value.media_id !== 'string' || typeof value.createdAt !== 'number') return null
  return now - value.createdAt < MEDIA_CACHE_SECONDS * 1000 ? value.media_id : null
}

export async function writeCachedMedia(cache: KVNamespace, key: string, media: CachedMedia): Promise<void> {
  await cachePut(cache, key, JSON.stringify(media), MEDIA_CACHE_SECONDS, 'media')
}

/**
 * Downloads an image, refusing early (by Content-Length) or while reading anything over
 * IMAGE_MAX_BYTES, and anything whose bytes are not JPEG or PNG — whatever its
 * Content-Type says, since that is what WeChat will look at.
 */
export async function fetchImage(url: string, timeoutMs: number): Promise<FetchedImage> {
  if (!isHttpUrl(url)) throw imageError(SyntheticErrcode.imageUrl, 'not an http(s) URL')
  const redirects = { max: MAX_IMAGE_REDIRECTS, refuse: refuseImageUrl }
  const bytes = await fetchWithin(url, {}, { api: 'image fetch', timeoutMs, redirects }, readImage)
  const type = sniffImage(bytes)
  if (!type) throw imageError(SyntheticErrcode.imageType, 'not a JPEG or PNG image')
  return { bytes, type, filename: type === 'image/png' ? 'image.png' : 'image.jpg' }
}

/**
 * An image uploaded in the console, read back from the MEDIA bucket and checked again as a
 * fetched one is (the bucket is ours, but a file may have been put there by other hands).
 * A missing file is permanent: no retry brings it back.
 */
export async function readStoredImage(bucket: R2Bucket | undefined, name: string): Promise<FetchedImage> {
  const object = await bucket?.get(`${UPLOADS_PREFIX}${name}`)
  if (!object) throw imageError(SyntheticErrcode.imageUrl, 'no uploaded image of this name in MEDIA')
  if (object.size > IMAGE_MAX_BYTES) {
    await object.body.cancel()
    throw tooLarge()
  }
  const bytes = new Uint8Array(await object.arrayBuffer())
  const type = sniffImage(bytes)
  if (!type) throw imageError(SyntheticErrcode.imageType, 'not a JPEG or PNG image')
  return { bytes, type, filename: type === 'image/png' ? 'image.png' : 'image.jpg' }
}

/** The MEDIA bucket's folder of images operators upload (src/media/uploads.ts writes it). */
export const UPLOADS_PREFIX = 'uploads/'

/** Each hop is a subrequest of the delivery pass that fetches the image. */
export const MAX_IMAGE_REDIRECTS = 2

/**
 * Images come over https only: a plain-http image can be swapped on the way, and the user
 * sees it as the mini program's own (the local stand-in on loopback aside: url.ts).
 */
export function refuseImageUrl(url: URL): string | null {
  return isHttpsOrLoopback(url) ? null : 'is not https'
}

async function readImage(response: Response): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(response.headers.get('content-length') ?? NaN)
  if (declared > IMAGE_MAX_BYTES) {
    await response.body?.cancel()
    throw tooLarge()
  }
  if (!response.body) return new Uint8Array(0)
  const bytes = await readAtMost(response.body, IMAGE_MAX_BYTES)
  if (!bytes) throw tooLarge()
  return bytes
}

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const JPEG = [0xff, 0xd8, 0xff]

/** The image type by its magic bytes, or null for anything WeChat may refuse. */
export function sniffImage(bytes: Uint8Array): ImageType | null {
  if (startsWith(bytes, PNG)) return 'image/png'
  if (startsWith(bytes, JPEG)) return 'image/jpeg'
  return null
}

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  return bytes.length >= prefix.length && prefix.every((b, i) => bytes[i] === b)
}

const tooLarge = () => imageError(SyntheticErrcode.imageSize, `larger than ${IMAGE_MAX_BYTES} bytes`)

function imageError(errcode: number, errmsg: string): WechatApiError {
  return new WechatApiError({ api: 'image fetch', errcode, errmsg, kind: 'permanent' })
}
