/**
 * The human desk in the console (console/routes-desk.tsx, pages/queue.tsx, the desk bar of
 * pages/conversation-desk.tsx) with operators' own sessions: what each role sees and may post
 * — a viewer's forms are refused (403) with nothing changed — the queue's mini program column,
 * the desk bar's buttons by who holds the user, and a note written from the conversation page.
 */
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { listCanned, listNotes } from '../../src/desk/notes'
import { act, api, APPID, consoleGet, consolePost, conversationPage, desk, DESK_RULES, itemOf, pushText } from '../support/desk'
import { uniqueOpenid } from '../support/fake-wechat-client'
import { addTestOperator, consoleSession, type TestOperator } from '../support/operators'

beforeAll(async () => {
  await env.RULES.put('rules', JSON.stringify(DESK_RULES))
})

async function signedIn(role: 'viewer' | 'agent' | 'admin', name?: string): Promise<TestOperator & { cookie: string }> {
  const operator = await addTestOperator(role, name ? { name } : {})
  return { ...operator, cookie: await consoleSession(operator.token) }
}

describe('the queue page', () => {
  it('lists each waiting user with the mini program they wrote to', async () => {
    const agent = await signedIn('agent')
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    const page = await consoleGet(agent.cookie, '/admin/queue')
    expect(page.status).toBe(200)
    expect(page.text).toMatch(new RegExp(`data-queue-item="${openid}"[\\s\\S]*?data-app="${APPID}"`))
    const fragment = await consoleGet(agent.cookie, '/admin/queue?fragment=1')
    expect(fragment.text).toContain(`data-app="${APPID}"`)
  })
})

describe("a viewer's desk forms", () => {
  it('are refused with 403, and nothing changes: status, claim, release, close, notes', async () => {
    const viewer = await signedIn('viewer')
    const agent = await addTestOperator('agent')
    const [waiting, held] = [uniqueOpenid(), uniqueOpenid()]
    await pushText(waiting, '人工')
    await pushText(held, '人工')
    expect((await act(agent, held, 'claim')).status).toBe(200)
    const before = { waiting: await itemOf(waiting), held: await itemOf(held), agents: (await desk().view()).agents }

    const posts: [string, Record<string, string>][] = [
      ['/admin/queue/status', { status: 'online' }],
      [`/admin/queue/${waiting}/claim`, {}],
      [`/admin/queue/${held}/release`, {}],
      [`/admin/queue/${waiting}/close`, {}],
      [`/admin/queue/${held}/close`, {}],
      [`/admin/queue/${held}/transfer`, { to: agent.id }],
      [`/admin/conversations/${waiting}/notes`, { text: '看看' }],
    ]
    for (const [path, fields] of posts) expect((await consolePost(viewer.cookie, path, fields)).status, path).toBe(403)

    const after = { waiting: await itemOf(waiting), held: await itemOf(held), agents: (await desk().view()).agents }
    expect({ ...after, waiting: { ...after.waiting, waitingMs: 0 }, held: { ...after.held, waitingMs: 0 } }).toEqual({
      ...before,
      waiting: { ...before.waiting, waitingMs: 0 },
      held: { ...before.held, waitingMs: 0 },
    })
    expect(after.agents.some((a) => a.id === viewer.id)).toBe(false)
    expect(await listNotes(env.DB, APPID, waiting)).toEqual([])
    // What a viewer sees of the desk: the queue, without a button.
    const page = await consoleGet(viewer.cookie, '/admin/queue')
    expect(page.text).toContain(`data-queue-item="${waiting}"`)
    expect(page.text).not.toMatch(/data-(claim|release|close|transfer)\b/)
    expect(page.text).not.toContain('data-my-status')
  })
})

describe('the desk bar on a conversation page', () => {
  it('offers take while nobody has the user; close to the holder and an admin, nothing to another agent', async () => {
    const holder = await signedIn('agent')
    const other = await signedIn('agent')
    const admin = await signedIn('admin')
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    const waitingPage = await conversationPage(other.cookie, openid)
    expect(waitingPage).toContain('data-claim')
    expect(waitingPage).toContain('data-close')

    expect((await act(holder, openid, 'claim')).status).toBe(200)
    const buttons = async (who: { cookie: string }) => {
      const html = await conversationPage(who.cookie, openid)
      return { claim: html.includes('data-claim'), close: html.includes('data-close') }
    }
    expect(await buttons(holder)).toEqual({ claim: false, close: true })
    expect(await buttons(other)).toEqual({ claim: false, close: false })
    expect(await buttons(admin)).toEqual({ claim: false, close: true })
  })
})

