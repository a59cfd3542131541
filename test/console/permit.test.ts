/**
 * The console per role (auth/roles.ts): every console action as owner, admin, agent and viewer
 * — done, or a 403 page naming the role it needs with nothing changed; the controls a role
 * cannot use absent from its pages; an operator limited to some mini programs sees and
 * switches to only those. The owner's pages: members (a new member's token shown once, a
 * removed member's session ended on their next request) and the audit log (listed, filtered).
 */
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { listAudit } from '../../src/admin/audit'
import { addOperator, listOperators, type Operator } from '../../src/auth/operators'
import type { Role } from '../../src/auth/roles'
import { draftOf } from '../../src/console/rule-draft'
import { formFields } from '../../src/console/rule-form'
import type { RecordInput } from '../../src/conversation/conversation'
import { listFailed } from '../../src/record/failed'
import { listHistory } from '../../src/rules/history'
import { ruleSetVersion } from '../../src/rules/version'
import { campaignList } from '../../src/subscribe/campaign-store'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { BASE } from '../support/helpers'
import { APPID, watchSecrets, type Answer } from '../support/hygiene'
import { recordSeed } from '../support/record-seed'
import { SECOND_APP, TEST_SETTINGS } from '../support/settings'

const hygiene = watchSecrets('console-roles')
const SEND = '/cgi-bin/message/custom/send'
const B = SECOND_APP.appid
const ROLE_LIST: Role[] = ['owner', 'admin', 'agent', 'viewer']

const SET = { rules: [{ id: 'hello', when: { text: ['hi'] }, reply: { type: 'text', text: 'hello' } }] }
const STORED = JSON.stringify(SET)

// ---------------------------------------------------------------- browsers

const cookieOf = (res: Answer) => (res.headers.get('set-cookie') ?? '').split(';')[0]!

async function signIn(token: string): Promise<string> {
  const res = await submit('/admin/login', { token }, '')
  expect(res.status).toBe(303)
  return cookieOf(res)
}

const page = (path: string, cookie: string) => hygiene.fetch(path, { headers: { cookie }, redirect: 'manual' })

function submit(path: string, fields: Record<string, string>, cookie: string): Promise<Answer> {
  return hygiene.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, cookie },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  })
}

/** A refusal: 403, the page naming the role it needs, and nothing else on it to act with. */
function expectForbidden(answer: Answer, needs: Role, what: string) {
  expect(answer.status, what).toBe(403)
  expect(answer.text, what).toContain(`data-needs="${needs}"`)
  expect(answer.headers.get('location'), what).toBeNull()
}

/** The operators of each role, signed in: their session cookies. */
const members: Record<Role, { operator: Operator; cookie: string }> = {} as Record<Role, { operator: Operator; cookie: string }>
let admin = ''

beforeAll(async () => {
  await env.RULES.put('rules', STORED)
  admin = await signIn(TEST_SETTINGS.ADMIN_TOKEN)
  for (const role of ROLE_LIST) {
    const { operator, token } = await addOperator(env.DB, { name: `the ${role}`, role, apps: null, email: null }, Date.now())
    members[role] = { operator, cookie: await signIn(token) }
  }
})

// ---------------------------------------------------------------- seeding

const { nextMsgId } = recordSeed(9_600_000_000_000_000_000n)

function textPush(openid: string, replies: string[]): RecordInput {
  const msgId = nextMsgId()
  return {
    dedupKey: `msg:${msgId}`,
    openid,
    msgId,
    kind: 'text',
    summary: 'question',
    grant: 'message',
    at: Date.now(),
    plan: {
      ruleId: replies.length ? 'r' : null,
      ruleSetVersion: 'v-test',
      transfer: false,
      sends: replies.map((text) => ({ type: 'text', text })),
    },
  }
}

async function conversation(openid: string, replies: string[] = []) {
  const stub = env.CONVERSATIONS.getByName(openid)
  await stub.record(textPush(openid, replies))
  await stub.flush()
}

/** A user whose one reply failed: the failed send's id. */
async function failedSend(openid: string): Promise<string> {
  await fakeWechat.fault({ path: SEND, appid: APPID, touser: openid, kind: 'errcode', errcode: 40003, errmsg: 'invalid openid' })
  await conversation(openid, ['will fail'])
  const id = await failedIdOf(openid)
  expect(id).toBeDefined()
  return id!
}

