/**
 * The Recorder: many users' copies to the D1 record in one batch. Real object, real local D1;
 * the object's DB is counted on its way (each batch still goes to D1 itself).
 */
import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { InboundEvent, OutboundEvent, RecordEvent } from '../../src/record/event'
import { MAX_BATCH_EVENTS, type Recorder } from '../../src/record/recorder'
import { uniqueAppid, uniqueOpenid } from '../support/fake-wechat-client'

const NOW = Date.now()
let msgIds = 9_300_000_000_000_000_000n

function copyOf(appid: string, openid: string, text = 'hi'): RecordEvent[] {
  const key = `msg:${++msgIds}`
  const push: InboundEvent = {
    type: 'inbound',
    appid,
    openid,
    key,
    msgId: key.slice(4),
    kind: 'text',
    text,
    ruleId: 'r1',
    rulesVersion: 'v1',
    unmatched: false,
    at: NOW,
  }
  const reply: OutboundEvent = {
    type: 'outbound',
    appid,
    openid,
    id: 1,
    inboundKey: key,
    ruleId: 'r1',
    part: 0,
    replyType: 'text',
    text: 'hello',
    status: 'sent',
    errcode: null,
    reason: null,
    pushedAt: NOW,
    updatedAt: NOW + 120,
    manual: false,
  }
  return [push, reply]
}

/** The app's Recorder with its D1 batches counted: each batch's statement count, in order. */
async function counted<T>(appid: string, run: (recorder: Recorder) => Promise<T>): Promise<{ result: T; batches: number[] }> {
  const batches: number[] = []
  const result = await runInDurableObject(env.RECORDER.getByName(appid), async (recorder: Recorder) => {
    const db = env.DB
    const countingDb = new Proxy(db, {
      get(target, name) {
        if (name === 'batch')
          return (statements: D1PreparedStatement[]) => {
            batches.push(statements.length)
            return target.batch(statements)
          }
        const value: unknown = Reflect.get(target, name)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    Object.defineProperty(recorder, 'env', { value: { ...env, DB: countingDb }, configurable: true })
    return run(recorder)
  })
  return { result, batches }
}

const count = async (sql: string, ...params: (string | number)[]) =>
  (await env.DB.prepare(sql)
    .bind(...params)
    .first<{ n: number }>())!.n

describe('the Recorder', () => {
  it('writes the copies that arrive while a batch is on its way as one batch, and answers each once it has landed', async () => {
    const appid = uniqueAppid()
    const users = Array.from({ length: 30 }, () => uniqueOpenid())
    const { result, batches } = await counted(appid, (recorder) =>
      Promise.all(users.map((openid) => recorder.write(copyOf(appid, openid)))),
    )
    expect(result).toEqual(users.map(() => null))
    // The first copy goes at once; the 29 that came while it was on its way go together.
    expect(batches).toHaveLength(2)
    expect(await count('SELECT COUNT(*) AS n FROM messages WHERE appid = ?', appid)).toBe(60)
    expect(await count('SELECT COUNT(*) AS n FROM conversations WHERE appid = ?', appid)).toBe(30)
    // The day's counts and the rule's hits, summed across users.
    expect(await count('SELECT messages + 0 AS n FROM daily WHERE appid = ?', appid)).toBe(30)
    expect(await count('SELECT replies_sent AS n FROM daily WHERE appid = ?', appid)).toBe(30)
    expect(await count("SELECT hits AS n FROM rule_daily WHERE appid = ? AND rule_id = 'r1'", appid)).toBe(30)
    expect(await count('SELECT SUM(n) AS n FROM daily_latency WHERE appid = ?', appid)).toBe(30)
    // Each copy writes its conversation and its two messages; the counts move once for all 29
    // (3 statements take them away, 3 give them back).
    expect(batches[1]).toBe(29 * 3 + 6)
  })

  it(`keeps a batch within ${MAX_BATCH_EVENTS} events: the copies beyond it go in the next`, async () => {
    const appid = uniqueAppid()
    const users = Array.from({ length: MAX_BATCH_EVENTS / 2 + 11 }, () => uniqueOpenid())
    const { result, batches } = await counted(appid, (recorder) =>
      Promise.all(users.map((openid) => recorder.write(copyOf(appid, openid)))),
    )
    expect(result.every((outcome) => outcome === null)).toBe(true)
    expect(batches).toHaveLength(3)
    expect(await count('SELECT messages + 0 AS n FROM daily WHERE appid = ?', appid)).toBe(users.length)
  })

  it('writes a batch D1 refuses one copy at a time: only the copy D1 cannot take fails, with what D1 said', async () => {
    const appid = uniqueAppid()
    const good = Array.from({ length: 5 }, () => uniqueOpenid())
    const bad = uniqueOpenid()
    const broken = copyOf(appid, bad)
    // A journal entry D1 cannot store (messages.kind is NOT NULL).
    ;(broken[0] as InboundEvent).kind = null as unknown as string
    const { result, batches } = await counted(appid, (recorder) =>
      Promise.all([
        recorder.write(copyOf(appid, uniqueOpenid())),
        ...good.map((openid) => recorder.write(copyOf(appid, openid))),
        recorder.write(broken),
      ]),
    )
    expect(result.slice(0, 6)).toEqual([null, null, null, null, null, null])
    expect(result[6]).toMatch(/^d1: .*NOT NULL/)
    // The first alone, then the six together (refused), then each of the six.
    expect(batches).toHaveLength(1 + 1 + 6)
    expect(await count('SELECT COUNT(*) AS n FROM conversations WHERE appid = ?', appid)).toBe(6)
    expect(await count('SELECT COUNT(*) AS n FROM messages WHERE appid = ? AND openid = ?', appid, bad)).toBe(0)
    expect(await count('SELECT messages + 0 AS n FROM daily WHERE appid = ?', appid)).toBe(6)
  })

  it('answers a copy written twice (its object retrying after a lost answer) without counting it twice', async () => {
    const appid = uniqueAppid()
    const events = copyOf(appid, uniqueOpenid())
    const { result } = await counted(appid, async (recorder) => [await recorder.write(events), await recorder.write(events)])
    expect(result).toEqual([null, null])
    expect(await count('SELECT messages + 0 AS n FROM daily WHERE appid = ?', appid)).toBe(1)
    expect(await count('SELECT replies_sent AS n FROM daily WHERE appid = ?', appid)).toBe(1)
  })
})
