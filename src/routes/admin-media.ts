/**
 * `POST /admin/api/media?use=image|card|link`: an image uploaded as the body itself (not a
 * form), for a rule's `file` or `thumb_file` or a link's `thumb_url`. Needs `rules` (what may
 * edit rules may add what they show). The body is read within the use's limit and typed by its
 * bytes (media/uploads.ts); each upload leaves an audit entry (`media_upload`, the name).
 */
import { Hono } from 'hono/tiny'
import type { MediaUploadAnswer } from '../admin/answers-media'
import { auditUpload } from '../admin/upload-audit'
import { readBounded } from '../admin/body'
import { MediaUploadQuery, UPLOAD_CONTENT_TYPES } from '../admin/requests-media'
import { log } from '../log'
import { publicMediaUrl, saveUpload, UPLOAD_LIMITS } from '../media/uploads'
import { mediaBucket } from '../media/bucket'
import { params, refuse, type ApiEnv } from './admin-validation'
import { allow } from './allow'

export const adminMedia = new Hono<ApiEnv>()

adminMedia.post('/admin/api/media', allow('rules'), params('query', MediaUploadQuery), async (c) => {
  const { use } = c.req.valid('query')
  const declared = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  if (!UPLOAD_CONTENT_TYPES.includes(declared)) return refuse(c, 415, `body: must be ${UPLOAD_CONTENT_TYPES.join(', ')} (the image itself)`)
  const bucket = mediaBucket(c.env)
  if (bucket === null) return c.json({ error: 'server misconfigured: MEDIA is not bound' }, 500)
  const { maxBytes } = UPLOAD_LIMITS[use]
  // One byte past the limit is enough to know: saveUpload names the limit in its refusal.
  const bytes = await readBounded(c.req.raw, maxBytes)
  if (bytes === null) return c.json({ error: 'upload_too_large', max: maxBytes }, 413)
  const saved = await saveUpload(bucket, bytes, use, c.var.operator.id)
  if (!saved.ok) {
    const { code, ...detail } = saved.problem
    return c.json({ error: code, ...detail }, code === 'upload_too_large' ? 413 : 400)
  }
  const answer: MediaUploadAnswer = {
    name: saved.name,
    type: saved.type,
    bytes: bytes.byteLength,
    ...(use === 'link' ? { url: publicMediaUrl(new URL(c.req.url).origin, saved.name) } : {}),
  }
  await auditUpload(c.env, c.var.operator, { name: saved.name, use, bytes: bytes.byteLength })
  log.info('media.uploaded', { by: c.var.operator.id, name: saved.name, use, bytes: bytes.byteLength })
  return c.json(answer, 201)
})
