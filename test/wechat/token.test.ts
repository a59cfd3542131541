/**
 * The access_token: one stable_token fetch serves many calls, in memory and through KV
 * across isolates; expiry; refusal → refresh → one retry; force_refresh at most once.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { SettingError } from '../../src/settings/env'
import { WechatApiError, WechatClient } from '../../src/wechat/api'
import { forceRefreshKey, tokenKey } from '../../src/wechat/token'
import { tokenAnswer } from '../../src/wechat/token-cache'
import { fakeBase, fakeWechat, testClient, uniqueOpenid } from '../support/fake-wechat-client'
import { rejection } from '../support/helpers'

const STABLE = '/cgi-bin/stable_token'
const SEND = '/cgi-bin/message/custom/send'
const text = (content: string) => ({ msgtype: 'text', text: { content } }) as const

async function tokenFetches(appid: string) {
  const calls = await fakeWechat.calls({ appid, path: STABLE })
  return calls.map((call) => (call.body as { force_refresh: boolean }).force_refresh)
}

describe('access_token cache', () => {
  it('fetches one token for many sends', async () => {
    const { client, appid } = testClient()
    const openid = uniqueOpenid()
    for (let i = 0; i < 10; i++) await client.sendCustom(openid, text(`hello ${i}`))
    expect(await tokenFetches(appid)).toEqual([false])
    expect(await fakeWechat.calls({ appid, path: SEND })).toHaveLength(10)
  })

  it('shares one fetch between concurrent cold calls', async () => {
    const { client, appid } = testClient()
    const openid = uniqueOpenid()
    await Promise.all(Array.from({ length: 6 }, (_, i) => client.sendCustom(openid, text(`c${i}`))))
    expect(await tokenFetches(appid)).toEqual([false])
  })

  it('reuses the token from KV in an isolate that just started', async () => {
    const first = testClient()
    await first.client.sendCustom(uniqueOpenid(), text('one'))
    // Fresh isolate memory, same app: only KV can know the token.
    const restarted = testClient({ appid: first.appid, secret: first.secret })
    expect(restarted.memory).not.toBe(first.memory)
    await restarted.client.sendCustom(uniqueOpenid(), text('two'))
    expect(await tokenFetches(first.appid)).toEqual([false])

    const stored = await env.CACHE.get<{ token: string; refreshAt: number }>(tokenKey(first.appid), 'json')
    const state = await fakeWechat.app(first.appid)
    expect(stored?.token).toBe(state.tokens[0]?.token)
  })

  it('does not read KV again in a warm isolate', async () => {
    const { client, appid } = testClient()
    await client.sendCustom(uniqueOpenid(), text('warm'))
    // Whatever KV now says, the warm isolate keeps its token in memory.
    await env.CACHE.put(tokenKey(appid), JSON.stringify({ token: 'FAKE_bogus', refreshAt: Date.now() + 1e9 }))
    await client.sendCustom(uniqueOpenid(), text('still warm'))
    const sends = await fakeWechat.calls({ appid, path: SEND })
    expect(sends.map((call) => call.errcode)).toEqual([0, 0])
  })

  it('fetches a new token once the cached one is past its refresh time', async () => {
    let now = Date.now()
    const { client, appid } = testClient({ now: () => now })
    await client.sendCustom(uniqueOpenid(), text('before'))
    now += 7200 * 1000 // the cached token (7200 s minus the 5-minute margin) is stale
    await client.sendCustom(uniqueOpenid(), text('after'))
    expect(await tokenFetches(appid)).toEqual([false, false])
  })

  it('keeps the token in KV past its refresh point, until just before it expires', async () => {
    const { client, appid } = testClient()
    const before = Date.now()
    await client.sendCustom(uniqueOpenid(), text('ttl'))
    const stored = await env.CACHE.get<{ refreshAt: number; expiresAt: number }>(tokenKey(appid), 'json')
    expect(stored!.expiresAt - before).toBeGreaterThanOrEqual(7200 * 1000)
    expect(stored!.expiresAt - stored!.refreshAt).toBe(300 * 1000)
    const listed = await env.CACHE.list({ prefix: tokenKey(appid) })
    const expiration = listed.keys[0]!.expiration! * 1000
    expect(expiration).toBeGreaterThan(stored!.refreshAt)
    expect(expiration).toBeLessThan(stored!.expiresAt)
  })

  it('spreads refreshes: each isolate asks for the successor at its own point past the refresh time', async () => {
    let now = Date.now()
    const early = testClient({ now: () => now })
    early.memory.refreshJitter = 0
    await early.client.sendCustom(uniqueOpenid(), text('start'))
    const late = testClient({ appid: early.appid, secret: early.secret, now: () => now })
    late.memory.refreshJitter = 0.99
    await late.client.sendCustom(uniqueOpenid(), text('from KV'))
    expect(await tokenFetches(early.appid)).toEqual([false])

    now += (7200 - 300) * 1000 + 1000 // a second past the refresh point
    await late.client.sendCustom(uniqueOpenid(), text('late isolate: not yet'))
    expect(await tokenFetches(early.appid)).toEqual([false])
    await early.client.sendCustom(uniqueOpenid(), text('early isolate: now'))
    expect(await tokenFetches(early.appid)).toEqual([false, false])
  })

  it('keeps using a still-valid token while WeChat cannot hand out its successor', async () => {
    let now = Date.now()
    const { client, appid, memory } = testClient({ now: () => now })
    memory.refreshJitter = 0.999 // the latest refresh point an isolate can draw
    await client.sendCustom(uniqueOpenid(), text('before'))
    // Past every isolate's refresh point (at most 300 − 120 s before expiry), 150 s before expiry.
    now += (7200 - 150) * 1000
    await fakeWechat.fault({ path: STABLE, appid, kind: 'http500' })
    await client.sendCustom(uniqueOpenid(), text('during the outage'))
    const sends = await fakeWechat.calls({ appid, path: SEND })
    expect(sends.map((call) => call.errcode)).toEqual([0, 0])
    expect(await tokenFetches(appid)).toEqual([false, false])
  })

  it('falls through to stable_token when KV cannot be read', async () => {
    // The real local KV, with its reads failing as in an outage (nothing else is changed).
    const failingReads = new Proxy(env.CACHE, {
      get(target, property) {
        if (property === 'get') return () => Promise.reject(new Error('KV GET failed: 503'))
        const value: unknown = Reflect.get(target, property)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    const { client, appid } = testClient({ cache: failingReads })
    await client.sendCustom(uniqueOpenid(), text('no KV'))
    expect(await tokenFetches(appid)).toEqual([false])
    expect((await fakeWechat.calls({ appid, path: SEND })).map((call) => call.errcode)).toEqual([0])
  })

  it('caches short-lived tokens for less than their life', async () => {
    const { client, appid, secret } = testClient()
    await fakeWechat.configureApp({ appid, secret, expiresIn: 400 })
    await client.sendCustom(uniqueOpenid(), text('short'))
    const stored = await env.CACHE.get<{ refreshAt: number }>(tokenKey(appid), 'json')
    expect(stored!.refreshAt - Date.now()).toBeLessThanOrEqual(200 * 1000)
  })
})

describe('refused token', () => {
  it('refreshes and retries once after 42001 (token expired)', async () => {
    const { client, appid } = testClient()
    const openid = uniqueOpenid()
    await client.sendCustom(openid, text('one'))
    await fakeWechat.expireTokens(appid)
    await client.sendCustom(openid, text('two'))

    const sends = await fakeWechat.calls({ appid, path: SEND })
    expect(sends.map((call) => call.errcode)).toEqual([0, 42001, 0])
    expect(sends[1]!.token).not.toBe(sends[2]!.token)
    // The stable token in normal mode gave a new token: no force refresh needed.
    expect(await tokenFetches(appid)).toEqual([false, false])
  })

  it('refreshes after 40001 from another isolate having force-refreshed', async () => {
    const { client, appid, secret } = testClient()
    await client.sendCustom(uniqueOpenid(), text('one'))
    // Someone else forces a new token: ours is no longer the latest.
    const other = await fetch(`${fakeBase()}${STABLE}`, {
      method: 'POST',
      body: JSON.stringify({ grant_type: 'client_credential', appid, secret, force_refresh: true }),
    })
    expect(((await other.json()) as { access_token?: string }).access_token).toBeTruthy()
    await client.sendCustom(uniqueOpenid(), text('two'))
    const sends = await fakeWechat.calls({ appid, path: SEND })
    expect(sends.map((call) => call.errcode)).toEqual([0, 40001, 0])
  })

  it('force-refreshes when WeChat hands back the token it refused, then retries', async () => {
    const { client, appid } = testClient()
    const openid = uniqueOpenid()
    await client.sendCustom(openid, text('one'))
    await fakeWechat.fault({ path: SEND, appid, kind: 'errcode', errcode: 40001 })
    await client.sendCustom(openid, text('two'))

    expect(await tokenFetches(appid)).toEqual([false, false, true])
    const sends = await fakeWechat.calls({ appid, path: SEND })
    expect(sends.map((call) => call.errcode)).toEqual([0, 40001, 0])
    expect(await env.CACHE.get(forceRefreshKey(appid))).toMatch(/^\d+$/)
  })

  it('uses force_refresh at most once, then reports kind token', async () => {
    const { client, appid, secret } = testClient()
    const openid = uniqueOpenid()
    await client.sendCustom(openid, text('one'))
    await fakeWechat.fault({ path: SEND, appid, kind: 'errcode', errcode: 40001, times: 5 })

    const error = await rejection(client.sendCustom(openid, text('two')), WechatApiError)
    expect(error.kind).toBe('token')
    expect(error.errcode).toBe(40001)
    expect((await tokenFetches(appid)).filter(Boolean)).toHaveLength(1)

    // Within 30 s, neither this isolate nor a fresh one (KV) forces again.
    const againHere = await rejection(client.sendCustom(openid, text('three')), WechatApiError)
    const fresh = testClient({ appid, secret })
    const againThere = await rejection(fresh.client.sendCustom(openid, text('four')), WechatApiError)
    expect([againHere.kind, againThere.kind]).toEqual(['token', 'token'])
    expect((await tokenFetches(appid)).filter(Boolean)).toHaveLength(1)
    expect((await fakeWechat.app(appid)).forceRefreshes).toBe(1)
  })

  it('treats 40014 (invalid access_token) like 40001', async () => {
    const { client, appid } = testClient()
    await client.sendCustom(uniqueOpenid(), text('one'))
    await fakeWechat.fault({ path: SEND, appid, kind: 'errcode', errcode: 40014 })
    await client.sendCustom(uniqueOpenid(), text('two'))
    const sends = await fakeWechat.calls({ appid, path: SEND })
    expect(sends.map((call) => call.errcode)).toEqual([0, 40014, 0])
  })
})

describe('credentials', () => {
  it('reports a refused secret as kind token without retrying', async () => {
    const { appid } = testClient()
    await fakeWechat.configureApp({ appid, secret: 'therightsecret0123456789abcdef00' })
    const { client } = testClient({ appid, secret: 'thewrongsecret0123456789abcdef00' })
    const error = await rejection(client.sendCustom(uniqueOpenid(), text('x')), WechatApiError)
    expect(error).toMatchObject({ kind: 'token', errcode: 40125, api: 'stable_token' })
    expect(error.message).not.toContain('thewrongsecret')
    expect(await tokenFetches(appid)).toEqual([false])
  })

  it('keeps a busy stable_token retryable', async () => {
    const { client, appid } = testClient()
    await fakeWechat.fault({ path: STABLE, appid, kind: 'errcode', errcode: -1 })
    const error = await rejection(client.sendCustom(uniqueOpenid(), text('x')), WechatApiError)
    expect(error).toMatchObject({ kind: 'retryable', errcode: -1, api: 'stable_token' })
  })

  it('reads the token in an answer, and calls one without it malformed and retryable', () => {
    expect(tokenAnswer('stable_token', { access_token: 'abc', expires_in: 7200 })).toEqual({ token: 'abc', expiresIn: 7200 })
    for (const answer of [{}, { access_token: '', expires_in: 7200 }, { access_token: 'abc', expires_in: 0 }, { access_token: 'abc' }]) {
      expect(() => tokenAnswer('stable_token', answer)).toThrow(
        expect.objectContaining({ name: 'WechatApiError', kind: 'retryable', errcode: -1004, api: 'stable_token' }),
      )
    }
  })

  it('builds from the Worker env, and names a missing setting', () => {
    expect(WechatClient.fromEnv(env).appid).toBe(env.WECHAT_APPID)
    expect(() => WechatClient.fromEnv({ ...env, WECHAT_APPSECRET: '' })).toThrow(SettingError)
    expect(() => WechatClient.fromEnv({ ...env, WECHAT_APPID: 'nope' })).toThrow(/WECHAT_APPID/)
    expect(() => WechatClient.fromEnv({ ...env, WECHAT_API_BASE: 'ftp://x' })).toThrow(/WECHAT_API_BASE/)
  })
})
