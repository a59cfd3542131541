/**
 * Signing in to the console. The operator types ADMIN_TOKEN once; the browser then holds a
 * session cookie — HttpOnly (no script can read it), Secure, SameSite=Strict (no other site's
 * form or link carries it), scoped to /admin — never the token itself and never a URL.
 *
 * The cookie holds a random 256-bit session id and nothing else: not signed, because nothing
 * derived from the token may travel with it — a signature keyed by the token (however
 * derived) lets whoever steals a cookie test guesses of the token offline. The id is
 * unguessable, and the Sessions object (auth/sessions.ts) knows which ids are open, so
 * signing out ends the session on the server — a copied cookie stops working with it — and
 * "sign out everywhere" ends them all. Each session also keeps, on the server only, a tag of
 * the ADMIN_TOKEN it was opened under, so changing ADMIN_TOKEN signs everyone out.
 */
import type { MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { clientAddress, tryToken, unusableToken, type UnusableToken } from '../auth/admin-token'
import { auditDone } from '../admin/audit'
import { operatorById, tokenOperatorId, type Operator } from '../auth/operators'
import { sessionsOf } from '../auth/sessions'
import { can } from '../auth/roles'
import { accessSignIn, type AccessSignIn } from '../auth/access'
import { log } from '../log'
import { toHex, utf8 } from '../wechat/bytes'

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
 * session of that operator and its cookie. Sessions belong to the ADMIN_TOKEN they were
 * opened under, so a deployment without a usable one has no console sessions at all.
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
  await sessionsOf(c.env).open(await sha256(id), attempt.operator.id, await tokenTag(c.env.ADMIN_TOKEN ?? ''), expiresAt, now)
  setCookie(c, SESSION_COOKIE, id, { ...COOKIE_OPTIONS, maxAge: SESSION_SECONDS })
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
  const id = sessionIdOf(c)
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
 * Who the request's session belongs to: opened under today's ADMIN_TOKEN, not ended, not
 * expired, and its operator still there (a removed operator's sessions end with them); else null.
 */
export async function sessionOperator(c: ConsoleContext, now: number): Promise<Operator | null> {
  const id = sessionIdOf(c)
  if (id === null) return null
  const operatorId = await sessionsOf(c.env).operatorOf(await sha256(id), await tokenTag(c.env.ADMIN_TOKEN ?? ''), now)
  return operatorId === null ? null : operatorById(c.env.DB, operatorId)
}

/**
 * The request's session as the Sessions object keys it (its hash, and the tag of today's
 * ADMIN_TOKEN), when it is open and `operatorId`'s: what the desk's live channel checks again
 * while it stays open (desk/viewers.ts). Null without one (behind Cloudflare Access, say).
 */
export async function sessionKeyOf(
  c: ConsoleContext,
  operatorId: string,
  now: number,
): Promise<{ idHash: string; tokenTag: string } | null> {
  const id = sessionIdOf(c)
  if (id === null) return null
  const key = { idHash: await sha256(id), tokenTag: await tokenTag(c.env.ADMIN_TOKEN ?? '') }
  return (await sessionsOf(c.env).operatorOf(key.idHash, key.tokenTag, now)) === operatorId ? key : null
}

/** The cookie's session id when it has the shape of one; null for none, any other value, or an unusable token. */
function sessionIdOf(c: ConsoleContext): string | null {
  if (unusableToken(c.env)) return null
  const value = getCookie(c, SESSION_COOKIE)
  return value !== undefined && SESSION_ID.test(value) ? value : null
}

/**
 * Console pages without a session answer the sign-in page (401), whatever they hold: a wrong
 * or missing token sees nothing else. Behind Cloudflare Access (ACCESS_TEAM_DOMAIN and
 * ACCESS_AUD set), the `Cf-Access-Jwt-Assertion` Access sends with every request signs in the
 * operator with its email, no cookie needed (audited once per Access token: its sign-in). An
 * email no operator has gets the ask-the-owner page (403) unless a session says who it is;
 * an assertion that does not hold counts for nothing.
 */
export function requireSession(signInPage: (c: ConsoleContext) => Response | Promise<Response>): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const now = Date.now()
    const access = await accessSignIn(c.env, c.req.raw.headers, now)
    if (access) await auditAccessSignIn(c, access, now)
    const operator = access?.outcome === 'ok' ? access.operator : await sessionOperator(c, now)
    if (operator === null) return access?.outcome === 'unknown' ? accessUnknownPage(c, access.email) : signInPage(c)
    c.set('operator', operator)
    return next()
  }
}

/** Access tokens this isolate has already seen audited (by signature), until they expire. */
const auditedAssertions = new Map<string, number>()

/**
 * The audit log's entry for a sign-in through Cloudflare Access: once per Access token (Access
 * signs a person in and then sends the same token with every request), `sign_in` for an
 * operator, `sign_in_failed` for an email no operator has. The isolate remembers what it has
 * seen; the Sessions object decides across isolates.
 */
async function auditAccessSignIn(c: ConsoleContext, access: AccessSignIn, now: number): Promise<void> {
  if ((auditedAssertions.get(access.assertion) ?? 0) > now) return
  for (const [key, expiresAt] of auditedAssertions) if (expiresAt <= now) auditedAssertions.delete(key)
  auditedAssertions.set(access.assertion, access.expiresAt)
  if (!(await sessionsOf(c.env).firstSight(await sha256(access.assertion), access.expiresAt, now))) return
  const address = clientAddress(c.req.raw.headers) ?? 'an unknown address'
  const entry =
    access.outcome === 'ok'
      ? { appid: '', operator: access.operator, action: 'sign_in' as const, summary: `through Cloudflare Access, from ${address}` }
      : {
          appid: '',
          operator: null,
          action: 'sign_in_failed' as const,
          summary: `through Cloudflare Access as ${access.email}, no operator has that email, from ${address}`,
        }
  log.info('console.access_sign_in', { operator: access.outcome === 'ok' ? access.operator.id : null, address })
  await auditDone(c.env.DB, entry, now)
}

// ---------------------------------------------------------------- ids and tags

/** Derived once per token per isolate (HKDF costs a few microseconds, but every page asks). */
const tags = new Map<string, Promise<string>>()

/**
 * The tag of the ADMIN_TOKEN a session was opened under, kept with the session on the server
 * (never sent to a browser): HKDF-SHA-256 of the token for this purpose only, hex.
 */
export function tokenTag(token: string): Promise<string> {
  let tag = tags.get(token)
  if (tag === undefined) {
    tag = crypto.subtle
      .importKey('raw', utf8.encode(token), 'HKDF', false, ['deriveBits'])
      .then((base) =>
        crypto.subtle.deriveBits(
          { name: 'HKDF', hash: 'SHA-256', salt: utf8.encode('kefu-edge'), info: utf8.encode('console session token tag v2') },
          base,
          256,
        ),
      )
      .then((bits) => toHex(new Uint8Array(bits)))
    tags.clear()
    tags.set(token, tag)
  }
  return tag
}

/** 32 random bytes, hex: what the cookie carries. */
function randomId(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(32)))
}
const SESSION_ID = /^[0-9a-f]{64}$/

/** What the Sessions object keeps of an id: its SHA-256, hex. */
async function sha256(id: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(id))))
}