describe('a note from the conversation page', () => {
  it("an agent's note is kept on the conversation, shown to colleagues, and audited as theirs", async () => {
    const agent = await signedIn('agent', `备注人 ${crypto.randomUUID().slice(0, 4)}`)
    const viewer = await signedIn('viewer')
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    const path = `/admin/conversations/${openid}`
    expect(await consolePost(agent.cookie, `${path}/notes`, { text: '老客户，先查订单' })).toMatchObject({
      status: 303,
      path,
      query: { done: 'noted' },
    })
    expect(await consolePost(agent.cookie, `${path}/notes`, { text: '   ' })).toMatchObject({
      status: 303,
      query: { problem: 'note_invalid' },
    })
    const notes = await listNotes(env.DB, APPID, openid)
    expect(notes).toEqual([expect.objectContaining({ text: '老客户，先查订单', operator: expect.objectContaining({ id: agent.id }) })])
    const page = await conversationPage(viewer.cookie, openid)
    expect(page).toContain(`data-note="${notes[0]!.id}"`)
    expect(page).toContain('老客户，先查订单')
    expect(page).not.toContain('data-note-form')
    const audit = await api<{ items: { action: string; target: string; operatorId: string }[] }>('/admin/api/audit?action=desk_note')
    expect(audit.body.items).toContainEqual(expect.objectContaining({ target: openid, operatorId: agent.id }))
  })
})

describe('canned answers on the queue page', () => {
  it('an admin adds and deletes them; agents and viewers see them, without the forms, and are refused (403)', async () => {
    const admin = await signedIn('admin')
    const agent = await signedIn('agent')
    const viewer = await signedIn('viewer')
    const shortcut = `/退货${crypto.randomUUID().slice(0, 4)}`
    const title = `退货地址 ${shortcut}`
    expect(await consolePost(admin.cookie, '/admin/queue/canned', { title, text: '请寄到：\r\n上海市…', shortcut })).toMatchObject({
      status: 303,
      path: '/admin/queue',
      query: { done: 'canned_added' },
    })
    const added = (await listCanned(env.DB, APPID)).find((c) => c.title === title)!
    expect(added).toMatchObject({ text: '请寄到：\n上海市…', shortcut })
    expect((await consolePost(admin.cookie, '/admin/queue/canned', { title: '又一个', text: '…', shortcut })).query).toEqual({
      problem: 'shortcut_taken',
    })
    expect((await consolePost(admin.cookie, '/admin/queue/canned', { title: ' ', text: '…' })).query).toEqual({ problem: 'canned_invalid' })
    expect((await consolePost(admin.cookie, '/admin/queue/canned', { title: 'x', text: '…', shortcut: '退货' })).query).toEqual({
      problem: 'canned_invalid',
    })

    const adminPage = await consoleGet(admin.cookie, '/admin/queue')
    expect(adminPage.text).toContain('data-canned-form')
    expect(adminPage.text).toContain(`action="/admin/queue/canned/${added.id}/delete"`)
    for (const who of [agent, viewer]) {
      const page = await consoleGet(who.cookie, '/admin/queue')
      expect(page.text).toContain(`data-canned-id="${added.id}"`)
      expect(page.text).not.toContain('data-canned-form')
      expect(page.text).not.toContain('data-canned-delete')
      expect((await consolePost(who.cookie, '/admin/queue/canned', { title: '我的', text: '…' })).status).toBe(403)
      expect((await consolePost(who.cookie, `/admin/queue/canned/${added.id}/delete`)).status).toBe(403)
    }
    expect((await listCanned(env.DB, APPID)).filter((c) => c.title === '我的' || c.id === added.id)).toEqual([added])

    // The reply box offers it, with its shortcut for the script.
    const openid = uniqueOpenid()
    await pushText(openid, '人工')
    expect(await conversationPage(agent.cookie, openid)).toContain(`data-shortcut="${shortcut}"`)

    expect((await consolePost(admin.cookie, `/admin/queue/canned/${added.id}/delete`)).query).toEqual({ done: 'canned_deleted' })
    expect((await consolePost(admin.cookie, `/admin/queue/canned/${added.id}/delete`)).query).toEqual({ problem: 'no_canned' })
    expect((await listCanned(env.DB, APPID)).some((c) => c.id === added.id)).toBe(false)
    const audit = await api<{ items: { target: string; summary: string; operatorId: string }[] }>('/admin/api/audit?action=desk_canned')
    expect(audit.body.items.filter((e) => e.target === added.id).map((e) => [e.summary, e.operatorId])).toEqual([
      ['deleted', admin.id],
      ['added', admin.id],
    ])
  })
})
