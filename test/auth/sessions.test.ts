/**
 * Every door that takes the admin token checks it one way (a token the setting checks refuse
 * opens nothing), guessing is slowed per address, the session cookie carries a random id and
 * nothing derived from the token, and a session ends on the server when its operator signs
 * out or ADMIN_TOKEN changes.
 */
import { createExecutionContext, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { LOCK_MS, MAX_FAILURES, Sessions } from '../../src/auth/sessions'
import { clientAddress } from '../../src/auth/admin-token'
import { app } from '../../src/app'
import { BASE, workerFetch } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'

const ADMIN = TEST_SETTINGS.ADMIN_TOKEN

let nextAddress = 1
/** A fresh address per test: failures are counted per address. */
const newAddress = () => `198.51.100.${nextAddress++}`

function form(fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  }
}

const signIn = (token: string, address: string) => workerFetch('/admin/login', form({ token }, { 'cf-connecting-ip': address }))

async function session(address = newAddress()): Promise<string> {
  const res = await signIn(ADMIN, address)
  expect(res.status).toBe(303)
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!
}

const page = (cookie: string, path = '/admin') => workerFetch(path, { headers: { cookie } })

/** The Worker with another ADMIN_TOKEN, as a deployment with that secret would be. */
function withToken(token: string, path: string, init: RequestInit = {}) {
  return app.fetch(new Request(`${BASE}${path}`, init), { ...env, ADMIN_TOKEN: token }, createExecutionContext())
}

describe('one check of the admin token at every door', () => {
  for (const [token, why] of [
    ['abc12', 'is shorter than 16 characters'],
    ['a token with spaces inside', 'has characters a bearer token cannot carry'],
  ] as const) {
    it(`refuses a malformed ADMIN_TOKEN (${why}) at the console, the API and /healthz alike`, async () => {
      const login = await withToken(token, '/admin/login', form({ token }))
      expect(login.status).toBe(401)
      expect(login.headers.get('set-cookie')).toBeNull()
      const text = await login.text()
      expect(text).toContain('ADMIN_TOKEN 不可用')
      expect(text).not.toContain(token)

      if (!token.includes(' ')) {
        const api = await withToken(token, '/admin/api/stats', { headers: { authorization: `Bearer ${token}` } })
        expect(api.status).toBe(500)
        expect(await api.text()).toContain(`ADMIN_TOKEN ${why}`)
        const health = await withToken(token, '/healthz', { headers: { authorization: `Bearer ${token}` } })
        // The public view: no settings, no apps.
        expect(await health.text()).not.toContain('WECHAT_APPID')
      }
    })
  }

  it('signs in with the token the API takes', async () => {
    const cookie = await session()
    expect((await page(cookie)).status).toBe(200)
  })
})

describe('failed sign-ins per address', () => {
  it(`refuses an address with 429 and Retry-After after ${MAX_FAILURES} wrong tokens, even with the right one`, async () => {
    const address = newAddress()
    for (let i = 0; i < MAX_FAILURES; i++) {
      const res = await signIn(`wrong-token-${i}-xxxxxxxxxx`, address)
      expect(res.status, `attempt ${i + 1}`).toBe(401)
    }
    const locked = await signIn(ADMIN, address)
    expect(locked.status).toBe(429)
    expect(locked.headers.get('set-cookie')).toBeNull()
    const retryAfter = Number(locked.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(LOCK_MS / 1000)
    expect(await locked.text()).toContain('登录失败次数太多')

    // Another address is not held back by this one's failures.
    expect((await signIn(ADMIN, newAddress())).status).toBe(303)
  })

  it('counts the API and the console together, and /healthz shows a locked address only its public view', async () => {
    const address = newAddress()
    for (let i = 0; i < MAX_FAILURES; i++) {
      const res = await workerFetch('/admin/api/stats', {
        headers: { authorization: `Bearer wrong-token-${i}-xxxxxxxxxx`, 'cf-connecting-ip': address },
      })
      expect(res.status).toBe(401)
    }
    const api = await workerFetch('/admin/api/stats', { headers: { authorization: `Bearer ${ADMIN}`, 'cf-connecting-ip': address } })
    expect(api.status).toBe(429)
    expect(Number(api.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await signIn(ADMIN, address)).status).toBe(429)
    const health = await workerFetch('/healthz', { headers: { authorization: `Bearer ${ADMIN}`, 'cf-connecting-ip': address } })
    expect(await health.text()).not.toContain('WECHAT_APPID')
  })

  it('forgets a run of failures once the right token gets in before the limit', async () => {
    const address = newAddress()
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < MAX_FAILURES - 1; i++) expect((await signIn('wrong-token-xxxxxxxxxx', address)).status).toBe(401)
      expect((await signIn(ADMIN, address)).status).toBe(303)
    }
  })

  it('counts an IPv6 address by its /64', () => {
    const headers = (ip: string) => new Headers({ 'cf-connecting-ip': ip })
    expect(clientAddress(headers('2001:db8:1:2::1'))).toBe(clientAddress(headers('2001:DB8:1:2:ffff:ffff:ffff:ffff')))
    expect(clientAddress(headers('2001:db8:1:2::1'))).not.toBe(clientAddress(headers('2001:db8:1:3::1')))
    expect(clientAddress(headers('203.0.113.9'))).toBe('203.0.113.9')
    expect(clientAddress(new Headers())).toBeNull()
  })
})

