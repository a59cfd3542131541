/**
 * `/admin/api/operators` end to end, as the owner (ADMIN_TOKEN): adding answers the personal
 * token once and nothing lists it; every field is checked; changes hold from the next request;
 * `owner` cannot be changed or removed; removing an operator stops their token and their console
 * sessions at once; each add, change and remove leaves an audit entry naming who did it.
 */
import { env } from 'cloudflare:workers'
import * as v from 'valibot'
import { describe, expect, it } from 'vitest'
import { ANSWERS } from '../../src/admin/answers'
import { listAudit } from '../../src/admin/audit'
import { watchSecrets, type Answer } from '../support/hygiene'
import { addTestOperator, consoleSession, OWNER_AUTH } from '../support/operators'
import { SECOND_APP, TEST_SETTINGS } from '../support/settings'

const hygiene = watchSecrets('admin-operators')
const APPID = TEST_SETTINGS.WECHAT_APPID

async function call(method: string, path: string, json?: unknown, auth: Record<string, string> = OWNER_AUTH): Promise<Answer> {
  return hygiene.fetch(path, {
    method,
    headers: { ...auth, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  })
}

const parsed = <T>(answer: Answer): T => JSON.parse(answer.text) as T
type Listed = { id: string; name: string; role: string; apps: string[] | null; email: string | null }
const listed = async () => parsed<{ operators: Listed[] }>(await call('GET', '/admin/api/operators')).operators
const unique = () => crypto.randomUUID().slice(0, 8)

describe('adding', () => {
  it('answers 201 with the id and the personal token, once; the list shows the operator and never a token', async () => {
    const email = `Mei.${unique()}@Example.COM`
    const added = await call('POST', '/admin/api/operators', { name: '  Mei  ', role: 'agent', apps: [SECOND_APP.appid], email })
    expect(added.status, added.text).toBe(201)
    const { id, token } = parsed<{ id: string; token: string }>(added)
    expect(v.safeParse(ANSWERS.OperatorCreatedAnswer, parsed(added)).success).toBe(true)
    expect(token).toMatch(new RegExp(`^kfo\\.${id}\\.[A-Za-z0-9_-]{43}$`))

    const list = await call('GET', '/admin/api/operators')
    expect(list.status).toBe(200)
    expect(v.safeParse(ANSWERS.OperatorsAnswer, parsed(list)).success).toBe(true)
    const mine = parsed<{ operators: Listed[] }>(list).operators.find((o) => o.id === id)
    // Trimmed, lower-cased, exactly these fields.
    expect(mine).toEqual({ id, name: 'Mei', role: 'agent', apps: [SECOND_APP.appid], email: email.toLowerCase() })
    expect(list.text).not.toContain(token.split('.')[2])
    expect(list.text).not.toMatch(/token|hash/i)
    // The owner (ADMIN_TOKEN) is no row.
    expect(parsed<{ operators: Listed[] }>(list).operators.some((o) => o.id === 'owner')).toBe(false)

    // The token works: this agent reads the mini program it was given, and not the other.
    expect((await call('GET', `/admin/api/stats?app=${SECOND_APP.appid}`, undefined, { authorization: `Bearer ${token}` })).status).toBe(
      200,
    )
    expect((await call('GET', '/admin/api/stats', undefined, { authorization: `Bearer ${token}` })).status).toBe(403)
  })

  it('takes apps absent or null as every app, and repeats in apps once', async () => {
    const all = await addTestOperator('viewer')
    const none = await addTestOperator('viewer', { apps: null })
    const twice = await addTestOperator('viewer', { apps: [APPID, APPID] })
    const operators = await listed()
    expect(operators.find((o) => o.id === all.id)?.apps).toBeNull()
    expect(operators.find((o) => o.id === none.id)?.apps).toBeNull()
    expect(operators.find((o) => o.id === twice.id)?.apps).toEqual([APPID])
  })

  it('refuses what is not an operator, and adds nothing', async () => {
    const before = (await listed()).length
    const bad: [unknown, RegExp][] = [
      [{ role: 'agent' }, /^name: /],
      [{ name: '', role: 'agent' }, /^name: must be 1 to 64 characters/],
      [{ name: '   ', role: 'agent' }, /^name: must be 1 to 64 characters/],
      [{ name: 'x'.repeat(65), role: 'agent' }, /^name: must be 1 to 64 characters/],
      [{ name: 'a\u0000b', role: 'agent' }, /^name: must not hold control characters/],
      [{ name: 'Mei' }, /^role: /],
      [{ name: 'Mei', role: 'boss' }, /^role: must be one of owner, admin, agent, viewer/],
      [{ name: 'Mei', role: 'agent', apps: [] }, /^apps: must name at least one app/],
      [{ name: 'Mei', role: 'agent', apps: 'all' }, /^apps: /],
      [{ name: 'Mei', role: 'agent', apps: ['not-an-appid'] }, /^apps\.0: is not an appid/],
      [{ name: 'Mei', role: 'agent', apps: ['wx0000000000000000'] }, /^apps: wx0000000000000000 is not an app this Worker serves/],
      [{ name: 'Mei', role: 'agent', email: 'mei' }, /^email: is not an email address/],
      [{ name: 'Mei', role: 'agent', email: 'mei@example.com>' }, /^email: is not an email address/],
      [{ name: 'Mei', role: 'agent', token: 'kfo.mine' }, /^token: is not a known field/],
      // A list is not the object asked for: its first missing field is named.
      [['Mei'], /^name: is required/],
    ]
    for (const [body, error] of bad) {
      const answer = await call('POST', '/admin/api/operators', body)
      expect(answer.status, JSON.stringify(body)).toBe(400)
      expect(parsed<{ error: string }>(answer).error, JSON.stringify(body)).toMatch(error)
    }
    const notJson = await hygiene.fetch('/admin/api/operators', { method: 'POST', headers: { ...OWNER_AUTH }, body: '{}' })
    expect(notJson.status).toBe(415)
    expect((await listed()).length).toBe(before)
  })

  it('refuses an email another operator signs in with (409), whatever its case', async () => {
    const email = `taken.${unique()}@example.com`
    await addTestOperator('viewer', { email })
    const again = await call('POST', '/admin/api/operators', { name: 'Twin', role: 'viewer', email: email.toUpperCase() })
    expect(again.status).toBe(409)
    expect(parsed(again)).toMatchObject({ error: 'email_taken' })
    expect((await listed()).filter((o) => o.email === email)).toHaveLength(1)
  })
})

describe('changing', () => {
  it('changes what is given and leaves the rest; the change holds from the next request, the token stays', async () => {
    const agent = await addTestOperator('agent', { name: 'Lin', email: `lin.${unique()}@example.com` })
    expect((await call('POST', '/admin/api/rules/preview', { message: { type: 'text', text: 'hi' } }, agent.auth)).status).toBe(403)

    const changed = await call('PATCH', `/admin/api/operators/${agent.id}`, { role: 'admin', apps: [APPID] })
    expect(changed.status, changed.text).toBe(200)
    expect(v.safeParse(ANSWERS.OperatorAnswer, parsed(changed)).success).toBe(true)
    expect(parsed(changed)).toMatchObject({ id: agent.id, name: 'Lin', role: 'admin', apps: [APPID] })
    expect((await call('POST', '/admin/api/rules/preview', { message: { type: 'text', text: 'hi' } }, agent.auth)).status).toBe(200)
    expect((await call('GET', `/admin/api/stats?app=${SECOND_APP.appid}`, undefined, agent.auth)).status).toBe(403)

    // null: every app again; no email.
    const cleared = await call('PATCH', `/admin/api/operators/${agent.id}`, { apps: null, email: null, name: ' Lin Wei ' })
    expect(parsed(cleared)).toEqual({ id: agent.id, name: 'Lin Wei', role: 'admin', apps: null, email: null })
    expect((await call('GET', `/admin/api/stats?app=${SECOND_APP.appid}`, undefined, agent.auth)).status).toBe(200)
    expect((await listed()).find((o) => o.id === agent.id)).toEqual(parsed(cleared))
  })

  it('refuses nothing to change, a bad field, an unknown id (404), a taken email (409)', async () => {
    const agent = await addTestOperator('agent')
    const other = await addTestOperator('viewer', { email: `other.${unique()}@example.com` })
    const otherEmail = (await listed()).find((o) => o.id === other.id)!.email
    const cases: [string, unknown, number, RegExp][] = [
      [agent.id, {}, 400, /^body: names nothing to change/],
      [agent.id, { role: 'root' }, 400, /^role: /],
      [agent.id, { apps: [SECOND_APP.appid, 'wx0000000000000000'] }, 400, /^apps: wx0000000000000000 is not an app/],
      [agent.id, { id: 'x' }, 400, /^id: is not a known field/],
      [agent.id, { email: otherEmail }, 409, /^email_taken$/],
      ['nobody000000', { role: 'viewer' }, 404, /^not_found$/],
      ['no/such', { role: 'viewer' }, 404, /./],
      ['short', { role: 'viewer' }, 400, /^id: is not an operator id/],
    ]
    for (const [id, body, status, error] of cases) {
      const answer = await call('PATCH', `/admin/api/operators/${id}`, body)
      expect(answer.status, `${id} ${JSON.stringify(body)}: ${answer.text}`).toBe(status)
      if (answer.headers.get('content-type')?.includes('json')) expect(parsed<{ error: string }>(answer).error).toMatch(error)
    }
    expect((await listed()).find((o) => o.id === agent.id)?.role).toBe('agent')
  })

  it('never changes or removes owner, ADMIN_TOKEN itself (409 with a reason)', async () => {
    for (const [method, body] of [
      ['PATCH', { role: 'viewer' }],
      ['DELETE', undefined],
    ] as const) {
      const answer = await call(method, '/admin/api/operators/owner', body)
      expect(answer.status).toBe(409)
      expect(v.safeParse(ANSWERS.OperatorConflictAnswer, parsed(answer)).success).toBe(true)
      expect(parsed(answer)).toMatchObject({ error: 'is_owner', reason: expect.stringContaining('ADMIN_TOKEN') })
    }
    // ADMIN_TOKEN still does everything.
    expect((await call('GET', '/admin/api/operators')).status).toBe(200)
  })
})

describe('removing', () => {
  it('answers 204; the token is refused on the next request and the console session ends at once', async () => {
    const agent = await addTestOperator('agent')
    const cookie = await consoleSession(agent.token)
    expect((await hygiene.fetch('/admin', { headers: { cookie } })).status).toBe(200)
    expect((await call('GET', '/admin/api/stats', undefined, agent.auth)).status).toBe(200)

    const removed = await call('DELETE', `/admin/api/operators/${agent.id}`)
    expect(removed.status).toBe(204)
    expect(removed.text).toBe('')

    expect((await call('GET', '/admin/api/stats', undefined, agent.auth)).status).toBe(401)
    const page = await hygiene.fetch('/admin', { headers: { cookie } })
    expect(page.status).toBe(401)
    expect(page.text).toContain('action="/admin/login"')
    // The session is gone from the Sessions object itself, not only refused for want of its operator.
    expect(await env.SESSIONS.getByName('console').closeOperator(agent.id)).toBe(0)
    expect((await listed()).some((o) => o.id === agent.id)).toBe(false)
    // Removing again: there is none.
    expect((await call('DELETE', `/admin/api/operators/${agent.id}`)).status).toBe(404)
  })
})

describe('the audit log', () => {
  it('records each add, change and remove: who, which operator, a summary without the token or email', async () => {
    const email = `audit.${unique()}@example.com`
    const added = parsed<{ id: string; token: string }>(
      await call('POST', '/admin/api/operators', { name: 'Audited', role: 'agent', email }),
    )
    await call('PATCH', `/admin/api/operators/${added.id}`, { role: 'viewer', apps: [SECOND_APP.appid] })
    await call('DELETE', `/admin/api/operators/${added.id}`)
    // Refused requests leave nothing.
    await call('PATCH', `/admin/api/operators/${added.id}`, { role: 'agent' })
    await call('POST', '/admin/api/operators', { name: '', role: 'agent' })

    const { results: entries } = await env.DB.prepare(
      // Within a millisecond the order is the id's: sorted by action below (add, change, remove).
      'SELECT action, operator_id, operator_name, appid, summary FROM audit WHERE target = ? ORDER BY action',
    )
      .bind(added.id)
      .all<{ action: string; operator_id: string; operator_name: string; appid: string; summary: string }>()
    expect(entries.map((e) => [e.action, e.operator_id, e.operator_name, e.appid, e.summary])).toEqual([
      ['operator_add', 'owner', 'owner (ADMIN_TOKEN)', '', 'role agent, apps all, name Audited'],
      ['operator_change', 'owner', 'owner (ADMIN_TOKEN)', '', `role agent → viewer, apps all → ${SECOND_APP.appid}`],
      ['operator_remove', 'owner', 'owner (ADMIN_TOKEN)', '', `role viewer, apps ${SECOND_APP.appid}, name Audited`],
    ])
    const text = JSON.stringify(entries)
    expect(text).not.toContain(added.token.split('.')[2])
    expect(text).not.toContain(email)
  })

  it('names the operator who did it when an owner operator manages operators with their own token', async () => {
    const owner = await addTestOperator('owner', { name: 'Second owner' })
    const added = parsed<{ id: string }>(await call('POST', '/admin/api/operators', { name: 'By her', role: 'viewer' }, owner.auth))
    const entries = (await listAudit(env.DB, { appid: '', limit: 200, operator: owner.id })).items
    expect(entries.map((e) => [e.action, e.target, e.operatorName])).toEqual([['operator_add', added.id, 'Second owner']])
  })

  it('keeps the change and its answer when the audit log cannot be written: the new token is not lost', async () => {
    await env.DB.prepare("CREATE TRIGGER audit_down BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit down'); END").run()
    try {
      const added = await call('POST', '/admin/api/operators', { name: 'Unaudited', role: 'agent' })
      expect(added.status, added.text).toBe(201)
      const { id, token } = parsed<{ id: string; token: string }>(added)
      // The token shown once works.
      expect((await call('GET', '/admin/api/conversations', undefined, { authorization: `Bearer ${token}` })).status).toBe(200)
      const changed = await call('PATCH', `/admin/api/operators/${id}`, { role: 'viewer' })
      expect(changed.status, changed.text).toBe(200)
      expect((await call('DELETE', `/admin/api/operators/${id}`)).status).toBe(204)
      expect((await listed()).map((o) => o.id)).not.toContain(id)
      expect(
        hygiene
          .events()
          .filter((e) => e.event === 'audit.write_failed')
          .map((e) => e.action),
      ).toEqual(['operator_add', 'operator_change', 'operator_remove'])
    } finally {
      await env.DB.prepare('DROP TRIGGER audit_down').run()
    }
  })
})