async function failedIdOf(openid: string): Promise<string | undefined> {
  const list = await listFailed(env.DB, { appid: APPID, limit: 200 })
  return list.items.find((f) => f.openid === openid)?.id
}

const sendsTo = async (openid: string) =>
  (await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).filter((c) => c.errcode === 0).length

const may = (role: Role, ...roles: Role[]) => roles.includes(role)

// ---------------------------------------------------------------- the matrix

describe('each role × each console action', () => {
  it.each(ROLE_LIST)('reply by hand as %s: sent, or 403 and nothing sent', async (role) => {
    const openid = uniqueOpenid()
    await conversation(openid)
    const answer = await submit(`/admin/conversations/${openid}/reply`, { text: `from the ${role}` }, members[role].cookie)
    if (may(role, 'owner', 'admin', 'agent')) {
      expect(answer.status).toBe(303)
      expect(answer.headers.get('location')).toBe(`/admin/conversations/${openid}?done=sent`)
      expect(await sendsTo(openid)).toBe(1)
    } else {
      expectForbidden(answer, 'agent', role)
      expect(answer.text).toContain('只读')
      expect(await sendsTo(openid)).toBe(0)
    }
  })

  it.each(ROLE_LIST)('retry and drop a failed send as %s: done, or 403 and still failed', async (role) => {
    for (const action of ['retry', 'drop'] as const) {
      const openid = uniqueOpenid()
      const id = await failedSend(openid)
      const answer = await submit(`/admin/failed/${id}/${action}`, {}, members[role].cookie)
      if (may(role, 'owner', 'admin', 'agent')) {
        expect(answer.status, action).toBe(303)
        expect(answer.headers.get('location'), action).toBe(`/admin/failed?done=${action === 'retry' ? 'retried' : 'dropped'}`)
        // The object has it; D1 follows the answer.
        await expect.poll(() => failedIdOf(openid), { timeout: 5000, interval: 50 }).toBeUndefined()
      } else {
        expectForbidden(answer, 'agent', `${role} ${action}`)
        expect(await failedIdOf(openid), action).toBe(id)
        expect(await sendsTo(openid), action).toBe(0)
      }
    }
  })

  it.each(ROLE_LIST)(
    'the rules editor as %s: publish, check, preview, reorder and rollback, or 403 and the rules as they were',
    async (role) => {
      await env.RULES.put('rules', STORED)
      const base = await ruleSetVersion(new TextEncoder().encode(STORED))
      const form = { ...formFields(draftOf(SET)), base, 'r0.c0.p0.text': `by the ${role}` }
      const cookie = members[role].cookie
      const posts: [string, Record<string, string>][] = [
        ['check', { ...form, op: 'check' }],
        ['preview', { ...form, op: 'preview', preview_text: 'hi' }],
        ['reorder', { ...form, op: 'add' }],
        ['json', { ...form, op: 'json', json: STORED }],
      ]
      for (const [what, fields] of posts) {
        const answer = await submit('/admin/rules', fields, cookie)
        if (may(role, 'owner', 'admin')) expect(answer.status, what).toBe(200)
        else expectForbidden(answer, 'admin', `${role} ${what}`)
      }
      const published = await submit('/admin/rules', { ...form, op: 'publish' }, cookie)
      if (may(role, 'owner', 'admin')) {
        expect(published.status).toBe(303)
        expect(await env.RULES.get('rules', 'text')).toContain(`by the ${role}`)
      } else {
        expectForbidden(published, 'admin', `${role} publish`)
        expect(await env.RULES.get('rules', 'text')).toBe(STORED)
      }
      // Rollback to the oldest version there is.
      const history = await listHistory(env.RULES, { limit: 50 })
      const oldest = history.items.at(-1)!.version
      const before = await env.RULES.get('rules', 'text')
      const rolled = await submit('/admin/rules/rollback', { version: oldest, base: history.currentVersion ?? '' }, cookie)
      if (may(role, 'owner', 'admin')) expect(rolled.status).toBe(303)
      else {
        expectForbidden(rolled, 'admin', `${role} rollback`)
        expect(await env.RULES.get('rules', 'text')).toBe(before)
      }
    },
  )

  it.each(ROLE_LIST)('starting a campaign as %s: started, or 403 and no campaign', async (role) => {
    const fields = { template_id: 'tmpl-roles', page: '', data: 'thing1=hi', lang: 'zh_CN', miniprogram_state: 'formal' }
    const before = await campaignList(env.DB, APPID, 50)
    const answer = await submit('/admin/campaigns', fields, members[role].cookie)
    if (may(role, 'owner', 'admin')) {
      expect(answer.status).toBe(303)
      expect(answer.headers.get('location')).toMatch(/^\/admin\/campaigns\/c-[0-9a-f-]+\?done=started$/)
      expect(await campaignList(env.DB, APPID, 50)).toHaveLength(before.length + 1)
    } else {
      expectForbidden(answer, 'admin', role)
      expect(await campaignList(env.DB, APPID, 50)).toEqual(before)
    }
  })

  it.each(ROLE_LIST)('members as %s: only the owner; else 403 and nothing changed', async (role) => {
    if (role === 'owner') return // the owner's own describe below
    const cookie = members[role].cookie
    const before = await listOperators(env.DB)
    const target = members.viewer.operator.id
    const attempts: [string, Promise<Answer>][] = [
      ['list', page('/admin/operators', cookie)],
      ['member', page(`/admin/operators/${target}`, cookie)],
      ['audit', page('/admin/audit', cookie)],
      ['add', submit('/admin/operators', { name: 'intruder', role: 'owner', apps_all: '1' }, cookie)],
      ['change', submit(`/admin/operators/${target}`, { name: 'renamed', role: 'owner', apps_all: '1' }, cookie)],
      ['remove', submit(`/admin/operators/${target}/remove`, {}, cookie)],
    ]
    for (const [what, attempt] of attempts) expectForbidden(await attempt, 'owner', `${role} ${what}`)
    expect(await listOperators(env.DB)).toEqual(before)
    // Nobody was signed out: the owner's session and their own still open pages.
    expect((await page('/admin', admin)).status).toBe(200)
    expect((await page('/admin', cookie)).status).toBe(200)
  })

  it('lets an operator who is not the owner sign out everywhere: their own sessions end, nobody else’s', async () => {
    const { token } = await addOperator(env.DB, { name: 'two browsers', role: 'agent', apps: null, email: null }, Date.now())
    const [laptop, phone] = [await signIn(token), await signIn(token)]
    const bystander = members.viewer.cookie
    expect((await submit('/admin/logout', { everywhere: '1' }, laptop)).status).toBe(303)
    expect((await page('/admin', laptop)).status).toBe(401)
    expect((await page('/admin', phone)).status).toBe(401)
    expect((await page('/admin', bystander)).status).toBe(200)
    expect((await page('/admin', admin)).status).toBe(200)
  })

  it('lets any role switch mini programs; a plain sign-out needs no role', async () => {
    for (const role of ROLE_LIST) {
      const answer = await submit('/admin/app', { app: B, back: '/admin' }, members[role].cookie)
      expect(answer.status, role).toBe(303)
    }
    const { token } = await addOperator(env.DB, { name: 'leaving', role: 'viewer', apps: null, email: null }, Date.now())
    const cookie = await signIn(token)
    expect((await submit('/admin/logout', {}, cookie)).status).toBe(303)
    expect((await page('/admin', cookie)).status).toBe(401)
  })
})

