/**
 * A user's data from the console's conversation page (issue 31): the export downloads the same
 * document as the admin API; the deletion needs a tick on a page that says what goes, then
 * deletes as WeChat's cancellation does; roles without `users` see neither and are refused
 * both, with nothing done. Real local D1 and Durable Objects.
 */
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { textMessage } from '../../dev/push'
import { uniqueOpenid } from '../support/fake-wechat-client'
import { BASE, push, workerFetch } from '../support/helpers'
import { addTestOperator, consoleSession } from '../support/operators'
import { TEST_SETTINGS } from '../support/settings'

const APPID = TEST_SETTINGS.WECHAT_APPID
let msgIds = 7_310_000_000_000_000_000n
let owner = ''
let agent = ''

beforeAll(async () => {
  await env.RULES.put('rules', JSON.stringify({ rules: [], default: { type: 'text', text: '请稍候' } }))
  owner = await consoleSession(TEST_SETTINGS.ADMIN_TOKEN)
  agent = await consoleSession((await addTestOperator('agent')).token)
})

const messagesOf = async (openid: string) =>
  (await env.DB.prepare('SELECT id FROM messages WHERE appid = ? AND openid = ?').bind(APPID, openid).all()).results

async function userWhoWrote(): Promise<string> {
  const openid = uniqueOpenid()
  await push(textMessage(openid, '我想注销', String(++msgIds)))
  await vi.waitFor(async () => expect((await messagesOf(openid)).length).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 100 })
  return openid
}

const page = async (path: string, cookie: string) => {
  const res = await workerFetch(path, { headers: { cookie } })
  return { status: res.status, text: await res.text(), headers: res.headers }
}

const confirmDelete = (openid: string, cookie: string, fields: Record<string, string>) =>
  workerFetch(`/admin/conversations/${openid}/delete`, {
    method: 'POST',
    headers: { cookie, origin: BASE, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })

describe("a user's data in the console", () => {
  it('the conversation page offers the export and the deletion to an owner; the export is the whole document', async () => {
    const openid = await userWhoWrote()
    const conversation = await page(`/admin/conversations/${openid}`, owner)
    expect(conversation.text).toContain('data-user-data')
    expect(conversation.text).toContain(`href="/admin/conversations/${openid}/export"`)
    const exported = await page(`/admin/conversations/${openid}/export`, owner)
    expect(exported.status).toBe(200)
    expect(exported.headers.get('content-disposition')).toContain('attachment')
    const document = JSON.parse(exported.text) as { openid: string; record: { messages: { text: string }[] } }
    expect(document.openid).toBe(openid)
    expect(document.record.messages.map((m) => m.text)).toContain('我想注销')
  })

  it('deletes only after the tick, and says what went', async () => {
    const openid = await userWhoWrote()
    const confirmation = await page(`/admin/conversations/${openid}/delete`, owner)
    expect(confirmation.status).toBe(200)
    expect(confirmation.text).toContain('删除后无法恢复')
    expect(confirmation.text).toContain('name="confirm"')

    const unticked = await confirmDelete(openid, owner, {})
    expect(unticked.status).toBe(400)
    expect(await unticked.text()).toContain('请先勾选确认')
    expect((await messagesOf(openid)).length).toBeGreaterThanOrEqual(2)

    const deleted = await confirmDelete(openid, owner, { confirm: 'yes' })
    expect(deleted.status).toBe(200)
    expect(await deleted.text()).toContain('已删除该用户的全部数据')
    expect(await messagesOf(openid)).toEqual([])
  })

  it('an agent sees neither, and is refused both with nothing done', async () => {
    const openid = await userWhoWrote()
    expect((await page(`/admin/conversations/${openid}`, agent)).text).not.toContain('data-user-data')
    expect((await page(`/admin/conversations/${openid}/export`, agent)).status).toBe(403)
    expect((await page(`/admin/conversations/${openid}/delete`, agent)).status).toBe(403)
    expect((await confirmDelete(openid, agent, { confirm: 'yes' })).status).toBe(403)
    expect((await messagesOf(openid)).length).toBeGreaterThanOrEqual(2)
  })

  it('without a session: the sign-in page, nothing exported or deleted', async () => {
    const openid = await userWhoWrote()
    const exported = await workerFetch(`/admin/conversations/${openid}/export`)
    expect(exported.headers.get('content-type')).toContain('text/html')
    expect(await exported.text()).not.toContain(openid)
    const deleted = await workerFetch(`/admin/conversations/${openid}/delete`, {
      method: 'POST',
      headers: { origin: BASE, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'confirm=yes',
    })
    expect(deleted.status).not.toBe(200)
    expect((await messagesOf(openid)).length).toBeGreaterThanOrEqual(2)
  })
})
