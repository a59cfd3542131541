/**
 * Signing in to the console. The operator types ADMIN_TOKEN once; the browser then holds a
 * session cookie — HttpOnly (no script can read it), Secure, SameSite=Strict (no other site's
 * form or link carries it), scoped to /admin — never the token itself and never a URL.
 *
 * The cookie holds a random session id, signed with a key derived from the token for this
 * one purpose (HKDF): a stolen cookie says nothing that helps guess the token offline, and
 * changing ADMIN_TOKEN signs everyone out. The Sessions object (auth/sessions.ts) knows which
 * ids are open, so signing out ends the session on the server — a copied cookie stops
 * working with it — and "sign out everywhere" ends them all.
 */
import type { MiddlewareHandler } from 'hono'
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie'
import { clientAddress, tryToken, unusableToken, type UnusableToken } from '../auth/admin-token'
import { auditDone } from '../admin/audit'
import { operatorById, tokenOperatorId, type Operator } from '../auth/operators'
import { sessionsOf } from '../auth/sessions'
import { can } from '../auth/roles'
import { accessSignIn } from '../auth/access'
import { log } from '../log'
import { toBase64, toHex, utf8 } from '../wechat/bytes'

export const SESSION_COOKIE = 'kefu_session'
/** A working day: the operator signs in again the next morning. */
export const SESSION_SECONDS = 12 * 60 * 60

import type { ConsoleContext, ConsoleEnv } from './context'
import { accessUnknownPage } from './pages/access-unknown'

const COOKIE_OPTIONS = { path: '/admin', httpOnly: true, secure: true, sameSite: 'Strict' } as const

/** What a sign-in came to: a session, or why not. */
export type SignIn =
  | { outcome: 'ok'; operator: Operator }
  | { outcome: 'wrong' }
  | { outcome: 'locked'; retryAfterSeconds: number }
  | UnusableToken

/**
 * Checks `token` (ADMIN_TOKEN or a personal token) at the console's door; on success a new
 * session of that operator and its cookie. Sessions are signed with a key derived from
 * ADMIN_TOKEN, so a deployment without a usable one has no console sessions at all.
 */
export async function signIn(c: ConsoleContext, token: string, now: number): Promise<SignIn> {
  const address = clientAddress(c.req.raw.headers)
  const unusable = unusableToken(c.env)
  if (unusable) return unusable
  const attempt = await tryToken(c.env, address, token, now)
  if (attempt.outcome !== 'ok') {
    if (attempt.outcome === 'locked') log.warn('admin.locked', { door: 'console', address, retryAfter: attempt.retryAfterSeconds })
    if (attempt.outcome === 'wrong') log.info('admin.refused', { door: 'console', address })
    if (attempt.outcome === 'wrong' || attempt.outcome === 'locked') {
      // Who tried from where; never what was typed. The operator a personal token names is no secret.
      const summary = `from ${address ?? 'an unknown address'}${attempt.outcome === 'locked' ? ', locked' : ''}`
      const target = tokenOperatorId(token)
      await auditDone(c.env.DB, { appid: '', operator: null, action: 'sign_in_failed', target, summary }, now)
    }
    return attempt
  }
  const id = randomId()
  const expiresAt = now + SESSION_SECONDS * 1000
  await sessionsOf(c.env).open(await sha256(id), attempt.operator.id, expiresAt, now)
  await setSignedCookie(c, SESSION_COOKIE, id, await sessionKey(c.env.ADMIN_TOKEN ?? ''), { ...COOKIE_OPTIONS, maxAge: SESSION_SECONDS })
  log.info('console.signed_in', { address, operator: attempt.operator.id })
  await auditDone(
    c.env.DB,
    { appid: '', operator: attempt.operator, action: 'sign_in', summary: `from ${address ?? 'an unknown address'}` },
    now,
  )
  return attempt
}

