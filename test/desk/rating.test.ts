/**
 * The satisfaction rating after a close (issue 29: "a rating recorded only inside its window"):
 * a score that comes after `satisfaction.minutes` is an ordinary text, and no question is sent
 * to a user whose send window has closed.
 */
import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { forgetWindow } from '../../src/conversation/window-store'
import { conversationOf } from '../../src/settings/mini-program-state'
import { act, DESK_RULES, figuresOf, pushText, RATE_TEXT, sentTexts, stillSent, TRANSFER_TEXT } from '../support/desk'
import { uniqueOpenid } from '../support/fake-wechat-client'
import { captureLogs } from '../support/helpers'
import { addTestOperator } from '../support/operators'

const logs = captureLogs()
const HOUR = 3_600_000

beforeAll(async () => {
  await env.RULES.put('rules', JSON.stringify(DESK_RULES))
})

describe('the rating', () => {
  it('a score after the configured minutes is not recorded nor thanked', async () => {
    const agent = await addTestOperator('agent')
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect((await act(agent, openid, 'claim')).status).toBe(200)
    expect((await act(agent, openid, 'close')).status).toBe(200)
    expect(await sentTexts(openid, 2)).toEqual([TRANSFER_TEXT, RATE_TEXT])
    // The question was asked 31 minutes ago (satisfaction.minutes: 30).
    await runInDurableObject(conversationOf(env, openid), (_instance, state) => {
      const sql = state.storage.sql
      const asked = JSON.parse(sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'rating'").one().value) as { until: number }
      asked.until = Date.now() - 60_000
      sql.exec("UPDATE meta SET value = ? WHERE key = 'rating'", JSON.stringify(asked))
    })
    await pushText(openid, '5')
    await stillSent(openid, 2)
    expect(await figuresOf(agent)).toMatchObject({ handled: 1, rating: null })
  })

  it('is not asked when the window has closed: the close stands, and the refusal is logged', async () => {
    const agent = await addTestOperator('agent')
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect(await sentTexts(openid, 1)).toEqual([TRANSFER_TEXT])
    expect((await act(agent, openid, 'claim')).status).toBe(200)
    // The user last wrote 49 hours ago: the 48-hour window has closed.
    await runInDurableObject(conversationOf(env, openid), (_instance, state) => {
      const sql = state.storage.sql
      sql.exec('UPDATE window_events SET at = at - ?1, closes_at = closes_at - ?1', 49 * HOUR)
      forgetWindow(sql)
    })
    expect((await act(agent, openid, 'close')).status).toBe(200)
    await stillSent(openid, 1)
    expect(logs.events()).toContainEqual(expect.objectContaining({ event: 'desk.rating_not_asked', openid, reason: 'window_closed' }))
  })
})
