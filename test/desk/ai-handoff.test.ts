/**
 * A knowledge answer that gives up (the model's answer refused, the fallback sent) puts the
 * user in the desk's queue with reason `ai` when the app's desk is the console — done by the
 * user's Conversation object in its delivery pass (conversation/delivery.ts), whose view of
 * the settings says HUMAN_DESK = console here.
 */
import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { addKnowledge } from '../../src/knowledge/store'
import { conversationOf } from '../../src/settings/mini-program-state'
import { APPID, itemOf, pushText, sentTexts } from '../support/desk'
import { uniqueOpenid } from '../support/fake-wechat-client'
import { fakeLlm } from '../support/fake-llm-client'

const DEFAULT = '您好，这里是云雀客服'
/** Close to the document's own words: passages clear 0.3, and the model is asked. */
const QUESTION = '云雀咖啡机多久需要除垢一次'

beforeAll(async () => {
  await env.RULES.put(
    'rules',
    JSON.stringify({
      ai: { enabled: true, faq_threshold: 0.6, passage_threshold: 0.3 },
      rules: [{ id: 'hi', when: { text: ['hi'] }, reply: { type: 'text', text: 'hello' } }],
      default: { type: 'text', text: DEFAULT },
    }),
  )
  await addKnowledge(env.DB, APPID, {
    kind: 'doc',
    title: '云雀咖啡机使用说明',
    text: '## 除垢\n\n云雀咖啡机每使用两个月需要用专用除垢剂清洗一次水箱。除垢时先把水箱装满清水，再倒入一包除垢剂。',
  })
})

describe('the model gives up, HUMAN_DESK = console', () => {
  it('the fallback goes out and the user waits in the queue with reason ai and their question', async () => {
    const openid = uniqueOpenid()
    const tag = `zd${crypto.randomUUID().slice(0, 6)}x`
    const question = `${QUESTION} ${tag}`
    // The user's object sees this app's desk as the console (the tests' Worker has the default).
    await runInDurableObject(conversationOf(env, openid), (instance) => {
      Reflect.set(instance, 'env', { ...env, HUMAN_DESK: 'console' })
    })
    await fakeLlm.fault('no_answer', tag, 1)
    expect((await pushText(openid, question)).text).toBe('success')
    expect(await sentTexts(openid, 1)).toEqual([DEFAULT])
    const item = await vi.waitFor(
      async () => {
        const found = await itemOf(openid)
        expect(found).toBeDefined()
        return found!
      },
      { timeout: 5000, interval: 25 },
    )
    expect(item).toMatchObject({ status: 'waiting', reason: 'ai', lastText: question, assignee: null })
    // At the desk now: the next push is shown to the queue, and the bot stays quiet.
    await pushText(openid, 'hi')
    expect((await itemOf(openid))?.lastText).toBe('hi')
    expect(await sentTexts(openid, 1)).toEqual([DEFAULT])
  })
})
