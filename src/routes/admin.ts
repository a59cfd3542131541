/**
 * `/admin/*`: read-only views for the operator, behind `Authorization: Bearer <ADMIN_TOKEN>`.
 */
import { Hono } from 'hono/tiny'
import type { Env } from '../env'
import { isOpenid } from '../wechat/openid'
import { requireAdmin } from './admin-auth'
import { conversationOf } from '../apps'
import { appParam } from './app-param'

export const admin = new Hono<{ Bindings: Env }>()

admin.use('/admin/*', requireAdmin)

/** The user's send window, the last pushes in and replies out, and failures with reasons. */
admin.get('/admin/conversations/:openid', appParam, async (c) => {
  const openid = c.req.param('openid')
  // The openid names a Durable Object: nothing is addressed for one that cannot be real.
  if (!isOpenid(openid)) return c.text('not an openid', 400)
  const conversation = conversationOf(c.env, openid)
  return c.json(await conversation.state())
})
