/**
 * The uniform service message: the operator's body is checked (mp_template_msg only; the
 * retired weapp_template_msg refused with its reason), and the client's uniform_send against
 * the fake: success on record, and WeChat's refusals (40037, 43004) as typed errors.
 */
import { describe, expect, it } from 'vitest'
import { explainErrcode, UNIFORM_SEND_PATH, WechatApiError, type UniformMessage } from '../../src/wechat/api'
import { MAX_UNIFORM_DATA_KEYS, parseUniformSend } from '../../src/wechat/uniform-send'
import { fakeBase, fakeWechat, testClient, uniqueAppid, uniqueOpenid } from '../support/fake-wechat-client'

const OPENID = 'oABCDEFGHIJKLMNOPQRSTUVWXYZ0'
const MP_APPID = 'wx0123456789abcdef'
const TEMPLATE = 'ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY'

function message(touser = OPENID, overrides: Partial<UniformMessage['mp_template_msg']> = {}): UniformMessage {
  return {
    touser,
    mp_template_msg: {
      appid: MP_APPID,
      template_id: TEMPLATE,
      url: 'https://example.com/orders/1',
      miniprogram: { appid: 'wxfedcba9876543210', pagepath: 'pages/order/detail?id=1' },
      data: {
        first: { value: '您的订单已发货', color: '#173177' },
        keyword1: { value: 'SO-20261126-001' },
        remark: { value: '' },
      },
      ...overrides,
    },
  }
}

function problemsOf(input: unknown): string[] {
  const result = parseUniformSend(input)
  return result.ok ? [] : result.problems
}

describe('the uniform-send body', () => {
  it('returns the message as WeChat takes it', () => {
    expect(parseUniformSend(message())).toEqual({ ok: true, value: message() })
    const bare = { touser: OPENID, mp_template_msg: { appid: MP_APPID, template_id: TEMPLATE, data: { thing1: { value: 'x' } } } }
    expect(parseUniformSend(bare)).toEqual({ ok: true, value: bare })
  })

  it('refuses weapp_template_msg as retired', () => {
    const body = {
      ...message(),
      weapp_template_msg: { template_id: TEMPLATE, page: 'pages/index', form_id: 'FORMID', data: {}, emphasis_keyword: '' },
    }
    const problems = problemsOf(body)
    expect(problems).toHaveLength(1)
    expect(problems[0]).toMatch(/^weapp_template_msg: is retired: .*send a subscribe message instead$/)
    // Alone it is refused for that, and for the missing mp_template_msg.
    expect(problemsOf({ touser: OPENID, weapp_template_msg: {} })).toEqual([
      expect.stringMatching(/^weapp_template_msg: is retired/),
      'mp_template_msg: is required',
    ])
  })

  it('names each malformed field', () => {
    const problems = problemsOf({
      touser: 'bad openid',
      mp_template_msg: {
        appid: 'gh_123',
        template_id: TEMPLATE,
        url: 'ftp://example.com/x',
        miniprogram: { appid: MP_APPID, pagepath: '/pages/index', path: 'x' },
        data: { first: { value: 'x', color: 'red' }, 'key-2': { value: 'y' } },
        topcolor: '#FF0000',
      },
    })
    expect(problems.sort()).toEqual(
      [
        'touser: is not an openid',
        'mp_template_msg.appid: is not an appid (wx and 16 letters or digits)',
        'mp_template_msg.url: must be an http:// or https:// URL',
        'mp_template_msg.miniprogram.pagepath: must be a page path like pages/index/index?foo=bar (no leading /, no spaces)',
        'mp_template_msg.miniprogram.path: is not a field of this body',
        'mp_template_msg.data.first.color: must be a color like #173177',
        'mp_template_msg.data.key-2: is not a template keyword (letters, digits and _, e.g. keyword1)',
        'mp_template_msg.topcolor: is not a field of this body',
      ].sort(),
    )
  })

  it('refuses missing and empty data, long values and too many keywords', () => {
    const without = message()
    const { data: _data, ...noData } = without.mp_template_msg
    expect(problemsOf({ ...without, mp_template_msg: noData })).toEqual(['mp_template_msg.data: is required'])
    expect(problemsOf(message(OPENID, { data: {} }))).toEqual(['mp_template_msg.data: must have at least one keyword'])
    const list = [{ value: 'x' }] as unknown as UniformMessage['mp_template_msg']['data']
    expect(problemsOf(message(OPENID, { data: list }))).toEqual(['mp_template_msg.data: must be an object of template keywords'])
    expect(problemsOf(message(OPENID, { data: { first: { value: '长'.repeat(200) } } }))).toEqual([])
    expect(problemsOf(message(OPENID, { data: { first: { value: '长'.repeat(201) } } }))).toEqual([
      'mp_template_msg.data.first.value: must be at most 200 characters',
    ])
    const many = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`keyword${i}`, { value: 'x' }]))
    expect(problemsOf(message(OPENID, { data: many }))).toEqual([
      `mp_template_msg.data: has at most ${MAX_UNIFORM_DATA_KEYS} keywords (got 5000)`,
    ])
  })

  it('refuses what is not a JSON object', () => {
    expect(problemsOf([message()])).toEqual(['body: must be a JSON object'])
    expect(problemsOf({ touser: OPENID, mp_template_msg: 'x' })).toEqual([expect.stringMatching(/^mp_template_msg: /)])
  })
})

