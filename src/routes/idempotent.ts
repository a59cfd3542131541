/**
 * The admin API's `Idempotency-Key` header on the routes that send or start something
 * (admin/idempotency.ts says what it promises). Without the header a request runs as before.
 * A repeat gets the first answer with `Idempotent-Replayed: true`; a repeat while the first
 * still runs a 409 `in_progress`; the key sent with another body or route a 422.
 */
import type { MiddlewareHandler } from 'hono'
import { appidOf } from '../settings/env'
import { readBounded } from '../admin/body'
import { claimKey, fingerprintOf, IDEMPOTENCY_KEY, keepsAnswer, releaseKey, settleKey } from '../admin/idempotency'
import { log } from '../log'
import type { ApiEnv } from './admin-validation'

/** Larger than any body these routes take (their own bound answers 413 before any send). */
const FINGERPRINT_MAX_BYTES = 256 * 1024

export const idempotent: MiddlewareHandler<ApiEnv> = async (c, next) => {
  const key = c.req.header('idempotency-key')
  if (key === undefined) return next()
  if (!IDEMPOTENCY_KEY.test(key)) return c.json({ error: 'Idempotency-Key: must be 1 to 255 visible ASCII characters' }, 400)
  // Read from a copy: the route reads the body itself, within its own bound.
  const body = await readBounded(c.req.raw.clone(), FINGERPRINT_MAX_BYTES)
  if (body === null) return next()
  const id = { appid: appidOf(c.env), key }
  const claim = await claimKey(c.env.DB, id, await fingerprintOf(c.req.method, c.req.path, body), Date.now())
  switch (claim.kind) {
    case 'mismatch':
      return c.json({ error: 'Idempotency-Key: was used for another request' }, 422)
    case 'in_progress':
      c.header('retry-after', '1')
      return c.json({ error: 'in_progress' }, 409)
    case 'replay':
      log.info('admin.replayed', { path: c.req.path })
      return new Response(claim.body, {
        status: claim.status,
        headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' },
      })
    case 'new':
      break
  }
  try {
    await next()
  } catch (error) {
    await releaseKey(c.env.DB, id)
    throw error
  }
  if (keepsAnswer(c.res.status)) await settleKey(c.env.DB, id, c.res.status, await c.res.clone().text())
  else await releaseKey(c.env.DB, id)
}