// ---------------------------------------------------------------- what each role sees

describe('the pages hide what the role cannot do', () => {
  it('shows who is signed in, the members and audit sections to the owner only, and webhooks to who may open them', async () => {
    for (const role of ROLE_LIST) {
      const { text } = await page('/admin', members[role].cookie)
      expect(text, role).toContain(`data-operator="${members[role].operator.id}" data-role="${role}"`)
      expect(text, role).toContain(`the ${role}`)
      const owner = role === 'owner'
      expect(text.includes('href="/admin/operators"'), role).toBe(owner)
      expect(text.includes('href="/admin/audit"'), role).toBe(owner)
      // Its page is refused to agents and viewers (403): the nav does not offer it to them.
      expect(text.includes('href="/admin/webhooks"'), role).toBe(owner || role === 'admin')
    }
    const token = await page('/admin?lang=en', admin)
    expect(token.text).toContain('data-role="owner"')
    expect(token.text).toContain('Members')
  })

  it('offers the reply form, retry and drop to who may reply', async () => {
    const openid = uniqueOpenid()
    await conversation(openid)
    const failed = await failedSend(uniqueOpenid())
    for (const role of ROLE_LIST) {
      const chat = await page(`/admin/conversations/${openid}`, members[role].cookie)
      expect(chat.status).toBe(200)
      const replies = role !== 'viewer'
      expect(chat.text.includes(`action="/admin/conversations/${openid}/reply"`), role).toBe(replies)
      const list = await page('/admin/failed', members[role].cookie)
      expect(list.text, role).toContain(`data-failed-id="${failed}"`)
      expect(list.text.includes(`action="/admin/failed/${failed}/retry"`), role).toBe(replies)
      expect(list.text.includes(`action="/admin/failed/${failed}/drop"`), role).toBe(replies)
    }
  })

  it('offers the rules form, rollback and the campaign form to who may use them', async () => {
    await env.RULES.put('rules', STORED)
    await submit('/admin/rules', { ...formFields(draftOf(SET)), op: 'publish', 'r0.c0.p0.text': 'newer' }, admin)
    const history = await listHistory(env.RULES, { limit: 50 })
    const older = history.items.find((item) => !item.current)!.version
    for (const role of ROLE_LIST) {
      const { cookie } = members[role]
      const edits = role === 'owner' || role === 'admin'
      const rules = await page('/admin/rules', cookie)
      expect(rules.status).toBe(200)
      expect(rules.text.includes('action="/admin/rules"'), role).toBe(edits)
      expect(rules.text.includes('value="publish"'), role).toBe(edits)
      expect(rules.text.includes('data-rules-read-only'), role).toBe(!edits)
      // What the rules are, every role may read.
      expect(rules.text, role).toContain('hello')
      const entry = await page(`/admin/rules/history/${older}`, cookie)
      expect(entry.status).toBe(200)
      expect(entry.text.includes('action="/admin/rules/rollback"'), role).toBe(edits)
      const campaigns = await page('/admin/campaigns', cookie)
      expect(campaigns.text.includes('action="/admin/campaigns"'), role).toBe(edits)
      const status = await page('/admin/status', cookie)
      // Everyone may end their own sessions; only the owner's button ends everyone's.
      expect(status.text, role).toContain('data-sign-out-everywhere')
      expect(status.text.includes('结束所有浏览器上的控制台会话'), role).toBe(role === 'owner')
    }
  })
})

