/**
 * Two mini programs on one Worker (WECHAT_APPS): each push is verified with its own app's
 * token and key, answered from its own rules, sent with its own access_token, and recorded in
 * its own Conversation objects, grants and D1 rows; the admin API acts on one app at a time.
 * The strict fake WeChat API checks each app's appid and secret.
 */
import { env, exports } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { buildPush, popupEvent, textMessage } from '../../dev/push'
import { importCipher } from '../../src/wechat/cipher'
import type { FlatFields } from '../../src/wechat/message'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { captureLogs } from '../support/helpers'
import { SECOND_APP, TEST_SETTINGS } from '../support/settings'

const A = TEST_SETTINGS.WECHAT_APPID
const B = SECOND_APP.appid
const SEND = '/cgi-bin/message/custom/send'
const AUTH = { authorization: `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}` }
captureLogs()
let msgIds = 7_600_000_000_000_000_000n

const KEYS: Record<string, { token: string; aesKey: string }> = {
  [A]: { token: TEST_SETTINGS.WECHAT_TOKEN, aesKey: TEST_SETTINGS.WECHAT_ENCODING_AES_KEY },
  [B]: { token: SECOND_APP.token, aesKey: SECOND_APP.aesKey },
}

beforeAll(async () => {
  const ruleSet = (answer: string) =>
    JSON.stringify({ rules: [{ id: 'hi', when: { text: ['你好'] }, reply: { type: 'text', text: answer } }] })
  await env.RULES.put('rules', ruleSet('A 的回复'))
  await env.RULES.put(`app:${B}:rules`, ruleSet('B 的回复'))
})

/** A safe-mode push signed and sealed with `signer`'s keys, to `route`'s push URL. */
async function pushAs(signer: string, route: string, message: FlatFields | string): Promise<Response> {
  const keys = KEYS[signer]!
  const { query, body } = await buildPush(message, {
    token: keys.token,
    mode: 'safe',
    format: 'xml',
    cipher: await importCipher(keys.aesKey, signer),
  })
  const path = route === A ? '/wechat' : `/wechat/${route}`
  return exports.default.fetch(`https://kefu.example${path}?${query}`, { method: 'POST', body })
}

const text = (openid: string, content: string): FlatFields => ({ ...textMessage(openid, content, String(++msgIds)), ToUserName: 'gh_test' })

async function sentTo(appid: string, openid: string, count: number): Promise<string[]> {
  return vi.waitFor(
    async () => {
      const calls = (await fakeWechat.calls({ appid, touser: openid, path: SEND })).filter((c) => c.errcode === 0)
      expect(calls).toHaveLength(count)
      return calls.map((c) => (c.body as { text: { content: string } }).text.content)
    },
    { timeout: 5000, interval: 25 },
  )
}

