/**
 * `GET /admin/api/audit`: the audit log (admin/audit.ts), newest first, keyset-paged and
 * filtered by operator or action; the mini program's entries and the deployment's (sign-ins,
 * operators). Reading it needs the `operators` permission.
 */
import { Hono } from 'hono/tiny'
import { appidOf } from '../settings/env'
import { listAudit } from '../admin/audit'
import { AuditQuery } from '../admin/requests-audit'
import { params, type ApiEnv } from './admin-validation'
import { allow } from './allow'

export const adminAudit = new Hono<ApiEnv>()

adminAudit.get('/admin/api/audit', allow('operators'), params('query', AuditQuery), async (c) => {
  const { cursor, operator, action, limit } = c.req.valid('query')
  return c.json(
    await listAudit(c.env.DB, {
      appid: appidOf(c.env),
      limit,
      ...(cursor ? { after: cursor } : {}),
      ...(operator ? { operator } : {}),
      ...(action ? { action } : {}),
    }),
  )
})