// ---------------------------------------------------------------- mini programs

describe('an operator limited to some mini programs', () => {
  it('sees the status of theirs alone: no other mini program’s settings or rule set', async () => {
    const { token } = await addOperator(env.DB, { name: 'status of B', role: 'admin', apps: [B], email: null }, Date.now())
    const status = await page('/admin/status', await signIn(token))
    expect(status.status).toBe(200)
    expect(status.text).toContain(`data-setting="WECHAT_TOKEN_${B}"`)
    // The first mini program's settings (the deployment's, ADMIN_TOKEN among them) and its section are not shown.
    expect(status.text).not.toContain('data-setting="ADMIN_TOKEN"')
    expect(status.text).not.toContain('data-setting="WECHAT_TOKEN"')
    expect(status.text).not.toContain('data-app=')
    // The owner sees every one.
    const all = await page('/admin/status', admin)
    expect(all.text).toContain('data-setting="ADMIN_TOKEN"')
    expect(all.text).toContain(`data-app="${B}"`)
  })

  it('sees only theirs in the switcher, starts on one, and gets 403 on another', async () => {
    const { operator, token } = await addOperator(env.DB, { name: 'only B', role: 'admin', apps: [B], email: null }, Date.now())
    const cookie = await signIn(token)
    // No choice yet: their mini program, not the Worker's first.
    await env.RULES.put(
      `app:${B}:rules`,
      JSON.stringify({ rules: [{ id: 'rule-of-b', when: { text: ['x'] }, reply: { type: 'text', text: 'b' } }] }),
    )
    const rules = await page('/admin/rules', cookie)
    expect(rules.status).toBe(200)
    expect(rules.text).toContain('rule-of-b')
    // One mini program of theirs: nothing to switch.
    expect(rules.text).not.toContain('data-app-switcher')

    const refused = await submit('/admin/app', { app: APPID, back: '/admin' }, cookie)
    expect(refused.status).toBe(403)
    expect(refused.text).toContain('data-forbidden="app"')
    expect(refused.headers.get('set-cookie') ?? '').not.toContain(`kefu_app=${APPID}`)

    // A cookie naming the other one (set before the limit, or by hand): 403, and forgotten.
    const other = await page('/admin/rules', `${cookie}; kefu_app=${APPID}`)
    expect(other.status).toBe(403)
    expect(other.text).not.toContain('hello')
    expect(other.headers.get('set-cookie')).toMatch(/^kefu_app=;/)
    const posted = await submit(
      '/admin/rules',
      { ...formFields(draftOf(SET)), op: 'publish', 'r0.c0.p0.text': 'from B' },
      `${cookie}; kefu_app=${APPID}`,
    )
    expect(posted.status).toBe(403)
    expect(await env.RULES.get('rules', 'text')).not.toContain('from B')

    // With two of theirs, the switcher lists those two only.
    await env.DB.prepare('UPDATE operators SET apps = ? WHERE id = ?')
      .bind(JSON.stringify([B, APPID]), operator.id)
      .run()
    const both = await page('/admin', cookie)
    expect(both.text).toContain('data-app-switcher')
    expect(both.text).toContain(`value="${APPID}"`)
  })
})

