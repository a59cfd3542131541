/**
 * Signing in to the console. The operator types ADMIN_TOKEN once; the browser then holds a
 * signed, expiring session cookie — HttpOnly (no script can read it), Secure, SameSite=Strict
 * (no other site's form or link carries it), scoped to /admin — never the token itself and
 * never a URL. Signed with the token: changing ADMIN_TOKEN signs everyone out.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie'
import { timingSafeEqual } from 'hono/utils/buffer'
import type { Env } from '../env'

export const SESSION_COOKIE = 'kefu_session'
/** A working day: the operator signs in again the next morning. */
export const SESSION_SECONDS = 12 * 60 * 60

type ConsoleContext = Context<{ Bindings: Env }>

/** True and a session cookie set when `token` is the admin token; false otherwise (or unset). */
export async function signIn(c: ConsoleContext, token: string, now: number): Promise<boolean> {
  const expected = c.env.ADMIN_TOKEN
  if (!expected || token === '' || !(await timingSafeEqual(token, expected))) return false
  const expiresAt = now + SESSION_SECONDS * 1000
  await setSignedCookie(c, SESSION_COOKIE, String(expiresAt), expected, {
    path: '/admin',
    httpOnly: true,
    secure: true,
    sameSite: 'Strict',
    maxAge: SESSION_SECONDS,
  })
  return true
}

export function signOut(c: ConsoleContext): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/admin', secure: true })
}

/** Whether the request carries a session signed with today's token that has not expired. */
export async function hasSession(c: ConsoleContext, now: number): Promise<boolean> {
  const secret = c.env.ADMIN_TOKEN
  if (!secret) return false
  const value = await getSignedCookie(c, secret, SESSION_COOKIE)
  if (!value) return false
  const expiresAt = Number(value)
  return Number.isFinite(expiresAt) && expiresAt > now
}

/**
 * Console pages without a session answer the sign-in page (401), whatever they hold: a wrong
 * or missing token sees nothing else.
 */
export function requireSession(signInPage: (c: ConsoleContext) => Response | Promise<Response>): MiddlewareHandler<{ Bindings: Env }> {
  return async (c, next) => {
    if (await hasSession(c, Date.now())) return next()
    return signInPage(c)
  }
}