/** Ends this browser's session (everywhere: every session) and forgets its cookie. */
export async function signOut(c: ConsoleContext, everywhere: boolean): Promise<void> {
  const id = await sessionIdOf(c)
  deleteCookie(c, SESSION_COOKIE, { path: '/admin', secure: true })
  if (id === null) return
  const sessions = sessionsOf(c.env)
  if (!everywhere) return sessions.close(await sha256(id))
  const now = Date.now()
  // Asked before the sessions end: whose session asked for it. The owner's ends everyone's (a
  // leaked token, someone leaving); anyone else's ends their own.
  const operator = await sessionOperator(c, now)
  if (operator === null) return
  const everyone = can(operator.role, 'operators')
  const closed = everyone ? await sessions.closeAll(now) : await sessions.closeOperator(operator.id)
  log.info('console.signed_out_everywhere', { operator: operator.id, everyone, sessions: closed })
  const summary = `${closed} sessions ended${everyone ? ', everyone' : ''}`
  await auditDone(c.env.DB, { appid: '', operator, action: 'sign_out_everywhere', summary }, now)
}

/**
 * Who the request's session belongs to: signed for today's key, not ended, not expired, and
 * its operator still there (a removed operator's sessions end with them); else null.
 */
export async function sessionOperator(c: ConsoleContext, now: number): Promise<Operator | null> {
  const id = await sessionIdOf(c)
  if (id === null) return null
  const operatorId = await sessionsOf(c.env).operatorOf(await sha256(id), now)
  return operatorId === null ? null : operatorById(c.env.DB, operatorId)
}

/** The session id of a cookie signed with today's key; null for none, a forged one, or an unusable token. */
async function sessionIdOf(c: ConsoleContext): Promise<string | null> {
  if (unusableToken(c.env)) return null
  const value = await getSignedCookie(c, await sessionKey(c.env.ADMIN_TOKEN ?? ''), SESSION_COOKIE)
  return value || null
}

/**
 * Console pages without a session answer the sign-in page (401), whatever they hold: a wrong
 * or missing token sees nothing else. Behind Cloudflare Access (ACCESS_TEAM_DOMAIN and
 * ACCESS_AUD set), the `Cf-Access-Jwt-Assertion` Access sends with every request signs in the
 * operator with its email, no cookie needed (and nothing audited: it is every request). An
 * email no operator has gets the ask-the-owner page (403) unless a session says who it is;
 * an assertion that does not hold counts for nothing.
 */
export function requireSession(signInPage: (c: ConsoleContext) => Response | Promise<Response>): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const now = Date.now()
    const access = await accessSignIn(c.env, c.req.raw.headers, now)
    const operator = access?.outcome === 'ok' ? access.operator : await sessionOperator(c, now)
    if (operator === null) return access?.outcome === 'unknown' ? accessUnknownPage(c, access.email) : signInPage(c)
    c.set('operator', operator)
    return next()
  }
}

// ---------------------------------------------------------------- keys and ids

/** Derived once per token per isolate (HKDF costs a few microseconds, but every page asks). */
const keys = new Map<string, Promise<ArrayBuffer>>()

/** The cookie's signing key: HKDF-SHA-256 of the token, for this purpose only. */
export function sessionKey(token: string): Promise<ArrayBuffer> {
  let key = keys.get(token)
  if (key === undefined) {
    key = crypto.subtle
      .importKey('raw', utf8.encode(token), 'HKDF', false, ['deriveBits'])
      .then((base) =>
        crypto.subtle.deriveBits(
          { name: 'HKDF', hash: 'SHA-256', salt: utf8.encode('kefu-edge'), info: utf8.encode('console session cookie v1') },
          base,
          256,
        ),
      )
    keys.clear()
    keys.set(token, key)
  }
  return key
}

/** 32 random bytes, base64: what the cookie carries (signed cookies are URI-encoded). */
function randomId(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(32)))
}

/** What the Sessions object keeps of an id: its SHA-256, hex. */
async function sha256(id: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(id))))
}
