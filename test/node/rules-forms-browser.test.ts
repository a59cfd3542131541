/**
 * Issue 30 in a real browser: an operator never writes JSON. In one session on the rules page
 * (`/admin/rules`, Debian's Chromium against `wrangler dev`, the shared service) the operator
 * builds, through the form's fields and buttons only, a rule of each reply type — text, an
 * image uploaded from the computer, a link with an uploaded thumbnail, a mini-program card
 * with an uploaded cover, the hand-off to a person — a reply of several parts (added,
 * reordered, one removed), a random choice among groups, office hours with a holiday and a
 * make-up day, a dated campaign and the hand-off after unmatched texts; then publishes.
 * Signed pushes get each reply as built (what the WeChat stand-in receives; the image is
 * uploaded to WeChat once for two users). A file that is not an image and one over its use's
 * limit are refused under their field, in Chinese, and nothing is published. On a
 * phone (390 px) the page does not scroll sideways and the weekly grid is filled and published.
 *
 * The admin API and the stand-in only observe; the rule set found at the start is rolled back
 * to at the end (through the history page). The rule set is the shared service's one: the
 * file holds `ruleSetTurn` throughout.
 *
 * Screenshots: rules-forms, rules-forms-hours, rules-upload-refused, rules-forms-phone,
 * rules-hours-phone (`SCREENSHOTS=1` writes them to docs/screenshots).
 */
import { randomBytes } from 'node:crypto'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { makePng } from '../../dev/fake-images'
import type { FakeCall } from '../../dev/fake-wechat-types'
import {
  adminApi,
  delivered,
  launchBrowser,
  openPage,
  pageErrors,
  pushText,
  ruleSetTurn,
  screenshot,
  sendsTo,
  sharedService,
  signIn,
  stubOutsideImages,
  type ServiceAddress,
} from './browser'

const UPLOAD_PATH = '/cgi-bin/media/upload'
const DAY = 86_400_000

let service: ServiceAddress
let browser: Browser
let release = () => {}
/** The rule set in force before this file, its version and text: rolled back to at the end. */
let original = ''
let originalSource: string | null = null

/** This run's words: the keywords no other rule (or file) answers. */
const tag = randomBytes(2).toString('hex')
const say = {
  text: `文字${tag}`,
  image: `图片${tag}`,
  link: `链接${tag}`,
  card: `卡片${tag}`,
  human: `人工${tag}`,
  parts: `多条${tag}`,
  random: `随机${tag}`,
  hours: `上班${tag}`,
  campaign: `活动${tag}`,
}
const HANDOFF_TEXT = '正在为您转接人工客服，请稍候'

/**
 * Images of sizes no other upload has (the stand-in is shared, and the size tells our upload
 * apart): the reply's picture, the link's thumbnail, the card's cover.
 */
const spread = () => Math.floor(Math.random() * 60)
const images = {
  image: makePng(100 + spread(), 40, true),
  thumb: makePng(200 + spread(), 40, true),
  cover: makePng(300 + spread(), 40, true),
}

/** China's calendar: a day as a date field holds it, `days` from today. */
function chinaDate(days = 0): string {
  return new Date(Date.now() + 8 * 3_600_000 + days * DAY).toISOString().slice(0, 10)
}

/** A time `offset` ms from now, as a datetime-local field holds it (China time). */
function chinaLocal(offset: number): string {
  return new Date(Date.now() + 8 * 3_600_000 + offset).toISOString().slice(0, 16)
}

/** The next Sunday in China after today: the make-up working day (never today, the holiday). */
function nextSunday(): string {
  const today = new Date(`${chinaDate()}T00:00:00Z`).getUTCDay()
  return chinaDate(7 - today)
}

function user(): string {
  return `o${randomBytes(21).toString('base64url')}`
}

beforeAll(async () => {
  ;[service, browser] = await Promise.all([sharedService(), launchBrowser()])
  release = await ruleSetTurn(service)
}, 240_000)

