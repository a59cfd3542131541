/**
 * Uploads: typed by their bytes (never a name), held to each use's limit, named by their hash
 * and stored once; a link's thumbnail is public, whatever the first upload was.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { mediaPath, publicMediaUrl, saveUpload, UPLOAD_LIMITS } from '../../src/media/uploads'
import { readStoredImage } from '../../src/wechat/media'
import { gif, jpeg, png } from '../support/images'

const OPERATOR = 'op-test'

async function stored(name: string) {
  const object = await env.MEDIA.head(`uploads/${name}`)
  if (object === null) throw new Error(`${name} was not stored`)
  return object
}

describe('saveUpload', () => {
  it('names a PNG by the SHA-256 of its bytes and stores it with its type and who uploaded it', async () => {
    const bytes = png()
    const saved = await saveUpload(env.MEDIA, bytes, 'image', OPERATOR)
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
    const hex = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('')
    expect(saved).toEqual({ ok: true, name: `${hex}.png`, type: 'image/png' })
    const object = await stored(`${hex}.png`)
    expect(object.httpMetadata?.contentType).toBe('image/png')
    expect(object.customMetadata).toEqual({ use: 'image', uploadedBy: OPERATOR })
    // What a reply's `file` reads back is the same image.
    const read = await readStoredImage(env.MEDIA, `${hex}.png`)
    expect(read.bytes).toEqual(bytes)
  })

  it('names a JPEG .jpg', async () => {
    const saved = await saveUpload(env.MEDIA, jpeg(), 'card', OPERATOR)
    expect(saved).toMatchObject({ ok: true, type: 'image/jpeg', name: expect.stringMatching(/^[0-9a-f]{64}\.jpg$/) })
  })

  it('refuses text, whatever it would be called, and a GIF: by content, not name', async () => {
    const text = new TextEncoder().encode('this is not a picture, whatever the file is called (photo.png)')
    expect(await saveUpload(env.MEDIA, text, 'image', OPERATOR)).toEqual({ ok: false, problem: { code: 'upload_not_image' } })
    expect(await saveUpload(env.MEDIA, gif(), 'image', OPERATOR)).toEqual({ ok: false, problem: { code: 'upload_not_image' } })
    const listed = await env.MEDIA.list({ prefix: 'uploads/' })
    expect(listed.objects.every((o) => !o.key.endsWith('.gif'))).toBe(true)
  })

  it('refuses nothing at all', async () => {
    expect(await saveUpload(env.MEDIA, new Uint8Array(0), 'link', OPERATOR)).toEqual({ ok: false, problem: { code: 'upload_empty' } })
  })

  it('holds each use to its own limit, and stores nothing over it', async () => {
    for (const use of ['image', 'card', 'link'] as const) {
      const max = UPLOAD_LIMITS[use].maxBytes
      const over = png(max + 1)
      expect(await saveUpload(env.MEDIA, over, use, OPERATOR)).toEqual({ ok: false, problem: { code: 'upload_too_large', max } })
      expect(await saveUpload(env.MEDIA, png(max), use, OPERATOR)).toMatchObject({ ok: true })
    }
    // A link's thumbnail is held to less than an image WeChat keeps as media.
    expect(UPLOAD_LIMITS.link.maxBytes).toBeLessThan(UPLOAD_LIMITS.image.maxBytes)
    const tooLargeForLink = png(UPLOAD_LIMITS.link.maxBytes + 1)
    expect(await saveUpload(env.MEDIA, tooLargeForLink, 'link', OPERATOR)).toMatchObject({ ok: false })
    expect(await saveUpload(env.MEDIA, tooLargeForLink, 'image', OPERATOR)).toMatchObject({ ok: true })
  })

  it('stores the same bytes once, under one name', async () => {
    const bytes = png()
    const first = await saveUpload(env.MEDIA, bytes, 'image', 'first')
    const before = await stored(first.ok ? first.name : '')
    const second = await saveUpload(env.MEDIA, bytes.slice(), 'card', 'second')
    expect(second).toEqual(first)
    const after = await stored(first.ok ? first.name : '')
    // Not written again: the same version, still the first uploader's.
    expect(after.version).toBe(before.version)
    expect(after.customMetadata).toEqual({ use: 'image', uploadedBy: 'first' })
  })

  it("makes a link's thumbnail public, even when the same bytes were first uploaded privately", async () => {
    const linkOnly = await saveUpload(env.MEDIA, png(), 'link', OPERATOR)
    if (!linkOnly.ok) throw new Error('refused')
    expect((await stored(linkOnly.name)).customMetadata).toEqual({ use: 'link', uploadedBy: OPERATOR, public: '1' })

    const bytes = jpeg()
    const first = await saveUpload(env.MEDIA, bytes, 'image', 'first')
    if (!first.ok) throw new Error('refused')
    expect((await stored(first.name)).customMetadata?.public).toBeUndefined()
    expect(await saveUpload(env.MEDIA, bytes, 'link', 'second')).toEqual(first)
    const object = await stored(first.name)
    expect(object.customMetadata).toEqual({ use: 'image', uploadedBy: 'first', public: '1' })
    expect(object.httpMetadata?.contentType).toBe('image/jpeg')
    // Uploading it privately again does not take it back: rules may be sending its URL.
    await saveUpload(env.MEDIA, bytes, 'image', 'third')
    expect((await stored(first.name)).customMetadata?.public).toBe('1')
  })
})

describe('where an upload is shown', () => {
  it('is under /admin/media for the console and /media for anyone', () => {
    const name = `${'a'.repeat(64)}.png`
    expect(mediaPath(name)).toBe(`/admin/media/${name}`)
    expect(publicMediaUrl('https://kefu.example.com', name)).toBe(`https://kefu.example.com/media/${name}`)
    expect(publicMediaUrl('https://kefu.example.com/', name)).toBe(`https://kefu.example.com/media/${name}`)
  })
})
