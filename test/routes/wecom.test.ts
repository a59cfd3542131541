/**
 * `/wecom/kf`: the URL check, and a notice answered `success` at once and handed to
 * handNotice after the answer. handNotice is the pulling work's (src/wecom/pull.ts): here it
 * is replaced by a function the test controls (kfCallbackRoutes), so "at once" means while it
 * is still running.
 */
import { env, exports } from 'cloudflare:workers'
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { Hono } from 'hono/tiny'
import { beforeEach, describe, expect, it } from 'vitest'
import { sealNotice, urlCheck } from '../../dev/fake-wecom-callback'
import { app } from '../../src/app'
import { kfCallbackRoutes } from '../../src/routes/wecom'
import type { Env } from '../../src/settings/env'
import type { KfNotice } from '../../src/wecom/types'
import { BASE, captureLogs } from '../support/helpers'
import { fakeWecom, uniqueExternalUserid, uniqueOpenKfId, workerCorp } from '../support/fake-wecom-client'

const handed = {
  notices: [] as KfNotice[],
  /** While set, the handler waits for it. */
  gate: null as Promise<void> | null,
}
/** The callback's routes handing notices to the test instead of the pulling work's handNotice. */
const withHandler = new Hono<{ Bindings: Env }>().route(
  '/',
  kfCallbackRoutes(async (_env, notice) => {
    if (handed.gate) await handed.gate
    handed.notices.push(notice)
  }),
)

const logs = captureLogs()
const keys = { corpid: workerCorp.corpid, token: workerCorp.callbackToken, aesKey: workerCorp.aesKey }

beforeEach(() => {
  handed.notices.length = 0
  handed.gate = null
})

describe('GET /wecom/kf (URL check)', () => {
  it('answers the decrypted echostr as plain text once the signature holds', async () => {
    const params = await urlCheck(keys, '5423123491283')
    const res = await exports.default.fetch(`${BASE}/wecom/kf?${params}`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await res.text()).toBe('5423123491283')
    expect(logs.events().some((e) => e.event === 'wecom.url_verified')).toBe(true)
  })

  it('answers 401 and nothing decrypted for a bad signature; 400 without echostr', async () => {
    const params = await urlCheck(keys, '5423123491283')
    params.set('msg_signature', '0'.repeat(40))
    const res = await exports.default.fetch(`${BASE}/wecom/kf?${params}`)
    expect(res.status).toBe(401)
    expect(await res.text()).not.toContain('5423123491283')
    params.delete('echostr')
    expect((await exports.default.fetch(`${BASE}/wecom/kf?${params}`)).status).toBe(400)
  })
})