afterAll(async () => {
  try {
    // After a failure too: the next file finds the rule set it expects.
    await restore()
  } finally {
    release()
    await browser?.close()
  }
}, 30_000)

/** Rolls back to the version this file found, as an operator does on the history page; nothing when it is in force. */
async function restore(): Promise<void> {
  if (original === '' || !operatorPage) return
  if ((await rulesApi()).source === originalSource) return
  const page = operatorPage
  await page.goto(`${service.url}/admin/rules/history/${original}`)
  await Promise.all([page.waitForURL(/done=rolledback/), page.locator(`[data-rollback="${original}"]`).click()])
  expect(await page.getByRole('status').textContent()).toContain('已回滚')
}

// ---------------------------------------------------------------- the operator's session

let operatorPage: Page | undefined

/** The operator's desktop window, signed in, the example rules' thumbnails served (the browser is offline). */
async function operator(): Promise<Page> {
  if (!operatorPage) {
    const page = await openPage(browser, 'desktop')
    await stubOutsideImages(page)
    await signIn(page, service.url, service.token)
    operatorPage = page
  }
  return operatorPage
}

/**
 * Presses one of the form's buttons (`op` as the page names it) and waits for the page it
 * answers; resolves with its status (400 when the form has problems).
 */
async function press(page: Page, op: string): Promise<number> {
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/admin/rules'),
    page.locator(`button[name=op][value="${op}"]`).click(),
  ])
  await page.waitForLoadState('load')
  return res.status()
}

/** A form field by its exact name. */
const field = (page: Page, name: string) => page.locator(`[name="${name}"]`)

/** Adds a rule at the end (`+ 添加规则`): its index, named and with its `when` filled. */
async function addRule(page: Page, id: string, when: 'text' | 'contains', value: string): Promise<number> {
  expect(await press(page, 'add')).toBe(200)
  const i = Number(await field(page, 'count').inputValue()) - 1
  await field(page, `r${i}.id`).fill(id)
  await field(page, `r${i}.when`).selectOption(when)
  await field(page, `r${i}.value`).fill(value)
  return i
}

/** A part's field: `part(page, 'r12.c0.p1', 'text')`. */
const part = (page: Page, at: string, name: string) => field(page, `${at}.${name}`)

/** The stored rule set, as the admin API shows it (observing only). */
async function rulesApi(): Promise<{ source: string | null; sourceVersion: string | null }> {
  const { status, body } = await adminApi<{ source: string | null; sourceVersion: string | null }>(
    service.url,
    service.token,
    '/admin/api/rules',
  )
  expect(status).toBe(200)
  return body
}

interface StoredRule {
  id: string
  reply: unknown
  during?: string
  from?: string
  until?: string
}
interface StoredSet {
  rules: StoredRule[]
  hours?: { tz: string; weekly: Record<string, string[]>; closed?: string[]; open?: string[] }
  handoff?: { after_unmatched: number; text?: string }
}

async function storedSet(): Promise<StoredSet> {
  const { source } = await rulesApi()
  return JSON.parse(source ?? '{}') as StoredSet
}

/** The stand-in's media uploads of one image, told apart by its size. */
async function uploadsOf(bytes: Buffer): Promise<FakeCall[]> {
  const res = await fetch(`${service.api}/__fake/calls?${new URLSearchParams({ path: UPLOAD_PATH })}`)
  const { calls } = (await res.json()) as { calls: FakeCall[] }
  return calls.filter((call) => {
    const parts = (call.body as { parts?: { name: string; size: number }[] | null }).parts ?? []
    return call.errcode === 0 && parts.some((p) => p.name === 'media' && p.size === bytes.length)
  })
}

