/**
 * The operator's console in a real browser: Debian's Chromium (playwright-core) against the
 * Worker under `wrangler dev`, as `npm start` runs it, with the WeChat API stand-in playing
 * WeChat. One service and one browser for the whole file; each describe block below follows
 * the operator through one part of the console, in the order of the header's sections:
 *
 *   signing in → overview → status → (conversations → failed sends → unmatched → rules:
 *   edit, preview, publish, the next push answered by it, roll back)
 *
 * Every page visited is screenshot in Chinese (`screenshot`; `npm run screenshots` writes
 * them to docs/screenshots for the README).
 */
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  delivered,
  launchBrowser,
  nav,
  openPage,
  pageErrors,
  pushText,
  screenshot,
  signIn,
  startLocal,
  type LocalService,
  type Viewport,
} from './browser'

/** Every console page: without a session each answers the sign-in page. Add pages as they land. */
const PAGES = ['/admin', '/admin/status']

let service: LocalService
let browser: Browser

beforeAll(async () => {
  ;[service, browser] = await Promise.all([startLocal(), launchBrowser()])
}, 90_000)

afterAll(async () => {
  await browser?.close()
  await service?.stop()
})

/** One signed-in window per viewport, shared by the blocks below (a fresh one: `openPage`). */
const operators = new Map<Viewport, Page>()
async function operator(viewport: Viewport = 'desktop'): Promise<Page> {
  let page = operators.get(viewport)
  if (!page) {
    page = await openPage(browser, viewport)
    await signIn(page, service.url, service.token)
    await expect.poll(() => page!.locator('h1').textContent()).toBe('概览')
    operators.set(viewport, page)
  }
  return page
}

/** Loads a console page; its answer must be 200 and a page of the console (not sign-in). */
async function visit(page: Page, path: string): Promise<void> {
  const res = await page.goto(`${service.url}${path}`)
  expect(res?.status(), path).toBe(200)
  await expect.poll(() => nav(page).count()).toBe(1)
}

/** A user of our own for each test, so that counts and lists are this test's alone. */
let users = 0
function user(label: string): string {
  return `oBrowser${label}${String(++users).padStart(4, '0')}`.padEnd(28, '0')
}

/** Waits until the stand-in has taken `count` sends to `openid` (the reply is out). */
async function repliesReached(openid: string, count = 1): Promise<string[]> {
  let texts: string[] = []
  await vi.waitFor(
    async () => {
      texts = await delivered(service.api, openid)
      expect(texts.length).toBeGreaterThanOrEqual(count)
    },
    { timeout: 15_000, interval: 200 },
  )
  return texts
}

/** The number on an overview card (data-stat=messages, sent, failed, unmatched, pending). */
async function stat(page: Page, id: string): Promise<number> {
  return Number(await page.locator(`[data-stat=${id}] b`).textContent())
}

describe('signing in', () => {
  it('a wrong token sees nothing but the sign-in page', async () => {
    const page = await openPage(browser)
    const first = await page.goto(`${service.url}/admin`)
    expect(first?.status()).toBe(401)
    await expect.poll(() => page.locator('h1').textContent()).toBe('登录客服控制台')
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN')
    await screenshot(page, 'sign-in')

    await page.locator('input[name=token]').fill(`${service.token}-wrong`)
    await page.getByRole('button', { name: '登录' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('令牌不对')
    expect(await nav(page).count()).toBe(0)
    expect(await page.locator('form[action="/admin/logout"]').count()).toBe(0)
    expect(await page.content()).not.toContain(service.token)
    await screenshot(page, 'sign-in-wrong-token')

    // Typing a console address gets the sign-in page again, never its content.
    for (const path of PAGES) {
      const res = await page.goto(`${service.url}${path}`)
      expect(res?.status(), path).toBe(401)
      expect(await page.locator('input[name=token]').count(), path).toBe(1)
      expect(await nav(page).count(), path).toBe(0)
    }
    expect((await page.context().cookies()).map((c) => c.name)).not.toContain('kefu_session')
    expect(pageErrors(page)).toEqual([])
    await page.context().close()
  })

  it('the right token opens the console; the browser keeps an HttpOnly session, not the token; sign-out closes it', async () => {
    const page = await openPage(browser)
    await signIn(page, service.url, service.token)
    await expect.poll(() => page.locator('h1').textContent()).toBe('概览')
    expect(await nav(page).locator('a').allTextContents()).toEqual(['概览', '会话', '发送失败', '未匹配问题', '回复规则', '状态'])
    expect(await nav(page).locator('a[aria-current=page]').textContent()).toBe('概览')

    const cookies = await page.context().cookies()
    const session = cookies.find((c) => c.name === 'kefu_session')
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/admin' })
    expect(cookies.map((c) => c.value).join(' ')).not.toContain(service.token)
    expect(page.url()).not.toContain(service.token)

    await page.getByRole('button', { name: '退出' }).click()
    await expect.poll(() => page.locator('h1').textContent()).toBe('登录客服控制台')
    await page.goto(`${service.url}/admin/status`)
    expect(await nav(page).count()).toBe(0)
    expect(pageErrors(page)).toEqual([])
    await page.context().close()
  })
})

describe('overview', () => {
  it("counts today's messages, replies and unmatched questions after signed pushes", async () => {
    const page = await operator()
    await page.goto(`${service.url}/admin`)
    const before = { messages: await stat(page, 'messages'), sent: await stat(page, 'sent'), unmatched: await stat(page, 'unmatched') }

    const openid = user('Overview')
    await pushText(service.url, openid, '1')
    expect(await repliesReached(openid)).toEqual([expect.stringContaining('link: "下载 App"')])
    await pushText(service.url, openid, '今天天气怎么样')
    expect((await repliesReached(openid, 2))[1]).toContain('您好，回复 1 下载 App')

    // The D1 record is copied after delivery: the page catches up within a moment.
    await vi.waitFor(
      async () => {
        await page.reload()
        expect(await stat(page, 'messages')).toBe(before.messages + 2)
        expect(await stat(page, 'sent')).toBe(before.sent + 2)
        expect(await stat(page, 'unmatched')).toBe(before.unmatched + 1)
      },
      { timeout: 15_000, interval: 300 },
    )
    await expect.poll(() => page.locator('table').first().textContent()).toContain('download')
    expect(await page.locator('.chart svg').count()).toBe(1)
    await screenshot(page, 'overview')
    expect(pageErrors(page)).toEqual([])
  })

  it('fits a phone screen', async () => {
    const page = await operator('phone')
    await visit(page, '/admin')
    // Nothing wider than the screen: no sideways scrolling on a phone.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390)
    await screenshot(page, 'overview-phone')
    expect(pageErrors(page)).toEqual([])
  })
})

describe('status', () => {
  it('shows the settings and the rule set in force', async () => {
    const page = await operator()
    await visit(page, '/admin/status')
    expect(await page.locator('h1').textContent()).toBe('状态')
    expect(await nav(page).locator('a[aria-current=page]').textContent()).toBe('状态')
    const text = await page.locator('main').textContent()
    expect(text).toContain('配置完整，服务正常。')
    expect(text).toContain('生效的回复规则')
    await screenshot(page, 'status')
    expect(pageErrors(page)).toEqual([])
  })
})

// Next, as the pages land, in the header's order: describe('conversations'),
// describe('failed sends'), describe('unmatched'), describe('rules').
