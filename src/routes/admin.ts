/**
 * `/admin/*`: read-only views for the operator, behind `Authorization: Bearer <ADMIN_TOKEN>`.
 * Hono's bearer-auth compares hashes of the tokens, so the check takes the same time
 * whatever was sent. Without ADMIN_TOKEN every admin request answers 500 naming the setting.
 */
import { Hono } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { timingSafeEqual } from 'hono/utils/buffer'
import { requireSetting, type Env } from '../env'

export const admin = new Hono<{ Bindings: Env }>()

admin.use(
  '/admin/*',
  bearerAuth({
    verifyToken: (token, c) => timingSafeEqual(token, requireSetting(c.env as Env, 'ADMIN_TOKEN')),
  }),
)

/** The user's send window, the last pushes in and replies out, and failures with reasons. */
admin.get('/admin/conversations/:openid', async (c) => {
  const conversation = c.env.CONVERSATIONS.getByName(c.req.param('openid'))
  return c.json(await conversation.state())
})
