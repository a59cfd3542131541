/**
 * Uploaded images served back (media/uploads.ts):
 * - `GET /admin/media/:name`: the console's view, behind its sign-in (any role:
 *   console/routes-media.ts, so that the push path bundles no console);
 * - `GET /media/:name`: anyone's — WeChat's client fetches a link's `thumb_url` from here —
 *   and only for an image uploaded as a link's thumbnail (`public: '1'`): a reply's image or a
 *   card's cover is sent to WeChat as media and never needs to be public.
 * Anything else, an unknown name or one that is not an upload's, is a 404. The bytes never
 * change under a name (it is their hash), hence `immutable`; `nosniff` and a sandbox CSP
 * keep a stored file from ever being run as a page.
 */
import { Hono } from 'hono/tiny'
import { isUploadName } from '../media/uploads'
import { mediaBucket } from '../media/bucket'
import type { Env } from '../settings/env'
import { UPLOADS_PREFIX } from '../wechat/media'

/** A day in the browser of whoever is signed in: long enough for an editing session, never shared. */
export const CONSOLE_MEDIA_CACHE = 'private, max-age=86400, immutable'
export const PUBLIC_MEDIA_CACHE = 'public, max-age=31536000, immutable'

const SERVED_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png'])

/** The stored image as an answer, or null when there is none of that name (or it is not public, when asked). */
export async function serveUpload(env: Env, name: string, options: { publicOnly: boolean; cache: string }): Promise<Response | null> {
  if (!isUploadName(name)) return null
  const bucket = mediaBucket(env)
  if (bucket === null) return null
  const object = await bucket.get(`${UPLOADS_PREFIX}${name}`)
  if (object === null) return null
  if (options.publicOnly && object.customMetadata?.public !== '1') {
    await object.body.cancel()
    return null
  }
  const stored = object.httpMetadata?.contentType ?? ''
  return new Response(object.body, {
    headers: {
      // Only the two types uploads are: anything else put in the bucket by other hands is bytes.
      'content-type': SERVED_TYPES.has(stored) ? stored : 'application/octet-stream',
      'content-length': String(object.size),
      etag: object.httpEtag,
      'cache-control': options.cache,
      'x-content-type-options': 'nosniff',
      'content-security-policy': 'sandbox',
    },
  })
}

export const publicMedia = new Hono<{ Bindings: Env }>()

publicMedia.get('/media/:name', async (c) => {
  const answer = await serveUpload(c.env, c.req.param('name'), { publicOnly: true, cache: PUBLIC_MEDIA_CACHE })
  return answer ?? c.text('not found', 404)
})
