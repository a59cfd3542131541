/**
 * The operator's bearer token, checked one way everywhere: the `/admin/*` guard and the
 * details `/healthz` shows an operator. Hono's bearer-auth compares hashes of the tokens, so
 * the check takes the same time whatever was sent.
 */
import type { Context } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { timingSafeEqual } from 'hono/utils/buffer'
import { requireSetting, type Env } from '../env'

type AppContext = Context<{ Bindings: Env }>

/** Without ADMIN_TOKEN every admin request answers 500 naming the setting. */
export const requireAdmin = bearerAuth({
  verifyToken: (token, c) => timingSafeEqual(token, requireSetting(c.env as Env, 'ADMIN_TOKEN')),
})

const BEARER = /^Bearer +(\S+)$/

/**
 * Whether the request carries the admin token. False, never an error, when the header is
 * absent or malformed or ADMIN_TOKEN is unset: the caller serves its public view instead.
 */
export async function isAdmin(c: AppContext): Promise<boolean> {
  const expected = c.env.ADMIN_TOKEN
  const sent = BEARER.exec(c.req.header('authorization') ?? '')?.[1]
  if (!expected || !sent) return false
  return timingSafeEqual(sent, expected)
}
