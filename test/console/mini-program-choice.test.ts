/**
 * The console with two mini programs: the header's switcher picks the app every page shows
 * and acts on — its rules, its record, its status — and a choice the Worker does not serve is
 * refused. With the switcher on app B nothing of app A is shown or changed.
 */
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { BASE, workerFetch } from '../support/helpers'
import { SECOND_APP, TEST_SETTINGS } from '../support/settings'

const A = TEST_SETTINGS.WECHAT_APPID
const B = SECOND_APP.appid
let session = ''

async function post(path: string, fields: Record<string, string>, cookie: string) {
  return workerFetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, cookie },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  })
}

const cookieOf = (res: Response) => (res.headers.get('set-cookie') ?? '').split(';')[0]!

async function page(path: string, cookie: string) {
  const res = await workerFetch(path, { headers: { cookie } })
  return { status: res.status, text: await res.text() }
}

beforeAll(async () => {
  session = cookieOf(await post('/admin/login', { token: TEST_SETTINGS.ADMIN_TOKEN }, ''))
  const ruleSet = (id: string) => JSON.stringify({ rules: [{ id, when: { text: ['x'] }, reply: { type: 'text', text: id } }] })
  await env.RULES.put('rules', ruleSet('rule-of-a'))
  await env.RULES.put(`app:${B}:rules`, ruleSet('rule-of-b'))
})

describe('the app switcher', () => {
  it('lists both apps in the header, the first chosen until another is picked', async () => {
    const { text } = await page('/admin/rules', session)
    expect(text).toMatch(/data-app-switcher/)
    expect(text).toMatch(new RegExp(`<option value="${A}" selected`))
    expect(text).toContain('rule-of-a')
    expect(text).not.toContain('rule-of-b')
  })

  it('shows and edits app B once picked, and back', async () => {
    const picked = await post('/admin/app', { app: B, back: '/admin/rules' }, session)
    expect(picked.status).toBe(303)
    expect(picked.headers.get('location')).toBe('/admin/rules')
    const both = `${session}; ${cookieOf(picked)}`
    const rules = await page('/admin/rules', both)
    expect(rules.text).toContain('rule-of-b')
    expect(rules.text).not.toContain('rule-of-a')
    expect(rules.text).toMatch(new RegExp(`<option value="${B}" selected`))
    const status = await page('/admin/status', both)
    expect(status.text).toContain(`data-app="${B}"`)
    expect(status.text).toContain(`WECHAT_TOKEN_${B}`)
  })

  it('refuses an app the Worker does not serve, and a pick without a session', async () => {
    expect((await post('/admin/app', { app: 'wx0000000000000000' }, session)).status).toBe(400)
    expect((await post('/admin/app', { app: B }, '')).status).toBe(401)
    // A stale cookie naming no app shows the first app.
    const { text } = await page('/admin/rules', `${session}; kefu_app=wx0000000000000000`)
    expect(text).toContain('rule-of-a')
  })

  it('puts the page path in the switcher as text, whatever it holds ($` and $& included)', async () => {
    for (const path of ['/admin/conversations/$%60', '/admin/conversations/$&', "/admin/conversations/$'x"]) {
      const { text } = await page(path, session)
      expect(text.match(/<html/g), path).toHaveLength(1)
      expect(text.match(/data-app-switcher/g), path).toHaveLength(1)
      const back = /<input type="hidden" name="back" value="([^"]*)"/.exec(text)?.[1]
      expect(back, path).toBe(decodeURI(new URL(path, BASE).pathname).replaceAll('&', '&amp;').replaceAll("'", '&#39;'))
    }
  })
})
