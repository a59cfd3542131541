import { createExecutionContext } from 'cloudflare:test'
import { env, exports } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { buildPush, textMessage } from '../../dev/push'
import { app } from '../../src/app'
import type { Env, SettingName } from '../../src/settings/env'
import { captureLogs, pushOptions } from '../support/helpers'
import { addTestOperator } from '../support/operators'
import { SECOND_APP, TEST_SETTINGS } from '../support/settings'

const logs = captureLogs()
const SECRETS = [
  TEST_SETTINGS.WECHAT_APPSECRET,
  TEST_SETTINGS.WECHAT_TOKEN,
  TEST_SETTINGS.WECHAT_ENCODING_AES_KEY,
  TEST_SETTINGS.ADMIN_TOKEN,
]

const ADMIN = { authorization: `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}` }

function withEnv(overrides: Partial<Record<SettingName, string>>): Env {
  return { ...env, ...overrides }
}

describe('/healthz', () => {
  it('publicly says only ok and the version: no appid, push mode or setting name', async () => {
    const res = await exports.default.fetch('https://kefu.example/healthz')
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as Record<string, unknown>
    expect(body).toEqual({ ok: true, version: expect.stringMatching(/^\d+\.\d+\.\d+/) })
  })

  it('publicly answers 503 and ok: false while a setting is wrong, without saying which', async () => {
    const res = await app.request('/healthz', {}, withEnv({ WECHAT_TOKEN: '', WECHAT_ENCODING_AES_KEY: 'tooShortSecretKey' }))
    expect(res.status).toBe(503)
    const text = await res.text()
    expect(JSON.parse(text)).toEqual({ ok: false, version: expect.any(String) })
    for (const hidden of [
      'WECHAT',
      'ADMIN_TOKEN',
      'missing',
      'malformed',
      'safe',
      'mode',
      TEST_SETTINGS.WECHAT_APPID,
      'tooShortSecretKey',
    ]) {
      expect(text, hidden).not.toContain(hidden)
    }
  })

  it('with a wrong or malformed bearer token: the public answer', async () => {
    for (const authorization of [
      'Bearer nope-nope-nope-nope',
      `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}x`,
      TEST_SETTINGS.ADMIN_TOKEN,
      'Basic abc',
    ]) {
      const res = await exports.default.fetch('https://kefu.example/healthz', { headers: { authorization } })
      expect(res.status, authorization).toBe(200)
      expect(Object.keys((await res.json()) as object), authorization).toEqual(['ok', 'version'])
    }
  })

  it('with the admin token: every app, its push mode and each setting by status, never a value', async () => {
    const res = await exports.default.fetch('https://kefu.example/healthz', { headers: ADMIN })
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as {
      ok: boolean
      version: string
      mode: string
      settings: Record<string, { status: string }>
      apps: { appid: string; settings: Record<string, unknown> }[]
    }
    expect(body).toMatchObject({ ok: true, version: expect.stringMatching(/^\d+\.\d+\.\d+/), mode: 'safe' })
    expect(body.settings.WECHAT_ENCODING_AES_KEY).toEqual({ status: 'ok' })
    expect(body.apps[0]?.appid).toBe(TEST_SETTINGS.WECHAT_APPID)
    const text = JSON.stringify(body)
    for (const secret of SECRETS) expect(text).not.toContain(secret)
  })

  it('to a personal token: the report when it may see every mini program, the public answer when limited to some', async () => {
    const everywhere = await addTestOperator('viewer')
    const limited = await addTestOperator('admin', { apps: [SECOND_APP.appid] })
    const full = await exports.default.fetch('https://kefu.example/healthz', { headers: everywhere.auth })
    expect(Object.keys((await full.json()) as object)).toContain('apps')
    const some = await exports.default.fetch('https://kefu.example/healthz', { headers: limited.auth })
    expect(some.status).toBe(200)
    const text = await some.text()
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['ok', 'version'])
    expect(text).not.toContain(TEST_SETTINGS.WECHAT_APPID)
  })

  it('names missing and malformed settings to the operator, never their values', async () => {
    const res = await app.request(
      '/healthz',
      { headers: ADMIN },
      withEnv({ WECHAT_TOKEN: '', WECHAT_ENCODING_AES_KEY: 'tooShortSecretKey', WECHAT_API_BASE: 'ftp://x' }),
    )
    expect(res.status).toBe(503)
    const body = (await res.json()) as { ok: boolean; settings: Record<string, { status: string; reason?: string }> }
    expect(body.ok).toBe(false)
    expect(body.settings.WECHAT_TOKEN).toEqual({ status: 'missing', reason: 'WECHAT_TOKEN is not set' })
    expect(body.settings.WECHAT_ENCODING_AES_KEY).toMatchObject({ status: 'malformed', reason: expect.stringMatching(/43/) })
    expect(body.settings.WECHAT_API_BASE?.status).toBe('malformed')
    expect(JSON.stringify(body)).not.toContain('tooShortSecretKey')
  })
})

