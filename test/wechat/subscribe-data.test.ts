/**
 * The subscribe-send body as an operator posts it: each keyword type's rule holds at its limit
 * and refuses one past it, naming the key; malformed bodies and unknown keyword types are
 * refused with one sentence per problem; a valid body is what the fake WeChat accepts.
 */
import { describe, expect, it } from 'vitest'
import { SUBSCRIBE_SEND_PATH } from '../../src/wechat/api'
import {
  KEYWORD_TYPES,
  MAX_DATA_KEYS,
  parseSubscribeSend,
  subscribeMessageOf,
  type SubscribeSendRequest,
} from '../../src/wechat/subscribe-data'
import { fakeWechat, testClient, uniqueOpenid } from '../support/fake-wechat-client'

const OPENID = 'oABCDEFGHIJKLMNOPQRSTUVWXYZ0'
const TEMPLATE = 'TPL_abcdefghij0123'

const body = (data: Record<string, { value: string }>, extra: Record<string, unknown> = {}) => ({
  touser: OPENID,
  template_id: TEMPLATE,
  data,
  ...extra,
})

function problemsOf(input: unknown): string[] {
  const result = parseSubscribeSend(input)
  return result.ok ? [] : result.problems
}

/** The problems for one keyword value, or [] when it is accepted. */
const valueProblems = (key: string, value: string) => problemsOf(body({ [key]: { value } }))

