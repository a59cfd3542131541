/**
 * Images chosen in the rules form (src/console/rule-uploads.ts), posted as the browser posts
 * them (multipart, with the rest of the form): kept in MEDIA and named by the part — an image's
 * file, a card's cover, a link's public thumbnail — shown on the page and published as built;
 * a file that is not an image or is over its limit refused under its part, in Chinese, with
 * nothing stored or published. Real local KV and R2.
 */
import { createExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { app } from '../../src/app'
import { draftOf } from '../../src/console/rule-draft'
import { formFields } from '../../src/console/rule-form'
import type { Env } from '../../src/settings/env'
import { ruleSetVersion } from '../../src/rules/version'
import { BASE, workerFetch } from '../support/helpers'
import { addTestOperator, consoleSession, OWNER_AUTH } from '../support/operators'
import { TEST_SETTINGS } from '../support/settings'
import { gif, jpeg, png } from '../support/images'

const SET = { rules: [{ id: 'pic', when: { contains: ['图'] }, reply: { type: 'text', text: '稍等' } }] }
const STORED = JSON.stringify(SET)

let cookie = ''

beforeEach(async () => {
  cookie ||= await consoleSession(TEST_SETTINGS.ADMIN_TOKEN)
  await env.RULES.put('rules', STORED)
})

/** The form of SET with rule 0's first part as `part` (and any `extra` field), and `file` chosen in its upload field. */
async function formOf(part: Record<string, string>, file: Blob | null, op: string, extra: Record<string, string> = {}) {
  const fields: Record<string, string> = {
    ...formFields(draftOf(SET)),
    base: await ruleSetVersion(new TextEncoder().encode(STORED)),
    op,
    ...Object.fromEntries(Object.entries(part).map(([key, value]) => [`r0.c0.p0.${key}`, value])),
    ...extra,
  }
  const form = new FormData()
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  form.append('r0.c0.p0.upload', file ?? new File([], ''), file ? 'picture.png' : '')
  return form
}

/** That form posted by the signed-in owner. */
async function post(
  part: Record<string, string>,
  file: Blob | null,
  op = 'publish',
  path = '/admin/rules',
  extra: Record<string, string> = {},
) {
  const body = await formOf(part, file, op, extra)
  const res = await workerFetch(path, { method: 'POST', headers: { origin: BASE, cookie }, body, redirect: 'manual' })
  return { status: res.status, text: await res.text() }
}

/** The problems the page lists under rule 0's first part, if any. */
const partErrors = (page: string) =>
  /<div class="part" data-part="r0.c0.p0"[\s\S]*?<ul class="field-error"[^>]*>([\s\S]*?)<\/ul>/.exec(page)?.[1]

const storedRules = async () => JSON.parse((await env.RULES.get('rules', 'text')) ?? '{}') as { rules: { reply: unknown }[] }

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('')
}

