/**
 * `GET /admin/conversations/:openid/media/:msgId`: an image a user sent, as the archive kept it
 * (media/archive-queue.ts), for the console's conversation page, behind its sign-in (any role
 * that sees the conversation). The key is found from the message's own D1 row in the
 * signed-in mini program (its day, its `media`): nothing in the URL but the user and the
 * message is trusted, and another app's message, one not archived, or one retention deleted is
 * a 404. `nosniff` and a sandbox CSP keep the stored bytes from ever being run as a page.
 */
import { Hono } from 'hono/tiny'
import { appidOf } from '../settings/env'
import { guard, type ConsoleEnv } from '../console/context'
import { readMediaRow } from '../media/archive-record'
import { mediaBucket } from '../media/bucket'
import { findUserMedia, isUserImageType } from '../media/user-media'
import { OPENID } from '../wechat/openid'
import { CONSOLE_MEDIA_CACHE } from './media'

export const userMedia = new Hono<ConsoleEnv>()

const MSG_ID = /^\d{1,20}$/

userMedia.get('/admin/conversations/:openid/media/:msgId', guard, async (c) => {
  const openid = c.req.param('openid')
  const msgId = c.req.param('msgId')
  if (!OPENID.test(openid) || !MSG_ID.test(msgId)) return c.text('not found', 404)
  const appid = appidOf(c.env)
  const row = await readMediaRow(c.env.DB, appid, openid, msgId)
  if (row === null || row.media !== 'archived') return c.text('not found', 404)
  const bucket = mediaBucket(c.env)
  if (bucket === null) return c.text('not found', 404)
  const key = await findUserMedia(bucket, appid, row.day, openid, msgId)
  const object = key === null ? null : await bucket.get(key)
  if (object === null) return c.text('not found', 404)
  const stored = object.httpMetadata?.contentType ?? ''
  return new Response(object.body, {
    headers: {
      // Only the types the archive stores: anything else put in the bucket by other hands is bytes.
      'content-type': isUserImageType(stored) ? stored : 'application/octet-stream',
      'content-length': String(object.size),
      etag: object.httpEtag,
      // The bytes never change under a message; private: a user's picture is personal data.
      'cache-control': CONSOLE_MEDIA_CACHE,
      'x-content-type-options': 'nosniff',
      'content-security-policy': 'sandbox',
    },
  })
})