describe('keyword rules: at the limit, and one past it', () => {
  const cases: [key: string, atLimit: string, onePast: string, problem: string][] = [
    ['thing1', '一'.repeat(20), '一'.repeat(21), 'thing is at most 20 characters (got 21)'],
    ['short_thing2', '已发货了吗', '已发货了吗？', 'short_thing is at most 5 characters (got 6)'],
    ['number3', '1'.repeat(32), '1'.repeat(33), 'number is at most 32 characters (got 33)'],
    ['letter4', 'a'.repeat(32), 'a'.repeat(33), 'letter is at most 32 characters (got 33)'],
    ['symbol5', '!@#$%', '!@#$%^', 'symbol is at most 5 characters (got 6)'],
    ['character_string6', 'A1-'.repeat(10) + 'Z9', 'A1-'.repeat(11), 'character_string is at most 32 characters (got 33)'],
    ['amount7', '¥1234567890', '¥12345678901', 'amount is at most 10 digits (got 11)'],
    ['amount8', '$12345678.90', '$123456789.01', 'amount is at most 10 digits (got 11)'],
    ['phone_number9', '+86-0766-66888866', '+86-0766-668888661', 'phone_number is at most 17 characters (got 18)'],
    ['car_number10', '粤A8Z888挂', '粤A8Z8888挂', 'car_number is at most 8 characters (got 9)'],
    ['name11', '一二三四五六七八九十', '一二三四五六七八九十一', 'name is at most 10 characters when it has Chinese characters (got 11)'],
    ['name12', 'A'.repeat(20), 'A'.repeat(21), 'name is at most 20 letters or symbols (got 21)'],
    ['name13', 'Li 李四五六七八九', 'Li 李四五六七八九十', 'name is at most 10 characters when it has Chinese characters (got 11)'],
    ['phrase14', '一二三四五', '一二三四五六', 'phrase is at most 5 characters (got 6)'],
    ['time15', '2019年10月1日 15:01:30~2019年10月2日 09:00', '24:00', 'time is a 24-hour time'],
    ['date16', '2019-10-01 09:00~2019-10-07 18:30:00', '2019-13-01', 'date is a date such as'],
  ]

  it.each(cases)('%s: accepts %j, refuses %j', (key, atLimit, onePast, problem) => {
    expect(valueProblems(key, atLimit)).toEqual([])
    const refused = valueProblems(key, onePast)
    expect(refused).toHaveLength(1)
    expect(refused[0]).toMatch(new RegExp(`^data\\.${key}\\.value: `))
    expect(refused[0]).toContain(problem)
  })

  it('says it in one sentence with the key, the rule and the count', () => {
    expect(valueProblems('thing1', 'x'.repeat(21))).toEqual(['data.thing1.value: thing is at most 20 characters (got 21)'])
  })

  it('counts code points: an emoji or a rare Han character is one character', () => {
    expect(valueProblems('thing1', '😀'.repeat(20))).toEqual([])
    expect(valueProblems('thing1', '𠀋'.repeat(21))).toEqual(['data.thing1.value: thing is at most 20 characters (got 21)'])
  })

  it('holds each type to its characters', () => {
    const refused: [string, string, string][] = [
      ['number1', '1.2.3', 'number holds only digits'],
      ['number1', '-1', 'number holds only digits'],
      ['letter1', 'abc1', 'letter holds only the letters'],
      ['symbol1', 'a!', 'symbol holds only symbols'],
      ['character_string1', '订单1', 'character_string holds only digits, letters and symbols'],
      ['phone_number1', '138abc', 'phone_number holds only digits and symbols'],
      ['car_number1', 'A粤8Z', 'car_number holds letters and digits'],
      ['name1', '张三1', 'name holds only Chinese characters, letters and symbols'],
      ['phrase1', '配送ok', 'phrase holds only Chinese characters'],
      ['amount1', '¥¥100', 'amount is a currency sign and digits'],
      ['amount1', '100美元', 'amount is a currency sign and digits'],
      ['time1', '2019-10-01', 'time is a 24-hour time'],
      ['time1', '15:60', 'time is a 24-hour time'],
      ['date1', '15:01', 'date is a date'],
      ['date1', '2019-10-01 25:00', 'date is a date'],
      ['date1', '2019-10-32', 'date is a date'],
    ]
    for (const [key, value, problem] of refused) {
      const problems = valueProblems(key, value)
      expect(problems, `${key}=${value}`).toHaveLength(1)
      expect(problems[0], `${key}=${value}`).toContain(`data.${key}.value: ${problem}`)
    }
  })

  it('takes every time and date format WeChat lists', () => {
    const times = [
      '15:01',
      '9:05',
      '15:01:30',
      '2019年10月1日 15:01',
      '2019年10月1日15:01',
      '2019-10-01 15:01',
      '10-01 15:01',
      '09:00~11:00',
      '09:00 ~ 11:00',
    ]
    for (const value of times) expect(valueProblems('time1', value), value).toEqual([])
    const dates = [
      '2019年10月1日',
      '2019年10月',
      '10月1日',
      '2018-01-01',
      '2018/01/01',
      '2018.01.01',
      '2018-01',
      '01-01',
      '2019-10-01 15:01',
      '2019-10-01~2019-10-07',
      '2019-10-01 09:00~11:00',
    ]
    for (const value of dates) expect(valueProblems('date1', value), value).toEqual([])
  })

  it('takes amounts with or without a sign, with decimals and 元', () => {
    for (const value of ['￥100', '¥100.50', '100元', '6000.00', '$0.99']) expect(valueProblems('amount1', value), value).toEqual([])
  })

  it('takes names of letters and symbols, and any enum value', () => {
    expect(valueProblems('name1', 'John Smith')).toEqual([])
    expect(valueProblems('name1', '阿卜杜·拉')).toEqual([])
    expect(valueProblems('enum1', '已发货')).toEqual([])
  })

  it('refuses empty values and control characters in every type', () => {
    expect(valueProblems('thing1', '')).toEqual(['data.thing1.value: thing must not be empty'])
    expect(valueProblems('enum2', '')).toEqual(['data.enum2.value: enum must not be empty'])
    expect(valueProblems('thing1', '第一行\n第二行')).toEqual([
      'data.thing1.value: thing must not hold control characters such as line breaks',
    ])
  })

  it('bounds values no documented limit covers', () => {
    expect(valueProblems('time1', '1'.repeat(65))).toEqual(['data.time1.value: time is at most 64 characters (got 65)'])
    expect(valueProblems('thing1', '长'.repeat(5000))).toEqual(['data.thing1.value: thing is at most 20 characters (got 5000)'])
  })
})

