/**
 * The admin token, checked one way at every door that takes it: the admin API's bearer
 * header, the console's sign-in form, and the details `/healthz` shows an operator. A token
 * the setting checks refuse (unset, shorter than 16 characters, characters a bearer header
 * cannot carry) opens no door, whatever is sent; every attempt with a token is counted per
 * address by the Sessions object, which refuses an address that keeps failing.
 */
import { timingSafeEqual } from 'hono/utils/buffer'
import { settingState, type Env } from '../settings/env'
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

/**
 * One attempt at a door: `sent` against ADMIN_TOKEN (in time independent of where they
 * differ), settled by the Sessions object — counted when wrong, refused when the address is
 * locked. Nothing is counted when the setting itself is unusable.
 */
export async function tryAdminToken(env: Env, address: string | null, sent: string, now: number): Promise<Attempt | UnusableToken> {
  const unusable = unusableToken(env)
  if (unusable) return unusable
  const matches = sent !== '' && (await timingSafeEqual(sent, env.ADMIN_TOKEN ?? ''))
  if (address === null) return { outcome: matches ? 'ok' : 'wrong' }
  return sessionsOf(env).attempt(address, matches, now)
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
