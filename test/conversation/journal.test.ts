/**
 * The Conversation object's copy to the D1 record, and the operator's actions through it:
 * what a push leaves in D1, a D1 outage that delays only the record (the push is answered
 * and the reply delivered; the record catches up from the alarm, counting nothing twice),
 * replies sent by hand inside and outside the window, and failed sends retried or dropped.
 * Each of the operator's actions answers once the object has its change; its D1 copy
 * follows the answer as a push's does, and a D1 outage never fails the action.
 * Real Durable Objects, real local D1 (made to fail by moving a table away), the fake
 * WeChat API on loopback.
 */
import { env } from 'cloudflare:workers'
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import type { Conversation, RecordInput } from '../../src/conversation/conversation'
import { journalState } from '../../src/conversation/journal'
import { prune, retention } from '../../src/conversation/retention'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { captureLogs } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'

const APPID = TEST_SETTINGS.WECHAT_APPID
const SEND = '/cgi-bin/message/custom/send'
const logs = captureLogs()
let msgIds = 8_700_000_000_000_000_000n
const stub = (openid: string) => env.CONVERSATIONS.getByName(openid)
const sendsTo = async (openid: string) =>
  (await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).filter((call) => call.errcode === 0)

function textPush(openid: string, text: string, ruleId: string | null, replies: string[]): RecordInput {
  return {
    dedupKey: `msg:${++msgIds}`,
    openid,
    msgId: String(msgIds),
    kind: 'text',
    summary: text,
    grant: 'message',
    at: Date.now(),
    plan: {
      ruleId,
      ruleSetVersion: 'v-test',
      transfer: false,
      sends: replies.map((reply) => ({ type: 'text', text: reply })),
    },
  }
}

async function pushAndFlush(input: RecordInput): Promise<void> {
  const conversation = stub(input.openid)
  await conversation.record(input)
  await conversation.flush()
}

interface MessageRow {
  id: string
  direction: string
  kind: string
  text: string | null
  rule_id: string | null
  status: string
  manual: number
  errcode: number | null
}

const messages = async (openid: string) =>
  (
    await env.DB.prepare('SELECT * FROM messages WHERE appid = ? AND openid = ? ORDER BY direction, id')
      .bind(APPID, openid)
      .all<MessageRow>()
  ).results

const conversationRow = (openid: string) =>
  env.DB.prepare('SELECT * FROM conversations WHERE appid = ? AND openid = ?')
    .bind(APPID, openid)
    .first<{ window_remaining: number; pending: number; failed: number; unmatched: number; last_text: string | null }>()

const ruleHits = async (ruleId: string) =>
  (
    await env.DB.prepare('SELECT SUM(hits) AS hits FROM rule_daily WHERE appid = ? AND rule_id = ?')
      .bind(APPID, ruleId)
      .first<{ hits: number | null }>()
  )?.hits ?? 0

const journal = (openid: string) => runInDurableObject(stub(openid), (_instance: Conversation, state) => journalState(state.storage.sql))

/** The copy that follows an operator's action (after its answer) has landed: the journal is empty. */
const copied = (openid: string) =>
  vi.waitFor(async () => expect(await journal(openid)).toMatchObject({ backlog: 0 }), { timeout: 5000, interval: 20 })

/** A real D1 failure: the table the batch writes is not there until the test puts it back. */
async function withTableAway(table: string, body: () => Promise<void>): Promise<void> {
  await env.DB.exec(`ALTER TABLE ${table} RENAME TO ${table}_away`)
  try {
    await body()
  } finally {
    await env.DB.exec(`ALTER TABLE ${table}_away RENAME TO ${table}`)
  }
}

const withMessagesTableAway = (body: () => Promise<void>) => withTableAway('messages', body)

