/**
 * The human desk (issue 29) end to end: pushes through the Worker's app with HUMAN_DESK =
 * console (and the default, wechat), rules from real KV, the Conversation objects, the
 * mini program's Desk object, the admin API with operators' own tokens, and the fake WeChat
 * API (custom/send, and its group-robot webhook for DESK_ALERT_WEBHOOK).
 *
 * Every test queues its own users (uniqueOpenid) at the one Desk of the test app; the agents
 * it makes are its own. An agent online takes every new arrival, so the test that sets one
 * online sets them away again before it ends.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { AuditView } from '../../src/admin/audit'
import type { AgentFigures, DeskEvent, QueueView } from '../../src/desk/view'
import { withViewer } from '../../src/desk/viewers'
import {
  act,
  api,
  APPID,
  DESK_RULES,
  desk,
  HANDOFF_TEXT,
  itemOf,
  pushText,
  queue,
  RATE_TEXT,
  SEND,
  sentTexts,
  stillSent,
  setStatus,
  TRANSFER_TEXT,
} from '../support/desk'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { BASE, captureLogs, workerFetch } from '../support/helpers'
import { addTestOperator, consoleSession } from '../support/operators'
import { TEST_SETTINGS } from '../support/settings'

const WEBHOOK = '/__fake/webhook/desk'
const logs = captureLogs()

beforeAll(async () => {
  // Before anything loads the rules in this isolate: the loader keeps what it read for 30 s.
  await env.RULES.put('rules', JSON.stringify(DESK_RULES))
})

describe('a transfer with HUMAN_DESK = console', () => {
  it('answers success, sends the text by custom/send, and queues the user with the reason, the text and the window', async () => {
    const openid = uniqueOpenid()
    const before = Date.now()
    const pushed = await pushText(openid, '人工')
    expect(pushed.status).toBe(200)
    expect(pushed.text).toBe('success')
    expect(await sentTexts(openid, 1)).toEqual([TRANSFER_TEXT])
    const item = await itemOf(openid)
    expect(item).toMatchObject({ status: 'waiting', reason: 'transfer', lastText: '人工', assignee: null, overdue: false })
    expect(item!.queuedAt).toBeGreaterThanOrEqual(before - 1000)
    expect(item!.window.closesAt).toBeGreaterThan(Date.now() + 40 * 3_600_000)
    expect(item!.window.remaining).toBeGreaterThan(0)
    expect(item!.window.urgent).toBe(false)
    expect(logs.lines.some((line) => line.includes('desk.queued') && line.includes(openid))).toBe(true)
  })

  it('GET /admin/api/queue lists the waiting user, as the Desk object has them', async () => {
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    const viewer = await addTestOperator('viewer')
    const answer = await api<QueueView>('/admin/api/queue', { auth: viewer.auth })
    expect(answer.status, String(answer.body)).toBe(200)
    expect(answer.body.items).toContainEqual(
      expect.objectContaining({ appid: APPID, openid, status: 'waiting', reason: 'transfer', lastText: '人工' }),
    )
    expect(answer.body.agents).toBeInstanceOf(Array)
  })

  it('the queue lists the oldest wait first, whatever order the users arrived in', async () => {
    const [first, second, third] = [uniqueOpenid(), uniqueOpenid(), uniqueOpenid()]
    for (const openid of [first, second, third]) await pushText(openid, '人工')
    // When each asked (WeChat's CreateTime, whole seconds): the last to arrive asked first.
    await runInDurableObject(desk(), (_instance, state) => {
      const asked: [string, number][] = [
        [first, 120_000],
        [second, 60_000],
        [third, 180_000],
      ]
      for (const [openid, ago] of asked) state.storage.sql.exec('UPDATE desk SET queued_at = ? WHERE openid = ?', Date.now() - ago, openid)
    })
    const order = (items: { openid: string }[]) =>
      items.map((item) => item.openid).filter((openid) => [first, second, third].includes(openid))
    expect(order((await queue()).items)).toEqual([third, first, second])
    expect(order((await api<QueueView>('/admin/api/queue')).body.items)).toEqual([third, first, second])
  })

  it('with the default (wechat), the same push gets the passive transfer reply and nothing is queued', async () => {
    const openid = uniqueOpenid()
    const pushed = await pushText(openid, '人工', 'wechat')
    expect(pushed.status).toBe(200)
    expect(pushed.text).toContain('transfer_customer_service')
    expect(await sentTexts(openid, 1)).toEqual([TRANSFER_TEXT])
    expect(await itemOf(openid)).toBeUndefined()
    expect(await desk().item(openid)).toBeNull()
  })

  it("the rule set's hand-off (after_unmatched: 2) queues the user with reason handoff", async () => {
    const openid = uniqueOpenid()
    expect((await pushText(openid, '我的快递到哪了')).text).toBe('success')
    expect(await itemOf(openid)).toBeUndefined()
    expect((await pushText(openid, '怎么还没到')).text).toBe('success')
    expect(await sentTexts(openid, 1)).toEqual([HANDOFF_TEXT])
    expect(await itemOf(openid)).toMatchObject({ status: 'waiting', reason: 'handoff', lastText: '怎么还没到' })
  })

  it('a later push from a queued user updates the last message the queue shows', async () => {
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect((await itemOf(openid))?.lastText).toBe('人工')
    expect((await pushText(openid, 'hi')).text).toBe('success')
    expect((await itemOf(openid))?.lastText).toBe('hi')
    // Shown in either mode: the user's object remembers they are at the desk.
    expect((await pushText(openid, '订单 12345 还没发货', 'wechat')).text).toBe('success')
    const item = await itemOf(openid)
    expect(item).toMatchObject({ status: 'waiting', reason: 'transfer', lastText: '订单 12345 还没发货' })
  })

  it('a person answers while the user is at the desk: the bot sends nothing, counts no hand-off; after a close it answers again', async () => {
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect(await sentTexts(openid, 1)).toEqual([TRANSFER_TEXT])
    // "hi" has a rule, and two unmatched texts would hand off: at the desk, neither happens.
    for (const text of ['hi', '还在吗', '有人吗']) expect((await pushText(openid, text)).text).toBe('success')
    await stillSent(openid, 1)
    expect((await act(null, openid, 'close')).status).toBe(200)
    // The close asks for a rating (satisfaction in the rule set); a text that is no score gets the rules' answer.
    await pushText(openid, 'hi')
    expect(await sentTexts(openid, 3)).toEqual([TRANSFER_TEXT, RATE_TEXT, 'hello'])
  })
})

describe('the satisfaction rating', () => {
  it('after a close the user is asked; a 1–5 reply in time is thanked, not answered by the rules, and counts for the agent', async () => {
    const agent = await addTestOperator('agent')
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect((await act(agent, openid, 'claim')).status).toBe(200)
    expect((await act(agent, openid, 'close')).status).toBe(200)
    expect(await sentTexts(openid, 2)).toEqual([TRANSFER_TEXT, RATE_TEXT])
    await pushText(openid, ' 5 分')
    expect(await sentTexts(openid, 3)).toEqual([TRANSFER_TEXT, RATE_TEXT, '谢谢！'])
    const figures = await api<{ agents: AgentFigures[] }>('/admin/api/desk/figures')
    expect(figures.body.agents.find((f) => f.agent.id === agent.id)?.rating).toEqual({ mean: 5, count: 1 })
    // Asked once: a second score is an ordinary text again.
    await pushText(openid, '4')
    const sent = (await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).filter((call) => call.errcode === 0)
    expect(sent).toHaveLength(3)
  })
})

describe('canned answers and notes', () => {
  it('canned answers: added by an admin (a shortcut once), read by anyone, deleted; an agent may not add', async () => {
    const added = await api<{ id: string }>('/admin/api/canned', {
      json: { title: '退货地址', text: '请寄到：上海市…', shortcut: '/退货' },
    })
    expect(added.status).toBe(201)
    expect((await api('/admin/api/canned', { json: { title: '又一个', text: '…', shortcut: '/退货' } })).body).toEqual({
      error: 'shortcut_taken',
    })
    expect((await api('/admin/api/canned', { json: { title: ' ', text: '…' } })).status).toBe(400)
    const listed = await api<{ items: { id: string; shortcut: string | null }[] }>('/admin/api/canned')
    expect(listed.body.items).toContainEqual(expect.objectContaining({ id: added.body.id, shortcut: '/退货' }))
    expect((await api(`/admin/api/canned/${added.body.id}`, { method: 'DELETE' })).status).toBe(204)
    expect((await api(`/admin/api/canned/${added.body.id}`, { method: 'DELETE' })).status).toBe(404)
  })

  it('a note is kept on the conversation, newest first, never sent, and audited as its writer’s', async () => {
    const openid = uniqueOpenid()
    const note = await api<{ id: string }>(`/admin/api/conversations/${openid}/notes`, { json: { text: '老客户，上次的退款已经处理' } })
    expect(note.status).toBe(201)
    const notes = await api<{ items: { id: string; text: string; operator: { id: string } }[] }>(`/admin/api/conversations/${openid}/notes`)
    expect(notes.body.items).toEqual([
      expect.objectContaining({ id: note.body.id, text: '老客户，上次的退款已经处理', operator: expect.objectContaining({ id: 'owner' }) }),
    ])
    expect(await fakeWechat.calls({ appid: APPID, touser: openid })).toEqual([])
    const audit = await api<{ items: { action: string; target: string }[] }>('/admin/api/audit?action=desk_note')
    expect(audit.body.items).toContainEqual(expect.objectContaining({ action: 'desk_note', target: openid }))
  })
})

describe('agents at the desk', () => {
  it('two claiming at once: one wins, the other gets 409 naming the holder; release, transfer, close', async () => {
    const [a, b, c] = await Promise.all([
      addTestOperator('agent', { name: `Agent A ${crypto.randomUUID().slice(0, 6)}` }),
      addTestOperator('agent', { name: `Agent B ${crypto.randomUUID().slice(0, 6)}` }),
      addTestOperator('agent', { name: `Agent C ${crypto.randomUUID().slice(0, 6)}` }),
    ])
    const viewer = await addTestOperator('viewer')
    const admin = await addTestOperator('admin')
    const openid = uniqueOpenid()
    await pushText(openid, '人工')

    const both = await Promise.all([act(a!, openid, 'claim'), act(b!, openid, 'claim')])
    expect(both.map((answer) => answer.status).sort()).toEqual([200, 409])
    const winner = both[0]!.status === 200 ? a! : b!
    const loser = winner === a ? b! : a!
    const won = both.find((answer) => answer.status === 200)!.body
    const lost = both.find((answer) => answer.status === 409)!.body
    expect(won.item).toMatchObject({ openid, status: 'claimed', assignee: { id: winner.id } })
    expect(lost).toEqual({ error: 'held', holder: { id: winner.id, name: expect.stringMatching(/^Agent [AB] /) } })
    expect((await itemOf(openid))?.assignee?.id).toBe(winner.id)

    // The loser cannot release it; the holder can, and then the loser claims it.
    expect(await act(loser, openid, 'release')).toMatchObject({ status: 409, body: { error: 'not_yours', holder: { id: winner.id } } })
    const released = await act(winner, openid, 'release')
    expect(released).toMatchObject({ status: 200, body: { item: { status: 'waiting', assignee: null } } })
    expect(await act(loser, openid, 'claim')).toMatchObject({ status: 200, body: { item: { assignee: { id: loser.id } } } })

    // A viewer may read the queue (the test of GET /admin/api/queue), not act on it.
    expect(await act(viewer, openid, 'claim')).toMatchObject({ status: 403, body: { error: 'forbidden' } })

    // Transfer: to a viewer (who may not reply) or nobody is refused; to the third agent it is theirs.
    expect(await act(loser, openid, 'transfer', viewer.id)).toMatchObject({ status: 400, body: { error: 'no_such_agent' } })
    expect(await act(loser, openid, 'transfer', 'nobody000000')).toMatchObject({ status: 400, body: { error: 'no_such_agent' } })
    expect(await act(winner, openid, 'transfer', winner.id)).toMatchObject({ status: 409, body: { error: 'not_yours' } })
    expect(await act(loser, openid, 'transfer', c!.id)).toMatchObject({
      status: 200,
      body: { item: { status: 'claimed', assignee: { id: c!.id } } },
    })

    // Another agent can neither release nor close what c holds; an admin closes it.
    expect(await act(loser, openid, 'release')).toMatchObject({ status: 409, body: { error: 'not_yours', holder: { id: c!.id } } })
    expect(await act(loser, openid, 'close')).toMatchObject({ status: 409, body: { error: 'not_yours', holder: { id: c!.id } } })
    expect(await act(admin, openid, 'close')).toMatchObject({ status: 200, body: { item: { status: 'closed' } } })
    expect(await itemOf(openid)).toBeUndefined()
    expect(await act(c!, openid, 'close')).toMatchObject({ status: 404, body: { error: 'not_at_desk' } })
    expect(await act(c!, openid, 'claim')).toMatchObject({ status: 404, body: { error: 'not_at_desk' } })
    expect(await act(c!, uniqueOpenid(), 'release')).toMatchObject({ status: 404, body: { error: 'not_at_desk' } })

    // Closed, the user's pushes are no longer shown to the desk, and a new "人工" queues them again.
    await pushText(openid, 'hi')
    expect(await itemOf(openid)).toBeUndefined()
    await pushText(openid, '人工')
    expect(await itemOf(openid)).toMatchObject({ status: 'waiting', assignee: null })
    expect(await act(c!, openid, 'close')).toMatchObject({ status: 200 })

    // The audit log has each step as its agent's.
    const audit = await api<{ items: AuditView[] }>(`/admin/api/audit?action=desk_claim&limit=100`)
    expect(audit.status).toBe(200)
    const claims = audit.body.items.filter((entry) => entry.target === openid)
    expect(claims.map((entry) => entry.operatorId).sort()).toEqual([winner.id, loser.id].sort())
    expect(claims.every((entry) => entry.action === 'desk_claim' && entry.appid === APPID)).toBe(true)
    const transfers = await api<{ items: AuditView[] }>(`/admin/api/audit?action=desk_transfer&operator=${loser.id}`)
    expect(transfers.body.items).toContainEqual(expect.objectContaining({ target: openid, summary: expect.stringContaining('to Agent C') }))
    const closes = await api<{ items: AuditView[] }>(`/admin/api/audit?action=desk_close&operator=${admin.id}`)
    expect(closes.body.items.map((entry) => entry.target)).toEqual([openid])
  })

  it('an agent online takes the next arrival; with two online, the one holding fewer', async () => {
    const [d, e] = await Promise.all([addTestOperator('agent'), addTestOperator('agent')])
    try {
      await setStatus(d!, 'online')
      const first = uniqueOpenid()
      await pushText(first, '人工')
      expect(await itemOf(first)).toMatchObject({ status: 'claimed', assignee: { id: d!.id } })

      await setStatus(e!, 'online')
      const second = uniqueOpenid()
      await pushText(second, '人工')
      expect(await itemOf(second)).toMatchObject({ status: 'claimed', assignee: { id: e!.id } })

      await setStatus(d!, 'away')
      await setStatus(e!, 'away')
      const third = uniqueOpenid()
      await pushText(third, '人工')
      expect(await itemOf(third)).toMatchObject({ status: 'waiting', assignee: null })
      for (const [who, openid] of [
        [d!, first],
        [e!, second],
      ] as const)
        expect((await act(who, openid, 'close')).status).toBe(200)
    } finally {
      // No one stays online for the other tests: each new arrival would go to them.
      await desk().setStatus({ id: d!.id, name: 'd' }, 'away')
      await desk().setStatus({ id: e!.id, name: 'e' }, 'away')
    }
  })

  it('figures: a claimed conversation replied to by hand and closed counts for its agent, with a first-response time', async () => {
    const f = await addTestOperator('agent')
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect((await act(f, openid, 'claim')).status).toBe(200)
    const reply = await api(`/admin/api/conversations/${openid}/reply`, {
      auth: f.auth,
      json: { type: 'text', text: '您好，我是客服小王' },
    })
    expect(reply.status).toBe(200)
    expect(await sentTexts(openid, 2)).toEqual([TRANSFER_TEXT, '您好，我是客服小王'])
    const item = await itemOf(openid)
    expect(item?.firstResponseAt).toBeGreaterThanOrEqual(item!.queuedAt)
    expect((await act(f, openid, 'close')).status).toBe(200)

    const figures = await api<{ days: number; agents: AgentFigures[] }>('/admin/api/desk/figures?days=1', { auth: f.auth })
    expect(figures.status).toBe(200)
    expect(figures.body.days).toBe(1)
    const mine = figures.body.agents.find((row) => row.agent.id === f.id)
    expect(mine).toMatchObject({ handled: 1, firstResponseMs: { median: expect.any(Number), p90: expect.any(Number) } })
    expect(mine!.firstResponseMs!.median).toBe(item!.firstResponseAt! - item!.queuedAt)
    expect(mine!.firstResponseMs!.median).toBeGreaterThanOrEqual(0)
    expect((await api('/admin/api/desk/figures?days=0', { auth: f.auth })).status).toBe(400)
  })
})

describe('the alert', () => {
  it('a wait past DESK_ALERT_MINUTES is posted to DESK_ALERT_WEBHOOK once, and the item is overdue', async () => {
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect((await itemOf(openid))?.overdue).toBe(false)
    await runInDurableObject(desk(), (_instance, state) => {
      state.storage.sql.exec('UPDATE desk SET queued_at = ? WHERE openid = ?', Date.now() - 11 * 60_000, openid)
    })
    expect((await itemOf(openid))?.overdue).toBe(true)

    const posts = async () =>
      (await fakeWechat.calls({ path: WEBHOOK })).filter((call) => JSON.stringify(call.body).includes(openid.slice(-6)))
    expect(await runDurableObjectAlarm(desk())).toBe(true)
    const first = await posts()
    expect(first).toHaveLength(1)
    expect(first[0]).toMatchObject({ method: 'POST', status: 200, errcode: 0 })
    expect(first[0]!.body).toEqual({
      msgtype: 'text',
      text: { content: expect.stringMatching(new RegExp(`${openid.slice(-6)}（${APPID}）已等待人工客服 11 分钟：人工$`)) },
    })
    expect(logs.lines.some((line) => line.includes('desk.alerted') && line.includes(openid))).toBe(true)

    // Again: nothing more for this user (an alarm is set if none is, to run it at all).
    await runInDurableObject(desk(), async (_instance, state) => {
      if ((await state.storage.getAlarm()) === null) await state.storage.setAlarm(Date.now() + 60_000)
    })
    expect(await runDurableObjectAlarm(desk())).toBe(true)
    expect(await posts()).toHaveLength(1)
    expect(await itemOf(openid)).toMatchObject({ status: 'waiting', overdue: true })
  })
})

describe('the live channel', () => {
  it('the console opens it behind the session, from its own origin only', async () => {
    const cookie = await consoleSession(TEST_SETTINGS.ADMIN_TOKEN)
    const upgrade = { upgrade: 'websocket' }
    const own = await workerFetch('/admin/queue/live', { headers: { ...upgrade, cookie, origin: BASE } })
    expect(own.status).toBe(101)
    own.webSocket?.accept()
    own.webSocket?.close(1000, 'done')
    const elsewhere = await workerFetch('/admin/queue/live', { headers: { ...upgrade, cookie, origin: 'https://evil.example' } })
    expect(elsewhere.status).toBe(403)
    await elsewhere.body?.cancel()
    const anonymous = await workerFetch('/admin/queue/live', { headers: { ...upgrade, origin: BASE } })
    expect(anonymous.status).not.toBe(101)
    await anonymous.body?.cancel()
  })

  it('answers 426 to a plain request', async () => {
    const res = await desk().fetch(new Request('http://desk/live'))
    expect(res.status).toBe(426)
    await res.body?.cancel()
  })

  it('sends the queue at once, then a push from a queued user as a message within 2 s', async () => {
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    const live = withViewer(new Request('http://desk/live', { headers: { upgrade: 'websocket' } }), { operator: 'owner', session: null })
    const res = await desk().fetch(live)
    expect(res.status).toBe(101)
    const ws = res.webSocket
    expect(ws).toBeTruthy()
    const events: DeskEvent[] = []
    ws!.addEventListener('message', (event) => {
      if (typeof event.data === 'string' && event.data !== 'pong') events.push(JSON.parse(event.data) as DeskEvent)
    })
    ws!.accept()
    try {
      await vi.waitFor(() => expect(events.length).toBeGreaterThan(0), { timeout: 2000, interval: 10 })
      const snapshot = events[0]!
      expect(snapshot.type).toBe('queue')
      if (snapshot.type === 'queue') expect(snapshot.items.map((item) => item.openid)).toContain(openid)

      const started = Date.now()
      const pushed = await pushText(openid, '还在吗', 'console', false)
      expect(pushed.text).toBe('success')
      await vi.waitFor(
        () => expect(events).toContainEqual({ type: 'message', openid, direction: 'in', text: '还在吗', at: expect.any(Number) }),
        { timeout: 2000, interval: 10 },
      )
      expect(Date.now() - started).toBeLessThan(2000)
      await pushed.settled
      // The queue follows the message, with the new last text.
      await vi.waitFor(
        () =>
          expect(
            events.some(
              (event) => event.type === 'queue' && event.items.some((item) => item.openid === openid && item.lastText === '还在吗'),
            ),
          ).toBe(true),
        { timeout: 2000, interval: 10 },
      )

      // A ping is answered; an agent's reply by hand shows as an out message.
      const pong = new Promise<string>((resolve) =>
        ws!.addEventListener('message', (event) => {
          if (event.data === 'pong') resolve('pong')
        }),
      )
      const pinged = Date.now()
      ws!.send('ping')
      expect(await pong).toBe('pong')
      // Answered by the runtime itself (an auto-response): an idle console's pings never wake the Desk.
      const answeredAt = await runInDurableObject(desk(), (_instance, state) =>
        state.getWebSockets().map((socket) => state.getWebSocketAutoResponseTimestamp(socket)?.getTime() ?? 0),
      )
      expect(Math.max(...answeredAt)).toBeGreaterThanOrEqual(pinged - 1000)
      const reply = await api(`/admin/api/conversations/${openid}/reply`, { json: { type: 'text', text: '在的，请讲' } })
      expect(reply.status).toBe(200)
      await vi.waitFor(
        () => expect(events).toContainEqual(expect.objectContaining({ type: 'message', openid, direction: 'out', text: '在的，请讲' })),
        {
          timeout: 2000,
          interval: 10,
        },
      )
    } finally {
      ws!.close(1000, 'done')
    }
  })
})