describe('an image chosen in the rules form', () => {
  it('is kept in MEDIA, shown on the page, and published as the image reply’s file', async () => {
    const bytes = png()
    const name = `${await sha256(bytes)}.png`
    const checked = await post({ type: 'image' }, new File([bytes], 'x.png'), 'check')
    expect(checked.status).toBe(200)
    expect(checked.text).toContain(`data-uploaded="${name}"`)
    expect(checked.text).toContain(`src="/admin/media/${name}"`)
    expect(await env.MEDIA.head(`uploads/${name}`)).not.toBeNull()
    // Audited as the admin API's upload is: who, which image, for what.
    const audit = await workerFetch('/admin/api/audit?action=media_upload', { headers: OWNER_AUTH })
    const entries = ((await audit.json()) as { items: { operatorId: string; target: string; summary: string }[] }).items
    expect(entries.filter((entry) => entry.target === name)).toEqual([
      expect.objectContaining({ operatorId: 'owner', summary: `image, ${bytes.byteLength} bytes` }),
    ])
    // Checking stored nothing in the rules; the next post carries the name in the form.
    expect(await env.RULES.get('rules', 'text')).toBe(STORED)

    const published = await post({ type: 'image' }, new File([bytes], 'x.png'))
    expect(published.status).toBe(303)
    expect((await storedRules()).rules[0]!.reply).toEqual({ type: 'image', file: name })
  })

  it('replaces the URL an image had: a reply takes exactly one source', async () => {
    const bytes = jpeg()
    const published = await post({ type: 'image', url: 'https://example.com/old.png' }, new File([bytes], 'x.jpg'))
    expect(published.status).toBe(303)
    expect((await storedRules()).rules[0]!.reply).toEqual({ type: 'image', file: `${await sha256(bytes)}.jpg` })
  })

  it('is a card’s cover, and a link’s public thumbnail (WeChat’s client fetches it)', async () => {
    const cover = png()
    await post({ type: 'miniprogrampage', title: '查看订单', pagepath: 'pages/order/index' }, new File([cover], 'c.png'))
    expect((await storedRules()).rules[0]!.reply).toEqual({
      type: 'miniprogrampage',
      title: '查看订单',
      pagepath: 'pages/order/index',
      thumb_file: `${await sha256(cover)}.png`,
    })

    await env.RULES.put('rules', STORED)
    const thumb = png()
    const link = { type: 'link', title: '下载', description: '领红包', url: 'https://example.com/app' }
    expect((await post(link, new File([thumb], 't.png'))).status).toBe(303)
    const thumbUrl = `${BASE}/media/${await sha256(thumb)}.png`
    expect((await storedRules()).rules[0]!.reply).toEqual({ ...link, thumb_url: thumbUrl })
    const served = await workerFetch(thumbUrl)
    expect(served.status).toBe(200)
    expect(new Uint8Array(await served.arrayBuffer())).toEqual(thumb)
  })

  it.each([
    ['a text file named .png', () => new File([new TextEncoder().encode('<svg onload=alert(1)>')], 'x.png'), 'JPEG'],
    ['a GIF', () => new File([gif()], 'x.gif'), 'JPEG'],
    ['an image over 2 MB', () => new File([png(2 * 1024 * 1024 + 1)], 'big.png'), '2 MB'],
  ])('refuses %s under its part, in Chinese, and stores and publishes nothing', async (_, file, says) => {
    const before = await env.MEDIA.list({ prefix: 'uploads/' })
    const refused = await post({ type: 'image' }, file())
    expect(refused.status).toBe(400)
    const part = partErrors(refused.text)
    expect(part).toContain(says)
    expect(part).toMatch(/[\u4e00-\u9fff]/)
    expect(part).toContain('rules[0].reply.file')
    expect(await env.RULES.get('rules', 'text')).toBe(STORED)
    expect((await env.MEDIA.list({ prefix: 'uploads/' })).objects.length).toBe(before.objects.length)
  })

  it('refuses a phone photo (8 MB) under its part, in Chinese, keeping the draft: nothing stored or published', async () => {
    const before = await env.MEDIA.list({ prefix: 'uploads/' })
    const photo = new File([jpeg(8 * 1000 * 1000)], 'IMG_0001.jpg', { type: 'image/jpeg' })
    const refused = await post({ type: 'image' }, photo, 'publish', '/admin/rules', { 'r0.note': '草稿里的备注' })
    expect(refused.status).toBe(400)
    const part = partErrors(refused.text)
    expect(part).toContain('图片不能超过 2 MB')
    expect(part).toContain('rules[0].reply.file')
    // The draft as posted: the part's type and the note typed with it.
    expect(refused.text).toMatch(/<option value="image" selected="">/)
    expect(refused.text).toContain('value="草稿里的备注"')
    expect(await env.RULES.get('rules', 'text')).toBe(STORED)
    expect((await env.MEDIA.list({ prefix: 'uploads/' })).objects.length).toBe(before.objects.length)
  })

  it('answers a post too large to read with the rules page, saying what the limits are', async () => {
    // More text than any rule set's form holds: not read, so the saved rules are shown.
    const refused = await post({ type: 'text', text: '字'.repeat(2_300_000) }, null, 'publish')
    expect(refused.status).toBe(413)
    expect(refused.text).toContain('id="rules-form"')
    expect(refused.text).toContain('data-rule="pic"')
    expect(refused.text).toContain('每张图片最多 2 MB（链接缩略图 1 MB）')
    expect(refused.text).toContain('刚才的修改没有保存')
    expect(await env.RULES.get('rules', 'text')).toBe(STORED)
  })

  it('holds a link’s thumbnail to its own, smaller limit', async () => {
    const link = { type: 'link', title: 'T', description: 'D', url: 'https://example.com' }
    const refused = await post(link, new File([png(1024 * 1024 + 1)], 't.png'), 'check', '/admin/rules?lang=en')
    expect(refused.status).toBe(400)
    expect(refused.text).toContain('rules[0].reply.thumb_url')
    expect(refused.text).toContain('1 MB')
  })

  it('ignores a file chosen for a part that takes no image, and an empty file input', async () => {
    const text = await post({ type: 'text', text: '你好' }, new File([png()], 'x.png'))
    expect(text.status).toBe(303)
    expect((await storedRules()).rules[0]!.reply).toEqual({ type: 'text', text: '你好' })
    await env.RULES.put('rules', STORED)
    const none = await post({ type: 'text', text: '你好' }, null)
    expect(none.status).toBe(303)
  })

  it('without the MEDIA binding, says so under the part in the operator’s language, and publishes nothing', async () => {
    const bare = { ...env, MEDIA: undefined } as unknown as Env
    const request = new Request(`${BASE}/admin/rules`, {
      method: 'POST',
      headers: { origin: BASE, cookie },
      body: await formOf({ type: 'image' }, new File([png()], 'x.png'), 'publish'),
      redirect: 'manual',
    })
    const res = await app.fetch(request, bare, createExecutionContext())
    expect(res.status).toBe(400)
    const text = await res.text()
    const part = partErrors(text)
    expect(part).toContain('没有配置图片存储')
    expect(part).toContain('rules[0].reply.file')
    expect(part).not.toContain('MEDIA is not bound')
    expect(await env.RULES.get('rules', 'text')).toBe(STORED)
  })

  it('is refused to a role that may not edit rules, with nothing stored', async () => {
    const viewer = await addTestOperator('viewer')
    const viewerCookie = await consoleSession(viewer.token)
    const before = (await env.MEDIA.list({ prefix: 'uploads/' })).objects.length
    const form = new FormData()
    for (const [name, value] of Object.entries({ ...formFields(draftOf(SET)), op: 'publish', 'r0.c0.p0.type': 'image' }))
      form.append(name, value)
    form.append('r0.c0.p0.upload', new File([png()], 'x.png'))
    const res = await workerFetch('/admin/rules', {
      method: 'POST',
      headers: { origin: BASE, cookie: viewerCookie },
      body: form,
      redirect: 'manual',
    })
    expect(res.status).toBe(403)
    expect((await env.MEDIA.list({ prefix: 'uploads/' })).objects.length).toBe(before)
  })
})