describe('POST /wecom/kf (notice)', () => {
  it('answers success while handNotice still runs, then hands it the notice', async () => {
    const openKfId = uniqueOpenKfId()
    const { callback } = await fakeWecom.message({ ...workerCorp, openKfId, externalUserid: uniqueExternalUserid(), content: '你好' })
    if (!callback) throw new Error('no callback')
    let release = () => {}
    handed.gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const ctx = createExecutionContext()
    const res = await withHandler.fetch(
      new Request(`${BASE}/wecom/kf?${callback.query}`, { method: 'POST', body: callback.body }),
      env,
      ctx,
    )
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('success')
    expect(handed.notices).toEqual([])
    release()
    await waitOnExecutionContext(ctx)
    expect(handed.notices).toEqual([{ token: callback.token, openKfId, createTime: expect.any(Number) }])
    const line = logs.events().find((e) => e.event === 'wecom.notice_received')
    expect(line).toMatchObject({ openKfId })
    // The sync token is a credential for 10 minutes: never logged.
    expect(logs.lines.join('\n')).not.toContain(callback.token)
  })

  it('answers the accounts’ authorization changing with success, logs it, and pulls nothing', async () => {
    const xml =
      `<xml><ToUserName><![CDATA[${keys.corpid}]]></ToUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime>` +
      '<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_account_auth_change]]></Event>' +
      '<AuthAddOpenKfId><![CDATA[wkGranted]]></AuthAddOpenKfId></xml>'
    const { query, body } = await sealNotice(keys, xml)
    const ctx = createExecutionContext()
    const res = await withHandler.fetch(new Request(`${BASE}/wecom/kf?${query}`, { method: 'POST', body }), env, ctx)
    await waitOnExecutionContext(ctx)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('success')
    expect(handed.notices).toEqual([])
    expect(logs.events().find((e) => e.event === 'wecom.accounts_changed')).toMatchObject({ added: 'wkGranted', removed: '' })
  })

  it('refuses a forged notice with 401 and hands nothing on', async () => {
    const { query, body } = await sealNotice({ ...keys, token: 'notTheWorkersToken' }, { syncToken: 'T', openKfId: 'wk1' })
    const res = await exports.default.fetch(`${BASE}/wecom/kf?${query}`, { method: 'POST', body })
    expect(res.status).toBe(401)
    expect(logs.events().filter((e) => String(e.event).startsWith('wecom.notice'))).toEqual([])
  })

  it("answers a genuine notice through the Worker's own routes", async () => {
    const { callback } = await fakeWecom.callback(workerCorp.corpid, uniqueOpenKfId())
    const res = await exports.default.fetch(`${BASE}/wecom/kf?${callback.query}`, { method: 'POST', body: callback.body })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('success')
  })

  it('refuses a notice older than PUSH_MAX_AGE_SECONDS (default 300) with 401, and one within it is answered', async () => {
    const now = Math.floor(Date.now() / 1000)
    const stale = await sealNotice(keys, { syncToken: 'T', openKfId: 'wk1' }, { timestamp: now - 301 })
    const refused = await exports.default.fetch(`${BASE}/wecom/kf?${stale.query}`, { method: 'POST', body: stale.body })
    expect([refused.status, await refused.text()]).toEqual([401, 'timestamp too far from now'])
    const recent = await sealNotice(keys, { syncToken: 'T', openKfId: 'wk1' }, { timestamp: now - 290 })
    const ctx = createExecutionContext()
    const res = await withHandler.fetch(new Request(`${BASE}/wecom/kf?${recent.query}`, { method: 'POST', body: recent.body }), env, ctx)
    await waitOnExecutionContext(ctx)
    expect(res.status).toBe(200)
  })

  it('refuses a body over PUSH_MAX_BYTES with 413', async () => {
    const { query } = await sealNotice(keys, { syncToken: 'T', openKfId: 'wk1' })
    const body = `<xml><Encrypt>${'A'.repeat(70_000)}</Encrypt></xml>`
    const res = await exports.default.fetch(`${BASE}/wecom/kf?${query}`, { method: 'POST', body })
    expect(res.status).toBe(413)
  })
})

describe('the channel off, or half configured', () => {
  const without = (...names: (keyof Env)[]): Env => {
    const copy: Record<string, unknown> = { ...env }
    for (const name of names) delete copy[name]
    return copy as unknown as Env
  }

  it('answers 404 when no WECOM_* setting is set', async () => {
    const off = without('WECOM_CORPID', 'WECOM_KF_SECRET', 'WECOM_KF_TOKEN', 'WECOM_KF_ENCODING_AES_KEY')
    const res = await app.fetch(new Request(`${BASE}/wecom/kf`, { method: 'POST', body: '<xml/>' }), off, createExecutionContext())
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('wecom channel not configured')
  })

  it('answers 500 naming the missing setting when some are set', async () => {
    const { query, body } = await sealNotice(keys, { syncToken: 'T', openKfId: 'wk1' })
    const half = without('WECOM_KF_SECRET')
    const res = await app.fetch(new Request(`${BASE}/wecom/kf?${query}`, { method: 'POST', body }), half, createExecutionContext())
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('server misconfigured: WECOM_KF_SECRET is not set')
  })
})