const api = async (path: string, init: RequestInit = {}) => {
  const res = await exports.default.fetch(`https://kefu.example${path}`, { ...init, headers: { ...AUTH, ...(init.headers ?? {}) } })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('two apps, side by side', () => {
  it("each app's push is answered from its own rules and sent with its own token", async () => {
    const openid = uniqueOpenid()
    expect(await (await pushAs(A, A, text(openid, '你好'))).text()).toBe('success')
    expect(await (await pushAs(B, B, text(openid, '你好'))).text()).toBe('success')
    expect(await sentTo(A, openid, 1)).toEqual(['A 的回复'])
    expect(await sentTo(B, openid, 1)).toEqual(['B 的回复'])
    // The fake names each call's app by the token it carried: B's send used a token issued to B.
    const tokensA = (await fakeWechat.app(A)).tokens.map((t) => t.token)
    const tokensB = (await fakeWechat.app(B)).tokens.map((t) => t.token)
    expect(tokensB.length).toBeGreaterThan(0)
    expect(tokensA.some((t) => tokensB.includes(t))).toBe(false)
  })

  it('a push signed with app A’s token to app B’s route is refused, and nothing reaches B', async () => {
    const openid = uniqueOpenid()
    const res = await pushAs(A, B, text(openid, '你好'))
    expect(res.status).toBe(401)
    expect(await fakeWechat.calls({ appid: B, touser: openid })).toEqual([])
    expect((await env.CONVERSATIONS.getByName(`${B}:${openid}`).state()).inbound).toEqual([])
  })

  it('an appid the Worker does not serve is a 404; the first app keeps /wechat only', async () => {
    expect((await exports.default.fetch('https://kefu.example/wechat/wx0000000000000000', { method: 'POST', body: '<xml/>' })).status).toBe(
      404,
    )
    expect((await exports.default.fetch(`https://kefu.example/wechat/${A}`, { method: 'POST', body: '<xml/>' })).status).toBe(404)
  })

  it('state stays apart: conversations, grants and the admin API per app', async () => {
    const openid = uniqueOpenid()
    await pushAs(B, B, text(openid, '你好'))
    await sentTo(B, openid, 1)
    await pushAs(B, B, popupEvent('xml', openid, [['tplSecondApp01', 'accept']]))

    // App A has never seen this user: no object state, no grants, no record.
    expect((await env.CONVERSATIONS.getByName(openid).state()).inbound).toEqual([])
    expect((await api(`/admin/api/users/${openid}/subscriptions`)).body.templates).toEqual([])
    expect((await api(`/admin/api/conversations/${openid}`)).status).toBe(404)
    // App B has it all.
    expect((await api(`/admin/api/users/${openid}/subscriptions?app=${B}`)).body.templates).toMatchObject([
      { templateId: 'tplSecondApp01', grants: 1 },
    ])
    await vi.waitFor(async () => expect((await api(`/admin/api/conversations/${openid}?app=${B}`)).status).toBe(200))

    // A subscribe send through app A finds no grant (409, no call); through app B it spends B's.
    const body = JSON.stringify({ touser: openid, template_id: 'tplSecondApp01', data: { thing1: { value: '到货了' } } })
    const post = (app: string) =>
      api(`/admin/api/subscribe/send${app === A ? '' : `?app=${app}`}`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      })
    expect((await post(A)).status).toBe(409)
    expect(await fakeWechat.calls({ appid: A, touser: openid, path: '/cgi-bin/message/subscribe/send' })).toEqual([])
    expect(await post(B)).toEqual({ status: 200, body: { sent: true, spent: 'grant' } })
    expect(await fakeWechat.calls({ appid: B, touser: openid, path: '/cgi-bin/message/subscribe/send' })).toHaveLength(1)

    // A reply by hand through B uses B's window and token.
    const reply = await api(`/admin/api/conversations/${openid}/reply?app=${B}`, {
      method: 'POST',
      body: JSON.stringify({ type: 'text', text: '人工回复' }),
      headers: { 'content-type': 'application/json' },
    })
    expect(reply.status).toBe(200)
    expect(await sentTo(B, openid, 2)).toEqual(['B 的回复', '人工回复'])
    expect(await fakeWechat.calls({ appid: A, touser: openid })).toEqual([])
  })

  it('rules are published and read per app', async () => {
    const put = await api(`/admin/api/rules?app=${B}`, {
      method: 'PUT',
      body: JSON.stringify({ rules: [{ id: 'b-only', when: { text: ['b'] }, reply: { type: 'text', text: 'b' } }] }),
      headers: { 'content-type': 'application/json' },
    })
    expect(put.status).toBe(200)
    expect(JSON.parse(String((await api(`/admin/api/rules?app=${B}`)).body.source))).toMatchObject({ rules: [{ id: 'b-only' }] })
    expect(JSON.parse(String((await api('/admin/api/rules')).body.source))).toMatchObject({ rules: [{ id: 'hi' }] })
    expect(await env.RULES.get(`app:${B}:rules`)).toContain('b-only')
    // B's history: the version put by hand before (found by the publish) and the publish; A's has neither.
    expect(((await api(`/admin/api/rules/history?app=${B}`)).body.items as { from: string }[]).map((i) => i.from)).toEqual([
      'api',
      'unrecorded',
    ])
    expect((await api('/admin/api/rules/history')).body.items).toEqual([])
    expect((await api('/admin/api/rules?app=wx0000000000000000')).status).toBe(404)
  })

  it('/healthz lists each app’s settings by the names the operator sets, to the operator only', async () => {
    const res = await exports.default.fetch('https://kefu.example/healthz', { headers: AUTH })
    const body = (await res.json()) as { apps: { appid: string; ok: boolean; settings: Record<string, { status: string }> }[] }
    expect(body.apps.map((app) => app.appid)).toEqual([A, B])
    const ok = { status: 'ok' }
    expect(body.apps[1]).toMatchObject({
      ok: true,
      settings: {
        [`WECHAT_TOKEN_${B}`]: ok,
        [`WECHAT_APPSECRET_${B}`]: ok,
        [`WECHAT_ENCODING_AES_KEY_${B}`]: ok,
        [`WECHAT_PUSH_MODE_${B}`]: ok,
      },
    })
    // Publicly no appid.
    const open = await (await exports.default.fetch('https://kefu.example/healthz')).text()
    expect(open).not.toContain(A)
    expect(open).not.toContain(B)
  })
})
