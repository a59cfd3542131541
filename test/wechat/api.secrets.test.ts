/**
 * The secret and the access_tokens never show: not in a log line, not in an error's message,
 * stack or JSON — even when WeChat's errmsg echoes them back.
 */
import { describe, expect, it } from 'vitest'
import { WechatApiError } from '../../src/wechat/api'
import { captureLogs } from '../support/helpers'
import { fakeWechat, testClient, uniqueOpenid } from '../support/fake-wechat-client'

const logs = captureLogs()
const SEND = '/cgi-bin/message/custom/send'
const hello = { msgtype: 'text', text: { content: 'hello' } } as const

function errorText(error: unknown): string {
  expect(error).toBeInstanceOf(WechatApiError)
  const e = error as WechatApiError
  return [String(e), e.message, e.errmsg, e.stack ?? '', JSON.stringify(e)].join('\n')
}

describe('secrets', () => {
  it('keeps the secret and every token out of logs and errors', async () => {
    const { client, appid, secret } = testClient({ timeoutMs: 300 })
    const openid = uniqueOpenid()
    const texts: string[] = []

    await client.sendCustom(openid, hello)
    const [issued] = (await fakeWechat.app(appid)).tokens
    // WeChat's errmsg quoting the token, the secret and a URL with both.
    const echo = `bad ${issued!.token} ${secret} https://api.weixin.qq.com/x?access_token=${issued!.token}&secret=${secret}`
    await fakeWechat.fault(
      { path: SEND, appid, kind: 'errcode', errcode: 45015, errmsg: echo },
      { path: SEND, appid, kind: 'errcode', errcode: 40001, times: 3 },
      { path: SEND, appid, kind: 'http500' },
    )
    for (let i = 0; i < 4; i++) texts.push(errorText(await client.sendCustom(openid, hello).catch((e: unknown) => e)))
    await client.uploadImage({ url: fakeWechat.imageUrl(crypto.randomUUID(), 'a.png') })
    await fakeWechat.expireTokens(appid)
    await client.typing(openid, 'Typing')

    const tokens = (await fakeWechat.app(appid)).tokens.map((t) => t.token)
    expect(tokens.length).toBeGreaterThanOrEqual(2)
    expect(texts[0]).toContain('bad *** ***')
    const everything = [...texts, ...logs.lines].join('\n')
    expect(logs.lines.length).toBeGreaterThan(0)
    for (const value of [secret, ...tokens]) expect(everything).not.toContain(value)
  })
})