// ---------------------------------------------------------------- members

describe('the members page', () => {
  it('adds a member and shows their token once, on the answer only', async () => {
    const added = await submit('/admin/operators', { name: '小王', role: 'agent', apps_all: '1', email: 'Wang@Example.com' }, admin)
    expect(added.status).toBe(200)
    expect(added.headers.get('location')).toBeNull()
    expect(added.headers.get('cache-control')).toBe('no-store')
    const token = /data-token[^>]*>(kfo\.[A-Za-z0-9_.-]+)</.exec(added.text)?.[1]
    expect(token).toMatch(/^kfo\.[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]{43}$/)
    expect(added.text).toContain('只显示这一次')
    const row = (await listOperators(env.DB)).find((o) => o.name === '小王')!
    expect(row).toMatchObject({ role: 'agent', apps: null, email: 'wang@example.com' })

    // Not on a reload, nor on the member's own page.
    const reload = await page('/admin/operators', admin)
    expect(reload.text).toContain('小王')
    expect(reload.text).not.toContain(token!)
    expect(reload.text).not.toContain('data-new-token')
    expect((await page(`/admin/operators/${row.id}`, admin)).text).not.toContain(token!)

    // The token signs in as them.
    const theirs = await signIn(token!)
    expect((await page('/admin', theirs)).text).toContain(`data-operator="${row.id}" data-role="agent"`)

    const entry = (await listAudit(env.DB, { appid: APPID, limit: 50, action: 'operator_add' })).items.find((e) => e.target === row.id)
    expect(entry).toMatchObject({ appid: '', operatorId: 'owner', action: 'operator_add' })
    expect(entry!.summary).not.toContain(token!)
  })

  it('refuses a form that does not hold, keeping what was typed', async () => {
    const before = await listOperators(env.DB)
    const cases: [Record<string, string>, string][] = [
      [{ name: '', role: 'agent', apps_all: '1' }, 'name'],
      [{ name: 'x', role: 'superuser', apps_all: '1' }, 'role'],
      [{ name: 'x', role: 'agent' }, 'apps'],
      [{ name: 'x', role: 'agent', apps_all: '1', email: 'not an email' }, 'email'],
    ]
    for (const [fields, field] of cases) {
      const answer = await submit('/admin/operators', fields, admin)
      expect(answer.status, field).toBe(400)
      expect(answer.text, field).toContain('data-problems')
      expect(answer.text, field).toContain(`${field}:`)
      expect(answer.text, field).not.toContain('data-token')
    }
    const taken = await submit('/admin/operators', { name: 'again', role: 'agent', apps_all: '1', email: 'wang@example.com' }, admin)
    expect(taken.status).toBe(400)
    expect(await listOperators(env.DB)).toEqual(before)
  })

  it('changes a member: the role takes effect on their next page', async () => {
    const { operator, token } = await addOperator(env.DB, { name: 'promoted', role: 'viewer', apps: null, email: null }, Date.now())
    const cookie = await signIn(token)
    expect((await page('/admin/failed', cookie)).text).not.toContain('data-action="retry"')
    const changed = await submit(`/admin/operators/${operator.id}`, { name: 'promoted', role: 'admin', [`app:${B}`]: '1' }, admin)
    expect(changed.status).toBe(303)
    expect(changed.headers.get('location')).toBe('/admin/operators?done=changed')
    expect((await listOperators(env.DB)).find((o) => o.id === operator.id)).toMatchObject({ role: 'admin', apps: [B] })
    expect((await page('/admin', cookie)).text).toContain('data-role="admin"')
    const entry = (await listAudit(env.DB, { appid: APPID, limit: 50, action: 'operator_change' })).items.find(
      (e) => e.target === operator.id,
    )
    expect(entry?.summary).toBe(`role viewer → admin, apps all → ${B}`)
  })

  it('removes a member: their session shows the sign-in page on the next request', async () => {
    const { operator, token } = await addOperator(env.DB, { name: 'leaver', role: 'admin', apps: null, email: null }, Date.now())
    const cookie = await signIn(token)
    expect((await page('/admin', cookie)).status).toBe(200)
    const removed = await submit(`/admin/operators/${operator.id}/remove`, {}, admin)
    expect(removed.status).toBe(303)
    expect(removed.headers.get('location')).toBe('/admin/operators?done=removed')
    const next = await page('/admin', cookie)
    expect(next.status).toBe(401)
    expect(next.text).toContain('action="/admin/login"')
    // The token no longer signs in.
    expect((await submit('/admin/login', { token }, '')).status).toBe(401)
    expect((await listOperators(env.DB)).some((o) => o.id === operator.id)).toBe(false)
    const entry = (await listAudit(env.DB, { appid: APPID, limit: 50, action: 'operator_remove' })).items.find(
      (e) => e.target === operator.id,
    )
    expect(entry).toMatchObject({ operatorId: 'owner' })
    // A member already gone, or the owner itself: nothing to remove.
    expect((await submit(`/admin/operators/${operator.id}/remove`, {}, admin)).headers.get('location')).toBe(
      '/admin/operators?problem=no_operator',
    )
    expect((await submit('/admin/operators/owner/remove', {}, admin)).headers.get('location')).toBe('/admin/operators?problem=no_operator')
  })
})

