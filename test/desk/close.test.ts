/**
 * A close (admin/desk-actions.ts) is the Desk's decision: audited as soon as it is made, whatever
 * the user's Conversation object does next. Told they left the desk (`markDesk(false)`), the
 * object answers with the rules again; if telling it failed, the user's next push, which the
 * desk no longer has, clears the mark. The rating question the close sends is audited too.
 */
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import type { AuditView } from '../../src/admin/audit'
import { Conversation } from '../../src/conversation/conversation'
import { act, api, DESK_RULES, pushText, RATE_TEXT, sentTexts, TRANSFER_TEXT } from '../support/desk'
import { uniqueOpenid } from '../support/fake-wechat-client'
import { captureLogs } from '../support/helpers'
import { addTestOperator } from '../support/operators'

const logs = captureLogs()

beforeAll(async () => {
  await env.RULES.put('rules', JSON.stringify(DESK_RULES))
})

const auditOf = async (action: string, openid: string) =>
  (await api<{ items: AuditView[] }>(`/admin/api/audit?action=${action}&limit=100`)).body.items.filter((e) => e.target === openid)

describe('a close', () => {
  it("is audited, and asks for the rating, even when the user's object cannot be told; their next push clears the mark", async () => {
    const agent = await addTestOperator('agent')
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect((await act(agent, openid, 'claim')).status).toBe(200)
    const markDesk = Object.getOwnPropertyDescriptor(Conversation.prototype, 'markDesk')!
    Object.defineProperty(Conversation.prototype, 'markDesk', {
      ...markDesk,
      value: async () => {
        throw new Error('storage unavailable')
      },
    })
    try {
      expect(await act(agent, openid, 'close')).toMatchObject({ status: 200, body: { item: { status: 'closed' } } })
    } finally {
      Object.defineProperty(Conversation.prototype, 'markDesk', markDesk)
    }
    expect(await auditOf('desk_close', openid)).toEqual([expect.objectContaining({ operatorId: agent.id, summary: 'closed' })])
    expect(logs.events()).toContainEqual(expect.objectContaining({ event: 'desk.unmark_failed', openid }))
    expect(await sentTexts(openid, 2)).toEqual([TRANSFER_TEXT, RATE_TEXT])
    expect(await auditOf('reply', openid)).toEqual([
      expect.objectContaining({ operatorId: agent.id, summary: expect.stringMatching(/^rating question: (sent|pending)$/) }),
    ])

    // Still marked: this push is kept quiet, and clears the mark the desk no longer backs.
    await pushText(openid, '还在吗')
    await pushText(openid, 'hi')
    expect(await sentTexts(openid, 3)).toEqual([TRANSFER_TEXT, RATE_TEXT, 'hello'])
  })
})