describe('the record of a push', () => {
  it('holds the message in, the reply out, the window and the rule hit once delivery is done', async () => {
    const openid = uniqueOpenid()
    const before = await ruleHits('journal-hit')
    await pushAndFlush(textPush(openid, '订单 12345678', 'journal-hit', ['查到了']))

    const rows = await messages(openid)
    expect(rows.map((r) => [r.direction, r.kind, r.text, r.rule_id, r.status])).toEqual([
      ['in', 'text', '订单 12345678', 'journal-hit', 'received'],
      ['out', 'text', '查到了', 'journal-hit', 'sent'],
    ])
    expect(await conversationRow(openid)).toMatchObject({
      window_remaining: 4,
      pending: 0,
      failed: 0,
      unmatched: 0,
      last_text: '订单 12345678',
    })
    expect(await ruleHits('journal-hit')).toBe(before + 1)
    expect(await journal(openid)).toEqual({ backlog: 0, failures: 0, oldest: null })
  })

  it('counts a text only the default answered as unmatched', async () => {
    const openid = uniqueOpenid()
    await pushAndFlush(textPush(openid, 'Where Is My Parcel', 'default', ['您好']))
    expect(await conversationRow(openid)).toMatchObject({ unmatched: 1 })
    const question = await env.DB.prepare('SELECT count FROM unmatched WHERE appid = ? AND text = ?')
      .bind(APPID, 'where is my parcel')
      .first<{ count: number }>()
    expect(question?.count).toBeGreaterThanOrEqual(1)
  })

  it('copies a journal entry written twice only once (a lost answer from D1)', async () => {
    const openid = uniqueOpenid()
    const input = textPush(openid, 'twice', 'journal-twice', ['ok'])
    await stub(openid).record(input)
    // The marks D1 had before the copy, put back after it: as if D1's answer was lost.
    const marks = "SELECT value FROM meta WHERE key = 'journal'"
    const held = await runInDurableObject(
      stub(openid),
      (_instance: Conversation, state) => state.storage.sql.exec<{ value: string }>(marks).toArray()[0]?.value ?? null,
    )
    await stub(openid).flush()
    await runInDurableObject(stub(openid), (_instance: Conversation, state) => {
      const sql = state.storage.sql
      expect(sql.exec(marks).toArray()).toHaveLength(1)
      if (held === null) sql.exec("DELETE FROM meta WHERE key = 'journal'")
      else sql.exec("UPDATE meta SET value = ? WHERE key = 'journal'", held)
    })
    expect((await journal(openid)).backlog).toBeGreaterThan(0)
    await stub(openid).flush()
    expect((await journal(openid)).backlog).toBe(0)
    expect(await ruleHits('journal-twice')).toBe(1)
    expect((await messages(openid)).map((r) => [r.direction, r.status])).toEqual([
      ['in', 'received'],
      ['out', 'sent'],
    ])
  })
})

describe('a D1 outage', () => {
  it('answers the push and delivers the reply, then catches the record up from the alarm', async () => {
    const openid = uniqueOpenid()
    let alarmAt: number | null = null
    await withMessagesTableAway(async () => {
      await pushAndFlush(textPush(openid, 'during the outage', 'journal-outage', ['still delivered']))
      expect((await sendsTo(openid)).map((call) => (call.body as { text: { content: string } }).text.content)).toEqual(['still delivered'])
      expect(await journal(openid)).toMatchObject({ backlog: 2, failures: 1 })
      expect((await stub(openid).state()).record).toEqual({ backlog: 2, failures: 1 })
      alarmAt = await runInDurableObject(stub(openid), (_instance: Conversation, state) => state.storage.getAlarm())
    })
    const failed = logs.events().find((line) => line.event === 'record.write_failed' && line.openid === openid)
    expect(failed).toMatchObject({ events: 3, failures: 1 })
    // The retry is scheduled (30 s out), not lost.
    expect(alarmAt).not.toBeNull()
    expect(alarmAt!).toBeLessThanOrEqual(Date.now() + 30_000)
    expect(await messages(openid)).toEqual([])

    expect(await runDurableObjectAlarm(stub(openid))).toBe(true)
    expect((await messages(openid)).map((r) => [r.direction, r.text, r.status])).toEqual([
      ['in', 'during the outage', 'received'],
      ['out', 'still delivered', 'sent'],
    ])
    expect(await ruleHits('journal-outage')).toBe(1)
    expect(await journal(openid)).toEqual({ backlog: 0, failures: 0, oldest: null })
    expect(logs.events().some((line) => line.event === 'record.caught_up' && line.openid === openid)).toBe(true)
    // Delivered once, before and after the catch-up.
    expect(await sendsTo(openid)).toHaveLength(1)
  })

  it('keeps a push and its reply past their time until D1 has them; then they go', async () => {
    const openid = uniqueOpenid()
    const week = 7 * 24 * 60 * 60 * 1000
    /** The rows left after pruning as if a week had passed. */
    const pruned = () =>
      runInDurableObject(stub(openid), (_instance: Conversation, state) => {
        const sql = state.storage.sql
        prune(sql, Date.now() + week, retention(week / 7))
        return [sql.exec('SELECT key FROM seen').toArray().length, sql.exec('SELECT id FROM outbox').toArray().length]
      })
    await withMessagesTableAway(async () => {
      await pushAndFlush(textPush(openid, 'kept for the record', 'journal-kept', ['ok']))
      expect(await pruned()).toEqual([1, 1])
    })
    expect(await runDurableObjectAlarm(stub(openid))).toBe(true)
    expect((await messages(openid)).map((r) => r.direction)).toEqual(['in', 'out'])
    expect(await pruned()).toEqual([0, 0])
  })
})

