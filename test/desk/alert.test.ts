/**
 * The desk's alert (DESK_ALERT_MINUTES, default 10; DESK_ALERT_WEBHOOK, the fake's group robot
 * in the tests) for waits that start again: a conversation released back to the queue, after
 * the alarm found nobody waiting, is still announced once it has waited too long.
 */
import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { act, DESK_RULES, desk, itemOf, pushText } from '../support/desk'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { addTestOperator } from '../support/operators'

const WEBHOOK = '/__fake/webhook/desk'

beforeAll(async () => {
  await env.RULES.put('rules', JSON.stringify(DESK_RULES))
})

const posts = async (openid: string) =>
  (await fakeWechat.calls({ path: WEBHOOK })).filter((call) => JSON.stringify(call.body).includes(openid.slice(-6)))

const alarmAt = () => runInDurableObject(desk(), (_instance, state) => state.storage.getAlarm())

describe('the alert after a release', () => {
  it('a claimed conversation released after DESK_ALERT_MINUTES is announced once: the release arms the alarm again', async () => {
    const agent = await addTestOperator('agent')
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect((await act(agent, openid, 'claim')).status).toBe(200)
    // The user asked 11 minutes ago; the alarm for that wait runs while the agent holds it: nothing is due.
    await runInDurableObject(desk(), (_instance, state) => {
      state.storage.sql.exec('UPDATE desk SET queued_at = ? WHERE openid = ?', Date.now() - 11 * 60_000, openid)
    })
    expect(await runDurableObjectAlarm(desk())).toBe(true)
    expect(await posts(openid)).toEqual([])
    expect(await alarmAt()).toBeNull()

    // Back in the queue, past DESK_ALERT_MINUTES: overdue, and the alarm set for now announces it.
    expect((await act(agent, openid, 'release')).status).toBe(200)
    expect(await itemOf(openid)).toMatchObject({ status: 'waiting', overdue: true })
    await runDurableObjectAlarm(desk())
    await vi.waitFor(async () => expect(await posts(openid)).toHaveLength(1), { timeout: 3000, interval: 25 })
    // Once: another alarm finds it announced.
    await runInDurableObject(desk(), (_instance, state) => state.storage.setAlarm(Date.now() + 60_000))
    expect(await runDurableObjectAlarm(desk())).toBe(true)
    expect(await posts(openid)).toHaveLength(1)
  })
})