describe('uniform_send against the fake WeChat', () => {
  it('sends the validated message as it is, on record', async () => {
    const { client, appid } = testClient()
    const openid = uniqueOpenid()
    const parsed = parseUniformSend(message(openid))
    if (!parsed.ok) throw new Error(parsed.problems.join('; '))
    await client.sendUniform(parsed.value)
    const calls = await fakeWechat.calls({ appid, path: UNIFORM_SEND_PATH })
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({ method: 'POST', touser: openid, errcode: 0, body: message(openid), query: {} })
    expect(UNIFORM_SEND_PATH).toBe('/cgi-bin/message/wxopen/template/uniform_send')
  })

  it('surfaces 40037 (a template_id WeChat does not know) as a typed, permanent error', async () => {
    const { client } = testClient()
    // The fake refuses template ids not of WeChat's shape, as WeChat does unknown ones.
    const error = await client.sendUniform(message(uniqueOpenid(), { template_id: 'nope' })).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WechatApiError)
    expect(error).toMatchObject({ errcode: 40037, kind: 'permanent', api: 'uniform_send' })
    expect(explainErrcode(40037)).toContain('template_id')
  })

  it('surfaces 43004 (the user does not follow the Official Account) as a typed, permanent error', async () => {
    const { client, appid } = testClient()
    const stranger = uniqueOpenid()
    await fakeWechat.fault({
      path: UNIFORM_SEND_PATH,
      appid,
      touser: stranger,
      kind: 'errcode',
      errcode: 43004,
      errmsg: 'require subscribe',
    })
    const error = await client.sendUniform(message(stranger)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WechatApiError)
    expect(error).toMatchObject({ errcode: 43004, errmsg: 'require subscribe', kind: 'permanent', api: 'uniform_send' })
    expect(explainErrcode(43004)).toBe('the user does not follow the Official Account')
    // Another user of the same app is not affected.
    await client.sendUniform(message(uniqueOpenid()))
  })

  it('retries once with a new token when the token expired', async () => {
    const { client, appid } = testClient()
    await client.sendUniform(message(uniqueOpenid()))
    await fakeWechat.expireTokens(appid)
    await client.sendUniform(message(uniqueOpenid()))
    const errcodes = (await fakeWechat.calls({ appid, path: UNIFORM_SEND_PATH })).map((call) => call.errcode)
    expect(errcodes).toEqual([0, 42001, 0])
  })
})

describe('the fake uniform_send is as strict as WeChat', () => {
  async function post(body: unknown, token: string) {
    const res = await fetch(`${fakeBase()}${UNIFORM_SEND_PATH}?access_token=${encodeURIComponent(token)}`, {
      method: 'POST',
      body: JSON.stringify(body),
    })
    return ((await res.json()) as { errcode: number }).errcode
  }

  async function validToken() {
    const { client, appid } = testClient({ appid: uniqueAppid() })
    await client.sendUniform(message(uniqueOpenid()))
    return (await fakeWechat.app(appid)).tokens[0]!.token
  }

  it('answers weapp_template_msg 45103, unknown fields 47001, a bad appid 40013, a bad openid 40003', async () => {
    const token = await validToken()
    const openid = uniqueOpenid()
    expect(await post({ ...message(openid), weapp_template_msg: { template_id: TEMPLATE } }, token)).toBe(45103)
    expect(await post({ ...message(openid), topcolor: '#FF0000' }, token)).toBe(47001)
    expect(await post(message(openid, { appid: 'gh_123' }), token)).toBe(40013)
    expect(await post(message('x'), token)).toBe(40003)
    expect(await post({ touser: openid }, token)).toBe(47001)
    expect(await post(message(openid), 'not-a-token')).toBe(40001)
  })
})
