/**
 * Cloudflare Access as the console's sign-in. With ACCESS_TEAM_DOMAIN and ACCESS_AUD set,
 * Access sits in front of `/admin` and sends every request it lets through with a JWT in
 * `Cf-Access-Jwt-Assertion`, signed with the team's key. This checks it with WebCrypto alone:
 * RS256 only (`none`, `HS256` and the rest are refused before any key is looked at), the key
 * found by `kid` in the team's published keys (`<team>/cdn-cgi/access/certs`, kept in the
 * isolate for a few minutes and asked again once for a `kid` it does not know: Access rotates
 * its key every six weeks), the signature, then the claims: the application's audience, the
 * team as issuer, not expired, already valid, and an email. What comes back is the email, or
 * why not; nothing a client sends makes it throw.
 */
import { settingState, type Env } from '../settings/env'
import { log } from '../log'
import { operatorByEmail, type Operator } from './operators'
import { fromBase64, utf8, utf8Strict } from '../wechat/bytes'
import { isRecord } from '../is-record'

export const ACCESS_HEADER = 'cf-access-jwt-assertion'
/** Access's tokens are about 1 KB; anything far larger is not one, and is not parsed. */
export const MAX_ASSERTION_BYTES = 8 * 1024
/** How long the team's keys are trusted without asking again. */
export const KEYS_TTL_MS = 5 * 60 * 1000
/** The least time between two fetches of the keys: made-up `kid`s cannot turn into a flood of fetches. */
export const REFETCH_FLOOR_MS = 10 * 1000
/** How far `nbf` and `iat` may be ahead of this clock. */
export const CLOCK_SKEW_SECONDS = 60
const FETCH_TIMEOUT_MS = 5000

/** Where Access is in force: the team's base URL (also the tokens' issuer) and the application's audience. */
export interface AccessSettings {
  base: string
  aud: string
}

export type AccessCheck = { outcome: 'ok'; email: string; expiresAt: number } | { outcome: 'refused'; reason: string }

/**
 * The Access settings when both are set and well formed; null otherwise (neither set: Access
 * is not used; one or a malformed one: not used either, and the status page names it).
 */
export function accessSettings(env: Env): AccessSettings | null {
  const domain = env.ACCESS_TEAM_DOMAIN
  const aud = env.ACCESS_AUD
  if (!domain || !aud) return null
  if (settingState(env, 'ACCESS_TEAM_DOMAIN').status !== 'ok' || settingState(env, 'ACCESS_AUD').status !== 'ok') return null
  const base = /^https?:\/\//i.test(domain) ? new URL(domain).origin : `https://${domain.toLowerCase()}`
  return { base, aud }
}

/** Who Access says is asking: the operator with that email, or only the email when none has it. */
/** `assertion` names the token (its signature) for the audit log's once-per-sign-in entry; it is no secret and lets no one in. */
export type AccessSignIn =
  | { outcome: 'ok'; operator: Operator; assertion: string; expiresAt: number }
  | { outcome: 'unknown'; email: string; assertion: string; expiresAt: number }

/**
 * The operator a request's `Cf-Access-Jwt-Assertion` vouches for. Null when Access is not in
 * force (settings unset, or not usable: the status page names the problem), the request
 * carries no assertion, or it does not hold (logged with the reason, never the token): the
 * console's own sign-in follows.
 */
export async function accessSignIn(env: Env, headers: Headers, now: number): Promise<AccessSignIn | null> {
  const token = headers.get(ACCESS_HEADER)
  if (token === null) return null
  const settings = accessSettings(env)
  if (settings === null) {
    if (env.ACCESS_TEAM_DOMAIN || env.ACCESS_AUD)
      log.warn('access.unusable', { reason: 'ACCESS_TEAM_DOMAIN and ACCESS_AUD: see /admin/status' })
    return null
  }
  const check = await verifyAccess(settings, token, now)
  if (check.outcome !== 'ok') {
    log.warn('access.refused', { reason: check.reason })
    return null
  }
  const operator = await operatorByEmail(env.DB, check.email)
  const seen = { assertion: token.slice(token.lastIndexOf('.') + 1), expiresAt: check.expiresAt }
  return operator === null ? { outcome: 'unknown', email: check.email, ...seen } : { outcome: 'ok', operator, ...seen }
}

/** Checks an Access JWT at `now` (ms): the email it was issued to (lower-cased), or why not. */
export async function verifyAccess(settings: AccessSettings, token: string, now: number): Promise<AccessCheck> {
  if (token.length > MAX_ASSERTION_BYTES) return refused('longer than 8 KB')
  const parts = token.split('.')
  if (parts.length !== 3) return refused('not three parts')
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts
  const header = jsonPart(headerPart)
  if (header === null) return refused('header is not base64url JSON')
  if (header.alg !== 'RS256') return refused(`alg ${typeof header.alg === 'string' ? header.alg.slice(0, 16) : 'missing'} is not RS256`)
  if (header.crit !== undefined) return refused('crit is not understood')
  if (typeof header.kid !== 'string' || header.kid === '' || header.kid.length > 256) return refused('no kid')
  const payload = jsonPart(payloadPart)
  if (payload === null) return refused('payload is not base64url JSON')
  const signature = base64url(signaturePart)
  if (signature === null || signature.length === 0) return refused('signature is not base64url')

  const key = await keyFor(settings.base, header.kid, now)
  if (key === 'unavailable') return refused("the team's signing keys could not be fetched")
  if (key === 'unknown') return refused('kid is not one of the team’s keys')
  const signed = utf8.encode(`${headerPart}.${payloadPart}`)
  const valid = await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, signed).catch(() => false)
  if (!valid) return refused('bad signature')

  return claimsProblem(payload, settings, now) ?? okEmail(payload)
}

