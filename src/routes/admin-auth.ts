/**
 * The operator's bearer token at the admin API, and the details `/healthz` shows an operator:
 * both check it with tryToken (auth/admin-token.ts), as the console's sign-in does.
 * Hono's bearer-auth reads the header (401 without one, 400 when malformed); the token is
 * then compared in constant time and the attempt counted for its address: a wrong one is
 * a 401, and an address that keeps guessing gets 429 with `Retry-After`, whatever it sends.
 */
import type { Context } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { HTTPException } from 'hono/http-exception'
import { clientAddress, tryToken } from '../auth/admin-token'
import type { Operator } from '../auth/operators'
import { requireSetting, type Env } from '../settings/env'
import { log } from '../log'

type AdminContext = Context<{ Bindings: Env; Variables: { operator: Operator } }>

/** Without a usable ADMIN_TOKEN every admin request answers 500 naming the setting. */
export const requireAdmin = bearerAuth({
  verifyToken: async (token, c: AdminContext) => {
    requireSetting(c.env, 'ADMIN_TOKEN')
    const address = clientAddress(c.req.raw.headers)
    const attempt = await tryToken(c.env, address, token, Date.now())
    if (attempt.outcome === 'locked') {
      log.warn('admin.locked', { door: 'api', address, retryAfter: attempt.retryAfterSeconds })
      throw new HTTPException(429, {
        res: new Response('too many failed attempts: try again later', {
          status: 429,
          headers: { 'retry-after': String(attempt.retryAfterSeconds) },
        }),
      })
    }
    if (attempt.outcome === 'wrong') log.info('admin.refused', { door: 'api', address })
    if (attempt.outcome !== 'ok') return false
    c.set('operator', attempt.operator)
    return true
  },
})

const BEARER = /^Bearer +(\S+)$/

/**
 * Whether the request carries a token that may read every mini program's configuration: the
 * admin token, or a personal token of an operator limited to no mini programs (one limited to
 * some must not learn the others' appids and settings). False, never an error, when the header
 * is absent or malformed, ADMIN_TOKEN is unusable or the address is locked: the caller serves
 * its public view instead.
 */
export async function isAdmin(c: Context<{ Bindings: Env }>): Promise<boolean> {
  const sent = BEARER.exec(c.req.header('authorization') ?? '')?.[1]
  if (!sent) return false
  const attempt = await tryToken(c.env, clientAddress(c.req.raw.headers), sent, Date.now())
  return attempt.outcome === 'ok' && attempt.operator.apps === null
}
