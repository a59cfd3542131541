/**
 * The tokens that open the admin doors, checked one way at each: the admin API's bearer
 * header, the console's sign-in form, and the details `/healthz` shows. ADMIN_TOKEN signs in as
 * the owner; an operator's personal token (auth/operators.ts) as that operator. An ADMIN_TOKEN
 * the setting checks refuse (unset, shorter than 16 characters, characters a bearer header
 * cannot carry) opens no door, whatever is sent; every attempt is counted per address (and per
 * operator) by the Sessions object, which refuses what keeps failing.
 */
import { timingSafeEqual } from 'hono/utils/buffer'
import { settingState, type Env } from '../settings/env'
import { OWNER, operatorByToken, tokenOperatorId, type Operator } from './operators'
import { sessionsOf, type Attempt } from './sessions'

/** Why the deployment's ADMIN_TOKEN opens nothing: the setting is unset or malformed. */
export interface UnusableToken {
  outcome: 'unusable'
  status: 'missing' | 'malformed'
  reason: string
}

/** The setting's problem, or null when ADMIN_TOKEN can be used. */
export function unusableToken(env: Env): UnusableToken | null {
  const state = settingState(env, 'ADMIN_TOKEN')
  if (state.status === 'ok') return env.ADMIN_TOKEN ? null : { outcome: 'unusable', status: 'missing', reason: 'ADMIN_TOKEN is not set' }
  return { outcome: 'unusable', status: state.status, reason: state.reason }
}

/** What an attempt at a door came to: who is asking, or why nobody. */
export type Door = { outcome: 'ok'; operator: Operator } | Exclude<Attempt, { outcome: 'ok' }> | UnusableToken

/**
 * One attempt at a door with `sent`: an operator's personal token (looked up by its hash), or
 * ADMIN_TOKEN (compared in time independent of where they differ) as the owner. Settled by the
 * Sessions object — counted per address, and per operator for a personal token; refused while
 * either is locked. ADMIN_TOKEN unusable refuses it (and only it) without counting.
 */
export async function tryToken(env: Env, address: string | null, sent: string, now: number): Promise<Door> {
  const personal = tokenOperatorId(sent)
  if (personal !== null) {
    const operator = await operatorByToken(env.DB, sent)
    const keys = [...(address === null ? [] : [address]), `operator:${personal}`]
    const attempt = await sessionsOf(env).attempt(keys, operator !== null, now)
    if (attempt.outcome !== 'ok') return attempt
    return operator === null ? { outcome: 'wrong' } : { outcome: 'ok', operator }
  }
  const unusable = unusableToken(env)
  if (unusable) return unusable
  const matches = sent !== '' && (await timingSafeEqual(sent, env.ADMIN_TOKEN ?? ''))
  const attempt: Attempt = address === null ? { outcome: matches ? 'ok' : 'wrong' } : await sessionsOf(env).attempt([address], matches, now)
  return attempt.outcome === 'ok' ? { outcome: 'ok', operator: OWNER } : attempt
}

/**
 * Who is asking, for the failure count: Cloudflare's `CF-Connecting-IP`, which the edge sets
 * on every request from the internet (overwriting any a client sends). An IPv6 address counts
 * by its /64, which one subscriber holds whole. Null without the header: the request did not
 * come through the edge (a local run, a test, a service binding), and nothing is counted.
 */
export function clientAddress(headers: Headers): string | null {
  const ip = headers.get('cf-connecting-ip')?.trim().toLowerCase()
  if (!ip) return null
  if (!ip.includes(':')) return ip
  return `${ipv6Groups(ip).slice(0, 4).join(':')}::/64`
}

/** The eight groups of an IPv6 address, `::` expanded (a malformed one comes back as it is). */
function ipv6Groups(ip: string): string[] {
  const [head = '', tail] = ip.split('::', 2)
  const left = head === '' ? [] : head.split(':')
  if (tail === undefined) return left
  const right = tail === '' ? [] : tail.split(':')
  return [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
}