describe('/healthz rules', () => {
  it('shows the rule set in force: version, status and rule count', async () => {
    await env.RULES.put('rules', JSON.stringify({ rules: [{ id: 'hi', when: { text: ['hi'] }, reply: { type: 'text', text: 'hello' } }] }))
    const res = await exports.default.fetch('https://kefu.example/healthz', { headers: ADMIN })
    const body = (await res.json()) as { rules: { version: string; status: string; rules: number } }
    // Another test file's isolate may have loaded first (30 s recheck): the shape is the contract.
    expect(body.rules).toMatchObject({
      version: expect.any(String),
      status: expect.stringMatching(/^(ok|missing|invalid|unavailable)$/),
      rules: expect.any(Number),
    })
  })
})

describe('a push while a needed setting is missing', () => {
  async function safePush(overrides: Partial<Record<SettingName, string>>) {
    const { query, body } = await buildPush(textMessage('oUser', 'hi', '1'), await pushOptions('safe', 'xml'))
    return app.request(`/wechat?${query}`, { method: 'POST', body }, withEnv(overrides))
  }

  it('answers 500 naming the setting, and logs it', async () => {
    const res = await safePush({ WECHAT_PUSH_MODE: 'safe', WECHAT_ENCODING_AES_KEY: '' })
    expect(res.status).toBe(500)
    expect(await res.text()).toMatch(/WECHAT_ENCODING_AES_KEY/)
    expect(logs.events().find((e) => e.event === 'config.invalid')).toMatchObject({ setting: 'WECHAT_ENCODING_AES_KEY' })
  })

  it('names a malformed AES key without showing it', async () => {
    const res = await safePush({ WECHAT_ENCODING_AES_KEY: 'x'.repeat(42) })
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(text).toMatch(/WECHAT_ENCODING_AES_KEY is not 43 base64 characters/)
    expect(text).not.toContain('x'.repeat(42))
  })

  it('needs no AES key for plaintext pushes', async () => {
    const { query, body } = await buildPush(textMessage('oUser', 'hi', '1'), await pushOptions('plaintext', 'json'))
    const request = new Request(`https://kefu.example/wechat?${query}`, { method: 'POST', body })
    const res = await app.fetch(request, withEnv({ WECHAT_ENCODING_AES_KEY: '' }), createExecutionContext())
    expect(await res.text()).toBe('success')
  })

  it('answers 500 for a missing token on the URL check too', async () => {
    const res = await app.request('/wechat?signature=a&timestamp=1&nonce=1&echostr=x', {}, withEnv({ WECHAT_TOKEN: '' }))
    expect(res.status).toBe(500)
    expect(await res.text()).toMatch(/WECHAT_TOKEN/)
  })
})

describe('unknown routes', () => {
  it('answer 404', async () => {
    expect((await exports.default.fetch('https://kefu.example/nope')).status).toBe(404)
  })
})