describe('keyword keys', () => {
  it('refuses an unknown keyword type, naming the key and the known types', () => {
    const [problem, ...rest] = problemsOf(body({ site01: { value: 'TIT创意园' } }))
    expect(rest).toEqual([])
    expect(problem).toMatch(/^data\.site01: "site" is not a keyword type WeChat documents \(known: thing, short_thing, /)
  })

  it('refuses a key without its number', () => {
    expect(problemsOf(body({ thing: { value: 'x' } }))).toEqual([
      'data.thing: is not a keyword key (a keyword type and its number, e.g. thing1)',
    ])
  })

  it('reads the type before the trailing digits', () => {
    expect(problemsOf(body({ character_string01: { value: 'SO-1' }, phone_number2: { value: '110' } }))).toEqual([])
  })

  it('lists every keyword type with its rule for the console', () => {
    const types = KEYWORD_TYPES.map((keyword) => keyword.type)
    expect(types).toEqual([
      'thing',
      'short_thing',
      'number',
      'letter',
      'symbol',
      'character_string',
      'time',
      'date',
      'amount',
      'phone_number',
      'car_number',
      'name',
      'phrase',
      'enum',
    ])
    for (const keyword of KEYWORD_TYPES) expect(keyword.rule).toMatch(/^[A-Z].+\.$/)
    expect(KEYWORD_TYPES.filter((keyword) => !keyword.documented).map((keyword) => keyword.type)).toEqual(['short_thing'])
  })
})

describe('the body', () => {
  it('returns the typed request, force false by default', () => {
    const result = parseSubscribeSend(
      body({ thing1: { value: '订单已发货' } }, { page: 'pages/order/detail?id=1', miniprogram_state: 'trial', lang: 'en_US' }),
    )
    expect(result).toEqual({
      ok: true,
      value: {
        touser: OPENID,
        template_id: TEMPLATE,
        page: 'pages/order/detail?id=1',
        data: { thing1: { value: '订单已发货' } },
        miniprogram_state: 'trial',
        lang: 'en_US',
        force: false,
      },
    })
    const forced = parseSubscribeSend(body({ thing1: { value: 'x' } }, { force: true }))
    expect(forced.ok && forced.value.force).toBe(true)
  })

  it('leaves optional fields out when they were not given', () => {
    const result = parseSubscribeSend(body({ thing1: { value: 'x' } }))
    expect(result.ok && Object.keys(result.value).sort()).toEqual(['data', 'force', 'template_id', 'touser'])
  })

  it('refuses what is not a JSON object', () => {
    for (const input of [null, 'text', 3, [body({ thing1: { value: 'x' } })]]) {
      expect(problemsOf(input)).toEqual(['body: must be a JSON object'])
    }
  })

  it('names every malformed field in one answer', () => {
    const problems = problemsOf({
      template_id: 'has spaces in it',
      page: '/pages/index',
      data: { thing1: { value: 'x', color: '#173177' }, number2: { value: 3 } },
      miniprogram_state: 'prod',
      lang: 'fr',
      force: 'yes',
      emphasis_keyword: 'thing1.DATA',
    })
    expect(problems).toEqual(
      expect.arrayContaining([
        'touser: is required',
        'template_id: is not a template id (letters, digits, - and _)',
        'page: must be a page path like pages/index/index?foo=bar (no leading /, no spaces)',
        'data.thing1.color: is not a field of this body',
        'data.number2.value: must be a string',
        'miniprogram_state: must be one of developer, trial, formal',
        'lang: must be one of zh_CN, en_US, zh_HK, zh_TW',
        'force: must be true or false',
        'emphasis_keyword: is not a field of this body',
      ]),
    )
    expect(problems).toHaveLength(9)
  })

  it('refuses a bad openid, empty data and data that is not an object', () => {
    expect(problemsOf(body({ thing1: { value: 'x' } }, { touser: 'not an openid' }))).toEqual(['touser: is not an openid'])
    expect(problemsOf(body({}))).toEqual(['data: must have at least one keyword'])
    expect(problemsOf({ ...body({}), data: [] })).toEqual(['data: must be an object of keyword keys'])
    expect(problemsOf({ ...body({}), data: [{ value: 'x' }] })).toEqual(['data: must be an object of keyword keys'])
    expect(problemsOf(body({ thing1: {} as { value: string } }))).toEqual(['data.thing1.value: is required'])
  })

  it('stops at MAX_DATA_KEYS before looking at any value', () => {
    const data = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`thing${i}`, { value: 'x'.repeat(100) }]))
    expect(problemsOf(body(data))).toEqual([`data: has at most ${MAX_DATA_KEYS} keywords (got 5000)`])
    const twenty = Object.fromEntries(Array.from({ length: MAX_DATA_KEYS }, (_, i) => [`thing${i + 1}`, { value: 'x' }]))
    expect(problemsOf(body(twenty))).toEqual([])
  })

  it('caps the problems it lists', () => {
    const data = Object.fromEntries(Array.from({ length: MAX_DATA_KEYS }, (_, i) => [`phrase${i + 1}`, { value: 'abc' }]))
    const problems = problemsOf(body(data, { lang: 'fr' }))
    expect(problems).toHaveLength(21)
    expect(problems[20]).toBe('… and 1 more')
  })

  it('cuts a long key short when it echoes it', () => {
    const [problem] = problemsOf(body({ ['x'.repeat(5000)]: { value: 'v' } }))
    expect(problem!.length).toBeLessThan(200)
  })
})