describe('the session cookie', () => {
  it('carries a random id and nothing derived from the token (a stolen cookie cannot test guesses offline)', async () => {
    const [one, two] = [await session(), await session()]
    for (const cookie of [one, two]) {
      const value = cookie.slice(cookie.indexOf('=') + 1)
      // 256 random bits, nothing beside them: no signature keyed by the token to check a guess against.
      expect(value).toMatch(/^[0-9a-f]{64}$/)
      expect(value).not.toContain('.')
    }
    expect(one).not.toBe(two)
    expect((await page(one)).status).toBe(200)
    // Any other value opens nothing, whatever its shape.
    expect((await page(`kefu_session=${'0'.repeat(64)}`)).status).toBe(401)
    expect((await page(`kefu_session=${one.slice(one.indexOf('=') + 1)}.sig`)).status).toBe(401)
  })

  it('ends when ADMIN_TOKEN changes', async () => {
    const cookie = await session()
    expect((await page(cookie)).status).toBe(200)
    const rotated = await withToken('another-admin-token-0123456789', '/admin', { headers: { cookie } })
    expect(rotated.status).toBe(401)
  })

  it('survives an object made before operators and token tags: its old sessions end, signing in works', async () => {
    const stub = env.SESSIONS.getByName('upgrade-from-2026-12-06')
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec('DROP TABLE sessions')
      // The table as the first Sessions object made it (before issue 28).
      state.storage.sql.exec('CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID')
      state.storage.sql.exec("INSERT INTO sessions VALUES ('old', ?)", Date.now() + 60_000)
      // The next version's code starts over this storage.
      const upgraded = new Sessions(state, env)
      const now = Date.now()
      expect(upgraded.operatorOf('old', 'tag', now)).toBeNull()
      upgraded.open('new', 'owner', 'tag', now + 60_000, now)
      expect(upgraded.operatorOf('new', 'tag', now)).toBe('owner')
      expect(upgraded.operatorOf('new', 'another tag', now)).toBeNull()
    })
  })

  it('ends on the server at sign-out: a copy of the cookie no longer opens a page', async () => {
    const cookie = await session()
    const copy = cookie
    const out = await workerFetch('/admin/logout', form({}, { cookie }))
    expect(out.status).toBe(303)
    expect(out.headers.get('set-cookie')).toMatch(/kefu_session=;/)
    const again = await page(copy)
    expect(again.status).toBe(401)
    expect(await again.text()).toContain('action="/admin/login"')
  })

  it('ends every session when an operator signs out everywhere', async () => {
    const [mine, theirs, third] = [await session(), await session(), await session()]
    for (const cookie of [mine, theirs, third]) expect((await page(cookie)).status).toBe(200)
    const status = await (await page(mine, '/admin/status')).text()
    expect(status).toContain('name="everywhere"')
    expect((await workerFetch('/admin/logout', form({ everywhere: '1' }, { cookie: theirs }))).status).toBe(303)
    for (const cookie of [mine, theirs, third]) expect((await page(cookie)).status).toBe(401)
    // Signing in again works at once.
    expect((await page(await session())).status).toBe(200)
  })

  it('cannot sign everyone out without a session', async () => {
    const cookie = await session()
    expect((await workerFetch('/admin/logout', form({ everywhere: '1' }))).status).toBe(303)
    expect((await page(cookie)).status).toBe(200)
  })
})
