/**
 * Delivery that cannot loop or stall: attempts marked in flight before their request
 * leaves, the policy for an attempt interrupted by a reset, a pass that stops at the first
 * transport failure and within the invocation's subrequests, the alarm's floor, and replies
 * that expire instead of reaching the user late. Real Durable Objects and KV; the fake
 * WeChat API on loopback answers (and holds, and fails) the calls.
 */
import { env } from 'cloudflare:workers'
import { abortAllDurableObjects, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it, vi } from 'vitest'
import { DEFAULT_REPLY_MAX_AGE_SECONDS } from '../../src/settings/env'
import { PASS_SUBREQUESTS } from '../../src/conversation/budget'
import type { Conversation, RecordInput } from '../../src/conversation/conversation'
import { ALARM_FLOOR_MS } from '../../src/conversation/schedule'
import type { OutboxRow } from '../../src/conversation/outbox'
import { fakeWechat, uniqueOpenid, type FakeCall } from '../support/fake-wechat-client'
import { captureLogs } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'

const APPID = TEST_SETTINGS.WECHAT_APPID
const SEND = '/cgi-bin/message/custom/send'
const logs = captureLogs()
let msgIds = 8_600_000_000_000_000_000n
const nextMsgId = () => String(++msgIds)
const stub = (openid: string) => env.CONVERSATIONS.getByName(openid)
const sends = (openid: string): Promise<FakeCall[]> => fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })
const contentOf = (call: FakeCall) => (call.body as { text: { content: string } }).text.content

/** What the push route records for a text message with one text reply. */
function recorded(openid: string, reply: string): RecordInput {
  return {
    dedupKey: `msg:${nextMsgId()}`,
    openid,
    msgId: null,
    kind: 'text',
    summary: reply,
    grant: 'message',
    at: Date.now(),
    plan: { ruleId: 'test', ruleSetVersion: 'test', transfer: false, sends: [{ type: 'text', text: reply }] },
  }
}

const rows = (openid: string) =>
  runInDurableObject(stub(openid), (_instance: Conversation, state) =>
    state.storage.sql.exec<OutboxRow>('SELECT * FROM outbox ORDER BY id').toArray(),
  )

const alarmOf = (openid: string) => runInDurableObject(stub(openid), (_instance: Conversation, state) => state.storage.getAlarm())

const sql = (openid: string, query: string, ...bindings: unknown[]) =>
  runInDurableObject(stub(openid), (_instance: Conversation, state) => {
    state.storage.sql.exec(query, ...bindings)
  })

describe('an attempt in flight', () => {
  it('is counted, with its start and its backoff, before its request leaves', async () => {
    const openid = uniqueOpenid()
    const gate = `inflight-${openid}`
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: -1, gate })
    await stub(openid).record(recorded(openid, 'hello'))
    const flushing = stub(openid).flush()
    await vi.waitFor(async () => expect(await sends(openid)).toHaveLength(1))

    // WeChat holds the request: what the object has stored already is what survives a reset.
    const [inFlight] = await rows(openid)
    expect(inFlight).toMatchObject({ status: 'pending', attempts: 1, attempt_started_at: expect.any(Number) })
    expect(inFlight!.next_attempt_at).toBeGreaterThanOrEqual(inFlight!.attempt_started_at! + 1000)
    expect((await stub(openid).state()).outbound[0]).toMatchObject({ attemptStartedAt: inFlight!.attempt_started_at })

    await fakeWechat.release(gate)
    await flushing
    const [after] = await rows(openid)
    expect(after).toMatchObject({ status: 'pending', attempts: 1, attempt_started_at: null, errcode: -1 })
  })

  it('interrupted by a reset: retried once its backoff ends, the attempt counted (a possible duplicate, never a loss)', async () => {
    const openid = uniqueOpenid()
    const gate = `reset-${openid}`
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: -1, gate })
    await stub(openid).record(recorded(openid, 'hello'))
    void stub(openid)
      .flush()
      .catch(() => {})
    await vi.waitFor(async () => expect(await sends(openid)).toHaveLength(1))
    // A reset, not a graceful eviction (which would wait for the answer): the request is cut off.
    await abortAllDurableObjects()

    // After the restart the row waits for the backoff written before the request left.
    const [interrupted] = await rows(openid)
    expect(interrupted).toMatchObject({ status: 'pending', attempts: 1 })
    expect(interrupted!.next_attempt_at).toBeGreaterThanOrEqual(interrupted!.attempt_started_at! + 1000)

    expect(await runDurableObjectAlarm(stub(openid))).toBe(true)
    await vi.waitFor(async () => expect((await stub(openid).state()).outbound[0]).toMatchObject({ status: 'sent', attempts: 2 }))
    expect((await sends(openid)).map((call) => [contentOf(call), call.errcode])).toEqual([
      ['hello', null],
      ['hello', 0],
    ])
    const logged = logs.events().find((e) => e.event === 'reply.interrupted' && e.openid === openid)
    expect(logged).toMatchObject({ attempts: 1, startedAt: interrupted!.attempt_started_at })
    await fakeWechat.release(gate)
  })
})

