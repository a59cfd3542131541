/**
 * Cloudflare Access as the console's sign-in, against the local stand-in for a team's keys
 * (dev/fake-access.ts, started by test/support/global-setup.ts): a JWT Access would send signs
 * in the operator with its email; every way a token can be wrong is refused, before or after
 * the key is looked up; the keys are cached, asked again for an unknown kid (rotation), and
 * not fetched more than once per floor; without the settings the header means nothing.
 */
import { createExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { configured } from '../../src/admin/health-report'
import { app } from '../../src/app'
import {
  ACCESS_HEADER,
  accessSettings,
  accessSignIn,
  CLOCK_SKEW_SECONDS,
  KEYS_TTL_MS,
  REFETCH_FLOOR_MS,
  verifyAccess,
  type AccessSettings,
} from '../../src/auth/access'
import { addOperator, removeOperator } from '../../src/auth/operators'
import { settingState } from '../../src/settings/env'
import { BASE } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'

const TEAM = `http://127.0.0.1:${inject('fakeAccessPort')}`
const AUD = '4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2'
const SETTINGS = { ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: AUD }
const ACCESS: AccessSettings = { base: TEAM, aud: AUD }

type Claims = Record<string, unknown>
interface SignRequest {
  header?: Record<string, unknown>
  key?: 'current' | 'previous' | 'unpublished'
}

async function control<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${TEAM}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) })
  expect(res.status).toBe(200)
  return res.json<T>()
}

/** A token the stand-in signs, as Access would (iss is the team unless given). */
const signed = async (claims: Claims, request: SignRequest = {}) =>
  (await control<{ token: string }>('/__fake/sign', { claims, ...request })).token
const certsRequests = async () => (await control<{ count: number }>('/__fake/certs-requests')).count

/** What Access puts in an application token, at `now` (ms). */
function claims(now: number, extra: Claims = {}): Claims {
  const seconds = Math.floor(now / 1000)
  return {
    aud: [AUD],
    email: 'ada@example.com',
    exp: seconds + 600,
    iat: seconds,
    nbf: seconds,
    iss: TEAM,
    sub: '7335d417-61da-459d-899c-0a01c76a2f94',
    type: 'app',
    identity_nonce: '6ei69kawdKzMIAPF',
    country: 'CN',
    ...extra,
  }
}

/**
 * The unit tests' own clock: well ahead of the wall clock and only ever forward, so the
 * isolate's copy of the keys is as each test leaves it and the fetch floor is crossed only
 * where a test says so.
 */
let clock = Date.now() + 24 * 3600 * 1000
const later = (ms = 1000) => {
  clock += ms
  return clock
}

const check = (token: string, now: number) => verifyAccess(ACCESS, token, now)
const refusal = async (token: string, now: number) => {
  const result = await check(token, now)
  expect(result.outcome).toBe('refused')
  return result.outcome === 'refused' ? result.reason : ''
}

function b64url(bytes: Uint8Array | string): string {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes
  return btoa(String.fromCharCode(...data))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '')
}

function fromB64url(text: string): Uint8Array {
  const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/') + '='.repeat((4 - (text.length % 4)) % 4))
  return Uint8Array.from(binary, (c) => c.charCodeAt(0))
}

