/**
 * The console's door: without a session every console path answers the sign-in page and
 * nothing else; the token signs in once and the browser keeps only a signed, HttpOnly,
 * Secure, SameSite=Strict session scoped to /admin; another site cannot post for the
 * operator; the bearer-token API and JSON view are unchanged. Pages render in both languages.
 */
import { describe, expect, it } from 'vitest'
import { BASE, workerFetch } from '../support/helpers'
import { watchSecrets } from '../support/hygiene'
import { TEST_SETTINGS } from '../support/settings'

const hygiene = watchSecrets('console')
const ADMIN = TEST_SETTINGS.ADMIN_TOKEN
const PAGES = ['/admin', '/admin/status']

function form(fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  }
}

/** Signs in and returns the Cookie header the browser would send back. */
async function session(): Promise<string> {
  const res = await workerFetch('/admin/login', form({ token: ADMIN }))
  expect(res.status).toBe(303)
  const cookie = res.headers.get('set-cookie') ?? ''
  return cookie.split(';')[0]!
}

describe('signing in', () => {
  it('shows only the sign-in page without a session, or with a wrong token or a forged cookie', async () => {
    for (const path of PAGES) {
      const cookies: Record<string, string>[] = [{}, { cookie: 'kefu_session=9999999999999.forged' }, { cookie: `kefu_session=${ADMIN}` }]
      for (const headers of cookies) {
        const answer = await hygiene.fetch(path, { headers })
        expect(answer.status, path).toBe(401)
        expect(answer.text).toContain('action="/admin/login"')
        expect(answer.text).not.toContain('/admin/logout')
      }
    }
    for (const token of ['', 'wrong', ADMIN.slice(0, -1), `${ADMIN} `, ADMIN.toUpperCase()]) {
      const res = await workerFetch('/admin/login', form({ token }))
      expect(res.status).toBe(401)
      expect(res.headers.get('set-cookie')).toBeNull()
      const text = await res.text()
      expect(text).toContain('令牌不对')
      expect(text).not.toContain(ADMIN)
    }
  })

  it('keeps a signed, HttpOnly, Secure, SameSite=Strict session scoped to /admin, never the token', async () => {
    const res = await workerFetch('/admin/login', form({ token: ADMIN }))
    expect(res.status).toBe(303)
    expect(res.headers.get('location')).toBe('/admin')
    const cookie = res.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/^kefu_session=/)
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/Secure/i)
    expect(cookie).toMatch(/SameSite=Strict/i)
    expect(cookie).toMatch(/Path=\/admin/)
    expect(cookie).not.toContain(ADMIN)

    const page = await hygiene.fetch('/admin', { headers: { cookie: cookie.split(';')[0]! } })
    expect(page.status).toBe(200)
    expect(page.text).toContain('今天')
    expect(page.headers.get('cache-control')).toBe('no-store')
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
  })

  it('refuses a sign-in body larger than a token needs, unread', async () => {
    const res = await workerFetch('/admin/login', form({ token: ADMIN, padding: 'x'.repeat(64 * 1024) }))
    expect(res.status).toBe(413)
    expect(res.headers.get('set-cookie')).toBeNull()
  })

  it('refuses a sign-in or an action posted from another site', async () => {
    const cookie = await session()
    const res = await workerFetch('/admin/login', form({ token: ADMIN }, { origin: 'https://evil.example' }))
    expect(res.status).toBe(403)
    expect(res.headers.get('set-cookie')).toBeNull()
    const out = await workerFetch('/admin/logout', form({}, { origin: 'https://evil.example', cookie }))
    expect(out.status).toBe(403)
  })

  it('signs out: the cookie is cleared', async () => {
    const cookie = await session()
    const res = await workerFetch('/admin/logout', form({}, { cookie }))
    expect(res.status).toBe(303)
    expect(res.headers.get('set-cookie')).toMatch(/^kefu_session=;.*Max-Age=0/)
  })

  it('leaves the bearer-token API and JSON view as they were', async () => {
    const cookie = await session()
    // A console session is not an API credential.
    expect((await workerFetch('/admin/api/stats', { headers: { cookie } })).status).toBe(401)
    const api = await workerFetch('/admin/api/stats', { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(api.status).toBe(200)
    expect(api.headers.get('content-type')).toMatch(/json/)
  })
})

describe('pages', () => {
  it('render the overview and the status in Chinese, and in English when asked', async () => {
    const cookie = await session()
    const zh = await hygiene.fetch('/admin/status', { headers: { cookie } })
    expect(zh.status).toBe(200)
    expect(zh.text).toContain('<html lang="zh-CN">')
    expect(zh.text).toContain('WECHAT_APPID')
    const en = await workerFetch('/admin/status?lang=en', { headers: { cookie } })
    expect(await en.text()).toContain('Rule set in force')
    expect(en.headers.get('set-cookie')).toMatch(/kefu_lang=en/)
    const overview = await hygiene.fetch('/admin', { headers: { cookie: `${cookie}; kefu_lang=en` } })
    expect(overview.text).toContain('Last 14 days')
    expect(overview.text).toContain('<svg')
    // What the status page shows an operator never includes a secret's value.
    for (const secret of [TEST_SETTINGS.WECHAT_APPSECRET, TEST_SETTINGS.WECHAT_ENCODING_AES_KEY, ADMIN])
      expect(zh.text).not.toContain(secret)
  })
})
