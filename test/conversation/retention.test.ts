/**
 * Data expires: a Conversation that holds anything keeps an alarm; the alarm prunes what the
 * user wrote after two days even when no push comes, and deletes the object's whole storage
 * RETENTION_DAYS (7 here) after the last activity. Real Durable Object alarms, run with
 * `runDurableObjectAlarm`; time passes by moving the stored timestamps back.
 */
import { env } from 'cloudflare:workers'
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { Conversation, RecordInput } from '../../src/conversation/conversation'
import { EMPTY_STATE } from '../../src/conversation/view'
import { uniqueOpenid } from '../support/fake-wechat-client'
import { captureLogs } from '../support/helpers'

const logs = captureLogs()
const DAY = 24 * 60 * 60 * 1000
let msgIds = 8_700_000_000_000_000_000n
const nextMsgId = () => String(++msgIds)
const stub = (openid: string) => env.CONVERSATIONS.getByName(openid)

function recorded(openid: string, text: string): RecordInput {
  return {
    dedupKey: `msg:${nextMsgId()}`,
    openid,
    msgId: null,
    kind: 'text',
    summary: `the user wrote: ${text}`,
    grant: 'message',
    at: Date.now(),
    plan: { ruleId: 'test', ruleSetVersion: 'test', transfer: false, sends: [{ type: 'text', text }] },
  }
}

/** A conversation with one message answered, as it is once delivery is done. */
async function answered(openid: string, text = 'hello'): Promise<void> {
  await stub(openid).record(recorded(openid, text))
  await stub(openid).flush()
  expect((await stub(openid).state()).outbound[0]).toMatchObject({ status: 'sent' })
}

/** Everything the object stored happened `ms` earlier; a new instance, as after that much time. */
async function age(openid: string, ms: number, tables: ('seen' | 'outbox' | 'window_events')[] = ['seen', 'outbox', 'window_events']) {
  await runInDurableObject(stub(openid), (_instance: Conversation, state) => {
    const sql = state.storage.sql
    if (tables.includes('seen')) sql.exec('UPDATE seen SET received_at = received_at - ?', ms)
    if (tables.includes('outbox')) sql.exec('UPDATE outbox SET created_at = created_at - ?, updated_at = updated_at - ?', ms, ms)
    if (tables.includes('window_events')) sql.exec('UPDATE window_events SET at = at - ?', ms)
  })
  await evictDurableObject(stub(openid))
}

const alarmOf = (openid: string) => runInDurableObject(stub(openid), (_instance: Conversation, state) => state.storage.getAlarm())

/** The tables the object has (SQLite's and the runtime's own left out). */
const tables = (openid: string) =>
  runInDurableObject(stub(openid), (_instance: Conversation, state) =>
    state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'")
      .toArray()
      .map((row) => row.name),
  )

