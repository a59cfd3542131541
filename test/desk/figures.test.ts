/**
 * The agents' figures (issue 29): handled, first-response time (median and p90, nearest rank)
 * and rating, per agent — over a scripted day at a desk of its own, checked against values
 * worked out by hand, and through the admin API for the cases that used to lose or misplace
 * a conversation: a user who comes back, a reply after the close, a close nobody claimed.
 */
import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { rateHandled } from '../../src/desk/handled'
import { arrive, claimRow, closeRow, noteReply } from '../../src/desk/queue'
import { act, DESK_RULES, figuresOf, pushText, RATE_TEXT, reply, sentTexts, TRANSFER_TEXT } from '../support/desk'
import { uniqueOpenid } from '../support/fake-wechat-client'
import { addTestOperator } from '../support/operators'

beforeAll(async () => {
  await env.RULES.put('rules', JSON.stringify(DESK_RULES))
})

const S = 1000
const DAY = 86_400_000

describe('a scripted day', () => {
  it('two agents, nine conversations (a user served twice, one closed unclaimed, one from the day before): the figures worked out by hand', async () => {
    const day = Date.UTC(2025, 4, 6, 1)
    const A = { id: 'agent-a', name: '小王' }
    const B = { id: 'agent-b', name: '小李' }
    const window = { closesAt: day + 2 * DAY, remaining: 5, openedAt: day }
    /** [user, agent (null: closed unclaimed, by B), queued (s into the day), first reply after (s, null: none), closed (s), rating] */
    type Step = [string, typeof A | null, number, number | null, number, number | null]
    const script: Step[] = [
      ['u0', A, -DAY / S, 10, -DAY / S + 600, 1], // the day before: not counted
      ['u1', A, 0, 60, 900, 5],
      ['u2', A, 100, 120, 1000, 3],
      ['u3', A, 200, 30, 1100, null],
      ['u4', A, 300, 300, 1200, 4],
      ['u5', A, 400, null, 1300, null],
      ['u1', B, 2000, 45, 2600, 2], // u1 again, after A's conversation closed
      ['u6', B, 2100, 90, 2700, 5],
      ['u7', B, 2200, 15, 2800, null],
      ['u8', null, 2300, null, 2900, null],
    ]
    const figures = await runInDurableObject(env.DESK.getByName('wx-scripted-day'), (instance, state) => {
      const sql = state.storage.sql
      for (const [openid, agent, queued, reply, closed, rating] of script) {
        const at = day + queued * S
        arrive(sql, { openid, reason: 'transfer', text: '人工', at, window })
        if (agent) claimRow(sql, openid, agent, at + S)
        if (reply !== null) noteReply(sql, openid, at + reply * S)
        closeRow(sql, openid, agent ?? B, day + closed * S)
        // A reply after the close changes nothing.
        noteReply(sql, openid, day + closed * S + 5 * S)
        if (rating !== null) rateHandled(sql, openid, rating)
      }
      return instance.figures(day - 60 * S)
    })
    // A: times 60, 120, 30, 300 s → sorted 30, 60, 120, 300: median rank ⌈0.5·4⌉ = 2 → 60 s, p90 rank ⌈0.9·4⌉ = 4 → 300 s; ratings 5, 3, 4.
    // B: times 45, 90, 15 s (u8 closed unclaimed, no reply) → median rank 2 → 45 s, p90 rank 3 → 90 s; ratings 2, 5.
    expect(figures).toEqual([
      { agent: A, handled: 5, firstResponseMs: { median: 60 * S, p90: 300 * S }, rating: { mean: 4, count: 3 } },
      { agent: B, handled: 4, firstResponseMs: { median: 45 * S, p90: 90 * S }, rating: { mean: 3.5, count: 2 } },
    ])
  })
})

describe('figures through the API', () => {
  it("a user who comes back keeps the agent's closed conversation, its rating and its first-response time", async () => {
    const agent = await addTestOperator('agent')
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect((await act(agent, openid, 'claim')).status).toBe(200)
    expect((await reply(agent, openid, '您好')).status).toBe(200)
    expect((await act(agent, openid, 'close')).status).toBe(200)
    expect(await sentTexts(openid, 3)).toEqual([TRANSFER_TEXT, '您好', RATE_TEXT])
    await pushText(openid, '4')
    const before = await figuresOf(agent)
    expect(before).toMatchObject({ handled: 1, rating: { mean: 4, count: 1 }, firstResponseMs: { median: expect.any(Number) } })

    await pushText(openid, '人工')
    expect(await figuresOf(agent)).toEqual(before)
  })

  it('a reply by hand after the close sets no first-response time', async () => {
    const agent = await addTestOperator('agent')
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect((await act(agent, openid, 'claim')).status).toBe(200)
    expect((await act(agent, openid, 'close')).status).toBe(200)
    expect((await reply(null, openid, '补充一句')).status).toBe(200)
    expect(await figuresOf(agent)).toMatchObject({ handled: 1, firstResponseMs: null })
  })

  it('a waiting conversation nobody claimed counts for the agent who closed it', async () => {
    const agent = await addTestOperator('agent')
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    const closed = await act(agent, openid, 'close')
    expect(closed).toMatchObject({ status: 200, body: { item: { status: 'closed', assignee: { id: agent.id } } } })
    expect(await figuresOf(agent)).toMatchObject({ handled: 1 })
  })
})
