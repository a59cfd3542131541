/**
 * Hardening of the push route: the push mode the operator chose is the only one accepted
 * (no downgrade to the plaintext signature, which covers no body); an encrypted push is
 * verified before anything parses its body; element names cannot reach an object's
 * prototype; and what /healthz and /admin show, to whom.
 */
import { createExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { buildPush, textMessage } from '../../dev/push'
import type { Env } from '../../src/settings/env'
import { app } from '../../src/app'
import { healthReport } from '../../src/admin/health-report'
import { encrypt } from '../../src/wechat/cipher'
import { serializeFields } from '../../src/wechat/message'
import { sign } from '../../src/wechat/signature'
import { uniqueOpenid } from '../support/fake-wechat-client'
import { BASE, captureLogs, pushOptions, testCipher } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'

const logs = captureLogs()
const now = () => Math.floor(Date.now() / 1000)

function call(path: string, init: RequestInit, overrides: Partial<Env> = {}): Promise<Response> {
  return Promise.resolve(app.fetch(new Request(`${BASE}${path}`, init), { ...env, ...overrides }, createExecutionContext()))
}

async function pushIn(mode: 'plaintext' | 'compatible' | 'safe', overrides: Partial<Env>, openid = uniqueOpenid()) {
  const { query, body } = await buildPush(textMessage(openid, 'hi', String(Date.now())), await pushOptions(mode, 'xml'))
  return call(`/wechat?${query}`, { method: 'POST', body }, overrides)
}

async function inbound(openid: string): Promise<number> {
  return (await env.CONVERSATIONS.getByName(openid).state()).inbound.length
}

describe('WECHAT_PUSH_MODE: a push in another mode is refused', () => {
  it('defaults to safe with an AES key: a plaintext push is refused, logged, and nothing is recorded', async () => {
    const openid = uniqueOpenid()
    const res = await pushIn('plaintext', {}, openid)
    expect(res.status).toBe(400)
    expect(await res.text()).toBe('plaintext push refused: WECHAT_PUSH_MODE is safe')
    expect(logs.events().find((e) => e.event === 'push.refused')).toMatchObject({ status: 400 })
    expect(await inbound(openid)).toBe(0)
  })

  it('in safe and compatible mode accepts encrypted pushes of either shape, and refuses plaintext', async () => {
    for (const mode of ['safe', 'compatible'] as const) {
      for (const shape of ['safe', 'compatible'] as const) {
        expect((await pushIn(shape, { WECHAT_PUSH_MODE: mode })).status, `${shape} push in ${mode} mode`).toBe(200)
      }
      expect((await pushIn('plaintext', { WECHAT_PUSH_MODE: mode })).status).toBe(400)
    }
  })

  it('in plaintext mode accepts plaintext pushes and refuses encrypted ones', async () => {
    expect((await pushIn('plaintext', { WECHAT_PUSH_MODE: 'plaintext' })).status).toBe(200)
    const res = await pushIn('safe', { WECHAT_PUSH_MODE: 'plaintext' })
    expect(res.status).toBe(400)
    expect(await res.text()).toMatch(/WECHAT_PUSH_MODE is plaintext/)
  })

  it('defaults to plaintext without an AES key', async () => {
    expect((await pushIn('plaintext', { WECHAT_ENCODING_AES_KEY: '' })).status).toBe(200)
  })

  it('refuses an encrypt_type other than aes', async () => {
    const { query, body } = await buildPush(textMessage(uniqueOpenid(), 'hi', '1'), await pushOptions('safe', 'xml'))
    query.set('encrypt_type', 'raw')
    expect((await call(`/wechat?${query}`, { method: 'POST', body })).status).toBe(400)
  })

  it('answers 500 naming the AES key when safe or compatible mode is set without one', async () => {
    for (const mode of ['safe', 'compatible']) {
      const res = await pushIn('safe', { WECHAT_PUSH_MODE: mode, WECHAT_ENCODING_AES_KEY: '' })
      expect(res.status).toBe(500)
      expect(await res.text()).toMatch(/WECHAT_ENCODING_AES_KEY is not set \(WECHAT_PUSH_MODE is/)
    }
  })

  it('refuses a malformed WECHAT_PUSH_MODE with a 500 naming it', async () => {
    const res = await pushIn('safe', { WECHAT_PUSH_MODE: 'secure' })
    expect(res.status).toBe(500)
    expect(await res.text()).toMatch(/WECHAT_PUSH_MODE is not safe, compatible or plaintext/)
  })
})

describe('verify before parse: an encrypted push is checked by its signature first', () => {
  /** A body no parser accepts, around a ciphertext the signature does not cover. */
  const poisoned = (encrypted: string) =>
    `<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt>${'<a>'.repeat(5000)}`

  it('refuses a forged body by its signature (401), however malformed the rest of it is', async () => {
    const cipher = await testCipher()
    const encrypted = await encrypt(cipher, serializeFields('xml', textMessage(uniqueOpenid(), 'hi', '1')))
    const timestamp = String(now())
    const query = new URLSearchParams({
      timestamp,
      nonce: '1',
      encrypt_type: 'aes',
      msg_signature: 'f'.repeat(40),
    })
    const xml = await call(`/wechat?${query}`, { method: 'POST', body: poisoned(encrypted) })
    expect(xml.status).toBe(401)
    expect(await xml.text()).toBe('bad msg_signature')
    const json = await call(`/wechat?${query}`, { method: 'POST', body: `{"Encrypt":"${encrypted}", "x": [[[[[[[[[[` })
    expect(json.status).toBe(401)
  })

  it('uses only the signed ciphertext: a correctly signed push with junk around it is answered from what it decrypts to', async () => {
    const openid = uniqueOpenid()
    const cipher = await testCipher()
    const encrypted = await encrypt(cipher, serializeFields('xml', textMessage(openid, 'hi', String(Date.now()))))
    const timestamp = String(now())
    const query = new URLSearchParams({
      timestamp,
      nonce: '7',
      encrypt_type: 'aes',
      msg_signature: await sign([TEST_SETTINGS.WECHAT_TOKEN, timestamp, '7', encrypted]),
    })
    const res = await call(`/wechat?${query}`, { method: 'POST', body: poisoned(encrypted) })
    expect(res.status).toBe(200)
    expect(await inbound(openid)).toBe(1)
  })

  it('refuses a body with two Encrypt elements, or none', async () => {
    const timestamp = String(now())
    const query = new URLSearchParams({ timestamp, nonce: '1', encrypt_type: 'aes', msg_signature: 'a'.repeat(40) })
    const twice = '<xml><Encrypt><![CDATA[QUJD]]></Encrypt><Encrypt>REVG</Encrypt></xml>'
    expect(await (await call(`/wechat?${query}`, { method: 'POST', body: twice })).text()).toBe('Encrypt appears more than once')
    const none = '<xml><ToUserName>gh</ToUserName></xml>'
    expect(await (await call(`/wechat?${query}`, { method: 'POST', body: none })).text()).toBe('Encrypt is missing')
    const jsonTwice = '{"Encrypt":"QUJD","Encrypt":"REVG"}'
    expect(await (await call(`/wechat?${query}`, { method: 'POST', body: jsonTwice })).text()).toBe('Encrypt appears more than once')
  })

  it('in compatible mode, text a user typed cannot pose as the Encrypt element', async () => {
    for (const format of ['xml', 'json'] as const) {
      const openid = uniqueOpenid()
      const typed = format === 'xml' ? '<Encrypt>QUJD</Encrypt>' : '"Encrypt":"QUJD"'
      const { query, body } = await buildPush(textMessage(openid, typed, String(Date.now())), await pushOptions('compatible', format))
      const res = await call(`/wechat?${query}`, { method: 'POST', body })
      expect(res.status, format).toBe(200)
      expect(await inbound(openid)).toBe(1)
    }
  })

  it('refuses a body over the 64 KiB default with 413', async () => {
    const { query, body } = await buildPush(textMessage(uniqueOpenid(), 'hi', '1'), await pushOptions('safe', 'xml'))
    const over = `${body}${' '.repeat(64 * 1024 + 1 - body.length)}`
    expect((await call(`/wechat?${query}`, { method: 'POST', body: over })).status).toBe(413)
    const under = `${body}${' '.repeat(64 * 1024 - body.length)}`
    expect((await call(`/wechat?${query}`, { method: 'POST', body: under })).status).toBe(200)
  })
})

describe('XML element names are data, not object keys', () => {
  async function plaintextXml(xml: string) {
    const { query, body } = await buildPush(xml, await pushOptions('plaintext', 'xml'))
    return call(`/wechat?${query}`, { method: 'POST', body }, { WECHAT_PUSH_MODE: 'plaintext' })
  }
  const fields = (openid: string) => `<ToUserName>gh_x</ToUserName><FromUserName>${openid}</FromUserName><CreateTime>${now()}</CreateTime>`

  it('a <__proto__> element cannot supply fields the push did not send', async () => {
    const openid = uniqueOpenid()
    const res = await plaintextXml(
      `<xml>${fields(openid)}<__proto__><MsgType>text</MsgType><Content>hi</Content><MsgId>5</MsgId></__proto__></xml>`,
    )
    expect(res.status).toBe(400)
    expect(await res.text()).toMatch(/MsgType/)
  })

  it('a <constructor> element is just an unknown field', async () => {
    const openid = uniqueOpenid()
    const res = await plaintextXml(
      `<xml>${fields(openid)}<constructor>x</constructor><toString>y</toString><MsgType>text</MsgType><Content>hi</Content><MsgId>${Date.now()}</MsgId></xml>`,
    )
    expect(res.status).toBe(200)
  })
})

describe('/healthz: public status, details for the operator', () => {
  type Health = { ok: boolean; version: string; mode: string | null; settings: Record<string, unknown>; rules?: unknown }

  const headers = { authorization: `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}` }

  it('publicly shows only ok and the version: no mode, setting or rule set', async () => {
    const res = await call('/healthz', {})
    expect(await res.json()).toEqual({ ok: true, version: expect.any(String) })
    const broken = await call('/healthz', {}, { WECHAT_TOKEN: '' })
    expect(broken.status).toBe(503)
    expect(await broken.json()).toEqual({ ok: false, version: expect.any(String) })
  })

  it('shows reasons and the rule set with the admin token, and the public view with a wrong one', async () => {
    const admin = (await (await call('/healthz', { headers }, { WECHAT_TOKEN: '' })).json()) as Health
    expect(admin.settings.WECHAT_TOKEN).toEqual({ status: 'missing', reason: 'WECHAT_TOKEN is not set' })
    expect(admin.rules).toMatchObject({ version: expect.any(String) })
    const wrong = (await (await call('/healthz', { headers: { authorization: 'Bearer nope-nope-nope-nope' } })).json()) as Health
    expect(wrong).toEqual({ ok: true, version: expect.any(String) })
  })

  it('shows the operator the mode in force, and the AES key as missing when the mode needs it', async () => {
    const plain = (await (await call('/healthz', { headers }, { WECHAT_ENCODING_AES_KEY: '' })).json()) as Health
    expect(plain).toMatchObject({ ok: true, mode: 'plaintext' })
    const res = await call('/healthz', { headers }, { WECHAT_ENCODING_AES_KEY: '', WECHAT_PUSH_MODE: 'compatible' })
    expect(res.status).toBe(503)
    const body = (await res.json()) as Health
    expect(body).toMatchObject({ ok: false, mode: 'compatible' })
    expect(body.settings.WECHAT_ENCODING_AES_KEY).toMatchObject({ status: 'missing' })
  })
})

describe('admin settings and inputs', () => {
  it('refuses an ADMIN_TOKEN the bearer check could never accept', async () => {
    // No bearer header can carry it, so nobody gets the details: publicly, 503 and not ok.
    const res = await call('/healthz', {}, { ADMIN_TOKEN: 'has spaces and ümlauts in it' })
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ ok: false, version: expect.any(String) })
    // The operator's report (the console's status page) names it.
    const report = await healthReport({ ...env, ADMIN_TOKEN: 'has spaces and ümlauts in it' })
    expect(report.settings.ADMIN_TOKEN).toMatchObject({ status: 'malformed' })
  })

  it('validates the openid before any Durable Object is addressed', async () => {
    const headers = { authorization: `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}` }
    for (const openid of ['a'.repeat(65), 'o.x', '%E4%BD%A0']) {
      const res = await call(`/admin/api/conversations/${openid}/state`, { headers })
      expect(res.status, openid).toBe(400)
      expect(await res.json()).toEqual({ error: 'openid: is not an openid' })
    }
  })
})