/** A token's three parts, with `change` applied to the decoded header and payload (the signature kept). */
function tampered(token: string, change: { header?: Claims; payload?: Claims }): string {
  const [h = '', p = '', s = ''] = token.split('.')
  const header = { ...JSON.parse(new TextDecoder().decode(fromB64url(h))), ...change.header }
  const payload = { ...JSON.parse(new TextDecoder().decode(fromB64url(p))), ...change.payload }
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${s}`
}

// ---------------------------------------------------------------- the settings

describe('ACCESS_TEAM_DOMAIN and ACCESS_AUD', () => {
  it('are both set or neither: one alone is malformed, naming the missing one', () => {
    const bare = { ...env, ACCESS_TEAM_DOMAIN: undefined, ACCESS_AUD: undefined }
    expect(settingState(bare, 'ACCESS_TEAM_DOMAIN')).toEqual({ status: 'ok' })
    expect(settingState(bare, 'ACCESS_AUD')).toEqual({ status: 'ok' })
    expect(accessSettings(bare)).toBeNull()

    const onlyTeam = { ...bare, ACCESS_TEAM_DOMAIN: 'kefu.cloudflareaccess.com' }
    expect(settingState(onlyTeam, 'ACCESS_TEAM_DOMAIN')).toEqual({ status: 'ok' })
    expect(settingState(onlyTeam, 'ACCESS_AUD')).toEqual({
      status: 'malformed',
      reason: 'ACCESS_AUD is not set, but ACCESS_TEAM_DOMAIN is: Cloudflare Access needs both, or neither',
    })
    expect(accessSettings(onlyTeam)).toBeNull()

    const onlyAud = { ...bare, ACCESS_AUD: AUD }
    expect(settingState(onlyAud, 'ACCESS_TEAM_DOMAIN')).toMatchObject({
      status: 'malformed',
      reason: expect.stringMatching(/^ACCESS_TEAM_DOMAIN is not set, but ACCESS_AUD is/),
    })
    expect(accessSettings(onlyAud)).toBeNull()

    // Half set is a configuration problem /healthz and the status page report.
    expect(configured({ ...bare, ...SETTINGS })).toBe(true)
    expect(configured(onlyTeam)).toBe(false)
    expect(configured(onlyAud)).toBe(false)
  })

  it('take a team domain or a base URL, and an audience tag of 64 hex characters', () => {
    const bare = { ...env, ACCESS_TEAM_DOMAIN: undefined, ACCESS_AUD: undefined }
    expect(accessSettings({ ...bare, ACCESS_TEAM_DOMAIN: 'Kefu-Team.cloudflareaccess.com', ACCESS_AUD: AUD })).toEqual({
      base: 'https://kefu-team.cloudflareaccess.com',
      aud: AUD,
    })
    expect(accessSettings({ ...bare, ...SETTINGS })).toEqual(ACCESS)
    expect(accessSettings({ ...bare, ACCESS_TEAM_DOMAIN: `${TEAM}/`, ACCESS_AUD: AUD })).toEqual(ACCESS)

    for (const domain of [
      'kefu.example.com',
      'https://kefu.cloudflareaccess.com/cdn-cgi/access/certs',
      'ftp://127.0.0.1:21',
      `${TEAM}?x=1`,
    ]) {
      const state = settingState({ ...bare, ACCESS_TEAM_DOMAIN: domain, ACCESS_AUD: AUD }, 'ACCESS_TEAM_DOMAIN')
      expect(state, domain).toMatchObject({
        status: 'malformed',
        reason: expect.stringMatching(/^ACCESS_TEAM_DOMAIN is not a team domain/),
      })
      expect(accessSettings({ ...bare, ACCESS_TEAM_DOMAIN: domain, ACCESS_AUD: AUD })).toBeNull()
    }
    for (const aud of [AUD.slice(1), `${AUD}0`, AUD.toUpperCase(), `${AUD.slice(1)}g`]) {
      expect(settingState({ ...bare, ...SETTINGS, ACCESS_AUD: aud }, 'ACCESS_AUD')).toMatchObject({ status: 'malformed' })
      expect(accessSettings({ ...bare, ...SETTINGS, ACCESS_AUD: aud })).toBeNull()
    }
  })
})

// ---------------------------------------------------------------- the keys

describe('the team’s keys', () => {
  // First in the file: the isolate has no copy of the keys yet.
  it('that cannot be fetched refuse every token, clearly, and are not asked again within the floor', async () => {
    await control('/__fake/fail-certs', { times: 1 })
    const now = later()
    const token = await signed(claims(now))
    const before = await certsRequests()
    expect(await refusal(token, now)).toBe("the team's signing keys could not be fetched")
    expect(await refusal(token, later())).toBe("the team's signing keys could not be fetched")
    expect(await certsRequests()).toBe(before + 1)
    // Past the floor they are asked again, and the same token holds.
    expect(await check(token, later(REFETCH_FLOOR_MS))).toMatchObject({
      outcome: 'ok',
      email: 'ada@example.com',
      expiresAt: expect.any(Number),
    })
    expect(await certsRequests()).toBe(before + 2)
  })

  it('of a team nothing answers for are a refusal, not an error', async () => {
    const now = later()
    const token = await signed(claims(now, { iss: 'http://127.0.0.1:9' }))
    expect(await verifyAccess({ base: 'http://127.0.0.1:9', aud: AUD }, token, now)).toEqual({
      outcome: 'refused',
      reason: "the team's signing keys could not be fetched",
    })
  })

  it('are kept in the isolate, and fetched again once they are stale', async () => {
    const now = later()
    const token = await signed(claims(now))
    expect((await check(token, now)).outcome).toBe('ok')
    const before = await certsRequests()
    expect((await check(token, later())).outcome).toBe('ok')
    expect((await check(token, later())).outcome).toBe('ok')
    expect(await certsRequests()).toBe(before)
    const stale = later(KEYS_TTL_MS)
    expect((await check(await signed(claims(stale)), stale)).outcome).toBe('ok')
    expect(await certsRequests()).toBe(before + 1)
  })

  it('are fetched again for an unknown kid: a key rotated in is found, the old one still holds', async () => {
    const first = later()
    const old = await signed(claims(first))
    expect((await check(old, first)).outcome).toBe('ok')
    const { kid } = await control<{ kid: string }>('/__fake/rotate', {})
    const now = later(REFETCH_FLOOR_MS)
    const rotated = await signed(claims(now))
    expect(JSON.parse(new TextDecoder().decode(fromB64url(rotated.split('.')[0]!))).kid).toBe(kid)
    const before = await certsRequests()
    expect(await check(rotated, now)).toMatchObject({ outcome: 'ok', email: 'ada@example.com', expiresAt: expect.any(Number) })
    expect(await certsRequests()).toBe(before + 1)
    // Access keeps the previous key published for a week: tokens it signed still hold.
    expect((await check(await signed(claims(now), { key: 'previous' }), later())).outcome).toBe('ok')
  })

  it('refuse a kid they do not have, after asking again once; more made-up kids within the floor fetch nothing', async () => {
    const now = later(REFETCH_FLOOR_MS)
    const token = await signed(claims(now), { key: 'unpublished' })
    const before = await certsRequests()
    expect(await refusal(token, now)).toBe('kid is not one of the team’s keys')
    expect(await certsRequests()).toBe(before + 1)
    for (const kid of ['a', 'b', 'c'])
      expect(await refusal(tampered(token, { header: { kid } }), later())).toBe('kid is not one of the team’s keys')
    expect(await certsRequests()).toBe(before + 1)
  })
})

// ---------------------------------------------------------------- the token

describe('an Access token', () => {
  it('holds with the audience as a string or in a list, and gives the email lower-cased', async () => {
    const now = later()
    expect(await check(await signed(claims(now, { email: 'Ada@Example.COM' })), now)).toMatchObject({
      outcome: 'ok',
      email: 'ada@example.com',
      expiresAt: expect.any(Number),
    })
    expect(await check(await signed(claims(now, { aud: AUD })), now)).toMatchObject({
      outcome: 'ok',
      email: 'ada@example.com',
      expiresAt: expect.any(Number),
    })
    expect((await check(await signed(claims(now, { aud: ['other', AUD] })), now)).outcome).toBe('ok')
  })

  it('for another application, another team, or none is refused', async () => {
    const now = later()
    expect(await refusal(await signed(claims(now, { aud: 'f'.repeat(64) })), now)).toBe('wrong audience')
    expect(await refusal(await signed(claims(now, { aud: [] })), now)).toBe('wrong audience')
    expect(await refusal(await signed(claims(now, { aud: undefined })), now)).toBe('wrong audience')
    expect(await refusal(await signed(claims(now, { iss: 'https://other.cloudflareaccess.com' })), now)).toBe('wrong issuer')
    expect(await refusal(await signed(claims(now, { iss: `${TEAM}/` })), now)).toBe('wrong issuer')
    expect(await refusal(await signed(claims(now, { iss: null })), now)).toBe('wrong issuer')
  })

  it('is refused once expired, and before it is valid (beyond a minute of skew)', async () => {
    const now = later()
    const s = Math.floor(now / 1000)
    expect(await refusal(await signed(claims(now, { exp: s - 1 })), now)).toBe('expired')
    expect(await refusal(await signed(claims(now, { exp: s })), now + 1000)).toBe('expired')
    expect(await refusal(await signed(claims(now, { exp: undefined })), now)).toBe('no exp')
    expect(await refusal(await signed(claims(now, { exp: String(s + 600) })), now)).toBe('no exp')
    expect(await refusal(await signed(claims(now, { nbf: s + CLOCK_SKEW_SECONDS + 1 })), now)).toBe('nbf is in the future')
    expect(await refusal(await signed(claims(now, { iat: s + CLOCK_SKEW_SECONDS + 1 })), now)).toBe('iat is in the future')
    expect(await refusal(await signed(claims(now, { nbf: 'soon' })), now)).toBe('nbf is not a number')
    expect((await check(await signed(claims(now, { nbf: s + 30, iat: s + 30 })), now)).outcome).toBe('ok')
  })

  it('without an email (a service token) is refused', async () => {
    const now = later()
    expect(await refusal(await signed(claims(now, { email: undefined, common_name: 'svc.access' })), now)).toBe(
      'no email (a service token?)',
    )
    expect(await refusal(await signed(claims(now, { email: 'nobody' })), now)).toBe('no email (a service token?)')
  })

  it('with a byte of its signature or its claims changed is refused', async () => {
    const now = later()
    const token = await signed(claims(now))
    const [h, p, s = ''] = token.split('.')
    const signature = fromB64url(s)
    signature[17] = (signature[17] ?? 0) ^ 0x01
    expect(await refusal(`${h}.${p}.${b64url(signature)}`, now)).toBe('bad signature')
    expect(await refusal(tampered(token, { payload: { email: 'root@example.com' } }), now)).toBe('bad signature')
    expect(await refusal(`${h}.${p}.${s.slice(0, -4)}`, now)).toBe('bad signature')
    // Signed with a key the team never published, under the team's current kid.
    const { kid } = JSON.parse(new TextDecoder().decode(fromB64url(h!))) as { kid: string }
    expect(await refusal(await signed(claims(now), { key: 'unpublished', header: { kid } }), now)).toBe('bad signature')
  })

  it('with alg none is refused, signed or not', async () => {
    const now = later()
    const token = await signed(claims(now))
    const [, p] = token.split('.')
    expect(await refusal(`${b64url('{"alg":"none","typ":"JWT"}')}.${p}.`, now)).toBe('alg none is not RS256')
    expect(await refusal(await signed(claims(now), { header: { alg: 'none' } }), now)).toBe('alg none is not RS256')
    expect(await refusal(await signed(claims(now), { header: { alg: 'NONE' } }), now)).toBe('alg NONE is not RS256')
    expect(await refusal(await signed(claims(now), { header: { alg: null } }), now)).toBe('alg missing is not RS256')
  })

  it('with alg HS256, keyed with the team’s public key, is refused', async () => {
    const now = later()
    const { keys } = await control<{ keys: (JsonWebKey & { kid: string })[] }>('/cdn-cgi/access/certs')
    const jwk = keys[0]!
    const publicKey = await crypto.subtle.importKey('jwk', jwk, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, true, ['verify'])
    const spki = new Uint8Array((await crypto.subtle.exportKey('spki', publicKey)) as ArrayBuffer)
    const pem = `-----BEGIN PUBLIC KEY-----\n${btoa(String.fromCharCode(...spki))}\n-----END PUBLIC KEY-----\n`
    for (const secret of [pem, JSON.stringify(jwk)]) {
      const hmac = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
        'sign',
      ])
      const input = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: jwk.kid }))}.${b64url(JSON.stringify(claims(now)))}`
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', hmac, new TextEncoder().encode(input)))
      expect(await refusal(`${input}.${b64url(mac)}`, now)).toBe('alg HS256 is not RS256')
    }
    for (const alg of ['RS384', 'PS256', 'ES256', 'rs256']) {
      expect(await refusal(await signed(claims(now), { header: { alg } }), now)).toBe(`alg ${alg} is not RS256`)
    }
  })

  it('that is malformed is refused without a key being looked at', async () => {
    const now = later()
    const token = await signed(claims(now))
    const [h = '', p = '', s = ''] = token.split('.')
    const before = await certsRequests()
    const cases: [string, string][] = [
      ['', 'not three parts'],
      [`${h}.${p}`, 'not three parts'],
      [`${h}.${p}.${s}.${s}`, 'not three parts'],
      [`*${h.slice(1)}.${p}.${s}`, 'header is not base64url JSON'],
      [`${h}=.${p}.${s}`, 'header is not base64url JSON'],
      [`${b64url('hello')}.${p}.${s}`, 'header is not base64url JSON'],
      [`${b64url('[1,2]')}.${p}.${s}`, 'header is not base64url JSON'],
      [`${b64url(new Uint8Array([0x7b, 0xff, 0x7d]))}.${p}.${s}`, 'header is not base64url JSON'],
      // A length no base64url text can have (4n + 1).
      [`${h}${'A'.repeat((5 - (h.length % 4)) % 4)}.${p}.${s}`, 'header is not base64url JSON'],
      [`${h}.${p.replace(/.$/, '+')}.${s}`, 'payload is not base64url JSON'],
      [`${h}.${b64url('null')}.${s}`, 'payload is not base64url JSON'],
      [`${h}.${p}.`, 'signature is not base64url'],
      [`${h}.${p}.${s.slice(0, -1)}/`, 'signature is not base64url'],
      [`${b64url('{"alg":"RS256"}')}.${p}.${s}`, 'no kid'],
      [`${b64url('{"alg":"RS256","kid":7}')}.${p}.${s}`, 'no kid'],
      [`${b64url(`{"alg":"RS256","kid":"x","crit":["exp"]}`)}.${p}.${s}`, 'crit is not understood'],
      [`${h}.${b64url(JSON.stringify({ ...claims(now), pad: 'x'.repeat(8 * 1024) }))}.${s}`, 'longer than 8 KB'],
    ]
    for (const [bad, reason] of cases) expect(await refusal(bad, now), bad.slice(0, 60)).toBe(reason)
    expect(await certsRequests()).toBe(before)
  })
})

