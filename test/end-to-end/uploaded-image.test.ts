/**
 * An image uploaded through the admin API, end to end: a rule published with `{ "type":
 * "image", "file": <its name> }`, then signed pushes from two users. WeChat (the stand-in)
 * receives the image once — the media_id cache serves the second user — and both custom/sends
 * carry that media_id.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { textMessage } from '../../dev/push'
import type { FlatFields } from '../../src/wechat/message'
import { fakeWechat, uniqueOpenid, type FakeCall } from '../support/fake-wechat-client'
import { push, workerFetch } from '../support/helpers'
import { OWNER_AUTH } from '../support/operators'
import { TEST_SETTINGS } from '../support/settings'
import { png } from '../support/images'

const APPID = TEST_SETTINGS.WECHAT_APPID
const SEND = '/cgi-bin/message/custom/send'
const UPLOAD = '/cgi-bin/media/upload'
let msgIds = 7_300_000_000_000_000_000n

// A size no other test's image has: the stand-in is shared, and this tells our upload apart.
const SIZE = 40_000 + Math.floor(Math.random() * 20_000)
const bytes = png(SIZE)
let name = ''

beforeAll(async () => {
  const uploaded = await workerFetch('/admin/api/media?use=image', {
    method: 'POST',
    headers: { ...OWNER_AUTH, 'content-type': 'image/png' },
    body: bytes,
  })
  expect(uploaded.status).toBe(201)
  name = ((await uploaded.json()) as { name: string }).name

  const rules = {
    rules: [{ id: 'uploaded-qr', when: { contains: ['二维码'] }, reply: { type: 'image', file: name } }],
    default: { type: 'text', text: '您好' },
  }
  const published = await workerFetch('/admin/api/rules', {
    method: 'PUT',
    headers: { ...OWNER_AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(rules),
  })
  expect(published.status, await published.clone().text()).toBe(200)
})

function text(openid: string, content: string): FlatFields {
  return { ...textMessage(openid, content, String(++msgIds)), ToUserName: 'gh_97417a04a28d' }
}

async function delivered(openid: string): Promise<{ msgtype: string; image?: { media_id: string } }> {
  return vi.waitFor(
    async () => {
      const ok = (await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).filter((call) => call.errcode === 0)
      expect(ok).toHaveLength(1)
      return ok[0]!.body as { msgtype: string; image?: { media_id: string } }
    },
    { timeout: 5000, interval: 25 },
  )
}

/** The stand-in's uploads of this image: told apart by its size. */
async function uploadsOfOurs(): Promise<FakeCall[]> {
  const calls = await fakeWechat.calls({ appid: APPID, path: UPLOAD })
  return calls.filter((call) => {
    const parts = (call.body as { parts?: { size?: number }[] } | null)?.parts
    return parts?.[0]?.size === SIZE
  })
}

describe('a rule replying with an uploaded image', () => {
  it('uploads it to WeChat once for two users, and both sends carry that media_id', async () => {
    const first = uniqueOpenid()
    const second = uniqueOpenid()
    expect(await (await push(text(first, '请发二维码'))).text()).toBe('success')
    const one = await delivered(first)
    expect(await (await push(text(second, '二维码'))).text()).toBe('success')
    const two = await delivered(second)

    expect(one.msgtype).toBe('image')
    expect(one.image?.media_id).toEqual(expect.any(String))
    expect(two).toEqual({ touser: second, msgtype: 'image', image: { media_id: one.image?.media_id } })

    const uploads = await uploadsOfOurs()
    expect(uploads).toHaveLength(1)
    expect(uploads[0]).toMatchObject({
      query: { type: 'image' },
      errcode: 0,
      body: { parts: [{ name: 'media', filename: 'image.png', contentType: 'image/png', size: SIZE }] },
    })
  })
})
