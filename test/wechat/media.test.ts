/**
 * Temporary images: fetched and uploaded once, then served from KV; wrong formats and
 * oversized images refused before any upload; concurrent first uses upload at most twice.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { IMAGE_MAX_BYTES, SyntheticErrcode, WechatApiError } from '../../src/wechat/api'
import { mediaKey } from '../../src/wechat/media'
import { fakeWechat, testClient, uniqueOpenid } from '../support/fake-wechat-client'
import { rejection } from '../support/helpers'

const UPLOAD = '/cgi-bin/media/upload'

const unique = () => crypto.randomUUID()

async function imageFetches(url: string) {
  return fakeWechat.calls({ path: new URL(url).pathname })
}

describe('uploadImage', () => {
  it('uploads once, then answers from the cache', async () => {
    const { client, appid } = testClient()
    const url = fakeWechat.imageUrl(unique(), 'qr.png')
    const first = await client.uploadImage({ url })
    const second = await client.uploadImage({ url })
    expect(second).toBe(first)

    const uploads = await fakeWechat.calls({ appid, path: UPLOAD })
    expect(uploads).toHaveLength(1)
    expect(uploads[0]!.query).toEqual({ type: 'image' })
    expect(uploads[0]!.body).toEqual({
      parts: [{ name: 'media', filename: 'image.png', contentType: 'image/png', size: expect.any(Number) }],
    })
    expect(await imageFetches(url)).toHaveLength(1)
    // The media_id works: WeChat (the fake) knows it for this app.
    await client.sendCustom(uniqueOpenid(), { msgtype: 'image', image: { media_id: first } })
  })

  it('answers from KV in an isolate that just started', async () => {
    const first = testClient()
    const url = fakeWechat.imageUrl(unique(), 'card.jpg')
    const mediaId = await first.client.uploadImage({ url })
    const restarted = testClient({ appid: first.appid, secret: first.secret })
    expect(await restarted.client.uploadImage({ url })).toBe(mediaId)
    expect(await fakeWechat.calls({ appid: first.appid, path: UPLOAD })).toHaveLength(1)
    const stored = await env.CACHE.get<{ media_id: string }>(await mediaKey(first.appid, { url }), 'json')
    expect(stored?.media_id).toBe(mediaId)
  })

  it('uploads JPEG with its own content type', async () => {
    const { client, appid } = testClient()
    await client.uploadImage({ url: fakeWechat.imageUrl(unique(), 'photo.jpg') })
    const [upload] = await fakeWechat.calls({ appid, path: UPLOAD })
    expect(upload!.body).toMatchObject({ parts: [{ name: 'media', filename: 'image.jpg', contentType: 'image/jpeg' }] })
  })

  it('uploads again once the cached media_id is near its 3-day end', async () => {
    let now = Date.now()
    const { client, appid } = testClient({ now: () => now })
    const url = fakeWechat.imageUrl(unique(), 'old.png')
    await client.uploadImage({ url })
    now += 61 * 3600 * 1000
    await client.uploadImage({ url })
    expect(await fakeWechat.calls({ appid, path: UPLOAD })).toHaveLength(2)
  })

  it('shares one upload between concurrent first uses in one isolate', async () => {
    const { client, appid } = testClient()
    const url = fakeWechat.imageUrl(unique(), 'busy.png')
    const ids = await Promise.all([client.uploadImage({ url }), client.uploadImage({ url }), client.uploadImage({ url })])
    expect(new Set(ids).size).toBe(1)
    expect(await fakeWechat.calls({ appid, path: UPLOAD })).toHaveLength(1)
  })

  it('uploads at most twice for two isolates racing on first use', async () => {
    const a = testClient()
    const b = testClient({ appid: a.appid, secret: a.secret })
    const url = fakeWechat.imageUrl(unique(), 'race.png')
    const ids = await Promise.all([a.client.uploadImage({ url }), b.client.uploadImage({ url })])
    for (const id of ids) expect(id).toMatch(/\S/)
    const uploads = await fakeWechat.calls({ appid: a.appid, path: UPLOAD })
    expect(uploads.length).toBeGreaterThanOrEqual(1)
    expect(uploads.length).toBeLessThanOrEqual(2)
  })

  it('retries the upload with a new token after 42001', async () => {
    const { client, appid } = testClient()
    await client.typing(uniqueOpenid(), 'Typing')
    await fakeWechat.expireTokens(appid)
    await client.uploadImage({ url: fakeWechat.imageUrl(unique(), 'retry.png') })
    const uploads = await fakeWechat.calls({ appid, path: UPLOAD })
    expect(uploads.map((call) => call.errcode)).toEqual([42001, 0])
    expect(uploads[1]!.body).toMatchObject({ parts: [{ name: 'media' }] })
  })
})

describe('images WeChat would refuse', () => {
  it.each([
    ['a GIF', 'anim.gif'],
    ['HTML served as image/png', 'notimage.png'],
  ])('refuses %s before uploading', async (_, name) => {
    const { client, appid } = testClient()
    const error = await rejection(client.uploadImage({ url: fakeWechat.imageUrl(unique(), name) }), WechatApiError)
    expect(error).toMatchObject({ errcode: SyntheticErrcode.imageType, kind: 'permanent' })
    expect(await fakeWechat.calls({ appid, path: UPLOAD })).toHaveLength(0)
  })

  it.each([false, true])('refuses an image over %s bytes (chunked: %s)', async (chunked) => {
    const { client, appid } = testClient()
    const error = await rejection(client.uploadImage({ url: fakeWechat.imageUrl(unique(), 'toolarge.png', chunked) }), WechatApiError)
    expect(error).toMatchObject({ errcode: SyntheticErrcode.imageSize, kind: 'permanent' })
    expect(error.message).toContain(String(IMAGE_MAX_BYTES))
    expect(await fakeWechat.calls({ appid, path: UPLOAD })).toHaveLength(0)
  })

  it('refuses a URL that is not http(s)', async () => {
    const { client } = testClient()
    const error = await rejection(client.uploadImage({ url: 'ftp://example.com/a.png' }), WechatApiError)
    expect(error).toMatchObject({ errcode: SyntheticErrcode.imageUrl, kind: 'permanent' })
  })

  it('fetches images over https only, loopback (the local stand-in) aside', async () => {
    const { client } = testClient()
    for (const url of ['http://example.com/qr.png', 'http://10.0.0.1/qr.png', 'http://169.254.169.254/latest.png']) {
      const error = await rejection(client.uploadImage({ url }), WechatApiError)
      expect(error, url).toMatchObject({ errcode: SyntheticErrcode.imageUrl, kind: 'permanent', api: 'image fetch' })
      expect(error.message).toContain('not https')
    }
  })

  it('follows at most two redirects, each to an allowed URL', async () => {
    const { client } = testClient()
    const target = fakeWechat.imageUrl(unique(), 'qr.png')
    const hop = (to: string) => `${fakeWechat.imageUrl(unique(), 'hop.png')}?redirect=${encodeURIComponent(to)}`
    expect(await client.uploadImage({ url: hop(hop(target)) })).toMatch(/\S/)

    const tooMany = await rejection(client.uploadImage({ url: hop(hop(hop(target))) }), WechatApiError)
    expect(tooMany).toMatchObject({ errcode: SyntheticErrcode.imageUrl, kind: 'permanent' })
    expect(tooMany.message).toContain('more than 2 redirects')

    const toHttp = await rejection(client.uploadImage({ url: hop('http://example.com/qr.png') }), WechatApiError)
    expect(toHttp.message).toContain('redirected to a URL that is not https')
  })

  it('treats a 404 image as permanent and a 500 as retryable', async () => {
    const { client } = testClient()
    const missing = await rejection(client.uploadImage({ url: fakeWechat.imageUrl(unique(), 'missing.png') }), WechatApiError)
    expect(missing).toMatchObject({ errcode: SyntheticErrcode.http, httpStatus: 404, kind: 'permanent' })

    const url = fakeWechat.imageUrl(unique(), 'flaky.png')
    await fakeWechat.imageFault(url, { kind: 'http500' })
    const flaky = await rejection(client.uploadImage({ url }), WechatApiError)
    expect(flaky).toMatchObject({ errcode: SyntheticErrcode.http, httpStatus: 500, kind: 'retryable' })
    // The failure is not cached: the next try uploads.
    expect(await client.uploadImage({ url })).toMatch(/\S/)
  })

  it('times out on an image server that hangs', async () => {
    const { client } = testClient({ timeoutMs: 300 })
    const url = fakeWechat.imageUrl(unique(), 'slow.png')
    await fakeWechat.imageFault(url, { kind: 'hang' })
    const error = await rejection(client.uploadImage({ url }), WechatApiError)
    expect(error).toMatchObject({ errcode: SyntheticErrcode.timeout, kind: 'retryable', api: 'image fetch' })
  })

  it('passes WeChat refusing the upload on', async () => {
    const { client, appid } = testClient()
    await fakeWechat.fault({ path: UPLOAD, appid, kind: 'errcode', errcode: 40005, errmsg: 'invalid file type' })
    const error = await rejection(client.uploadImage({ url: fakeWechat.imageUrl(unique(), 'x.png') }), WechatApiError)
    expect(error).toMatchObject({ errcode: 40005, kind: 'permanent', api: 'media/upload' })
  })
})

describe('images uploaded in the console (the MEDIA bucket)', () => {
  /** A real PNG's first bytes are enough: WeChat's stand-in and our check read the magic. */
  const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52])

  async function stored(bytes: Uint8Array): Promise<string> {
    const name = `${unique().replace(/-/g, '').padEnd(64, '0')}.png`
    await env.MEDIA.put(`uploads/${name}`, bytes)
    return name
  }

  it('uploads a stored file once, then answers from the cache', async () => {
    const { client, appid } = testClient()
    const file = await stored(PNG)
    const first = await client.uploadImage({ file })
    expect(await client.uploadImage({ file })).toBe(first)
    const uploads = await fakeWechat.calls({ appid, path: UPLOAD })
    expect(uploads).toHaveLength(1)
    expect(uploads[0]!.body).toMatchObject({
      parts: [{ name: 'media', filename: 'image.png', contentType: 'image/png', size: PNG.length }],
    })
    await client.sendCustom(uniqueOpenid(), { msgtype: 'image', image: { media_id: first } })
  })

  it('refuses a missing file or one that is not an image, without uploading', async () => {
    const { client, appid } = testClient()
    const missing = await rejection(client.uploadImage({ file: `${'a'.repeat(64)}.png` }), WechatApiError)
    expect(missing).toMatchObject({ errcode: SyntheticErrcode.imageUrl, kind: 'permanent' })
    const html = await stored(new TextEncoder().encode('<html>not an image</html>'))
    const notImage = await rejection(client.uploadImage({ file: html }), WechatApiError)
    expect(notImage).toMatchObject({ errcode: SyntheticErrcode.imageType, kind: 'permanent' })
    expect(await fakeWechat.calls({ appid, path: UPLOAD })).toHaveLength(0)
  })
})