describe('an idle conversation', () => {
  it('keeps an alarm once nothing is pending, to prune and in the end delete it', async () => {
    const openid = uniqueOpenid()
    await answered(openid)
    const alarm = await alarmOf(openid)
    expect(alarm).not.toBeNull()
    // The first thing due: what the user wrote, two days on.
    expect(alarm!).toBeGreaterThan(Date.now() + 47 * 60 * 60 * 1000)
  })

  it('prunes what the user wrote after two days, though no push comes to do it', async () => {
    const openid = uniqueOpenid()
    await answered(openid)
    await age(openid, 2 * DAY + 1000, ['seen'])
    expect(await runDurableObjectAlarm(stub(openid))).toBe(true)
    const state = await stub(openid).state()
    expect(state.inbound).toEqual([])
    // The reply's record is kept for the retention period; the object is not deleted.
    expect(state.outbound).toHaveLength(1)
    expect(await alarmOf(openid)).not.toBeNull()
  })

  it('deletes its storage RETENTION_DAYS after the last activity; a new push starts afresh', async () => {
    const openid = uniqueOpenid()
    await answered(openid)
    await age(openid, 7 * DAY + 1000)
    expect(await runDurableObjectAlarm(stub(openid))).toBe(true)

    expect(await tables(openid)).toEqual([])
    expect(await alarmOf(openid)).toBeNull()
    expect(logs.events().some((e) => e.event === 'conversation.deleted' && e.openid === openid)).toBe(true)
    // Looking at a deleted user shows nothing and creates nothing.
    expect(await stub(openid).state()).toEqual(EMPTY_STATE)
    expect(await tables(openid)).toEqual([])

    // The same instance, with nothing it remembered about the old storage.
    await answered(openid, 'back again')
    const state = await stub(openid).state()
    expect(state.inbound).toHaveLength(1)
    expect(state.window).toMatchObject({ remaining: 4, open: true })
    expect(await alarmOf(openid)).not.toBeNull()
  })

  it('numbers a returning user’s sends afresh: the record keeps the old sends and adds the new ones', async () => {
    const openid = uniqueOpenid()
    await answered(openid, 'first visit')
    await age(openid, 7 * DAY + 1000)
    expect(await runDurableObjectAlarm(stub(openid))).toBe(true)
    expect(await tables(openid)).toEqual([])
    await answered(openid, 'second visit')

    // Both sends are in D1 under their own ids; the second did not overwrite the first.
    const sends = (
      await env.DB.prepare("SELECT id, text FROM messages WHERE openid = ? AND direction = 'out' ORDER BY at")
        .bind(openid)
        .all<{ id: string; text: string }>()
    ).results
    expect(sends.map((row) => row.text)).toEqual(['first visit', 'second visit'])
    expect(new Set(sends.map((row) => row.id)).size).toBe(2)
    for (const { id } of sends) expect(id).toMatch(new RegExp(`^out:${openid}:[1-9][0-9]{0,14}$`))
  })

  it('keeps a user whose pushes got no reply for RETENTION_DAYS too, after the rows that told their last push are pruned', async () => {
    const openid = uniqueOpenid()
    // A message no rule answered (no default either): a `seen` row and a window event, no outbox row.
    await stub(openid).record({
      ...recorded(openid, 'anyone there?'),
      plan: { ruleId: null, ruleSetVersion: 'test', transfer: false, sends: [] },
    })
    // Copied to D1 (a row is pruned only once the record has it).
    await stub(openid).flush()
    await age(openid, 3 * DAY, ['seen', 'window_events'])
    expect(await runDurableObjectAlarm(stub(openid))).toBe(true)
    // Both rows are past their time and gone, but the object stays: the push was 3 days ago.
    expect(await tables(openid)).not.toEqual([])
    expect(logs.events().some((e) => e.event === 'conversation.deleted' && e.openid === openid)).toBe(false)
    const alarm = await alarmOf(openid)
    expect(alarm).not.toBeNull()
    expect(alarm!).toBeGreaterThan(Date.now() + 3 * DAY)

    // Four days more, and RETENTION_DAYS have passed since that push: now it goes.
    await runInDurableObject(stub(openid), (_instance: Conversation, state) => {
      state.storage.sql.exec("UPDATE meta SET value = CAST(value AS INTEGER) - ? WHERE key = 'last_activity'", 4 * DAY + 1000)
    })
    await evictDurableObject(stub(openid))
    expect(await runDurableObjectAlarm(stub(openid))).toBe(true)
    expect(await tables(openid)).toEqual([])
  })

  it('is kept while the user was active within RETENTION_DAYS', async () => {
    const openid = uniqueOpenid()
    await answered(openid, 'long ago')
    await age(openid, 7 * DAY + 1000)
    await answered(openid, 'today')
    expect(await runDurableObjectAlarm(stub(openid))).toBe(true)

    const state = await stub(openid).state()
    expect(state.inbound.map((row) => row.summary)).toEqual(['the user wrote: today'])
    expect(state.outbound.map((row) => row.status)).toEqual(['sent'])
    expect(await alarmOf(openid)).not.toBeNull()
  })
})