/** Waits until the stand-in took `count` sends to `openid`; what the user got, as `npm run chat` prints it. */
async function received(openid: string, count: number): Promise<string[]> {
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

/** The one custom/send `openid` got, its body. */
async function sentBody(openid: string): Promise<Record<string, Record<string, string>>> {
  await received(openid, 1)
  const calls = (await sendsTo(service.api, openid)).filter((call) => call.errcode === 0)
  expect(calls).toHaveLength(1)
  return calls[0]!.body as Record<string, Record<string, string>>
}

/** Scrolls so that `selector`'s top is at the window's top (a window screenshot of it). */
async function scrollTo(page: Page, selector: string): Promise<void> {
  await page.locator(selector).evaluate((el) => el.scrollIntoView({ block: 'start' }))
}

/** The page scrolls sideways by no more than a rounding pixel. */
async function sideways(page: Page): Promise<{ scrollWidth: number; clientWidth: number }> {
  return page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth }
  })
}

// Indices of the rules built below, in the order they are added.
const at: Record<string, number> = {}
let published = ''

describe('an operator builds every kind of reply in forms and publishes', () => {
  it('builds a rule of each reply type, parts, a random choice, office hours, a campaign and the hand-off; checks, previews, publishes', async () => {
    const page = await operator()
    const res = await page.goto(`${service.url}/admin/rules`)
    expect(res?.status()).toBe(200)
    original = await field(page, 'base').inputValue()
    expect(original).toMatch(/^[0-9a-f]{16}$/)
    originalSource = (await rulesApi()).source
    // No JSON is typed anywhere below: the JSON editor stays closed.
    const jsonEditor = page.locator('textarea[name=json]')
    expect(await jsonEditor.isVisible()).toBe(false)

    // Text.
    at.text = await addRule(page, 'form-text', 'text', say.text)
    await part(page, `r${at.text}.c0.p0`, 'text').fill('您好，这是文字回复。')

    // An image chosen from the computer.
    at.image = await addRule(page, 'form-image', 'text', say.image)
    await part(page, `r${at.image}.c0.p0`, 'type').selectOption('image')
    await part(page, `r${at.image}.c0.p0`, 'upload').setInputFiles({ name: '二维码.png', mimeType: 'image/png', buffer: images.image })

    // A link: title, description, where it opens, and its thumbnail uploaded.
    at.link = await addRule(page, 'form-link', 'text', say.link)
    const link = `r${at.link}.c0.p0`
    await part(page, link, 'type').selectOption('link')
    // Only the chosen type's fields show (the stylesheet, no script).
    expect(await part(page, link, 'pagepath').isVisible()).toBe(false)
    await part(page, link, 'title').fill('本周新品')
    await part(page, link, 'description').fill('新用户首单立减 10 元，点开看看')
    await part(page, link, 'url').fill('https://shop.example.com/new')
    await part(page, link, 'upload').setInputFiles({ name: 'thumb.png', mimeType: 'image/png', buffer: images.thumb })

    // A mini-program card: title, page path, cover uploaded.
    at.card = await addRule(page, 'form-card', 'text', say.card)
    const card = `r${at.card}.c0.p0`
    await part(page, card, 'type').selectOption('miniprogrampage')
    expect(await part(page, card, 'description').isVisible()).toBe(false)
    await part(page, card, 'title').fill('查看我的订单')
    await part(page, card, 'pagepath').fill('pages/order/index?from=kefu')
    await part(page, card, 'upload').setInputFiles({ name: 'cover.png', mimeType: 'image/png', buffer: images.cover })

    // The hand-off to a person.
    at.human = await addRule(page, 'form-human', 'text', say.human)
    await part(page, `r${at.human}.c0.p0`, 'type').selectOption('transfer')

    // The pressing of `add` above posted the chosen files: each part now names its upload.
    const shown = page.locator(`[data-part="r${at.image}.c0.p0"] [data-uploaded]`)
    expect(await shown.getAttribute('data-uploaded')).toMatch(/^[0-9a-f]{64}\.png$/)
    const picture = await shown.locator('img').evaluate((img: HTMLImageElement) => ({ done: img.complete, width: img.naturalWidth }))
    expect(picture).toEqual({ done: true, width: images.image.readUInt32BE(16) })
    expect(await page.locator(`[data-part="${card}"] [data-uploaded]`).count()).toBe(1)
    expect(await part(page, link, 'thumb_url').inputValue()).toMatch(/\/media\/[0-9a-f]{64}\.png$/)

    // Several parts in order: three texts; the first moved down, the last up, then the first removed.
    at.parts = await addRule(page, 'form-parts', 'text', say.parts)
    const parts = `r${at.parts}`
    await part(page, `${parts}.c0.p0`, 'text').fill('第一条')
    for (const [n, text] of [
      [1, '第二条'],
      [2, '第三条'],
    ] as const) {
      await field(page, `${parts}.c0.add_type`).selectOption('text')
      expect(await press(page, `part-add:${parts}.c0`)).toBe(200)
      await part(page, `${parts}.c0.p${n}`, 'text').fill(text)
    }
    const texts = () =>
      page.locator(`[data-reply="${parts}"] textarea[name$=".text"]`).evaluateAll((all) => all.map((t) => (t as HTMLTextAreaElement).value))
    expect(await texts()).toEqual(['第一条', '第二条', '第三条'])
    expect(await press(page, `part-down:${parts}.c0.p0`)).toBe(200)
    expect(await texts()).toEqual(['第二条', '第一条', '第三条'])
    expect(await press(page, `part-up:${parts}.c0.p2`)).toBe(200)
    expect(await texts()).toEqual(['第二条', '第三条', '第一条'])
    expect(await press(page, `part-delete:${parts}.c0.p0`)).toBe(200)
    expect(await texts()).toEqual(['第三条', '第一条'])
    // What the user will see, as bubbles in that order.
    expect(await page.locator(`[data-reply="${parts}"] [data-seen] [data-bubble]`).allTextContents()).toEqual(['第三条', '第一条'])

    // A random choice: ticked, groups added, one removed.
    at.random = await addRule(page, 'form-random', 'text', say.random)
    const random = `r${at.random}`
    await field(page, `${random}.random`).check()
    expect(await press(page, `choice-add:${random}`)).toBe(200)
    expect(await press(page, `choice-add:${random}`)).toBe(200)
    expect(await page.locator(`[data-reply="${random}"] .choice`).count()).toBe(3)
    expect(await press(page, `choice-delete:${random}.c2`)).toBe(200)
    await part(page, `${random}.c0.p0`, 'text').fill('今天的幸运色是红色')
    await part(page, `${random}.c1.p0`, 'text').fill('今天的幸运色是蓝色')

    // Office hours: the working week, today a holiday, next Sunday a make-up working day.
    await field(page, 'hours.on').check()
    expect(await field(page, 'hours.mon.0.start').inputValue()).toBe('09:00')
    expect(await press(page, 'date-add:closed')).toBe(200)
    await field(page, 'hours.closed.0').fill(chinaDate())
    expect(await press(page, 'date-add:open')).toBe(200)
    await field(page, 'hours.open.0').fill(nextSunday())
    // The same words answered one way while open, another while closed.
    at.open = await addRule(page, 'form-open', 'text', say.hours)
    await field(page, `r${at.open}.during`).selectOption('open')
    await part(page, `r${at.open}.c0.p0`, 'text').fill('客服在线，请直接留言。')
    at.closed = await addRule(page, 'form-closed', 'text', say.hours)
    await field(page, `r${at.closed}.during`).selectOption('closed')
    await part(page, `r${at.closed}.c0.p0`, 'text').fill('今天休息，明天上班后第一时间回复您。')

    // A dated campaign: the one running now answers; one that starts next month does not yet.
    at.later = await addRule(page, 'form-later', 'text', say.campaign)
    await field(page, `r${at.later}.from`).fill(chinaLocal(30 * DAY))
    await field(page, `r${at.later}.until`).fill(chinaLocal(60 * DAY))
    await part(page, `r${at.later}.c0.p0`, 'text').fill('下个月的活动还没开始。')
    at.campaign = await addRule(page, 'form-campaign', 'text', say.campaign)
    await field(page, `r${at.campaign}.from`).fill(chinaLocal(-DAY))
    await field(page, `r${at.campaign}.until`).fill(chinaLocal(DAY))
    await part(page, `r${at.campaign}.c0.p0`, 'text').fill('活动进行中：全场满 100 减 20。')

    // The hand-off after three unmatched texts in a row.
    await field(page, 'handoff.after').fill('3')
    await field(page, 'handoff.text').fill(HANDOFF_TEXT)

    // Checked as rules:check checks: no problem, in Chinese.
    expect(await press(page, 'check')).toBe(200)
    expect(await page.getByRole('status').textContent()).toContain('检查通过')
    expect(await page.locator('[data-issues]').count()).toBe(0)
    expect(await jsonEditor.isVisible()).toBe(false)

    // Previewed against the draft: the make-up Sunday at 10:00 is open; today, the holiday, is closed.
    await field(page, 'preview_text').fill(say.hours)
    await field(page, 'preview_at').fill(`${nextSunday()}T10:00`)
    expect(await press(page, 'preview')).toBe(200)
    expect(await page.locator('[data-preview-result]').getAttribute('data-rule-id')).toBe('form-open')
    await field(page, 'preview_at').fill(`${chinaDate()}T10:00`)
    expect(await press(page, 'preview')).toBe(200)
    expect(await page.locator('[data-preview-result]').getAttribute('data-rule-id')).toBe('form-closed')
    await scrollTo(page, '[data-hours]')
    await screenshot(page, 'rules-forms-hours', { window: true })

    await Promise.all([page.waitForURL(/done=published/), page.locator('button[name=op][value=publish]').click()])
    expect(await page.getByRole('status').textContent()).toContain('已发布')
    published = new URL(page.url()).searchParams.get('version') ?? ''
    expect(published).toMatch(/^[0-9a-f]{16}$/)
    await scrollTo(page, `#rule-${at.card}`)
    await screenshot(page, 'rules-forms', { window: true })

    // What was published: the rule set's own shapes, images by the names of their uploads.
    const set = await storedSet()
    const rule = (id: string) => set.rules.find((r) => r.id === id)
    expect(rule('form-text')?.reply).toEqual({ type: 'text', text: '您好，这是文字回复。' })
    expect(rule('form-image')?.reply).toEqual({ type: 'image', file: expect.stringMatching(/^[0-9a-f]{64}\.png$/) })
    expect(rule('form-link')?.reply).toEqual({
      type: 'link',
      title: '本周新品',
      description: '新用户首单立减 10 元，点开看看',
      url: 'https://shop.example.com/new',
      thumb_url: expect.stringMatching(/\/media\/[0-9a-f]{64}\.png$/),
    })
    expect(rule('form-card')?.reply).toEqual({
      type: 'miniprogrampage',
      title: '查看我的订单',
      pagepath: 'pages/order/index?from=kefu',
      thumb_file: expect.stringMatching(/^[0-9a-f]{64}\.png$/),
    })
    expect(rule('form-human')?.reply).toEqual({ type: 'transfer' })
    expect(rule('form-parts')?.reply).toEqual([
      { type: 'text', text: '第三条' },
      { type: 'text', text: '第一条' },
    ])
    expect(rule('form-random')?.reply).toEqual({
      random: [
        { type: 'text', text: '今天的幸运色是红色' },
        { type: 'text', text: '今天的幸运色是蓝色' },
      ],
    })
    expect(set.hours).toMatchObject({ tz: 'Asia/Shanghai', closed: [chinaDate()], open: [nextSunday()] })
    expect(set.hours?.weekly.mon).toEqual(['09:00-18:00'])
    expect(rule('form-campaign')).toMatchObject({ from: expect.stringMatching(/\+08:00$/), until: expect.stringMatching(/\+08:00$/) })
    expect(set.handoff).toEqual({ after_unmatched: 3, text: HANDOFF_TEXT })
    expect(pageErrors(page)).toEqual([])
  })

  it('signed pushes get each reply as built; the image goes to WeChat once for two users', async () => {
    expect(published).not.toBe('')
    // The Worker rechecks KV every second under npm start: a new user soon gets the new rules.
    await vi.waitFor(
      async () => {
        const openid = user()
        await pushText(service.url, openid, say.text)
        expect(await received(openid, 1)).toEqual(['text: 您好，这是文字回复。'])
      },
      { timeout: 20_000, interval: 1_000 },
    )

    // The image: uploaded to WeChat for the first user, its media_id cached for the second.
    const [first, second] = [user(), user()]
    await pushText(service.url, first, say.image)
    const firstImage = await sentBody(first)
    await pushText(service.url, second, say.image)
    const secondImage = await sentBody(second)
    expect(firstImage.msgtype).toBe('image')
    expect(secondImage.image?.media_id).toBe(firstImage.image?.media_id)
    expect(await uploadsOf(images.image)).toHaveLength(1)

    // The link, its thumbnail served publicly for WeChat's client to fetch.
    const linkUser = user()
    await pushText(service.url, linkUser, say.link)
    const { link } = await sentBody(linkUser)
    expect(link).toMatchObject({ title: '本周新品', description: '新用户首单立减 10 元，点开看看', url: 'https://shop.example.com/new' })
    const thumb = await fetch(`${service.url}${new URL(link?.thumb_url ?? '').pathname}`)
    expect(thumb.status).toBe(200)
    expect(Buffer.from(await thumb.arrayBuffer()).equals(images.thumb)).toBe(true)

    // The card, its cover uploaded to WeChat as the thumbnail's media.
    const cardUser = user()
    await pushText(service.url, cardUser, say.card)
    const { miniprogrampage } = await sentBody(cardUser)
    expect(miniprogrampage).toMatchObject({ title: '查看我的订单', pagepath: 'pages/order/index?from=kefu' })
    expect(miniprogrampage?.thumb_media_id).toMatch(/\S/)
    expect(await uploadsOf(images.cover)).toHaveLength(1)

    // The hand-off: WeChat is answered transfer_customer_service, nothing is sent.
    const human = user()
    expect(await pushText(service.url, human, say.human)).toBe('transfer_customer_service')

    // Several parts, in the order they were left in.
    const partsUser = user()
    await pushText(service.url, partsUser, say.parts)
    expect(await received(partsUser, 2)).toEqual(['text: 第三条', 'text: 第一条'])

    // A random choice: each user gets one of the two groups.
    for (let n = 0; n < 3; n++) {
      const openid = user()
      await pushText(service.url, openid, say.random)
      const got = await received(openid, 1)
      expect(got).toHaveLength(1)
      expect(['text: 今天的幸运色是红色', 'text: 今天的幸运色是蓝色']).toContain(got[0])
    }

    // Today is a holiday: closed, whatever the hour.
    const asker = user()
    await pushText(service.url, asker, say.hours)
    expect(await received(asker, 1)).toEqual(['text: 今天休息，明天上班后第一时间回复您。'])

    // The campaign running now, not the one starting next month.
    const shopper = user()
    await pushText(service.url, shopper, say.campaign)
    expect(await received(shopper, 1)).toEqual(['text: 活动进行中：全场满 100 减 20。'])

    // Three unmatched texts in a row: the third hands the user to a person, with the text.
    const lost = user()
    for (const n of [1, 2]) {
      expect(await pushText(service.url, lost, `zq${tag} 这句话没有规则 ${n}`)).toBe('success')
      await received(lost, n)
    }
    expect(await pushText(service.url, lost, `zq${tag} 这句话没有规则 3`)).toBe('transfer_customer_service')
    expect((await received(lost, 3)).at(-1)).toBe(`text: ${HANDOFF_TEXT}`)

    // Across all of it, the image went to WeChat once.
    expect(await uploadsOf(images.image)).toHaveLength(1)
  })

  it('refuses a file that is not an image and one over its limit, under their fields in Chinese; nothing is published', async () => {
    expect(published).not.toBe('')
    const page = await operator()
    await page.goto(`${service.url}/admin/rules`)
    const before = await rulesApi()
    expect(before.sourceVersion).toBe(published)

    const image = `r${at.image}.c0.p0`
    const link = `r${at.link}.c0.p0`
    await part(page, image, 'upload').setInputFiles({
      name: '二维码.png',
      mimeType: 'image/png',
      buffer: Buffer.from('这不是图片，只是文字。\n'),
    })
    // 1.2 MB: within an image's 2 MB, over a link thumbnail's 1 MB.
    await part(page, link, 'upload').setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: makePng(640, 640, true) })
    expect(await press(page, 'publish')).toBe(400)

    const under = (at: string) => page.locator(`[data-part="${at}"] ul.field-error[data-rule-issues]`)
    expect(await under(image).textContent()).toContain('不是 JPEG 或 PNG 图片')
    expect(await under(link).textContent()).toContain('图片不能超过 1 MB')
    expect(await page.getByRole('alert').textContent()).toContain('不是 JPEG 或 PNG 图片')
    // The parts keep the images they had.
    expect(await page.locator(`[data-part="${image}"] [data-uploaded]`).count()).toBe(1)
    await scrollTo(page, `#rule-${at.image}`)
    await screenshot(page, 'rules-upload-refused', { window: true })

    const after = await rulesApi()
    expect(after).toEqual(before)
    await page.goto(`${service.url}/admin/rules`)
    expect(await field(page, 'base').inputValue()).toBe(published)
    // The refused publish is a 400 by design; nothing else went wrong.
    const errors = pageErrors(page)
    expect(errors).toEqual([`400 ${service.url}/admin/rules`])
    errors.length = 0
  })

  it('works on a phone: no sideways scroll, and the weekly grid is filled and published there', async () => {
    expect(published).not.toBe('')
    const page = await openPage(browser, 'phone')
    await stubOutsideImages(page)
    await signIn(page, service.url, service.token)
    await page.goto(`${service.url}/admin/rules`)
    const wide = await sideways(page)
    expect(wide.scrollWidth, JSON.stringify(wide)).toBeLessThanOrEqual(wide.clientWidth + 1)
    await scrollTo(page, `[data-part="r${at.link}.c0.p0"]`)
    await screenshot(page, 'rules-forms-phone', { window: true })

    // Saturday mornings open: a period added, its times typed, published from the phone.
    expect(await press(page, 'period-add:sat')).toBe(200)
    await field(page, 'hours.sat.0.start').fill('10:00')
    await field(page, 'hours.sat.0.end').fill('14:00')
    await field(page, 'hours.sat.0.end').scrollIntoViewIfNeeded()
    const hours = await sideways(page)
    expect(hours.scrollWidth, JSON.stringify(hours)).toBeLessThanOrEqual(hours.clientWidth + 1)
    await scrollTo(page, '[data-hours] table.week tr[data-day=thu]')
    await screenshot(page, 'rules-hours-phone', { window: true })
    await Promise.all([page.waitForURL(/done=published/), page.locator('button[name=op][value=publish]').click()])
    expect(await page.getByRole('status').textContent()).toContain('已发布')
    expect((await storedSet()).hours?.weekly.sat).toEqual(['10:00-14:00'])
    expect(pageErrors(page)).toEqual([])
    await page.context().close()
  })

  it('leaves the shared rule set as it found it: the first version rolled back to from the history page', async () => {
    await restore()
    expect((await rulesApi()).source).toBe(originalSource)
  })
})
