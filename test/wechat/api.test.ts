/**
 * What goes on the wire: custom/send in each message type, typing and subscribe/send, with
 * exactly WeChat's field names (the fake refuses any other), and how the fake holds the
 * client to that.
 */
import { describe, expect, it } from 'vitest'
import { CUSTOM_SEND_PATH, SUBSCRIBE_SEND_PATH, TYPING_PATH, type CustomMessage } from '../../src/wechat/api'
import { fakeBase, fakeWechat, testClient, uniqueOpenid } from '../support/fake-wechat-client'

describe('custom/send', () => {
  it('sends text, image, link and miniprogrampage with WeChat field names', async () => {
    const { client, appid } = testClient()
    const openid = uniqueOpenid()
    const mediaId = await fakeWechat.mediaId(appid)
    const messages: CustomMessage[] = [
      { msgtype: 'text', text: { content: '订单 123456 已收到' } },
      { msgtype: 'image', image: { media_id: mediaId } },
      {
        msgtype: 'link',
        link: { title: '下载 App', description: '注册领红包', url: 'https://example.com/app', thumb_url: 'https://example.com/t.png' },
      },
      {
        msgtype: 'miniprogrampage',
        miniprogrampage: { title: '首页', pagepath: 'pages/index/index?x=1', thumb_media_id: mediaId, appid },
      },
      { msgtype: 'miniprogrampage', miniprogrampage: { title: '首页', pagepath: 'pages/a', thumb_media_id: mediaId } },
    ]
    for (const message of messages) await client.sendCustom(openid, message)

    const calls = await fakeWechat.calls({ appid, touser: openid, path: CUSTOM_SEND_PATH })
    expect(calls.map((call) => call.errcode)).toEqual([0, 0, 0, 0, 0])
    expect(calls.map((call) => call.body)).toEqual(messages.map((message) => ({ touser: openid, ...message })))
    expect(calls[0]!.query).toEqual({})
  })
})

describe('typing', () => {
  it('posts Typing and CancelTyping to the mini program path', async () => {
    const { client, appid } = testClient()
    const openid = uniqueOpenid()
    await client.typing(openid, 'Typing')
    await client.typing(openid, 'CancelTyping')
    const calls = await fakeWechat.calls({ appid, touser: openid })
    expect(calls.map((call) => [call.path, call.body, call.errcode])).toEqual([
      [TYPING_PATH, { touser: openid, command: 'Typing' }, 0],
      [TYPING_PATH, { touser: openid, command: 'CancelTyping' }, 0],
    ])
    expect(TYPING_PATH).toBe('/cgi-bin/message/custom/business/typing')
  })

  it('passes 45081 (already typing) on as permanent', async () => {
    const { client, appid } = testClient()
    await fakeWechat.fault({ path: TYPING_PATH, appid, kind: 'errcode', errcode: 45081 })
    await expect(client.typing(uniqueOpenid(), 'Typing')).rejects.toMatchObject({ errcode: 45081, kind: 'permanent' })
  })
})

describe('subscribe/send', () => {
  it('sends every documented field', async () => {
    const { client, appid } = testClient()
    const openid = uniqueOpenid()
    const message = {
      touser: openid,
      template_id: 'TPL_abcdefghij0123',
      page: 'pages/order/detail?id=1',
      data: { thing1: { value: '订单已发货' }, time2: { value: '2026-11-26 15:00' } },
      miniprogram_state: 'trial',
      lang: 'zh_CN',
    } as const
    await client.sendSubscribe(message)
    const [call] = await fakeWechat.calls({ appid, path: SUBSCRIBE_SEND_PATH })
    expect(call).toMatchObject({ body: message, touser: openid, errcode: 0 })
  })

  it('surfaces 43101 (user refused) as permanent', async () => {
    const { client, appid } = testClient()
    await fakeWechat.fault({ path: SUBSCRIBE_SEND_PATH, appid, kind: 'errcode', errcode: 43101 })
    await expect(
      client.sendSubscribe({ touser: uniqueOpenid(), template_id: 'TPL_abcdefghij0123', data: { a: { value: 'x' } } }),
    ).rejects.toMatchObject({ errcode: 43101, kind: 'permanent', api: 'subscribe/send' })
  })
})

describe('the fake is as strict as WeChat', () => {
  async function raw(path: string, body: string, token?: string) {
    const query = token === undefined ? '' : `?access_token=${encodeURIComponent(token)}`
    const res = await fetch(`${fakeBase()}${path}${query}`, { method: 'POST', body })
    return (await res.json()) as { errcode: number }
  }

  async function validToken() {
    const { client, appid } = testClient()
    await client.typing(uniqueOpenid(), 'Typing')
    return (await fakeWechat.app(appid)).tokens[0]!.token
  }

  it('refuses unknown and missing tokens', async () => {
    expect((await raw(CUSTOM_SEND_PATH, '{}', 'not-a-token')).errcode).toBe(40001)
    expect((await raw(CUSTOM_SEND_PATH, '{}')).errcode).toBe(41001)
  })

  it('refuses bodies that are not JSON, wrong field names and bad openids', async () => {
    const token = await validToken()
    const openid = uniqueOpenid()
    expect((await raw(CUSTOM_SEND_PATH, 'not json', token)).errcode).toBe(47001)
    expect((await raw(CUSTOM_SEND_PATH, '', token)).errcode).toBe(44002)
    const camel = { touser: openid, msgtype: 'text', text: { Content: 'hi' } }
    expect((await raw(CUSTOM_SEND_PATH, JSON.stringify(camel), token)).errcode).toBe(47001)
    const thumb = { touser: openid, msgtype: 'miniprogrampage', miniprogrampage: { title: 't', pagepath: 'p', thumbMediaId: 'm' } }
    expect((await raw(CUSTOM_SEND_PATH, JSON.stringify(thumb), token)).errcode).toBe(47001)
    const badUser = { touser: 'x', msgtype: 'text', text: { content: 'hi' } }
    expect((await raw(CUSTOM_SEND_PATH, JSON.stringify(badUser), token)).errcode).toBe(40003)
    const badType = { touser: openid, msgtype: 'video', video: {} }
    expect((await raw(CUSTOM_SEND_PATH, JSON.stringify(badType), token)).errcode).toBe(40008)
    expect((await raw(TYPING_PATH, JSON.stringify({ touser: openid, command: 'typing' }), token)).errcode).toBe(45072)
  })

  it('refuses an upload without the media field (41005)', async () => {
    const token = await validToken()
    const form = new FormData()
    form.append('file', new Blob([new Uint8Array([0x89, 0x50])], { type: 'image/png' }), 'a.png')
    const res = await fetch(`${fakeBase()}/cgi-bin/media/upload?access_token=${token}&type=image`, { method: 'POST', body: form })
    expect(((await res.json()) as { errcode: number }).errcode).toBe(41005)
  })
})
