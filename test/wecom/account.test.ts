/**
 * 微信客服 end to end against the strict stand-in (dev/fake-wecom.ts): a notice at /wecom/kf →
 * the account's object pulls → the customer's Conversation object answers by the same rules as
 * the mini program → kf/send_msg. Pages followed to the end; notices repeated or at once, and a
 * restart between hand-off and cursor, hand each message on once; a session a servicer holds is
 * never sent to; msg_send_fail becomes the row's failure; a welcome goes by send_msg_on_event;
 * a transfer goes to WeChat Work's pool. Real local Durable Objects, D1 and KV.
 */
import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { KF_SEND_FAILED, PAGE_LIMIT } from '../../src/wecom/account'
import { fakeWecom, uniqueExternalUserid, uniqueOpenKfId, workerCorp, type FakeCallback } from '../support/fake-wecom-client'
import { workerFetch } from '../support/helpers'
import { fakeWechat } from '../support/fake-wechat-client'
import { png } from '../support/images'
import { TEST_SETTINGS } from '../support/settings'

const CORP = workerCorp.corpid
/** An image as the console keeps an upload (its name is any 64 hex here: the bytes are a PNG). */
const PICTURE = `${'c'.repeat(64)}.png`
const APPID = TEST_SETTINGS.WECHAT_APPID

beforeAll(async () => {
  await env.RULES.put(
    'rules',
    JSON.stringify({
      rules: [
        { id: 'hi', when: { text: ['你好'] }, reply: { type: 'text', text: '您好！这里是微信客服' } },
        ...['一', '二', '三'].map((n) => ({ id: `n${n}`, when: { text: [n] }, reply: { type: 'text', text: `第${n}` } })),
        { id: 'human', when: { text: ['人工'] }, reply: [{ type: 'text', text: '正在转人工' }, { type: 'transfer' }] },
        { id: 'welcome', when: { event: 'user_enter_tempsession' }, reply: { type: 'text', text: '欢迎光临' } },
        { id: 'pic', when: { text: ['图片'] }, reply: { type: 'image', file: PICTURE } },
        {
          id: 'link',
          when: { text: ['链接'] },
          reply: {
            type: 'link',
            title: '新品',
            description: '看看',
            url: 'https://shop.example.com',
            thumb_url: fakeWechat.imageUrl('kf', 'thumb.png'),
          },
        },
        {
          id: 'card',
          when: { text: ['卡片'] },
          reply: { type: 'miniprogrampage', title: '查订单', pagepath: 'pages/order/index', thumb_file: PICTURE },
        },
      ],
    }),
  )
  await env.MEDIA.put(`uploads/${PICTURE}`, png())
})

async function account(): Promise<string> {
  const openKfId = uniqueOpenKfId()
  await fakeWecom.account(CORP, openKfId, ['servicer-1'])
  return openKfId
}

/** The notice as WeChat Work posts it to /wecom/kf. */
const notify = (callback: FakeCallback) => workerFetch(`/wecom/kf?${callback.query}`, { method: 'POST', body: callback.body })

const pull = (openKfId: string, token: string | null) => env.KF_ACCOUNTS.getByName(openKfId).pull(openKfId, token)

const sendsTo = async (openKfId: string, externalUserid: string) =>
  (await fakeWecom.sent(CORP, openKfId)).filter((sent) => sent.externalUserid === externalUserid)

const textOf = (sent: { body: Record<string, unknown> }) => (sent.body.text as { content?: string } | undefined)?.content