describe('the first attempt, marked with its push (receive)', () => {
  it('goes out once, counted once, and is in flight before its request leaves', async () => {
    const openid = uniqueOpenid()
    const gate = `receive-${openid}`
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 0, gate, times: 1 })
    await stub(openid).receive(recorded(openid, 'hello'))
    await vi.waitFor(async () => expect(await sends(openid)).toHaveLength(1))
    const [inFlight] = await rows(openid)
    expect(inFlight).toMatchObject({ status: 'pending', attempts: 1, attempt_started_at: expect.any(Number) })
    expect(inFlight!.next_attempt_at).toBeGreaterThanOrEqual(inFlight!.attempt_started_at! + 1000)

    await fakeWechat.release(gate)
    await vi.waitFor(async () => expect((await rows(openid))[0]).toMatchObject({ status: 'sent', attempts: 1 }))
    expect(await sends(openid)).toHaveLength(1)
  })

  it('interrupted by a reset: waits for its backoff like any attempt whose outcome is unknown', async () => {
    const openid = uniqueOpenid()
    const gate = `receive-reset-${openid}`
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: -1, gate, times: 1 })
    await stub(openid).receive(recorded(openid, 'hello'))
    await vi.waitFor(async () => expect(await sends(openid)).toHaveLength(1))
    await abortAllDurableObjects()

    // The new instance knows nothing of the mark: a push now does not send the row at once.
    await stub(openid).receive(recorded(openid, 'next'))
    await vi.waitFor(async () => expect((await rows(openid))[1]).toMatchObject({ status: 'sent', attempts: 1 }))
    const [interrupted] = await rows(openid)
    expect(interrupted).toMatchObject({ status: 'pending', attempts: 1, reason: 'interrupted: outcome unknown' })
    expect((await sends(openid)).map(contentOf)).toEqual(['hello', 'next'])

    expect(await runDurableObjectAlarm(stub(openid))).toBe(true)
    await vi.waitFor(async () => expect((await rows(openid))[0]).toMatchObject({ status: 'sent', attempts: 2 }))
    await fakeWechat.release(gate)
  })

  it('while an earlier pass is still sending: sent by the next pass, in order, each counted once', async () => {
    const openid = uniqueOpenid()
    const gate = `receive-busy-${openid}`
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 0, gate, times: 1 })
    await stub(openid).receive(recorded(openid, 'first'))
    await vi.waitFor(async () => expect(await sends(openid)).toHaveLength(1))
    await stub(openid).receive(recorded(openid, 'second'))
    expect((await rows(openid))[1]).toMatchObject({ status: 'pending', attempts: 1 })

    await fakeWechat.release(gate)
    await vi.waitFor(async () =>
      expect((await rows(openid)).map((row) => [row.status, row.attempts])).toEqual([
        ['sent', 1],
        ['sent', 1],
      ]),
    )
    expect((await sends(openid)).map(contentOf)).toEqual(['first', 'second'])
  })

  it('failed, then retried by the operator: the retry is marked again before it leaves', async () => {
    const openid = uniqueOpenid()
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 40003, times: 1 })
    await stub(openid).receive(recorded(openid, 'hello'))
    await vi.waitFor(async () => expect((await rows(openid))[0]).toMatchObject({ status: 'failed', errcode: 40003 }))

    const gate = `receive-retry-${openid}`
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 0, gate, times: 1 })
    const retrying = stub(openid).retryFailed((await rows(openid))[0]!.id)
    await vi.waitFor(async () => expect(await sends(openid)).toHaveLength(2))
    expect((await rows(openid))[0]).toMatchObject({ status: 'pending', attempts: 1, attempt_started_at: expect.any(Number) })
    await fakeWechat.release(gate)
    expect(await retrying).toMatchObject({ ok: true, outcome: { status: 'sent' } })
  })
})

describe('a pass during an API outage', () => {
  it('stops at the first transport failure and comes back when that row is due', async () => {
    const openid = uniqueOpenid()
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'http500', times: 5 })
    for (let i = 0; i < 5; i++) await stub(openid).record(recorded(openid, `r${i}`))
    await stub(openid).flush()

    expect(await sends(openid)).toHaveLength(1)
    const [failed, ...untried] = await rows(openid)
    expect(failed).toMatchObject({ attempts: 1, errcode: -1003, status: 'pending' })
    expect(untried.map((row) => row.attempts)).toEqual([0, 0, 0, 0])
    expect(await alarmOf(openid)).toBeGreaterThanOrEqual(failed!.next_attempt_at)
  })

  it(`makes at most ${PASS_SUBREQUESTS} subrequests, and leaves the rest to the next alarm, soon`, async () => {
    const openid = uniqueOpenid()
    // WeChat busy (-1): answered at once, so nothing stops the pass but its budget.
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: -1, times: 200 })
    for (let i = 0; i < 45; i++) await stub(openid).record(recorded(openid, `r${i}`))
    await stub(openid).flush()
    const passEnded = Date.now()

    // Only this pass's calls: the next alarm is at least a second away.
    const calls = (await sends(openid)).filter((call) => call.receivedAt <= passEnded)
    expect(calls.length).toBeGreaterThan(0)
    expect(calls.length).toBeLessThanOrEqual(PASS_SUBREQUESTS)
    expect((await rows(openid)).some((row) => row.attempts === 0 && row.next_attempt_at <= passEnded)).toBe(true)
    expect(await alarmOf(openid)).toBeLessThanOrEqual(Date.now() + ALARM_FLOOR_MS)
  })
})

