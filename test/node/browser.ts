/**
 * What the browser tests share: the service as `npm start` runs it (the WeChat API stand-in,
 * local KV with the example rules, local D1, wrangler dev) on free ports with its own state,
 * Debian's Chromium driven by playwright-core, and WeChat's side of a conversation.
 *
 * - Chromium is /usr/bin/chromium from Debian's package (`.ci/run` installs it, and
 *   fonts-noto-cjk for the Chinese pages, when missing). Nothing here downloads a browser.
 * - One service for the node project (`sharedService` in beforeAll; test/node/local-service.ts
 *   starts it): wrangler dev takes seconds to start, a page a few milliseconds.
 * - Screenshots: every page visited is shot (so a page that fails to render fails the test),
 *   into <tmpdir>/kefu-edge/screenshots; with SCREENSHOTS=1 into docs/screenshots/<name>.png, the
 *   pictures the README shows (`npm run screenshots`). Ordinary runs leave docs/ alone.
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { expect, inject } from 'vitest'
import { describeSend } from '../../dev/describe-call'
import { makePng } from '../../dev/fake-images'
import type { FakeCall, FaultSpec } from '../../dev/fake-wechat-types'
import { buildPush, popupEvent, textMessage } from '../../dev/push'
import { parseDevVars } from '../../scripts/dev-vars'
import { decrypt, importCipher } from '../../src/wechat/cipher'
import { parseFields } from '../../src/wechat/message'
import { root, type ServiceAddress } from './local-service'

export const CHROMIUM = '/usr/bin/chromium'
export const SEND_PATH = '/cgi-bin/message/custom/send'
export const SUBSCRIBE_SEND_PATH = '/cgi-bin/message/subscribe/send'

/** The values `npm start` runs with (.dev.vars, made from .dev.vars.example when absent). */
export function readDevVars(): Record<string, string> {
  return parseDevVars(readFileSync(join(root, '.dev.vars'), 'utf8'))
}

export { freePort, root, startLocal, type LocalService, type ServiceAddress } from './local-service'

/**
 * The node project's one `npm start` (test/node/shared-service.setup.ts starts it for the
 * first file that asks and stops it when the run ends): its address and the local token.
 * Files sharing it make their own users, and none asserts what another changes (the rule set
 * the console publishes and rolls back, the doctor's test pushes).
 */
export async function sharedService(): Promise<ServiceAddress> {
  const res = await fetch(`${inject('sharedServiceControl')}/service`)
  if (!res.ok) throw new Error(`the shared npm start did not start: ${await res.text()}`)
  return (await res.json()) as ServiceAddress
}

// --- the browser -------------------------------------------------------------------------

export type Viewport = 'desktop' | 'phone'

/** Debian's Chromium, headless, without the sandbox (CI runs as root), offline. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // The browser's own controls (a file input, a date picker) in Chinese, as operators see them.
      '--lang=zh-CN',
    ],
  })
}

/**
 * A browser window of its own (its own cookies) in Chinese, China time: a desktop 1280×800 or
 * a phone 390×844. Errors (a CSP refusal, a failed load) are kept for `pageErrors`.
 */
export async function openPage(browser: Browser, viewport: Viewport = 'desktop'): Promise<Page> {
  const context: BrowserContext = await browser.newContext({
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...(viewport === 'phone'
      ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true }
      : { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 }),
  })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (message) => {
    // Failed loads are told apart by address below.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text())
  })
  page.on('response', (res) => {
    // The sign-in page answers 401 by design (a console address without a session); the
    // browser's own favicon request finds none.
    const { pathname } = new URL(res.url())
    if (res.status() >= 400 && res.status() !== 401 && pathname !== '/favicon.ico') errors.push(`${res.status()} ${res.url()}`)
  })
  page.on('requestfailed', (req) => errors.push(`${req.failure()?.errorText ?? 'failed'} ${req.url()}`))
  page.on('pageerror', (error) => errors.push(String(error)))
  ERRORS.set(page, errors)
  return page
}

const ERRORS = new WeakMap<Page, string[]>()

/** Script errors and failed loads since the page opened (none expected: pages have no script). */
export function pageErrors(page: Page): string[] {
  return ERRORS.get(page) ?? []
}

/** Types the token into the sign-in form as the operator would. Lands on the overview when right. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(`${baseUrl}/admin`)
  await page.locator('input[name=token]').fill(token)
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: '登录' }).click()])
}

/** The header's section links: present on every page but sign-in. */
export function nav(page: Page) {
  return page.locator('header nav')
}

const SHOTS = join(...(process.env.SCREENSHOTS === '1' ? [root, 'docs'] : [tmpdir(), 'kefu-edge']), 'screenshots')
mkdirSync(SHOTS, { recursive: true })

/**
 * The page as a PNG: docs/screenshots/<name>.png with SCREENSHOTS=1, else
 * <tmpdir>/kefu-edge/screenshots. The whole page, or with `window` what the window shows (a
 * long page, scrolled to what matters).
 */
export async function screenshot(page: Page, name: string, { window = false } = {}): Promise<string> {
  const path = join(SHOTS, `${name}.png`)
  await page.screenshot({ path, fullPage: !window, animations: 'disabled' })
  return path
}

/**
 * Images from outside the service (the example rules' https://example.com thumbnails, which
 * the rules page previews) answered with a small grey PNG: the browser is offline, and a
 * failed load would read as an error of the page.
 */
