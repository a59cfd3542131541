/**
 * The send window the queue shows (issue 29: sends and time left, urgent with one send left)
 * follows every send to a user at the desk — the hand-off text, an agent's reply — as the
 * user's Conversation object counts it, not only the user's own messages.
 */
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { conversationOf } from '../../src/settings/mini-program-state'
import { DESK_RULES, itemOf, pushText, reply, sentTexts, TRANSFER_TEXT } from '../support/desk'
import { uniqueOpenid } from '../support/fake-wechat-client'

beforeAll(async () => {
  await env.RULES.put('rules', JSON.stringify(DESK_RULES))
})

/** Sends left as the user's object has them. */
const sendsLeft = async (openid: string) => (await conversationOf(env, openid).state()).window.remaining

/** The queue shows what the object has (its copy follows the send: waited for). */
async function queueShows(openid: string, remaining: number) {
  expect(await sendsLeft(openid)).toBe(remaining)
  await vi.waitFor(async () => expect((await itemOf(openid))?.window.remaining).toBe(remaining), { timeout: 3000, interval: 25 })
  return (await itemOf(openid))!
}

describe('the window at the desk', () => {
  it('the hand-off text and each reply by hand lower the sends left; one left is urgent', async () => {
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect(await sentTexts(openid, 1)).toEqual([TRANSFER_TEXT])
    // A text grants 5 sends; the hand-off text took one.
    expect((await queueShows(openid, 4)).window.urgent).toBe(false)
    for (const [i, left] of [3, 2].entries()) {
      expect((await reply(null, openid, `回复 ${i}`)).status).toBe(200)
      expect((await queueShows(openid, left)).window.urgent).toBe(false)
    }
    expect((await reply(null, openid, '最后一条')).status).toBe(200)
    expect((await queueShows(openid, 1)).window.urgent).toBe(true)

    // The user writes again: the queue shows the window their message left, as their object counts it.
    await pushText(openid, '好的')
    await queueShows(openid, await sendsLeft(openid))
  })
})