describe('the alarm', () => {
  it('is never set less than a second ahead, even for a retry due sooner', async () => {
    const openid = uniqueOpenid()
    await stub(openid).record(recorded(openid, 'soon'))
    const before = Date.now()
    await sql(openid, 'UPDATE outbox SET next_attempt_at = ?', before + 50)
    await stub(openid).flush()
    expect(await alarmOf(openid)).toBeGreaterThanOrEqual(before + ALARM_FLOOR_MS)
  })
})

describe('REPLY_MAX_AGE_SECONDS', () => {
  const tooOld = (DEFAULT_REPLY_MAX_AGE_SECONDS + 1) * 1000

  it('a reply still undelivered past it fails as expired, without calling the API', async () => {
    const openid = uniqueOpenid()
    await stub(openid).record(recorded(openid, 'stale'))
    await stub(openid).record(recorded(openid, 'fresh'))
    await sql(openid, "UPDATE outbox SET created_at = created_at - ? WHERE reply LIKE '%stale%'", tooOld)
    await stub(openid).flush()

    const { outbound } = await stub(openid).state()
    expect(outbound.map((row) => [row.status, row.errcode, row.reason])).toEqual([
      ['sent', null, null],
      ['failed', null, 'expired'],
    ])
    expect((await sends(openid)).map(contentOf)).toEqual(['fresh'])
    expect(logs.events().find((e) => e.event === 'reply.failed' && e.openid === openid)).toMatchObject({ reason: 'expired' })
  })

  it('a reply being retried expires when the alarm meets it past its age', async () => {
    const openid = uniqueOpenid()
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: -1 })
    await stub(openid).record(recorded(openid, 'retried'))
    await stub(openid).flush()
    await sql(openid, 'UPDATE outbox SET created_at = created_at - ?', tooOld)
    await runDurableObjectAlarm(stub(openid))

    expect((await stub(openid).state()).outbound[0]).toMatchObject({ status: 'failed', reason: 'expired', errcode: null, attempts: 1 })
    expect(await sends(openid)).toHaveLength(1)
  })

  it('a failed reply the operator retries past it is sent, not expired, and keeps its push’s time', async () => {
    const openid = uniqueOpenid()
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 40003, times: 1 })
    await stub(openid).record(recorded(openid, 'retried late'))
    await stub(openid).flush()
    await sql(openid, 'UPDATE outbox SET created_at = created_at - ?', tooOld)
    const [failed] = await rows(openid)
    expect(failed).toMatchObject({ status: 'failed', errcode: 40003, retried_at: null })

    const before = Date.now()
    expect(await stub(openid).retryFailed(failed!.id)).toMatchObject({ ok: true, outcome: { status: 'sent' } })
    const [retried] = await rows(openid)
    // The age counts from the retry; the push's time stays (the record's latency counts from it).
    expect(retried).toMatchObject({ status: 'sent', created_at: failed!.created_at })
    expect(retried!.retried_at).toBeGreaterThanOrEqual(before)
    expect((await stub(openid).state()).outbound[0]).toMatchObject({ createdAt: failed!.created_at, retriedAt: retried!.retried_at })
    expect((await sends(openid)).map(contentOf)).toEqual(['retried late', 'retried late'])
  })

  it('a retried reply still undelivered past it, counted from the retry, fails as expired', async () => {
    const openid = uniqueOpenid()
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 40003, times: 1 })
    await stub(openid).record(recorded(openid, 'retried, then busy'))
    await stub(openid).flush()
    // WeChat busy from now on: the retry waits for its backoff.
    await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: -1, times: 100 })
    const [failed] = await rows(openid)
    expect(await stub(openid).retryFailed(failed!.id)).toMatchObject({ ok: true, outcome: { status: 'pending' } })

    // Within its age from the retry, however old its push: the alarm tries it again.
    await sql(openid, 'UPDATE outbox SET created_at = created_at - ?', tooOld)
    await runDurableObjectAlarm(stub(openid))
    expect((await rows(openid))[0]).toMatchObject({ status: 'pending', attempts: 2 })

    await sql(openid, 'UPDATE outbox SET retried_at = retried_at - ?', tooOld)
    await runDurableObjectAlarm(stub(openid))
    expect((await stub(openid).state()).outbound[0]).toMatchObject({ status: 'failed', reason: 'expired', attempts: 2 })
    expect(await sends(openid)).toHaveLength(3)
  })
})