function okEmail(payload: Record<string, unknown>): AccessCheck {
  const email = payload.email
  if (typeof email !== 'string' || !email.includes('@') || email.length > 320) return refused('no email (a service token?)')
  // claimsProblem has checked exp is a number.
  return { outcome: 'ok', email: email.toLowerCase(), expiresAt: (payload.exp as number) * 1000 }
}

/** Why the (signed) claims do not let this token in now, or null. */
function claimsProblem(payload: Record<string, unknown>, settings: AccessSettings, now: number): AccessCheck | null {
  const seconds = now / 1000
  const aud = payload.aud
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
  if (!audiences.some((a) => typeof a === 'string' && a.toLowerCase() === settings.aud.toLowerCase())) return refused('wrong audience')
  if (payload.iss !== settings.base) return refused('wrong issuer')
  if (typeof payload.exp !== 'number') return refused('no exp')
  if (payload.exp <= seconds) return refused('expired')
  for (const claim of ['nbf', 'iat'] as const) {
    const value = payload[claim]
    if (value === undefined) continue
    if (typeof value !== 'number') return refused(`${claim} is not a number`)
    if (value > seconds + CLOCK_SKEW_SECONDS) return refused(`${claim} is in the future`)
  }
  return null
}

function refused(reason: string): AccessCheck {
  return { outcome: 'refused', reason }
}

// ---------------------------------------------------------------- the team's keys

interface KeySet {
  keys: Map<string, CryptoKey>
  fetchedAt: number
}

/** Per team base URL: the keys last fetched, when a fetch was last tried, and the one under way. */
const teams = new Map<string, { set: KeySet | null; triedAt: number; pending: Promise<KeySet | null> | null }>()

/**
 * The team's key of id `kid`: from the isolate's copy while fresh, else fetched again — at
 * most once per REFETCH_FLOOR_MS, so an unknown `kid` costs one fetch, not one per request.
 * A failed fetch keeps the copy there was.
 */
async function keyFor(base: string, kid: string, now: number): Promise<CryptoKey | 'unknown' | 'unavailable'> {
  let team = teams.get(base)
  if (team === undefined) {
    team = { set: null, triedAt: Number.NEGATIVE_INFINITY, pending: null }
    teams.set(base, team)
  }
  const age = team.set === null ? Number.POSITIVE_INFINITY : now - team.set.fetchedAt
  const fresh = age >= 0 && age < KEYS_TTL_MS
  const known = team.set?.keys.get(kid)
  if (fresh && known !== undefined) return known
  const mayFetch = now - team.triedAt >= REFETCH_FLOOR_MS || now < team.triedAt
  if (mayFetch || team.pending !== null) {
    if (team.pending === null) {
      team.triedAt = now
      const current = team
      current.pending = fetchKeys(base, now).finally(() => {
        current.pending = null
      })
    }
    const fetched = await team.pending
    if (fetched !== null) team.set = fetched
  }
  if (team.set === null) return 'unavailable'
  return team.set.keys.get(kid) ?? 'unknown'
}

/** The team's published keys (`keys`: RSA JWKs), imported for RS256; null when they cannot be had. */
async function fetchKeys(base: string, now: number): Promise<KeySet | null> {
  const url = `${base}/cdn-cgi/access/certs`
  let body: unknown
  try {
    const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })
    if (!res.ok) {
      log.warn('access.certs_failed', { url, status: res.status })
      await res.body?.cancel()
      return null
    }
    body = await res.json()
  } catch (error) {
    log.warn('access.certs_failed', { url, error: error instanceof Error ? error.name : 'unknown' })
    return null
  }
  const jwks = isRecord(body) && Array.isArray(body.keys) ? body.keys : null
  if (jwks === null) {
    log.warn('access.certs_failed', { url, error: 'no keys' })
    return null
  }
  const keys = new Map<string, CryptoKey>()
  for (const jwk of jwks) {
    if (!isRecord(jwk) || jwk.kty !== 'RSA' || typeof jwk.kid !== 'string' || typeof jwk.n !== 'string' || typeof jwk.e !== 'string')
      continue
    if (jwk.alg !== undefined && jwk.alg !== 'RS256') continue
    if (jwk.use !== undefined && jwk.use !== 'sig') continue
    try {
      const key = await crypto.subtle.importKey(
        'jwk',
        { kty: 'RSA', n: jwk.n, e: jwk.e, alg: 'RS256', ext: true },
        { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        false,
        ['verify'],
      )
      keys.set(jwk.kid, key)
    } catch {
      log.warn('access.key_refused', { url, kid: jwk.kid.slice(0, 80) })
    }
  }
  if (keys.size === 0) {
    log.warn('access.certs_failed', { url, error: 'no usable RSA key' })
    return null
  }
  return { keys, fetchedAt: now }
}

// ---------------------------------------------------------------- the token's parts

/** A part that is base64url of a JSON object; null for anything else. */
function jsonPart(part: string): Record<string, unknown> | null {
  const bytes = base64url(part)
  if (bytes === null) return null
  try {
    const value: unknown = JSON.parse(utf8Strict.decode(bytes))
    return isRecord(value) ? value : null
  } catch {
    return null
  }
}

/** Strict base64url without padding (RFC 7515): null for any other character or an impossible length. */
function base64url(part: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(part) || part.length % 4 === 1) return null
  const padded = part.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (part.length % 4)) % 4)
  return fromBase64(padded)
}
