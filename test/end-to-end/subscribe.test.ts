/**
 * Subscribe messages end to end: grants recorded from popup, change and sent events (XML and
 * JSON, one List item or many) in the user's Conversation object and copied to D1; a send
 * through the admin API that spends a grant, refuses without one (409, no API call) and
 * clears on 43101 (which also ends a long-term accept); campaigns through the CAMPAIGNS queue
 * that reach every user holding a grant exactly once, even when a batch is delivered again,
 * and finish when every page ran: also when users could no longer be reached by then, or a
 * task failed on every attempt. The strict fake WeChat API answers every call.
 */
import { createExecutionContext, createMessageBatch, getQueueResult, runInDurableObject } from 'cloudflare:test'
import { popupEvent } from '../../dev/push'
import { env, exports } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import type { SubscriptionView } from '../../src/conversation/contract'
import type { Conversation } from '../../src/conversation/conversation'
import { OWNER } from '../../src/auth/operators'
import { settleSend, subscriptionViews } from '../../src/conversation/subscriptions'
import type { Env } from '../../src/settings/env'
import { first, statement } from '../../src/record/sql'
import { reachableCount } from '../../src/subscribe/campaign-store'
import { startCampaign } from '../../src/subscribe/campaign-start'
import { CAMPAIGN_MAX_RETRIES, type CampaignTask } from '../../src/subscribe/campaign-task'
import worker from '../../src/index'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { captureLogs, push } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'

const APPID = TEST_SETTINGS.WECHAT_APPID
const SEND = '/cgi-bin/message/subscribe/send'
const AUTH = { authorization: `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}` }
const logs = captureLogs()
let second = Math.floor(Date.now() / 1000) - 3600
/** Each event its own CreateTime: events are deduplicated by user, time and name. */
const nextTime = () => ++second