describe('a reply sent by hand', () => {
  it('goes out inside the window and is recorded as manual', async () => {
    const openid = uniqueOpenid()
    await pushAndFlush(textPush(openid, '人工', null, []))
    const result = await stub(openid).replyByHand(openid, { type: 'text', text: '您好，我是客服小王' })
    expect(result).toMatchObject({ ok: true, outcome: { status: 'sent', errcode: null } })
    await copied(openid)
    const sends = await sendsTo(openid)
    expect(sends.map((call) => (call.body as { text: { content: string } }).text.content)).toEqual(['您好，我是客服小王'])
    const out = (await messages(openid)).filter((r) => r.direction === 'out')
    expect(out).toMatchObject([{ manual: 1, status: 'sent', text: '您好，我是客服小王', rule_id: null }])
    if (result.ok) expect(out[0]!.id).toBe(result.outcome.recordId)
    expect(await conversationRow(openid)).toMatchObject({ window_remaining: 4 })
  })

  it('is refused, with nothing stored or sent, when the user never opened a window', async () => {
    const openid = uniqueOpenid()
    expect(await stub(openid).replyByHand(openid, { type: 'text', text: 'hello?' })).toEqual({ ok: false, refusal: 'window_closed' })
    expect(await sendsTo(openid)).toEqual([])
    expect(await messages(openid)).toEqual([])
    // Nothing was created for a user the object did not know: no storage no alarm would delete.
    const tables = await runInDurableObject(stub(openid), (_instance: Conversation, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").toArray(),
    )
    expect(tables).toEqual([])
  })

  it('is refused once the window’s sends are used up', async () => {
    const openid = uniqueOpenid()
    await pushAndFlush(textPush(openid, 'five please', 'journal-five', ['1', '2', '3', '4', '5']))
    expect(await sendsTo(openid)).toHaveLength(5)
    expect(await stub(openid).replyByHand(openid, { type: 'text', text: 'sixth' })).toEqual({ ok: false, refusal: 'limit_reached' })
    expect(await sendsTo(openid)).toHaveLength(5)
  })
})

describe('a failed send', () => {
  async function failedSend(openid: string): Promise<number> {
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 40003, errmsg: 'invalid openid' })
    await pushAndFlush(textPush(openid, 'will fail', 'journal-failed', ['first try fails']))
    const state = await stub(openid).state()
    const row = state.outbound.find((r) => r.status === 'failed')
    expect(row).toBeDefined()
    expect((await messages(openid)).find((r) => r.direction === 'out')).toMatchObject({ status: 'failed', errcode: 40003 })
    return row!.id
  }

  it('is delivered once when the operator retries it', async () => {
    const openid = uniqueOpenid()
    const id = await failedSend(openid)
    const result = await stub(openid).retryFailed(id)
    expect(result).toMatchObject({ ok: true, outcome: { id, status: 'sent' } })
    await copied(openid)
    expect(await sendsTo(openid)).toHaveLength(1)
    expect((await messages(openid)).find((r) => r.direction === 'out')).toMatchObject({ status: 'sent', errcode: null })
    expect(await conversationRow(openid)).toMatchObject({ failed: 0 })
    // Sent now: a second retry has nothing to do.
    expect(await stub(openid).retryFailed(id)).toEqual({ ok: false, problem: 'not_failed' })
    expect(await sendsTo(openid)).toHaveLength(1)
  })

  it('leaves the failed lists when dropped, and is not sent', async () => {
    const openid = uniqueOpenid()
    const id = await failedSend(openid)
    expect(await stub(openid).dropFailed(id)).toMatchObject({ ok: true, outcome: { id, status: 'dropped' } })
    await copied(openid)
    expect((await messages(openid)).find((r) => r.direction === 'out')).toMatchObject({ status: 'dropped' })
    expect(await conversationRow(openid)).toMatchObject({ failed: 0 })
    expect(await stub(openid).retryFailed(id)).toEqual({ ok: false, problem: 'not_failed' })
    expect(await sendsTo(openid)).toEqual([])
  })

  it('is not found for an id the user’s object never had', async () => {
    const openid = uniqueOpenid()
    expect(await stub(openid).retryFailed(99)).toEqual({ ok: false, problem: 'not_found' })
    await pushAndFlush(textPush(openid, 'hi', null, []))
    expect(await stub(openid).dropFailed(99)).toEqual({ ok: false, problem: 'not_found' })
  })
})

