/**
 * Two agents never answer one user: a reply by hand to a user another agent holds at the desk
 * is refused — the admin API answers 409 naming the holder, the console's reply form comes back
 * with a notice naming them — unless the caller holds the user, nobody does, or the caller may
 * undo holds (admin, owner). Nothing is sent when it is refused.
 */
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { act, consoleGet, consolePost, conversationPage, DESK_RULES, pushText, reply, sentTexts, TRANSFER_TEXT } from '../support/desk'
import { uniqueOpenid } from '../support/fake-wechat-client'
import { addTestOperator, consoleSession } from '../support/operators'

beforeAll(async () => {
  await env.RULES.put('rules', JSON.stringify(DESK_RULES))
})

describe('a reply to a user a colleague holds', () => {
  it('over the admin API: 409 held with the holder; the holder, an admin, and anyone once released may reply', async () => {
    const name = `小王 ${crypto.randomUUID().slice(0, 4)}`
    const [holder, other, admin] = await Promise.all([
      addTestOperator('agent', { name }),
      addTestOperator('agent'),
      addTestOperator('admin'),
    ])
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect((await act(holder, openid, 'claim')).status).toBe(200)

    expect(await reply(other, openid, '我来回答')).toEqual({ status: 409, body: { error: 'held', holder: { id: holder.id, name } } })
    expect((await reply(holder, openid, '您好，我是小王')).status).toBe(200)
    expect((await reply(admin, openid, '管理员补充')).status).toBe(200)
    expect((await reply(null, openid, '店主补充')).status).toBe(200)
    expect(await sentTexts(openid, 4)).toEqual([TRANSFER_TEXT, '您好，我是小王', '管理员补充', '店主补充'])

    expect((await act(holder, openid, 'release')).status).toBe(200)
    expect((await reply(other, openid, '我来回答')).status).toBe(200)
    expect(await sentTexts(openid, 5)).toEqual([TRANSFER_TEXT, '您好，我是小王', '管理员补充', '店主补充', '我来回答'])
  })

  it('in the console: the form comes back with a notice naming the holder, and nothing is sent', async () => {
    const name = `小李 ${crypto.randomUUID().slice(0, 4)}`
    const [holder, other] = await Promise.all([addTestOperator('agent', { name }), addTestOperator('agent')])
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect((await act(holder, openid, 'claim')).status).toBe(200)
    const cookie = await consoleSession(other.token)
    const page = `/admin/conversations/${openid}`
    // The record has the user once their object's copy landed.
    await conversationPage(cookie, openid)

    const posted = await consolePost(cookie, `${page}/reply`, { text: '我来回答' })
    expect(posted).toMatchObject({ status: 303, path: page, query: { problem: 'held' } })
    const shown = await consoleGet(cookie, `${page}?problem=held`)
    expect(shown.text).toContain('data-notice="held"')
    expect(shown.text).toContain(`${name} 正在接待这位用户`)
    expect(await sentTexts(openid, 1)).toEqual([TRANSFER_TEXT])
  })
})
