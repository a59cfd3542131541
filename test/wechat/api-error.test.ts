/**
 * Every way a call fails comes out as one WechatApiError with the right kind: WeChat's
 * errcodes, HTTP 5xx, a broken answer, a dropped connection and a hung upstream (time-out).
 */
import { describe, expect, it } from 'vitest'
import { SyntheticErrcode, WechatApiError, type ApiErrorKind } from '../../src/wechat/api'
import { fakeBase, fakeWechat, testClient, uniqueOpenid, type FaultSpec } from '../support/fake-wechat-client'

const SEND = '/cgi-bin/message/custom/send'
const hello = { msgtype: 'text', text: { content: 'hello' } } as const

async function failure(fault: Omit<FaultSpec, 'path' | 'appid'>, timeoutMs?: number) {
  const { client, appid, secret } = testClient(timeoutMs ? { timeoutMs } : {})
  await fakeWechat.fault({ path: SEND, appid, ...fault })
  const error = await client.sendCustom(uniqueOpenid(), hello).then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(WechatApiError)
  const tokens = (await fakeWechat.app(appid)).tokens.map((t) => t.token)
  const text = `${String(error)} ${(error as Error).stack ?? ''} ${JSON.stringify(error)}`
  for (const secretValue of [secret, ...tokens]) expect(text).not.toContain(secretValue)
  return error as WechatApiError
}

const ERRCODES: [number, ApiErrorKind][] = [
  [-1, 'retryable'],
  [45009, 'retryable'],
  [45011, 'retryable'],
  [45015, 'permanent'],
  [45047, 'permanent'],
  [40003, 'permanent'],
  [40007, 'permanent'],
  [47001, 'permanent'],
  [47003, 'permanent'],
  [48001, 'permanent'],
  [43101, 'permanent'],
]

describe('WeChat errcodes', () => {
  it.each(ERRCODES)('errcode %i is %s', async (errcode, kind) => {
    const error = await failure({ kind: 'errcode', errcode, errmsg: `injected ${errcode}` })
    expect(error).toMatchObject({ errcode, kind, api: 'custom/send', errmsg: `injected ${errcode}` })
    expect(error.message).toContain(String(errcode))
  })

  it('asks for a minute before retrying 45011', async () => {
    const error = await failure({ kind: 'errcode', errcode: 45011 })
    expect(error.retryAfterSeconds).toBe(60)
  })

  it('takes real refusals from the fake: bad openid (40003), unknown media_id (40007)', async () => {
    const { client } = testClient()
    const badOpenid = await client.sendCustom('x', hello).catch((e: unknown) => e)
    expect(badOpenid).toMatchObject({ errcode: 40003, kind: 'permanent' })
    const badMedia = await client
      .sendCustom(uniqueOpenid(), { msgtype: 'image', image: { media_id: 'never-uploaded' } })
      .catch((e: unknown) => e)
    expect(badMedia).toMatchObject({ errcode: 40007, kind: 'permanent' })
  })
})

describe('transport failures', () => {
  it('HTTP 500 is retryable, with the status', async () => {
    const error = await failure({ kind: 'http500' })
    expect(error).toMatchObject({ errcode: SyntheticErrcode.http, kind: 'retryable', httpStatus: 500 })
  })

  it('a truncated answer is retryable', async () => {
    const error = await failure({ kind: 'malformed' })
    expect(error).toMatchObject({ errcode: SyntheticErrcode.malformed, kind: 'retryable' })
  })

  it('a dropped connection is retryable', async () => {
    const error = await failure({ kind: 'reset' })
    expect(error).toMatchObject({ errcode: SyntheticErrcode.network, kind: 'retryable' })
  })

  it('a hung upstream hits the time-out and is retryable', async () => {
    const error = await failure({ kind: 'hang' }, 300)
    expect(error).toMatchObject({ errcode: SyntheticErrcode.timeout, kind: 'retryable' })
  })

  it('a hung stable_token hits the time-out too', async () => {
    const { client, appid } = testClient({ timeoutMs: 300 })
    await fakeWechat.fault({ path: '/cgi-bin/stable_token', appid, kind: 'hang' })
    const error = await client.typing(uniqueOpenid(), 'Typing').catch((e: unknown) => e)
    expect(error).toMatchObject({ api: 'stable_token', errcode: SyntheticErrcode.timeout, kind: 'retryable' })
  })

  it('an unreachable API base is retryable', async () => {
    const { client } = testClient({ apiBase: 'http://127.0.0.1:9' })
    const error = await client.sendCustom(uniqueOpenid(), hello).catch((e: unknown) => e)
    expect(error).toMatchObject({ errcode: SyntheticErrcode.network, kind: 'retryable' })
  })

  it('an unknown path (HTTP 404) is permanent', async () => {
    const { client } = testClient({ apiBase: `${fakeBase()}/nope` })
    const error = await client.sendCustom(uniqueOpenid(), hello).catch((e: unknown) => e)
    expect(error).toMatchObject({ errcode: SyntheticErrcode.http, kind: 'permanent', httpStatus: 404 })
  })
})