describe('an operator’s action and its D1 copy', () => {
  const SUBSCRIBE_SEND = '/cgi-bin/message/subscribe/send'
  let eventTimes = Math.floor(Date.now() / 1000)

  /** A failed send, its failure already in D1; returns its outbox id. */
  async function failedSend(openid: string): Promise<number> {
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 40003, errmsg: 'invalid openid' })
    await pushAndFlush(textPush(openid, 'will fail', 'journal-action', ['first try fails']))
    const row = (await stub(openid).state()).outbound.find((r) => r.status === 'failed')
    expect(row).toBeDefined()
    return row!.id
  }

  const outRow = async (openid: string) => (await messages(openid)).find((r) => r.direction === 'out')

  interface Action {
    name: string
    /** What the action needs: a user with an open window, a failed send, a grant. Returns the action's argument. */
    setUp: (openid: string) => Promise<number>
    act: (conversation: Conversation | ReturnType<typeof stub>, openid: string, arg: number) => Promise<{ ok: boolean }>
    /** D1 has the action's change. */
    landed: (openid: string) => Promise<boolean>
  }

  const actions: Action[] = [
    {
      name: 'a reply by hand',
      setUp: async (openid) => {
        await pushAndFlush(textPush(openid, '人工', null, []))
        return 0
      },
      act: (c, openid) => c.replyByHand(openid, { type: 'text', text: 'from the operator' }),
      landed: async (openid) => (await outRow(openid))?.manual === 1 && (await outRow(openid))?.status === 'sent',
    },
    {
      name: 'a failed send retried',
      setUp: failedSend,
      act: (c, _openid, id) => c.retryFailed(id),
      landed: async (openid) => (await outRow(openid))?.status === 'sent',
    },
    {
      name: 'a failed send dropped',
      setUp: failedSend,
      act: (c, _openid, id) => c.dropFailed(id),
      landed: async (openid) => (await outRow(openid))?.status === 'dropped',
    },
    {
      name: 'a subscribe message',
      setUp: async (openid) => {
        const at = ++eventTimes
        await stub(openid).record({
          dedupKey: `event:${openid}:${at}:subscribe_msg_popup_event`,
          openid,
          msgId: null,
          kind: 'subscribe_msg_popup_event',
          summary: 'tplJournal',
          grant: null,
          at: at * 1000,
          plan: { ruleId: null, ruleSetVersion: 'v-test', transfer: false, sends: [] },
          subscribe: [{ kind: 'popup', templateId: 'tplJournal', status: 'accept' }],
        })
        await stub(openid).flush()
        expect(await journal(openid)).toMatchObject({ backlog: 0 })
        return 0
      },
      act: (c, openid) =>
        c.sendSubscribe({ touser: openid, template_id: 'tplJournal', data: { thing1: { value: 'shipped' } }, force: false }),
      landed: async (openid) => {
        const row = await env.DB.prepare(
          'SELECT grants, last_errcode FROM subscriptions WHERE appid = ? AND openid = ? AND template_id = ?',
        )
          .bind(APPID, openid, 'tplJournal')
          .first<{ grants: number; last_errcode: number | null }>()
        return row?.grants === 0 && row.last_errcode === 0
      },
    },
  ]

  for (const action of actions) {
    it(`${action.name}: answers once the object has it, with its D1 copy still on its way; the copy follows`, async () => {
      const openid = uniqueOpenid()
      const arg = await action.setUp(openid)
      const { result, backlog } = await runInDurableObject(stub(openid), async (instance: Conversation, state) => {
        const result = await action.act(instance, openid, arg)
        // The answer is here: the copy it started has not reached D1 yet.
        return { result, backlog: journalState(state.storage.sql).backlog }
      })
      expect(result.ok).toBe(true)
      expect(backlog).toBeGreaterThan(0)
      await copied(openid)
      expect(await action.landed(openid)).toBe(true)
    })

    it(`${action.name}: succeeds while D1 fails; the copy is retried from the alarm and lands`, async () => {
      const openid = uniqueOpenid()
      const arg = await action.setUp(openid)
      let alarmAt: number | null = null
      // Every batch ends with the user's window, written to `conversations`: each one fails.
      await withTableAway('conversations', async () => {
        const result = await action.act(stub(openid), openid, arg)
        expect(result.ok).toBe(true)
        await vi.waitFor(async () => expect(await journal(openid)).toMatchObject({ failures: 1 }), { timeout: 5000, interval: 20 })
        expect(await action.landed(openid)).toBe(false)
        alarmAt = await runInDurableObject(stub(openid), (_instance: Conversation, state) => state.storage.getAlarm())
      })
      expect(logs.events().some((line) => line.event === 'record.write_failed' && line.openid === openid)).toBe(true)
      // Not lost: the retry is scheduled, 30 s out at most.
      expect(alarmAt).not.toBeNull()
      expect(alarmAt!).toBeLessThanOrEqual(Date.now() + 30_000)

      expect(await runDurableObjectAlarm(stub(openid))).toBe(true)
      expect(await action.landed(openid)).toBe(true)
      expect(await journal(openid)).toEqual({ backlog: 0, failures: 0, oldest: null })
    })
  }

  it('a subscribe message WeChat refuses answers with the refusal while D1 is down, and its copy lands later', async () => {
    const openid = uniqueOpenid()
    await actions[3]!.setUp(openid)
    await fakeWechat.fault({
      path: SUBSCRIBE_SEND,
      appid: APPID,
      touser: openid,
      kind: 'errcode',
      errcode: 43101,
      errmsg: 'user refuse to accept the msg',
    })
    await withTableAway('conversations', async () => {
      const result = await stub(openid).sendSubscribe({
        touser: openid,
        template_id: 'tplJournal',
        data: { thing1: { value: 'x' } },
        force: false,
      })
      expect(result).toMatchObject({ ok: false, problem: 'refused', errcode: 43101 })
      await vi.waitFor(async () => expect(await journal(openid)).toMatchObject({ failures: 1 }), { timeout: 5000, interval: 20 })
    })
    expect(await runDurableObjectAlarm(stub(openid))).toBe(true)
    const row = await env.DB.prepare('SELECT grants, last_errcode FROM subscriptions WHERE appid = ? AND openid = ? AND template_id = ?')
      .bind(APPID, openid, 'tplJournal')
      .first()
    expect(row).toEqual({ grants: 0, last_errcode: 43101 })
  })
})