describe('a customer’s message', () => {
  it('notice → pull → the rules → kf/send_msg; the record knows the channel', async () => {
    const openKfId = await account()
    const customer = uniqueExternalUserid()
    const { callback } = await fakeWecom.message({ corpid: CORP, openKfId, externalUserid: customer, content: '你好' })
    const answer = await notify(callback!)
    expect(answer.status).toBe(200)
    await vi.waitFor(async () => expect((await sendsTo(openKfId, customer)).map(textOf)).toEqual(['您好！这里是微信客服']), {
      timeout: 10_000,
      interval: 100,
    })
    // The msgid names the row, so a msg_send_fail can find it.
    expect((await sendsTo(openKfId, customer))[0]!.msgid).toMatch(/^r\d+_[0-9a-f]{16}$/)
    await vi.waitFor(
      async () => {
        const row = await env.DB.prepare('SELECT channel FROM conversations WHERE appid = ? AND openid = ?').bind(APPID, customer).first()
        expect(row).toEqual({ channel: 'kf' })
      },
      { timeout: 10_000, interval: 100 },
    )
  })

  it('follows has_more over three pages, and hands each message on once however often it is told', async () => {
    const openKfId = await account()
    const customers = Array.from({ length: PAGE_LIMIT * 2 + 10 }, () => uniqueExternalUserid())
    let last: FakeCallback | undefined
    for (const externalUserid of customers) {
      last = (await fakeWecom.message({ corpid: CORP, openKfId, externalUserid, content: '你好' })).callback
    }
    // The same notice twice, at once, and once more after: one pull's worth of hand-offs.
    const [a, b] = await Promise.all([pull(openKfId, last!.token), pull(openKfId, last!.token)])
    // The two shared one pull (the second notice asked for one more run after it).
    expect(b).toEqual(a)
    expect(a.pages).toBeGreaterThanOrEqual(3)
    expect(a.handed).toBe(customers.length)
    const again = await pull(openKfId, last!.token)
    expect(again).toMatchObject({ handed: 0 })
    await vi.waitFor(async () => expect(await fakeWecom.sent(CORP, openKfId)).toHaveLength(customers.length), {
      timeout: 20_000,
      interval: 200,
    })
    const byCustomer = new Map<string, number>()
    for (const sent of await fakeWecom.sent(CORP, openKfId))
      byCustomer.set(sent.externalUserid, (byCustomer.get(sent.externalUserid) ?? 0) + 1)
    expect([...byCustomer.values()].every((n) => n === 1)).toBe(true)
  }, 60_000)

  it('customers on one page are answered side by side, each in the order they wrote', async () => {
    const openKfId = await account()
    const [a, b] = [uniqueExternalUserid(), uniqueExternalUserid()]
    let last: FakeCallback | undefined
    for (const [externalUserid, content] of [
      [a, '一'],
      [b, '二'],
      [a, '二'],
      [b, '一'],
      [a, '三'],
    ] as const) {
      last = (await fakeWecom.message({ corpid: CORP, openKfId, externalUserid, content })).callback
    }
    expect(await pull(openKfId, last!.token)).toMatchObject({ handed: 5, pages: 1 })
    await vi.waitFor(async () => expect(await fakeWecom.sent(CORP, openKfId)).toHaveLength(5), { timeout: 20_000, interval: 100 })
    expect((await sendsTo(openKfId, a)).map(textOf)).toEqual(['第一', '第二', '第三'])
    expect((await sendsTo(openKfId, b)).map(textOf)).toEqual(['第二', '第一'])
  }, 30_000)

  it('a restart between hand-off and cursor reads the page again and duplicates nothing', async () => {
    const openKfId = await account()
    const customer = uniqueExternalUserid()
    const { callback } = await fakeWecom.message({ corpid: CORP, openKfId, externalUserid: customer, content: '你好' })
    expect((await pull(openKfId, callback!.token)).handed).toBe(1)
    // As if the object stopped after handing on and before storing the cursor.
    await runInDurableObject(env.KF_ACCOUNTS.getByName(openKfId), (_, state) => {
      state.storage.sql.exec("DELETE FROM state WHERE key = 'cursor'")
    })
    const repeat = await pull(openKfId, callback!.token)
    expect(repeat).toMatchObject({ handed: 0, repeats: 1 })
    await vi.waitFor(async () => expect(await sendsTo(openKfId, customer)).toHaveLength(1), { timeout: 10_000, interval: 100 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(await sendsTo(openKfId, customer)).toHaveLength(1)
  })
})

describe('what WeChat Work allows', () => {
  it('never sends to a session a servicer holds: the row fails with 95018, nothing attempted', async () => {
    const openKfId = await account()
    const customer = uniqueExternalUserid()
    const { callback } = await fakeWecom.message({ corpid: CORP, openKfId, externalUserid: customer, content: '你好' })
    await fakeWecom.setState(CORP, openKfId, customer, 3, 'servicer-1')
    await pull(openKfId, callback!.token)
    await vi.waitFor(
      async () => {
        const row = await env.DB.prepare("SELECT status, errcode FROM messages WHERE appid = ? AND openid = ? AND direction = 'out'")
          .bind(APPID, customer)
          .first()
        expect(row).toEqual({ status: 'failed', errcode: 95018 })
      },
      { timeout: 10_000, interval: 100 },
    )
    // Refused by us, before the call: WeChat Work never answered a send with 95018.
    expect((await fakeWecom.calls(CORP)).filter((call) => call.path === '/cgi-bin/kf/send_msg' && call.errcode === 95018)).toEqual([])
    expect((await fakeWecom.customer(CORP, openKfId, customer)).sendsInWindow).toBe(0)
  })

  it('a msg_send_fail in a later pull makes the sent row a failure the console shows', async () => {
    const openKfId = await account()
    const customer = uniqueExternalUserid()
    const { callback } = await fakeWecom.message({ corpid: CORP, openKfId, externalUserid: customer, content: '你好' })
    await pull(openKfId, callback!.token)
    await vi.waitFor(async () => expect(await sendsTo(openKfId, customer)).toHaveLength(1), { timeout: 10_000, interval: 100 })
    const [sent] = await sendsTo(openKfId, customer)
    const failed = await fakeWecom.sendFail(CORP, openKfId, sent!.msgid, 4)
    expect((await pull(openKfId, failed.callback.token)).handed).toBe(1)
    await vi.waitFor(
      async () => {
        const row = await env.DB.prepare(
          "SELECT status, errcode, reason FROM messages WHERE appid = ? AND openid = ? AND direction = 'out'",
        )
          .bind(APPID, customer)
          .first()
        expect(row).toMatchObject({ status: 'failed', errcode: KF_SEND_FAILED, reason: expect.stringContaining('fail_type 4') })
      },
      { timeout: 10_000, interval: 100 },
    )
  })

  it('greets a customer who opened the chat through send_msg_on_event, with the rules’ welcome', async () => {
    const openKfId = await account()
    const customer = uniqueExternalUserid()
    const entered = await fakeWecom.enter({ corpid: CORP, openKfId, externalUserid: customer, sceneParam: 'order' })
    expect(entered.welcomeCode).not.toBeNull()
    await pull(openKfId, entered.callback.token)
    const welcome = (await sendsTo(openKfId, customer)).filter((sent) => sent.api === 'kf/send_msg_on_event')
    expect(welcome.map(textOf)).toEqual(['欢迎光临'])
  })

  it('a transfer rule says so, then hands the customer to WeChat Work’s pool (state 2)', async () => {
    const openKfId = await account()
    const customer = uniqueExternalUserid()
    const { callback } = await fakeWecom.message({ corpid: CORP, openKfId, externalUserid: customer, content: '人工' })
    await pull(openKfId, callback!.token)
    expect((await fakeWecom.customer(CORP, openKfId, customer)).state).toBe(2)
  })
})

describe('an operator and a 微信客服 customer', () => {
  it('a reply by hand goes out through kf/send_msg; the state, export and deletion reach the customer’s object', async () => {
    const openKfId = await account()
    const customer = uniqueExternalUserid()
    const { callback } = await fakeWecom.message({ corpid: CORP, openKfId, externalUserid: customer, content: '你好' })
    await pull(openKfId, callback!.token)
    // The record knows the account once the object's copy has landed.
    await vi.waitFor(
      async () => {
        const row = await env.DB.prepare('SELECT kf_account FROM conversations WHERE appid = ? AND openid = ?')
          .bind(APPID, customer)
          .first()
        expect(row).toEqual({ kf_account: openKfId })
      },
      { timeout: 10_000, interval: 100 },
    )
    const auth = { authorization: `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}` }
    const reply = await workerFetch(`/admin/api/conversations/${customer}/reply`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'text', text: '人工客服小王为您服务' }),
    })
    expect(reply.status).toBe(200)
    await vi.waitFor(async () => expect((await sendsTo(openKfId, customer)).map(textOf)).toContain('人工客服小王为您服务'), {
      timeout: 10_000,
      interval: 100,
    })
    const state = (await (await workerFetch(`/admin/api/conversations/${customer}/state`, { headers: auth })).json()) as {
      inbound: unknown[]
    }
    expect(state.inbound).toHaveLength(1)
    const exported = (await (await workerFetch(`/admin/api/users/${customer}/export`, { headers: auth })).json()) as {
      conversation: { inbound: unknown[] }
    }
    expect(exported.conversation.inbound).toHaveLength(1)
    const deleted = (await (await workerFetch(`/admin/api/users/${customer}`, { method: 'DELETE', headers: auth })).json()) as {
      conversation: boolean
    }
    expect(deleted.conversation).toBe(true)
  })
})