async function api(path: string, json?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const init: RequestInit =
    json === undefined
      ? { headers: AUTH }
      : { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(json) }
  const res = await exports.default.fetch(`https://kefu.example${path}`, init)
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

async function grants(openid: string): Promise<Record<string, SubscriptionView>> {
  const { body } = await api(`/admin/api/users/${openid}/subscriptions`)
  return Object.fromEntries((body.templates as SubscriptionView[]).map((t) => [t.templateId, t]))
}

function popupXml(openid: string, items: [string, string][], at = nextTime()): string {
  return popupEvent('xml', openid, items, at)
}

function eventJson(openid: string, event: string, list: unknown): string {
  return JSON.stringify({
    ToUserName: 'gh_97417a04a28d',
    FromUserName: openid,
    CreateTime: nextTime(),
    MsgType: 'event',
    Event: event,
    List: list,
  })
}

const sendBody = (openid: string, template: string, extra: Record<string, unknown> = {}) => ({
  touser: openid,
  template_id: template,
  page: 'pages/order/detail?id=1',
  data: { thing1: { value: '您的订单已发货' }, number2: { value: '12345' } },
  ...extra,
})

const sendsTo = async (openid: string) =>
  (await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).filter((c) => c.errcode === 0)

describe('grants from events', () => {
  it('XML with several List items: each accept adds a grant, a reject clears; a retried event counts once', async () => {
    const openid = uniqueOpenid()
    const first = popupXml(openid, [
      ['tplA', 'accept'],
      ['tplB', 'reject'],
    ])
    expect(await (await push(first)).text()).toBe('success')
    await push(first)
    await push(popupXml(openid, [['tplA', 'acceptWithAudio']]))
    const g = await grants(openid)
    expect(g.tplA).toMatchObject({ grants: 2, status: 'acceptWithAudio', accepted: 2, reachable: true, longTerm: false })
    expect(g.tplB).toMatchObject({ grants: 0, status: 'reject', rejected: 1, reachable: false })
  })

  it('JSON with a List object and with a List array; a change to reject clears the grants', async () => {
    const openid = uniqueOpenid()
    await push(
      eventJson(openid, 'subscribe_msg_popup_event', { TemplateId: 'tplA', SubscribeStatusString: 'accept', PopupScene: '0' }),
      'safe',
      'json',
    )
    await push(
      eventJson(openid, 'subscribe_msg_popup_event', [
        { TemplateId: 'tplA', SubscribeStatusString: 'accept', PopupScene: '0' },
        { TemplateId: 'tplC', SubscribeStatusString: 'accept', PopupScene: '0' },
      ]),
      'safe',
      'json',
    )
    expect((await grants(openid)).tplA?.grants).toBe(2)
    await push(eventJson(openid, 'subscribe_msg_change_event', [{ TemplateId: 'tplA', SubscribeStatusString: 'reject' }]), 'safe', 'json')
    const g = await grants(openid)
    expect(g.tplA).toMatchObject({ grants: 0, status: 'reject' })
    expect(g.tplC).toMatchObject({ grants: 1, status: 'accept' })
  })

  it('a sent event records the outcome; its 43101 clears the grants', async () => {
    const openid = uniqueOpenid()
    await push(popupXml(openid, [['tplS', 'accept']]))
    await push(popupXml(openid, [['tplS', 'accept']]))
    await push(
      eventJson(openid, 'subscribe_msg_sent_event', {
        TemplateId: 'tplS',
        MsgID: '1700000000000000001',
        ErrorCode: '43101',
        ErrorStatus: 'fail:user refuse to accept the msg',
      }),
      'safe',
      'json',
    )
    expect((await grants(openid)).tplS).toMatchObject({
      grants: 0,
      status: 'reject',
      reachable: false,
      lastSend: { errcode: 43101, msgId: '1700000000000000001' },
    })
  })

  it('a 43101 ends a long-term accept too: reach by status stops, until the user accepts again', async () => {
    const openid = uniqueOpenid()
    const template = 'tplLongTermRefused'
    const longTerm = new Set([template])
    // The settings page: an accept with no grant, which reaches the user of a long-term template.
    await push(eventJson(openid, 'subscribe_msg_change_event', [{ TemplateId: template, SubscribeStatusString: 'accept' }]), 'safe', 'json')
    const view = () =>
      runInDurableObject(
        env.CONVERSATIONS.getByName(openid),
        (_o: Conversation, state) => subscriptionViews(state.storage.sql, longTerm)[0],
      )
    expect(await view()).toMatchObject({ grants: 0, status: 'accept', reachable: true })

    // WeChat's sent event reports the refusal.
    await push(
      eventJson(openid, 'subscribe_msg_sent_event', {
        TemplateId: template,
        MsgID: '1700000000000000002',
        ErrorCode: '43101',
        ErrorStatus: 'fail:user refuse to accept the msg',
      }),
      'safe',
      'json',
    )
    expect(await view()).toMatchObject({ status: 'reject', reachable: false, rejected: 0, lastSend: { errcode: 43101 } })
    // D1 has it: a campaign of the template does not count the user.
    const d1 = () =>
      first<{ status: string }>(
        env.DB,
        statement('SELECT status FROM subscriptions WHERE appid = ?1 AND template_id = ?2 AND openid = ?3', [APPID, template, openid]),
      )
    await vi.waitFor(async () => expect(await d1()).toEqual({ status: 'reject' }), { timeout: 5000, interval: 50 })
    expect(await first(env.DB, reachableCount(APPID, template, true))).toEqual({ n: 0 })

    // Accepting again reaches the user again; a send's own 43101 (settleSend) ends it again.
    await push(eventJson(openid, 'subscribe_msg_change_event', [{ TemplateId: template, SubscribeStatusString: 'accept' }]), 'safe', 'json')
    expect(await view()).toMatchObject({ status: 'accept', reachable: true })
    await runInDurableObject(env.CONVERSATIONS.getByName(openid), (_o: Conversation, state) =>
      settleSend(state.storage.sql, template, 'long_term', 43101, Date.now()),
    )
    expect(await view()).toMatchObject({ status: 'reject', reachable: false })
    // Another failure leaves the accept as it was.
    await push(
      eventJson(openid, 'subscribe_msg_change_event', [{ TemplateId: template, SubscribeStatusString: 'acceptWithAlert' }]),
      'safe',
      'json',
    )
    await runInDurableObject(env.CONVERSATIONS.getByName(openid), (_o: Conversation, state) =>
      settleSend(state.storage.sql, template, 'long_term', 47003, Date.now()),
    )
    expect(await view()).toMatchObject({ status: 'acceptWithAlert', reachable: true, lastSend: { errcode: 47003 } })
  })

  it('a user never seen has no subscriptions, and looking creates nothing', async () => {
    expect(await grants(uniqueOpenid())).toEqual({})
  })
})

describe('POST /admin/api/subscribe/send', () => {
  it('accept → send → the grant is spent; a second send is refused with 409 and no API call', async () => {
    const openid = uniqueOpenid()
    await push(popupXml(openid, [['tplOrderShipped', 'accept']]))
    const sent = await api('/admin/api/subscribe/send', sendBody(openid, 'tplOrderShipped'))
    expect(sent).toEqual({ status: 200, body: { sent: true, spent: 'grant' } })
    const calls = await sendsTo(openid)
    expect(calls.map((c) => c.body)).toEqual([
      {
        touser: openid,
        template_id: 'tplOrderShipped',
        page: 'pages/order/detail?id=1',
        data: { thing1: { value: '您的订单已发货' }, number2: { value: '12345' } },
      },
    ])
    expect((await grants(openid)).tplOrderShipped).toMatchObject({ grants: 0, reachable: false, lastSend: { errcode: 0 } })

    const again = await api('/admin/api/subscribe/send', sendBody(openid, 'tplOrderShipped'))
    expect(again.status).toBe(409)
    expect(again.body.error).toBe('no_grant')
    expect(await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).toHaveLength(1)
    expect(logs.events().find((e) => e.event === 'subscribe.sent')).toMatchObject({ openid, templateId: 'tplOrderShipped', spent: 'grant' })
  })

  it('force: true sends without a grant', async () => {
    const openid = uniqueOpenid()
    expect(await api('/admin/api/subscribe/send', sendBody(openid, 'tplForcedSend', { force: true }))).toEqual({
      status: 200,
      body: { sent: true, spent: 'forced' },
    })
    expect(await sendsTo(openid)).toHaveLength(1)
  })

  it('43101 from WeChat clears the grants and answers 409 with the reason', async () => {
    const openid = uniqueOpenid()
    await push(popupXml(openid, [['tplRefusedSend', 'accept']]))
    await push(popupXml(openid, [['tplRefusedSend', 'accept']]))
    await fakeWechat.fault({
      path: SEND,
      appid: APPID,
      touser: openid,
      kind: 'errcode',
      errcode: 43101,
      errmsg: 'user refuse to accept the msg',
    })
    const refused = await api('/admin/api/subscribe/send', sendBody(openid, 'tplRefusedSend'))
    expect(refused.status).toBe(409)
    expect(refused.body).toMatchObject({ error: 'wechat_refused', errcode: 43101 })
    expect((await grants(openid)).tplRefusedSend).toMatchObject({
      grants: 0,
      status: 'reject',
      reachable: false,
      lastSend: { errcode: 43101 },
    })
  })

  it('another failure gives the grant back', async () => {
    const openid = uniqueOpenid()
    await push(popupXml(openid, [['tplErrorSend', 'accept']]))
    await fakeWechat.fault({
      path: SEND,
      appid: APPID,
      touser: openid,
      kind: 'errcode',
      errcode: 47003,
      errmsg: 'argument invalid! data.thing1.value',
    })
    const failed = await api('/admin/api/subscribe/send', sendBody(openid, 'tplErrorSend'))
    expect(failed.status).toBe(400)
    expect(failed.body).toMatchObject({ errcode: 47003 })
    expect((await grants(openid)).tplErrorSend?.grants).toBe(1)
  })

  it('a value breaking its keyword rule is a 400 naming the key, before any grant or call', async () => {
    const openid = uniqueOpenid()
    await push(popupXml(openid, [['tplValueCheck', 'accept']]))
    const bad = await api('/admin/api/subscribe/send', sendBody(openid, 'tplValueCheck', { data: { thing1: { value: 'x'.repeat(21) } } }))
    expect(bad.status).toBe(400)
    expect(bad.body.error).toBe('data.thing1.value: thing is at most 20 characters (got 21)')
    expect((await grants(openid)).tplValueCheck?.grants).toBe(1)
    expect(await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).toEqual([])
  })

  it('needs the admin token', async () => {
    const res = await exports.default.fetch('https://kefu.example/admin/api/subscribe/send', { method: 'POST', body: '{}' })
    expect(res.status).toBe(401)
  })
})

describe('campaigns', () => {
  it('reaches each of 1,000 users holding a grant exactly once, even when a batch is delivered again', async () => {
    const template = `tplCampaign${Date.now()}`
    const users = Array.from({ length: 1000 }, () => uniqueOpenid())
    const outsider = uniqueOpenid()
    // Grants as the push route records them, 50 users at a time.
    for (let i = 0; i < users.length; i += 50) {
      await Promise.all(
        users.slice(i, i + 50).map(async (openid) => {
          const stub = env.CONVERSATIONS.getByName(openid)
          await stub.record(recordInput(openid, template))
          await stub.flush()
        }),
      )
    }
    await push(popupXml(outsider, [[template, 'reject']]))

    const created = await api('/admin/api/subscribe/campaigns', {
      template_id: template,
      data: { thing1: { value: '双十一优惠券已到账' } },
    })
    expect(created.status).toBe(202)
    expect(created.body.total).toBe(1000)
    const id = String(created.body.id)
    const progress = await vi.waitFor(
      async () => {
        const { body } = await api(`/admin/api/subscribe/campaigns/${id}?limit=200`)
        expect(body.done).toBe(true)
        return body
      },
      { timeout: 60_000, interval: 250 },
    )
    expect(progress.counts).toEqual({ queued: 0, sent: 1000, failed: 0, skipped: 0 })
    expect(progress.targets).toHaveLength(200)
    expect(progress.nextCursor).toEqual(expect.any(String))

    // The queue delivers a batch again: a page task and 100 send tasks already done.
    const again: CampaignTask[] = [
      { kind: 'page', appid: APPID, campaignId: id, after: '' },
      ...users.slice(0, 100).map((openid): CampaignTask => ({ kind: 'send', appid: APPID, campaignId: id, openid })),
    ]
    const batch = createMessageBatch<CampaignTask>(
      'kefu-edge-campaigns',
      again.map((body, i) => ({ id: `again-${i}`, timestamp: Date.now(), attempts: 2, body })),
    )
    const ctx = createExecutionContext()
    await worker.queue(batch, env)
    const result = await getQueueResult(batch, ctx)
    expect(result.retryMessages).toEqual([])
    // Every grant is spent: the page finds no one left to reach and queues nothing.
    expect(
      logs
        .events()
        .filter((e) => e.event === 'campaign.page' && e.campaignId === id)
        .at(-1),
    ).toMatchObject({ after: '', users: 0 })
    expect(logs.events().filter((e) => e.event === 'campaign.target' && e.campaignId === id)).toHaveLength(1100)

    // What reached the users: the sends WeChat accepted (a send WeChat refused, 42001 on a token
    // that expired meanwhile say, and that went again reached its user once).
    const calls = (await fakeWechat.calls({ appid: APPID, path: SEND })).filter(
      (c) => (c.body as { template_id?: string }).template_id === template && c.errcode === 0,
    )
    const perUser = new Map<string, number>()
    for (const call of calls) perUser.set(String(call.touser), (perUser.get(String(call.touser)) ?? 0) + 1)
    expect(perUser.size).toBe(1000)
    expect([...perUser.values()].every((n) => n === 1)).toBe(true)
    expect(perUser.has(outsider)).toBe(false)
    expect((await api(`/admin/api/subscribe/campaigns/${id}`)).body.counts).toEqual({ queued: 0, sent: 1000, failed: 0, skipped: 0 })
    expect((await grants(users[0]!))[template]?.grants).toBe(0)
  }, 120_000)

  it('a campaign body is a send without touser, checked by the same rules', async () => {
    expect((await api('/admin/api/subscribe/campaigns', { touser: 'o1', template_id: 't', data: { thing1: { value: 'x' } } })).status).toBe(
      400,
    )
    const bad = await api('/admin/api/subscribe/campaigns', { template_id: 't', data: { phrase1: { value: '太长了的短语' } } })
    expect(bad.status).toBe(400)
    expect(String(bad.body.error)).toMatch(/^data\.phrase1\.value: /)
    expect((await api('/admin/api/subscribe/campaigns/c-00000000-0000-0000-0000-000000000000')).status).toBe(404)
    expect((await api('/admin/api/subscribe/campaigns/nope')).status).toBe(400)
  })
})

describe('a campaign finishes when every page ran, whatever each found', () => {
  const message = { data: { thing1: { value: '双十一优惠券已到账' } } }

  /** Users holding one grant of the template each, in openid order, as the push route records them. */
  async function granted(template: string, n: number): Promise<string[]> {
    const users = Array.from({ length: n }, () => uniqueOpenid()).sort()
    for (let i = 0; i < users.length; i += 50) {
      await Promise.all(
        users.slice(i, i + 50).map(async (openid) => {
          const stub = env.CONVERSATIONS.getByName(openid)
          await stub.record(recordInput(openid, template))
          await stub.flush()
        }),
      )
    }
    return users
  }

  /** A queue that keeps what it is given; `fail` makes it refuse instead. */
  function heldQueue(fail = false) {
    const held: CampaignTask[] = []
    const take = async (tasks: CampaignTask[]) => {
      if (fail) throw new Error('the queue takes nothing')
      held.push(...tasks)
    }
    const queue = {
      send: (task: CampaignTask) => take([task]),
      sendBatch: (tasks: MessageSendRequest<CampaignTask>[]) => take(tasks.map((t) => t.body)),
    } as unknown as Queue<CampaignTask>
    return { held, queue }
  }

  it('a first page the queue refuses: 503 queue_failed, no campaign left waiting, and a retry starts it', async () => {
    const template = `tplRefused${Date.now()}`
    await granted(template, 2)
    const body = JSON.stringify({ template_id: template, ...message })
    const init = { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body }
    const refusing = { ...env, CAMPAIGNS: heldQueue(true).queue }
    const refused = await worker.fetch!(
      new Request('https://kefu.example/admin/api/subscribe/campaigns', init),
      refusing,
      createExecutionContext(),
    )
    expect(refused.status).toBe(503)
    expect(await refused.json()).toEqual({ error: 'queue_failed' })
    const left = await env.DB.prepare('SELECT COUNT(*) AS n FROM campaigns WHERE template_id = ?').bind(template).first<{ n: number }>()
    expect(left?.n).toBe(0)
    expect(logs.events().some((e) => e.event === 'campaign.enqueue_failed')).toBe(true)
    const { held, queue } = heldQueue()
    const retried = await worker.fetch!(
      new Request('https://kefu.example/admin/api/subscribe/campaigns', init),
      { ...env, CAMPAIGNS: queue },
      createExecutionContext(),
    )
    expect(retried.status).toBe(202)
    expect(await retried.json()).toMatchObject({ total: 2 })
    expect(held).toHaveLength(1)
  })

  /** Started, its first page task kept back instead of run by the queue. */
  async function started(template: string): Promise<{ id: string; total: number; page: CampaignTask }> {
    const { held, queue } = heldQueue()
    const { id, total } = await startCampaign({ ...env, CAMPAIGNS: queue }, APPID, { template_id: template, ...message }, OWNER)
    expect(held).toHaveLength(1)
    return { id, total, page: held[0]! }
  }

  let deliveries = 0
  /** One delivery of the tasks to the consumer, on this attempt, with these bindings changed. */
  async function deliver(tasks: CampaignTask[], attempts = 1, bindings: Partial<Env> = {}) {
    const batch = createMessageBatch<CampaignTask>(
      'kefu-edge-campaigns',
      tasks.map((body) => ({ id: `delivery-${++deliveries}`, timestamp: new Date(), attempts, body })),
    )
    const ctx = createExecutionContext()
    await worker.queue(batch, { ...env, ...bindings })
    return getQueueResult(batch, ctx)
  }

  const progress = async (id: string) => (await api(`/admin/api/subscribe/campaigns/${id}`)).body

  /** The record has the user's grant of `template` spent: the single send's copy has landed (it follows the send's answer). */
  async function spentInRecord(openid: string, template: string): Promise<void> {
    const grants = async () =>
      (
        await env.DB.prepare('SELECT grants FROM subscriptions WHERE appid = ? AND template_id = ? AND openid = ?')
          .bind(APPID, template, openid)
          .first<{ grants: number }>()
      )?.grants
    await expect.poll(grants, { timeout: 5000, interval: 50 }).toBe(0)
  }

  it('users who could be reached when it started but not when their page ran: done without them', async () => {
    const template = `tplShrink${Date.now()}`
    const [kept, spent] = await granted(template, 2)
    const { id, total, page } = await started(template)
    expect(total).toBe(2)
    // One grant spent by a single send before the page runs.
    expect((await api('/admin/api/subscribe/send', sendBody(spent!, template))).status).toBe(200)
    await spentInRecord(spent!, template)

    expect((await deliver([page])).retryMessages).toEqual([])
    const done = await vi.waitFor(
      async () => {
        const body = await progress(id)
        expect(body.done).toBe(true)
        return body
      },
      { timeout: 20_000, interval: 100 },
    )
    expect(done).toMatchObject({ total: 2, counts: { queued: 0, sent: 1, failed: 0, skipped: 0 } })
    expect(done.targets).toEqual([expect.objectContaining({ openid: kept, status: 'sent' })])
    // The campaign's send went to the user still reached; the other got the single send only.
    expect(await sendsTo(kept!)).toHaveLength(1)
    expect(await sendsTo(spent!)).toHaveLength(1)
  }, 60_000)

  it('no one left at all when its page ran: done, nothing sent', async () => {
    const template = `tplGone${Date.now()}`
    const [only] = await granted(template, 1)
    const { id, page } = await started(template)
    expect((await api('/admin/api/subscribe/send', sendBody(only!, template))).status).toBe(200)
    await spentInRecord(only!, template)
    await deliver([page])
    expect(await progress(id)).toMatchObject({ done: true, total: 1, counts: { queued: 0, sent: 0, failed: 0, skipped: 0 }, targets: [] })
  })

  it('a page task failing on every attempt: its users failed with the reason, and the campaign finishes', async () => {
    const template = `tplDroppedPage${Date.now()}`
    const users = await granted(template, 2)
    const { id, page } = await started(template)
    const broken = heldQueue(true).queue

    // Before the last attempt it is retried; its users wait queued (their send tasks never went out).
    const early = await deliver([page], CAMPAIGN_MAX_RETRIES - 1, { CAMPAIGNS: broken })
    expect(early.retryMessages).toHaveLength(1)
    expect(await progress(id)).toMatchObject({ done: false, counts: { queued: 2 } })

    const last = await deliver([page], CAMPAIGN_MAX_RETRIES, { CAMPAIGNS: broken })
    expect(last.retryMessages).toEqual([])
    expect(last.explicitAcks).toHaveLength(1)
    const body = await progress(id)
    expect(body).toMatchObject({ done: true, total: 2, counts: { queued: 0, sent: 0, failed: 2, skipped: 0 } })
    const reason = `the page task failed ${CAMPAIGN_MAX_RETRIES} times (unexpected: Error): not sent`
    expect(body.targets).toEqual(users.map((openid) => expect.objectContaining({ openid, status: 'failed', errcode: null, reason })))
    expect(logs.events().find((e) => e.event === 'campaign.page_dropped' && e.campaignId === id)).toMatchObject({ users: 2 })
    for (const openid of users) expect(await sendsTo(openid)).toEqual([])
  })

  it('a full page given up on: the campaign goes on with the page after it', async () => {
    const template = `tplDroppedFullPage${Date.now()}`
    const users = await granted(template, 100)
    const { id, page } = await started(template)
    // The queue refuses the page's 99 sends, but takes a single task.
    const { held, queue } = heldQueue()
    const picky = { send: queue.send, sendBatch: async () => Promise.reject(new Error('batch refused')) } as unknown as Queue<CampaignTask>
    expect((await deliver([page], CAMPAIGN_MAX_RETRIES, { CAMPAIGNS: picky })).retryMessages).toEqual([])
    expect(held).toEqual([{ kind: 'page', appid: APPID, campaignId: id, after: users[98] }])
    expect(await progress(id)).toMatchObject({ done: false, counts: { failed: 99, queued: 0 } })

    // The next page runs as usual: its one user is reached.
    await deliver(held)
    const done = await vi.waitFor(
      async () => {
        const body = await progress(id)
        expect(body.done).toBe(true)
        return body
      },
      { timeout: 20_000, interval: 100 },
    )
    expect(done.counts).toEqual({ queued: 0, sent: 1, failed: 99, skipped: 0 })
    expect(await sendsTo(users[99]!)).toHaveLength(1)
  }, 60_000)

  it('a send task failing on every attempt: its user failed with the reason', async () => {
    const template = `tplDroppedSend${Date.now()}`
    const [openid] = await granted(template, 1)
    const { id, page } = await started(template)
    const { held, queue } = heldQueue()
    await deliver([page], 1, { CAMPAIGNS: queue })
    expect(held).toEqual([{ kind: 'send', appid: APPID, campaignId: id, openid }])
    expect(await progress(id)).toMatchObject({ done: false, counts: { queued: 1 } })

    // The user's object cannot be reached, attempt after attempt.
    const unreachable = {
      getByName: () => {
        throw new Error('object unreachable')
      },
    } as unknown as Env['CONVERSATIONS']
    expect((await deliver(held, CAMPAIGN_MAX_RETRIES - 1, { CONVERSATIONS: unreachable })).retryMessages).toHaveLength(1)
    expect((await deliver(held, CAMPAIGN_MAX_RETRIES, { CONVERSATIONS: unreachable })).retryMessages).toEqual([])
    const body = await progress(id)
    expect(body).toMatchObject({ done: true, counts: { queued: 0, sent: 0, failed: 1, skipped: 0 } })
    expect(body.targets).toEqual([
      expect.objectContaining({
        openid,
        status: 'failed',
        reason: `the send task failed ${CAMPAIGN_MAX_RETRIES} times (unexpected: Error): may or may not have been sent`,
      }),
    ])
    expect(await sendsTo(openid!)).toEqual([])
  })
})

function recordInput(openid: string, template: string) {
  const at = nextTime()
  return {
    dedupKey: `event:${openid}:${at}:subscribe_msg_popup_event`,
    openid,
    msgId: null,
    kind: 'subscribe_msg_popup_event',
    summary: template,
    grant: null,
    at: at * 1000,
    plan: { ruleId: null, ruleSetVersion: 'test', transfer: false, sends: [] },
    subscribe: [{ kind: 'popup' as const, templateId: template, status: 'accept' }],
  }
}