// ---------------------------------------------------------------- audit

describe('the audit page', () => {
  it('lists entries newest first, filtered by member and by action, in words', async () => {
    const openid = uniqueOpenid()
    await conversation(openid)
    await submit(`/admin/conversations/${openid}/reply`, { text: 'audited' }, members.agent.cookie)
    const all = await page('/admin/audit', admin)
    expect(all.status).toBe(200)
    const rows = [...all.text.matchAll(/<tr data-audit="[^"]+" data-action="([a-z_]+)" data-operator="([^"]*)"/g)]
    expect(rows.length).toBeGreaterThan(0)
    // The newest: the agent's reply.
    expect(rows[0]!.slice(1)).toEqual(['reply', members.agent.operator.id])
    expect(all.text).toContain('人工回复')
    expect(all.text).toContain(openid)

    const byAgent = await page(`/admin/audit?operator=${members.agent.operator.id}`, admin)
    const agentRows = [...byAgent.text.matchAll(/<tr data-audit="[^"]+" data-action="[a-z_]+" data-operator="([^"]*)"/g)].map((m) => m[1])
    expect(agentRows.length).toBeGreaterThan(0)
    expect(new Set(agentRows)).toEqual(new Set([members.agent.operator.id]))

    const adds = await page('/admin/audit?action=operator_add&lang=en', admin)
    const actions = [...adds.text.matchAll(/<tr data-audit="[^"]+" data-action="([a-z_]+)"/g)].map((m) => m[1])
    expect(actions.length).toBeGreaterThan(0)
    expect(new Set(actions)).toEqual(new Set(['operator_add']))
    expect(adds.text).toContain('Added a member')
    expect(adds.text).toMatch(/<option value="operator_add" selected/)

    // A filter that is not one is no filter; a page past the last shows none.
    expect((await page('/admin/audit?action=nonsense&operator=%3Cx%3E', admin)).status).toBe(200)
  })

  it('pages through the log with the filter kept', async () => {
    const now = Date.now()
    const { audit } = await import('../../src/admin/audit')
    for (let i = 0; i < 55; i++)
      await audit(env.DB, { appid: '', operator: { id: 'owner', name: 'owner' }, action: 'knowledge_change', target: `k${i}` }, now - i)
    const first = await page('/admin/audit?action=knowledge_change', admin)
    const next = /href="([^"]+)" data-next-page/.exec(first.text)?.[1]?.replaceAll('&amp;', '&')
    expect(next).toMatch(/action=knowledge_change/)
    const second = await page(next!, admin)
    expect(second.text).toContain('data-first-page')
    const targets = [...second.text.matchAll(/<code>(k\d+)<\/code>/g)].map((m) => m[1])
    expect(targets).toEqual(['k50', 'k51', 'k52', 'k53', 'k54'])
  })
})
