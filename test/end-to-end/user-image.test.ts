/**
 * A user's image, end to end (issue 31): a signed image push is answered "success" and replied
 * to at once; after that, the USER_MEDIA queue fetches its MediaId from the WeChat stand-in's
 * media/get, keeps the bytes in MEDIA and records `archived`; the console's conversation page
 * shows the picture from its own route (signed in only; another app's message is a 404), never
 * the PicUrl. A failing media/get never holds back the reply, and ends recorded and shown.
 */
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { readMediaRow } from '../../src/media/archive-record'
import { userMediaKey } from '../../src/media/user-media'
import { dayOf } from '../../src/record/day'
import { writeRecord } from '../../src/record/write'
import type { FlatFields } from '../../src/wechat/message'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { push, workerFetch } from '../support/helpers'
import { consoleSession, OWNER_AUTH } from '../support/operators'
import { recordSeed } from '../support/record-seed'
import { SECOND_APP, TEST_SETTINGS } from '../support/settings'

const APPID = TEST_SETTINGS.WECHAT_APPID
const SEND = '/cgi-bin/message/custom/send'
const MEDIA_GET = '/cgi-bin/media/get'
const PIC_URL = 'https://mmbiz.qpic.cn/mmbiz_jpg/dies-in-three-days/0'
const seed = recordSeed(7_320_000_000_000_000_000n)

let cookie = ''

beforeAll(async () => {
  const rules = {
    rules: [{ id: 'picture', when: { msgtype: 'image' }, reply: { type: 'text', text: '收到图片' } }],
    default: { type: 'text', text: '您好' },
  }
  const published = await workerFetch('/admin/api/rules', {
    method: 'PUT',
    headers: { ...OWNER_AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(rules),
  })
  expect(published.status, await published.clone().text()).toBe(200)
  cookie = await consoleSession(TEST_SETTINGS.ADMIN_TOKEN)
})

function imagePush(openid: string, mediaId: string, msgId: string): FlatFields {
  return {
    ToUserName: 'gh_97417a04a28d',
    FromUserName: openid,
    CreateTime: Math.floor(Date.now() / 1000),
    MsgType: 'image',
    PicUrl: PIC_URL,
    MediaId: mediaId,
    MsgId: msgId,
  }
}

const row = (openid: string, msgId: string) => readMediaRow(env.DB, APPID, openid, msgId)

/** The D1 row's `media` once the archive has written it. */
async function settled(openid: string, msgId: string): Promise<string> {
  return vi.waitFor(
    async () => {
      const media = (await row(openid, msgId))?.media
      expect(media).toBeTypeOf('string')
      return media as string
    },
    { timeout: 8000, interval: 50 },
  )
}

const page = async (openid: string) => (await workerFetch(`/admin/conversations/${openid}`, { headers: { cookie } })).text()

describe('an image a user sends', () => {
  it('ends in MEDIA, archived, and the console shows the picture from its own route', async () => {
    const openid = uniqueOpenid()
    const msgId = seed.nextMsgId()
    const mediaId = await fakeWechat.mediaId(APPID, 'photo.jpg')
    expect(await (await push(imagePush(openid, mediaId, msgId))).text()).toBe('success')

    expect(await settled(openid, msgId)).toBe('archived')
    const key = userMediaKey(APPID, dayOf(Date.now()), openid, msgId, 'image/jpeg')
    const stored = await env.MEDIA.get(key)
    expect(stored, key).not.toBeNull()
    const bytes = new Uint8Array(await stored!.arrayBuffer())

    const html = await page(openid)
    const src = `/admin/conversations/${openid}/media/${msgId}`
    expect(html).toContain(`src="${src}"`)
    expect(html).not.toContain(PIC_URL)

    const image = await workerFetch(src, { headers: { cookie } })
    expect(image.status).toBe(200)
    expect(image.headers.get('content-type')).toBe('image/jpeg')
    expect(image.headers.get('x-content-type-options')).toBe('nosniff')
    expect(image.headers.get('content-security-policy')).toBe('sandbox')
    expect(image.headers.get('cache-control')).toMatch(/^private/)
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(bytes)

    // Without a session: the sign-in, never the picture.
    const anonymous = await workerFetch(src, { redirect: 'manual' })
    expect(anonymous.status).not.toBe(200)
    expect(anonymous.headers.get('content-type') ?? '').not.toMatch(/^image\//)

    // The admin API's messages carry the outcome too.
    const api = await workerFetch(`/admin/api/conversations/${openid}`, { headers: OWNER_AUTH })
    const body = (await api.json()) as { messages: { items: { id: string; media: string | null }[] } }
    expect(body.messages.items.find((m) => m.id === `msg:${msgId}`)?.media).toBe('archived')
  }, 20_000)

  it('another app’s message, and a message not archived, are a 404 on the signed-in app', async () => {
    const openid = uniqueOpenid()
    const elsewhere = seed.inbound(SECOND_APP.appid, openid, Date.now(), { kind: 'image', text: PIC_URL, ruleId: null })
    await writeRecord(env.DB, [elsewhere])
    await env.DB.prepare("UPDATE messages SET media = 'archived' WHERE appid = ?1 AND id = ?2").bind(SECOND_APP.appid, elsewhere.key).run()
    await env.MEDIA.put(
      userMediaKey(SECOND_APP.appid, dayOf(elsewhere.at), openid, elsewhere.msgId!, 'image/png'),
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    )
    const other = await workerFetch(`/admin/conversations/${openid}/media/${elsewhere.msgId}`, { headers: { cookie } })
    expect(other.status).toBe(404)

    const mine = seed.inbound(APPID, openid, Date.now(), { kind: 'image', text: PIC_URL, ruleId: null })
    await writeRecord(env.DB, [mine])
    expect((await workerFetch(`/admin/conversations/${openid}/media/${mine.msgId}`, { headers: { cookie } })).status).toBe(404)
    expect((await workerFetch(`/admin/conversations/${openid}/media/not-a-msgid`, { headers: { cookie } })).status).toBe(404)
  })

  it('is answered and replied to while media/get fails; the failure ends recorded and shown', async () => {
    const openid = uniqueOpenid()
    const msgId = seed.nextMsgId()
    // A media_id WeChat does not know (40007): every attempt refused as expired, recorded at once, never retried.
    const mediaId = `EXPIRED_${msgId}`
    const pushedAt = Date.now()
    const answered = await push(imagePush(openid, mediaId, msgId))
    expect(await answered.text()).toBe('success')

    const sends = await vi.waitFor(
      async () => {
        const ok = (await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).filter((call) => call.errcode === 0)
        expect(ok).toHaveLength(1)
        return ok
      },
      { timeout: 5000, interval: 25 },
    )
    expect(await settled(openid, msgId)).toMatch(/^failed: 40007/)
    const gets = (await fakeWechat.calls({ appid: APPID, path: MEDIA_GET })).filter((call) => call.query.media_id === mediaId)
    expect(gets.length).toBeGreaterThan(0)
    expect(sends).toHaveLength(1)
    // The answer did not wait for the archive: "success" came though every media/get fails, the
    // gets from the queued task after the push. (When the test saw the answer is no bound: on a
    // loaded machine it may see it after the queue has run.) 50 ms for the clocks.
    for (const get of gets) expect(get.receivedAt).toBeGreaterThan(pushedAt - 50)

    const html = await page(openid)
    expect(html).toContain('图片保存失败')
    expect(html).not.toContain(PIC_URL)
    expect(html).not.toContain(`/media/${msgId}"`)
  }, 20_000)
})