describe('pictures for 微信客服', () => {
  it('an image, a link and a card go out with WeChat Work media, each picture uploaded once however many customers get it', async () => {
    const openKfId = await account()
    const uploads = async () =>
      (await fakeWecom.calls(CORP)).filter((call) => call.path === '/cgi-bin/media/upload' && call.errcode === 0).length
    const before = await uploads()
    const getsAll = async (customer: string) => {
      for (const text of ['图片', '链接', '卡片']) {
        const { callback } = await fakeWecom.message({ corpid: CORP, openKfId, externalUserid: customer, content: text })
        await pull(openKfId, callback!.token)
      }
      await vi.waitFor(
        async () =>
          expect((await sendsTo(openKfId, customer)).map((sent) => sent.msgtype).sort()).toEqual(['image', 'link', 'miniprogram']),
        { timeout: 15_000, interval: 200 },
      )
    }
    const first = uniqueExternalUserid()
    await getsAll(first)
    const card = (await sendsTo(openKfId, first)).find((sent) => sent.msgtype === 'miniprogram')!.body.miniprogram as Record<string, string>
    expect(card).toMatchObject({ appid: TEST_SETTINGS.WECHAT_APPID, title: '查订单', pagepath: 'pages/order/index' })
    expect(card.thumb_media_id).toMatch(/^kfmedia_/)
    // Two pictures: the uploaded file (the image and the card's cover) and the link's thumbnail.
    expect((await uploads()) - before).toBe(2)
    await getsAll(uniqueExternalUserid())
    expect((await uploads()) - before).toBe(2)
  })
})
