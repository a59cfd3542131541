/**
 * A user's data on request (issue 31): `GET /admin/api/users/:openid/export`, everything kept
 * about them as one JSON document, and `DELETE /admin/api/users/:openid`, the deletion WeChat's
 * cancellation push also does (users/). Both need `users` (owner, admin) and are audited: the
 * export names the user; the deletion's line names no one, only what went.
 */
import { Hono } from 'hono/tiny'
import { appidOf } from '../settings/env'
import { OpenidParam } from '../admin/requests'
import { exportRequested, forgetRequested } from '../users/requests'
import { params, type ApiEnv } from './admin-validation'
import { allow } from './allow'

export const adminUsers = new Hono<ApiEnv>()

adminUsers.get('/admin/api/users/:openid/export', allow('users'), params('param', OpenidParam), async (c) => {
  const appid = appidOf(c.env)
  const { openid } = c.req.valid('param')
  const document = await exportRequested(c.env, appid, c.var.operator, openid, 'api')
  c.header('content-disposition', `attachment; filename="kefu-user-${openid}.json"`)
  return c.json(document)
})

adminUsers.delete('/admin/api/users/:openid', allow('users'), params('param', OpenidParam), async (c) => {
  const appid = appidOf(c.env)
  const { openid } = c.req.valid('param')
  const forgotten = await forgetRequested(c.env, appid, c.var.operator, openid, 'api')
  return c.json({ deleted: true as const, ...forgotten })
})