describe('a failed send retried by the operator', () => {
  it('keeps its push’s time: the record’s push-to-reply time counts from the push, not the retry', async () => {
    const openid = uniqueOpenid()
    const ago = 20 * 60 * 1000
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 40003, errmsg: 'invalid openid' })
    const input = textPush(openid, 'twenty minutes ago', 'journal-latency', ['late but sent'])
    await stub(openid).record(input)
    // As if the push came 20 minutes ago (REPLY_MAX_AGE_SECONDS is 30 minutes).
    const pushedAt = await runInDurableObject(stub(openid), (_instance: Conversation, state) => {
      state.storage.sql.exec('UPDATE outbox SET created_at = created_at - ?', ago)
      return state.storage.sql.exec<{ created_at: number }>('SELECT created_at FROM outbox').one().created_at
    })
    await stub(openid).flush()
    const id = (await stub(openid).state()).outbound[0]!.id

    const result = await stub(openid).retryFailed(id)
    expect(result).toMatchObject({ ok: true, outcome: { status: 'sent' } })
    const row = (await stub(openid).state()).outbound[0]!
    expect(row).toMatchObject({ createdAt: pushedAt, retriedAt: expect.any(Number) })
    expect(row.retriedAt!).toBeGreaterThanOrEqual(pushedAt + ago)

    await copied(openid)
    const out = await env.DB.prepare(
      "SELECT pushed_at, updated_at, latency_ms, status FROM messages WHERE appid = ? AND openid = ? AND direction = 'out'",
    )
      .bind(APPID, openid)
      .first<{ pushed_at: number; updated_at: number; latency_ms: number; status: string }>()
    expect(out).toMatchObject({ pushed_at: pushedAt, status: 'sent' })
    expect(out!.latency_ms).toBe(out!.updated_at - pushedAt)
    expect(out!.latency_ms).toBeGreaterThanOrEqual(ago)
  })
})