// ---------------------------------------------------------------- the console

describe('the console behind Access', () => {
  let operator: { id: string }

  beforeAll(async () => {
    const added = await addOperator(env.DB, { name: 'Ada', role: 'agent', apps: null, email: 'Ada@Example.com' }, Date.now())
    operator = added.operator
  })

  /** The console, as a deployment with `settings` would answer it. */
  const visit = (headers: Record<string, string>, settings: Record<string, string | undefined> = SETTINGS, path = '/admin') =>
    app.fetch(new Request(`${BASE}${path}`, { headers, redirect: 'manual' }), { ...env, ...settings }, createExecutionContext())

  /** A token as Access sends it now (the wall clock: the Worker reads Date.now()). */
  const fresh = (extra: Claims = {}, request: SignRequest = {}) => signed(claims(Date.now(), extra), request)

  it('signs in the operator with the token’s email, on every request, without a cookie', async () => {
    const token = await fresh({ email: 'ADA@example.com' })
    for (const path of ['/admin', '/admin/conversations']) {
      const res = await visit({ [ACCESS_HEADER]: token }, SETTINGS, path)
      const html = await res.text()
      expect(res.status, path).toBe(200)
      expect(html).not.toContain('action="/admin/login"')
      expect(res.headers.get('set-cookie') ?? '').not.toContain('kefu_session')
    }
    const who = await accessSignIn({ ...env, ...SETTINGS }, new Headers({ [ACCESS_HEADER]: token }), Date.now())
    expect(who).toMatchObject({ outcome: 'ok', operator: { id: operator.id, name: 'Ada', role: 'agent', email: 'ada@example.com' } })
  })

  it('audits a sign-in once per Access token, and an email no operator has as a failed one', async () => {
    const audited = async (action: string) =>
      (
        await env.DB.prepare('SELECT operator_id, summary FROM audit WHERE action = ? AND summary LIKE ? ORDER BY at')
          .bind(action, '%Cloudflare Access%')
          .all<{ operator_id: string; summary: string }>()
      ).results
    const before = (await audited('sign_in')).filter((e) => e.operator_id === operator.id).length
    const token = await fresh({ email: 'ada@example.com' })
    for (const path of ['/admin', '/admin/conversations', '/admin']) {
      expect((await visit({ [ACCESS_HEADER]: token }, SETTINGS, path)).status).toBe(200)
    }
    expect((await audited('sign_in')).filter((e) => e.operator_id === operator.id)).toHaveLength(before + 1)
    // Signed in again (a new token): a new entry.
    expect((await visit({ [ACCESS_HEADER]: await fresh({ email: 'ada@example.com', nonce: 'again' }) })).status).toBe(200)
    expect((await audited('sign_in')).filter((e) => e.operator_id === operator.id)).toHaveLength(before + 2)
    const stranger = await fresh({ email: 'stranger@example.com' })
    for (let i = 0; i < 2; i++) expect((await visit({ [ACCESS_HEADER]: stranger })).status).toBe(403)
    const failed = (await audited('sign_in_failed')).filter((e) => e.summary.includes('stranger@example.com'))
    expect(failed).toHaveLength(1)
    expect(failed[0]?.summary).toContain('no operator has that email')
    expect(JSON.stringify(await audited('sign_in'))).not.toContain(token.split('.')[2])
  })

  it('falls back to the sign-in page for a token that does not hold', async () => {
    const now = Date.now()
    for (const token of [
      await fresh({ aud: 'f'.repeat(64) }),
      await fresh({ exp: Math.floor(now / 1000) - 5 }),
      await fresh({}, { header: { alg: 'none' } }),
      await fresh({}, { key: 'unpublished' }),
      'not.a.jwt',
      'x'.repeat(9000),
    ]) {
      const res = await visit({ [ACCESS_HEADER]: token })
      expect(res.status).toBe(401)
      expect(await res.text()).toContain('action="/admin/login"')
    }
  })

  it('shows an email no operator has the ask-the-owner page, in Chinese and English', async () => {
    const token = await fresh({ email: 'grace@example.com' })
    const res = await visit({ [ACCESS_HEADER]: token })
    expect(res.status).toBe(403)
    const html = await res.text()
    expect(html).toContain('grace@example.com')
    expect(html).toContain('请联系所有者')
    expect(html).not.toContain(token)
    const en = await visit({ [ACCESS_HEADER]: token, cookie: 'kefu_lang=en' })
    expect(en.status).toBe(403)
    expect(await en.text()).toContain('Ask the owner to add grace@example.com as an operator')
  })

  it('lets a session say who it is when Access vouches for an email no operator has (the owner’s break glass)', async () => {
    const login = await app.fetch(
      new Request(`${BASE}/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE },
        body: new URLSearchParams({ token: TEST_SETTINGS.ADMIN_TOKEN }).toString(),
        redirect: 'manual',
      }),
      { ...env, ...SETTINGS },
      createExecutionContext(),
    )
    expect(login.status).toBe(303)
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!
    const res = await visit({ [ACCESS_HEADER]: await fresh({ email: 'owner@example.com' }), cookie })
    expect(res.status).toBe(200)
  })

  it('stops at once for an operator removed: the same token then gets the ask-the-owner page', async () => {
    const { operator: gone } = await addOperator(env.DB, { name: 'Lin', role: 'viewer', apps: null, email: 'lin@example.com' }, Date.now())
    const token = await fresh({ email: 'lin@example.com' })
    expect((await visit({ [ACCESS_HEADER]: token })).status).toBe(200)
    expect(await removeOperator(env.DB, gone.id)).toBe(true)
    const res = await visit({ [ACCESS_HEADER]: token })
    expect(res.status).toBe(403)
    expect(await res.text()).toContain('lin@example.com')
  })

  it('ignores the header without the settings, or with only one of them', async () => {
    const token = await fresh({ email: 'ada@example.com' })
    for (const settings of [
      { ACCESS_TEAM_DOMAIN: undefined, ACCESS_AUD: undefined },
      { ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: undefined },
      { ACCESS_TEAM_DOMAIN: undefined, ACCESS_AUD: AUD },
      { ACCESS_TEAM_DOMAIN: TEAM, ACCESS_AUD: 'not-hex' },
    ]) {
      const res = await visit({ [ACCESS_HEADER]: token }, settings)
      expect(res.status, JSON.stringify(settings)).toBe(401)
      expect(await res.text()).toContain('action="/admin/login"')
    }
    // The Worker as deployed in these tests has no Access settings at all.
    const res = await app.fetch(new Request(`${BASE}/admin`, { headers: { [ACCESS_HEADER]: token } }), env, createExecutionContext())
    expect(res.status).toBe(401)
  })

  it('keeps the console’s Origin check: a form posted from another site with a good token is refused', async () => {
    const token = await fresh()
    const post = (origin: string) =>
      app.fetch(
        new Request(`${BASE}/admin/logout`, {
          method: 'POST',
          headers: { [ACCESS_HEADER]: token, origin, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'everywhere=0',
          redirect: 'manual',
        }),
        { ...env, ...SETTINGS },
        createExecutionContext(),
      )
    expect((await post('https://evil.example')).status).toBe(403)
    expect((await post(BASE)).status).toBe(303)
  })

  it('leaves the admin API to its tokens', async () => {
    const res = await visit({ [ACCESS_HEADER]: await fresh() }, SETTINGS, '/admin/api/stats')
    expect(res.status).toBe(401)
  })
})