export async function stubOutsideImages(page: Page): Promise<void> {
  await page.route(/^https:\/\/example\.com\//, (route) => route.fulfill({ status: 200, contentType: 'image/png', body: makePng(64, 64) }))
}

// --- the shared rule set -------------------------------------------------------------------

/**
 * The shared service has one rule set, and two files run at a time: a file that publishes
 * takes this turn first and holds it until what it checks of its publish is done, so that no
 * other publish lands between (a conflict, a rollback of the wrong version). A folder beside
 * the screenshots, named by the service's port, is the turn; resolves with its release.
 */
export async function ruleSetTurn(service: ServiceAddress, { timeout = 170_000 } = {}): Promise<() => void> {
  const turn = join(tmpdir(), 'kefu-edge', `rule-set-${new URL(service.url).port}`)
  mkdirSync(dirname(turn), { recursive: true })
  const until = Date.now() + timeout
  for (;;) {
    try {
      mkdirSync(turn)
      return () => rmSync(turn, { recursive: true, force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      if (Date.now() > until) throw new Error(`another test file held the rule set for ${timeout} ms (${turn})`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }
}

// --- WeChat's side -------------------------------------------------------------------------

let lastMsgId = BigInt(Date.now()) * 1000n

/**
 * A text message from `openid`, pushed as WeChat does (safe mode, XML, signed and encrypted
 * with .dev.vars' settings, as `npm run chat` sends it). Resolves once the Worker answered the
 * push, with its answer: `success`, or a passive reply's MsgType, decrypted
 * (`transfer_customer_service`: the user is handed to WeChat's customer-service tool).
 */
export async function pushText(baseUrl: string, openid: string, text: string): Promise<string> {
  const vars = readDevVars()
  const cipher = await importCipher(need(vars, 'WECHAT_ENCODING_AES_KEY'), need(vars, 'WECHAT_APPID'))
  const message = { ...textMessage(openid, text, String(++lastMsgId)), ToUserName: 'gh_local_kefu' }
  const { query, body } = await buildPush(message, { token: need(vars, 'WECHAT_TOKEN'), mode: 'safe', format: 'xml', cipher })
  const res = await fetch(`${baseUrl}/wechat?${query}`, { method: 'POST', body })
  const answer = await res.text()
  expect(res.status, answer).toBe(200)
  if (!answer.trimStart().startsWith('<')) return answer
  const { Encrypt } = parseFields('xml', answer)
  const inner = typeof Encrypt === 'string' ? parseFields('xml', (await decrypt(cipher, Encrypt)).message) : parseFields('xml', answer)
  return String(inner.MsgType ?? answer)
}

/**
 * The user's answer to the subscribe-message popup (wx.requestSubscribeMessage), pushed as
 * WeChat does and as `npm run chat -- --subscribe <tpl> --accept` pushes it: XML, one <List>
 * per template inside <SubscribeMsgPopupEvent>, safe mode. Resolves once the Worker answered.
 */
export async function pushPopup(baseUrl: string, openid: string, templateIds: string[], status: 'accept' | 'reject'): Promise<void> {
  const vars = readDevVars()
  const cipher = await importCipher(need(vars, 'WECHAT_ENCODING_AES_KEY'), need(vars, 'WECHAT_APPID'))
  const xml = popupEvent(
    'xml',
    openid,
    templateIds.map((id) => [id, status] as const),
  )
  const { query, body } = await buildPush(xml, { token: need(vars, 'WECHAT_TOKEN'), mode: 'safe', format: 'xml', cipher })
  // buildPush finds the openid WeChat puts in the query only in flat fields.
  query.set('openid', openid)
  const res = await fetch(`${baseUrl}/wechat?${query}`, { method: 'POST', body })
  expect(res.status, await res.clone().text()).toBe(200)
}

/** The custom/send calls (or, with `path`, another API's calls) the stand-in received for `openid`, oldest first. */
export async function sendsTo(api: string, openid: string, path = SEND_PATH): Promise<FakeCall[]> {
  const res = await fetch(`${api}/__fake/calls?${new URLSearchParams({ touser: openid, path })}`)
  return ((await res.json()) as { calls: FakeCall[] }).calls
}

/** What `openid` was sent and WeChat took, as `npm run chat` prints it (`text: "…"`). */
export async function delivered(api: string, openid: string): Promise<string[]> {
  return (await sendsTo(api, openid)).filter((call) => call.errcode === 0).map((call) => describeSend(call.body) ?? '?')
}

/**
 * The stand-in answers the next matching call as the fault says. The default makes the next
 * send to `openid` fail for good (40003, invalid openid: not retried), so it lands in the
 * failed list.
 */
export async function injectFault(api: string, fault: Partial<FaultSpec> & { touser?: string }): Promise<void> {
  const spec: FaultSpec = { path: SEND_PATH, kind: 'errcode', errcode: 40003, errmsg: 'invalid openid', ...fault }
  const res = await fetch(`${api}/__fake/faults`, { method: 'POST', body: JSON.stringify(spec) })
  expect(res.status, await res.clone().text()).toBe(200)
}

/** The admin API (bearer token), e.g. to wait until the D1 record has what a push left. */
export async function adminApi<T>(baseUrl: string, token: string, path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, body: (await res.json()) as T }
}

function need(vars: Record<string, string>, name: string): string {
  const value = vars[name]
  if (!value) throw new Error(`.dev.vars has no ${name}`)
  return value
}
