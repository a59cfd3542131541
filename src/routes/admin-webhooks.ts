/**
 * Webhook deliveries over the admin API (issue 31): those the queue gave up on, newest first,
 * and an operator's retry of one (the same delivery id, queued again; audited). Both need
 * `campaigns` (admin and owner), as the console's page does: the events' data may hold a
 * user's text.
 */
import { Hono } from 'hono/tiny'
import { appidOf } from '../settings/env'
import { DeliveryIdParam } from '../admin/requests-webhooks'
import { retryDelivery } from '../webhooks/retry'
import { failureView, listFailures } from '../webhooks/store'
import { params, type ApiEnv } from './admin-validation'
import { allow } from './allow'
import { idempotent } from './idempotent'

/** As many as the console shows. */
const LISTED = 100

export const adminWebhooks = new Hono<ApiEnv>()

adminWebhooks.get('/admin/api/webhooks/failed', allow('campaigns'), async (c) => {
  const rows = await listFailures(c.env.DB, appidOf(c.env), LISTED)
  return c.json({ items: rows.map(failureView) })
})

adminWebhooks.post('/admin/api/webhooks/:id/retry', allow('campaigns'), idempotent, params('param', DeliveryIdParam), async (c) => {
  const { id } = c.req.valid('param')
  const result = await retryDelivery(c.env, appidOf(c.env), id, c.var.operator)
  if (result.ok) return c.json({ id, status: 'retrying' as const }, 202)
  if (result.problem === 'not_found') return c.json({ error: 'not_found' }, 404)
  if (result.problem === 'retrying') return c.json({ error: 'retrying' }, 409)
  return c.json({ error: 'queue_failed' }, 503)
})