describe('a valid body against the fake WeChat', () => {
  it('is what subscribe/send takes, without force', async () => {
    const { client, appid } = testClient()
    const openid = uniqueOpenid()
    const result = parseSubscribeSend({
      touser: openid,
      template_id: TEMPLATE,
      page: 'pages/order/detail?id=1',
      data: {
        character_string1: { value: 'SO-20261126-001' },
        thing2: { value: '订单已发货' },
        amount3: { value: '¥99.50' },
        date4: { value: '2026-11-26 15:00' },
        phrase5: { value: '配送中' },
      },
      miniprogram_state: 'formal',
      lang: 'zh_CN',
      force: true,
    })
    expect(result.ok).toBe(true)
    const request = (result as { ok: true; value: SubscribeSendRequest }).value
    await client.sendSubscribe(subscribeMessageOf(request))
    const [call] = await fakeWechat.calls({ appid, path: SUBSCRIBE_SEND_PATH })
    const { force: _force, ...sent } = request
    expect(call).toMatchObject({ errcode: 0, touser: openid, body: sent })
    expect(call!.body).not.toHaveProperty('force')
  })

  it('surfaces 43101 for one user only, as a typed error', async () => {
    const { client, appid } = testClient()
    const refusing = uniqueOpenid()
    const other = uniqueOpenid()
    await fakeWechat.fault({
      path: SUBSCRIBE_SEND_PATH,
      appid,
      touser: refusing,
      kind: 'errcode',
      errcode: 43101,
      errmsg: 'user refuse to accept the msg',
    })
    const message = (touser: string) => ({ touser, template_id: TEMPLATE, data: { thing1: { value: 'x' } } })
    await expect(client.sendSubscribe(message(refusing))).rejects.toMatchObject({
      name: 'WechatApiError',
      errcode: 43101,
      kind: 'permanent',
      api: 'subscribe/send',
    })
    await client.sendSubscribe(message(other))
    const calls = await fakeWechat.calls({ appid, path: SUBSCRIBE_SEND_PATH })
    expect(calls.map((call) => [call.touser, call.errcode])).toEqual([
      [refusing, 43101],
      [other, 0],
    ])
  })
})
