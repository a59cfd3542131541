/**
 * The 微信客服 secret, the access tokens and the notice's sync token never show: not in a log
 * line, not in an error's message, stack or JSON — even when WeChat Work's errmsg echoes them.
 */
import { describe, expect, it } from 'vitest'
import { KfApiError } from '../../src/wecom/api-error'
import { captureLogs } from '../support/helpers'
import { fakeWecom, kfClient, testCorp, uniqueExternalUserid, uniqueOpenKfId } from '../support/fake-wecom-client'

const logs = captureLogs()
const SEND = '/cgi-bin/kf/send_msg'
const hello = { msgtype: 'text', text: { content: 'hello' } } as const

function errorText(error: unknown): string {
  expect(error).toBeInstanceOf(KfApiError)
  const e = error as KfApiError
  return [String(e), e.message, e.errmsg, e.stack ?? '', JSON.stringify(e)].join('\n')
}

describe('secrets', () => {
  it('keeps the secret and every token out of logs and errors', async () => {
    const corp = await testCorp()
    const openKfId = uniqueOpenKfId()
    const externalUserid = uniqueExternalUserid()
    const { callback } = await fakeWecom.message({ corpid: corp.corpid, openKfId, externalUserid, content: 'hi' })
    const { client } = kfClient(corp)
    const texts: string[] = []

    await client.syncMsg({ openKfId, token: callback?.token ?? '' })
    const [issued] = await fakeWecom.tokens(corp.corpid)
    // WeChat Work's errmsg quoting the token, the secret and a URL with both.
    const echo = `bad ${issued} ${corp.secret} https://qyapi.weixin.qq.com/cgi-bin/gettoken?corpid=${corp.corpid}&corpsecret=${corp.secret}&access_token=${issued}`
    await fakeWecom.fault(
      { corpid: corp.corpid, path: SEND, errcode: 95018, errmsg: echo },
      { corpid: corp.corpid, path: SEND, errcode: 40014, times: 2 },
      { corpid: corp.corpid, path: SEND, errcode: -1, errmsg: echo },
    )
    for (let i = 0; i < 3; i++) {
      texts.push(errorText(await client.sendMsg({ touser: externalUserid, openKfId, message: hello }).catch((e: unknown) => e)))
    }
    await fakeWecom.expireToken(corp.corpid)
    await client.sendMsg({ touser: externalUserid, openKfId, message: hello })
    const wrong = kfClient({ ...(await testCorp()), secret: corp.secret }).client
    texts.push(errorText(await wrong.serviceState(openKfId, externalUserid).catch((e: unknown) => e)))

    const tokens = await fakeWecom.tokens(corp.corpid)
    expect(tokens.length).toBeGreaterThanOrEqual(2)
    expect(texts[0]).toContain('bad *** ***')
    const everything = [...texts, ...logs.lines].join('\n')
    expect(logs.lines.length).toBeGreaterThan(0)
    for (const value of [corp.secret, callback?.token ?? 'missing', ...tokens]) expect(everything).not.toContain(value)
  })
})
