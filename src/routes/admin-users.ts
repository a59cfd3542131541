/**
 * A user's data on request (issue 31): `GET /admin/api/users/:openid/export`, everything kept
 * about them as one JSON document, and `DELETE /admin/api/users/:openid`, the deletion WeChat's
 * cancellation push also does (users/). Both need `users` (owner, admin) and are audited: the
 * export names the user; the deletion's line names no one, only what went.
 */
import { Hono } from 'hono/tiny'
import { appidOf } from '../admin/appid'
import { auditDone } from '../admin/audit'
import { OpenidParam } from '../admin/requests'
import { exportUser } from '../users/export'
import { forgetUser, forgottenSummary } from '../users/forget'
import { params, type ApiEnv } from './admin-validation'
import { allow } from './allow'

export const adminUsers = new Hono<ApiEnv>()

adminUsers.get('/admin/api/users/:openid/export', allow('users'), params('param', OpenidParam), async (c) => {
  const appid = appidOf(c.env)
  const { openid } = c.req.valid('param')
  const document = await exportUser(c.env, appid, openid)
  await auditDone(c.env.DB, { appid, operator: c.var.operator, action: 'user_export', target: openid, summary: 'api' })
  c.header('content-disposition', `attachment; filename="kefu-user-${openid}.json"`)
  return c.json(document)
})

adminUsers.delete('/admin/api/users/:openid', allow('users'), params('param', OpenidParam), async (c) => {
  const appid = appidOf(c.env)
  const { openid } = c.req.valid('param')
  const forgotten = await forgetUser(c.env, appid, openid)
  await auditDone(c.env.DB, {
    appid,
    operator: c.var.operator,
    action: 'user_delete',
    target: null,
    summary: forgottenSummary(forgotten, 'on request (api)'),
  })
  return c.json({ deleted: true as const, ...forgotten })
})
