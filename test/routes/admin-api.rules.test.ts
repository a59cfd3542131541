/**
 * Publishing, history and rollback through the admin API, end to end on the real Worker and
 * local KV: the body's exact bytes become the rule set, If-Match / ifVersion refuse a stale
 * editor with 412 (a rollback's ifVersion with 409), an invalid set is a 400 naming rule and
 * field, every malformed input is a 4xx `{ error }` and writes nothing, and every new route
 * wants the token.
 */
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { RULES_KEY } from '../../src/rules/keys'
import { ruleSetVersion } from '../../src/rules/version'
import { watchSecrets, type Answer } from '../support/hygiene'
import { TEST_SETTINGS } from '../support/settings'

const hygiene = watchSecrets('rules-history-api')
const AUTH = { authorization: `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}` }
const UNKNOWN = '0123456789abcdef'

const ruleSet = (reply: string) =>
  JSON.stringify({ rules: [{ id: 'hi', when: { text: ['hi'] }, reply: { type: 'text', text: reply } }] }, null, 2)
const versionOf = (text: string) => ruleSetVersion(new TextEncoder().encode(text))

interface Call {
  method?: 'GET' | 'POST' | 'PUT'
  body?: string | Uint8Array<ArrayBuffer>
  contentType?: string
  headers?: Record<string, string>
}

async function api(path: string, call: Call = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...AUTH, ...call.headers }
  if (call.body !== undefined) headers['content-type'] = call.contentType ?? 'application/json'
  return hygiene.fetch(path, {
    method: call.method ?? (call.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(call.body === undefined ? {} : { body: call.body }),
  })
}
const put = (text: string | Uint8Array<ArrayBuffer>, call: Call = {}) => api('/admin/api/rules', { method: 'PUT', body: text, ...call })
const json = <T>(answer: Answer): T => JSON.parse(answer.text) as T

async function snapshot(): Promise<string> {
  const { keys } = await env.RULES.list()
  const values = await Promise.all(keys.map(async (k) => [k.name, JSON.stringify(k.metadata ?? null), await env.RULES.get(k.name)]))
  return JSON.stringify(values)
}

beforeEach(async () => {
  const { keys } = await env.RULES.list()
  await Promise.all(keys.map((k) => env.RULES.delete(k.name)))
})

interface HistoryPageAnswer {
  items: { version: string; publishedAt: number; from: string; rules: number | null; current: boolean }[]
  nextCursor: string | null
  currentVersion: string | null
}

describe('PUT /admin/api/rules', () => {
  it('publishes the exact bytes, says when nothing changed, and hands out the version as ETag', async () => {
    const text = ruleSet('hello') + '\n'
    const first = await put(text)
    expect(first.status, first.text).toBe(200)
    expect(json(first)).toEqual({ version: await versionOf(text), rules: 1, unchanged: false })
    expect(await env.RULES.get(RULES_KEY)).toBe(text)

    const rules = await api('/admin/api/rules')
    expect(rules.headers.get('etag')).toBe(`"${await versionOf(text)}"`)
    expect(json(await put(text))).toEqual({ version: await versionOf(text), rules: 1, unchanged: true })
    const page = json<HistoryPageAnswer>(await api('/admin/api/rules/history'))
    expect(page.items.map((i) => [i.version, i.from, i.current])).toEqual([[await versionOf(text), 'api', true]])
  })

  it('refuses with 412 when another version was published since If-Match / ifVersion, writing nothing', async () => {
    const a = ruleSet('a')
    await put(a)
    const etag = (await api('/admin/api/rules')).headers.get('etag')!
    const b = ruleSet('b')
    expect((await put(b, { headers: { 'if-match': etag } })).status).toBe(200)
    const before = await snapshot()
    for (const call of [{ headers: { 'if-match': etag } }, {}]) {
      const path = 'headers' in call ? '/admin/api/rules' : `/admin/api/rules?ifVersion=${await versionOf(a)}`
      const stale = await api(path, { method: 'PUT', body: ruleSet('c'), ...call })
      expect(stale.status).toBe(412)
      expect(json(stale)).toEqual({ error: 'version_changed', currentVersion: await versionOf(b) })
    }
    expect(await snapshot()).toBe(before)
    const fresh = await api(`/admin/api/rules?ifVersion=${await versionOf(b)}`, { method: 'PUT', body: ruleSet('c') })
    expect(fresh.status).toBe(200)
  })

  it('refuses an invalid rule set with every problem naming rule and field, writing nothing', async () => {
    await put(ruleSet('good'))
    const before = await snapshot()
    const bad = JSON.stringify({
      rules: [
        { id: 'qr', when: { text: ['qr'] }, reply: { type: 'image', url: 'ftp://x/qr.png' } },
        { id: 'qr', when: {}, reply: { type: 'text', text: 'x' } },
      ],
    })
    const answer = await put(bad)
    expect(answer.status).toBe(400)
    const body = json<{ error: string; issues: string[] }>(answer)
    expect(body.error).toBe('body: the rule set is invalid')
    expect(body.issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rule "qr" at rules\[0\]\.reply\.url: must be an http/),
        expect.stringMatching(/^rule "qr" at rules\[1\]\.id: repeats the id/),
        expect.stringMatching(/^rule "qr" at rules\[1\]\.when: needs exactly one of/),
      ]),
    )
    expect(await snapshot()).toBe(before)
  })

  it('refuses malformed input with a 4xx { error }, writing nothing', async () => {
    await put(ruleSet('good'))
    const before = await snapshot()
    const cases: [Call & { path?: string }, number, RegExp][] = [
      [{ body: '{"rules": [' }, 400, /^body: the rule set is invalid/],
      [{ body: '' }, 400, /^body: the rule set is invalid/],
      [{ body: new Uint8Array([0x7b, 0xff, 0x7d]) }, 400, /^body: is not valid JSON \(UTF-8\)/],
      [{ body: ruleSet('x'), contentType: 'text/plain' }, 415, /^body: must be application\/json/],
      [{ body: JSON.stringify({ rules: [], pad: 'x'.repeat(300 * 1024) }) }, 413, /^body: larger than 262144 bytes/],
      [
        { body: ruleSet('x'), headers: { 'if-match': 'abc' } },
        400,
        /^If-Match: is not one rule-set version \("<16 hex digits>", quoted or bare\)/,
      ],
      [{ body: ruleSet('x'), headers: { 'if-match': `"${UNKNOWN}` } }, 400, /^If-Match: is not one rule-set version/],
      [{ body: ruleSet('x'), headers: { 'if-match': `W/"${UNKNOWN}"` } }, 400, /^If-Match: /],
      [
        { body: ruleSet('x'), headers: { 'if-match': `"${UNKNOWN}"` }, path: '/admin/api/rules?ifVersion=fedcba9876543210' },
        400,
        /^ifVersion: differs from If-Match/,
      ],
      [{ body: ruleSet('x'), path: '/admin/api/rules?ifVersion=HEAD' }, 400, /^ifVersion: is not a rule-set version/],
      [{ body: ruleSet('x'), path: '/admin/api/rules?force=1' }, 400, /^force: is not a known parameter/],
    ]
    for (const [call, status, error] of cases) {
      const answer = await api(call.path ?? '/admin/api/rules', { method: 'PUT', ...call })
      expect(answer.status, `${JSON.stringify(call).slice(0, 120)}: ${answer.text.slice(0, 200)}`).toBe(status)
      expect(json<{ error: string }>(answer).error).toMatch(error)
    }
    expect(await snapshot()).toBe(before)
  })
})

describe('GET /admin/api/rules/history', () => {
  it('lists newest first, pages with nextCursor, and marks the version in force', async () => {
    const texts = ['a', 'b', 'c'].map(ruleSet)
    for (const text of texts) expect((await put(text)).status).toBe(200)
    const all = json<HistoryPageAnswer>(await api('/admin/api/rules/history'))
    expect(all.items.map((i) => i.version)).toEqual(await Promise.all([...texts].reverse().map(versionOf)))
    expect(all.items.map((i) => i.current)).toEqual([true, false, false])
    expect(all).toMatchObject({ nextCursor: null, currentVersion: await versionOf(texts[2]!) })
    const first = json<HistoryPageAnswer>(await api('/admin/api/rules/history?limit=2'))
    expect(first.items).toEqual(all.items.slice(0, 2))
    const second = json<HistoryPageAnswer>(await api(`/admin/api/rules/history?limit=2&cursor=${first.nextCursor}`))
    expect(second).toEqual({ items: all.items.slice(2), nextCursor: null, currentVersion: all.currentVersion })
    expect(json(await api('/admin/api/rules/history?cursor=&limit='))).toEqual(all)
  })

  it('refuses a cursor or limit that is not one', async () => {
    for (const [query, error] of [
      ['cursor=abc', /^cursor: is not a cursor of this list/],
      ['cursor=9999999999999:XYZ', /^cursor: /],
      ['limit=0', /^limit: must be an integer from 1 to 200/],
      ['since=1', /^since: is not a known parameter/],
    ] as const) {
      const answer = await api(`/admin/api/rules/history?${query}`)
      expect(answer.status, query).toBe(400)
      expect(json<{ error: string }>(answer).error).toMatch(error)
    }
  })
})

describe('GET /admin/api/rules/history/:version', () => {
  it('serves the source, the version before it and the diff from that one', async () => {
    const a = JSON.stringify({ rules: [{ id: 'hi', when: { text: ['hi'] }, reply: { type: 'text', text: 'a' } }] })
    const b = ruleSet('b')
    await put(a)
    await put(b)
    const answer = await api(`/admin/api/rules/history/${await versionOf(b)}`)
    expect(answer.status).toBe(200)
    const entry = json<{
      version: string
      from: string
      current: boolean
      source: string
      previous: Record<string, unknown> | null
      diff: { lines: { op: string; text: string }[] }[]
    }>(answer)
    expect(entry).toMatchObject({ version: await versionOf(b), from: 'api', current: true, rules: 1, source: b })
    expect(entry.previous).toEqual({
      version: await versionOf(a),
      publishedAt: expect.any(Number),
      from: 'api',
      rules: 1,
      by: 'owner (ADMIN_TOKEN)',
    })
    // The minified first version and the pretty second differ only in the reply text.
    expect(entry.diff.flatMap((h) => h.lines.filter((l) => l.op !== 'same'))).toEqual([
      { op: 'removed', text: '        "text": "a"' },
      { op: 'added', text: '        "text": "b"' },
    ])
    const oldest = json<{ previous: unknown; diff: { lines: { op: string }[] }[] }>(
      await api(`/admin/api/rules/history/${await versionOf(a)}`),
    )
    expect(oldest.previous).toBeNull()
    expect(oldest.diff.flatMap((h) => h.lines).every((l) => l.op === 'added')).toBe(true)
  })

  it('answers 404 for a version not in the history and 400 for one that is not a version', async () => {
    await put(ruleSet('a'))
    const unknown = await api(`/admin/api/rules/history/${UNKNOWN}`)
    expect(unknown.status).toBe(404)
    expect(json(unknown)).toEqual({ error: 'not_found' })
    for (const bad of ['0123', 'ABCDEF0123456789', `${UNKNOWN}0`, 'latest']) {
      const answer = await api(`/admin/api/rules/history/${bad}`)
      expect(answer.status, bad).toBe(400)
      expect(json<{ error: string }>(answer).error).toMatch(/^version: is not a rule-set version/)
    }
  })
})

describe('POST /admin/api/rules/rollback', () => {
  it('restores a version exactly, records it, and refuses a stale ifVersion with 409', async () => {
    const a = ruleSet('a') + '\n\n'
    const b = ruleSet('b')
    await put(a)
    await put(b)
    const stale = await api('/admin/api/rules/rollback', {
      body: JSON.stringify({ version: await versionOf(a), ifVersion: await versionOf(a) }),
    })
    expect(stale.status).toBe(409)
    expect(json(stale)).toEqual({ error: 'version_changed', currentVersion: await versionOf(b) })

    const back = await api('/admin/api/rules/rollback', {
      body: JSON.stringify({ version: await versionOf(a), ifVersion: await versionOf(b) }),
    })
    expect(back.status, back.text).toBe(200)
    expect(json(back)).toEqual({ version: await versionOf(a), rules: 1, unchanged: false })
    expect(await env.RULES.get(RULES_KEY)).toBe(a)
    const page = json<HistoryPageAnswer>(await api('/admin/api/rules/history'))
    expect(page.items.map((i) => [i.from, i.current])).toEqual([
      ['rollback', true],
      ['api', false],
      ['api', false],
    ])
  })

  it('refuses an unknown version (404), malformed bodies (400, 413, 415), and a hand put that does not validate', async () => {
    await put(ruleSet('a'))
    const before = await snapshot()
    const cases: [Call, number, RegExp][] = [
      [{ body: JSON.stringify({ version: UNKNOWN }) }, 404, /^not_found$/],
      [{ body: JSON.stringify({}) }, 400, /^version: /],
      [{ body: JSON.stringify({ version: 'abc' }) }, 400, /^version: is not a rule-set version/],
      [{ body: JSON.stringify({ version: UNKNOWN, ifVersion: 'x' }) }, 400, /^ifVersion: /],
      [{ body: JSON.stringify({ version: UNKNOWN, force: true }) }, 400, /^force: is not a known field/],
      [{ body: '{"version":' }, 400, /^body: is not valid JSON/],
      [{ body: JSON.stringify({ version: UNKNOWN }), contentType: 'text/plain' }, 415, /^body: must be application\/json/],
      [{ body: JSON.stringify({ version: UNKNOWN, pad: 'x'.repeat(2000) }) }, 413, /^body: larger than 1024 bytes/],
    ]
    for (const [call, status, error] of cases) {
      const answer = await api('/admin/api/rules/rollback', call)
      expect(answer.status, String(call.body).slice(0, 80)).toBe(status)
      expect(json<{ error: string }>(answer).error).toMatch(error)
    }
    expect(await snapshot()).toBe(before)

    // A version put by hand is recorded by the next publish; restoring it re-checks it.
    const byHand = '{"rules": "not a list"}'
    await env.RULES.put(RULES_KEY, byHand)
    await put(ruleSet('after'))
    const invalid = await api('/admin/api/rules/rollback', { body: JSON.stringify({ version: await versionOf(byHand) }) })
    expect(invalid.status).toBe(400)
    expect(json<{ error: string; issues: string[] }>(invalid)).toMatchObject({
      error: 'version: the rule set is invalid',
      issues: [expect.stringMatching(/^rules: /)],
    })
  })
})

describe('authentication and the document', () => {
  const routes: [Call['method'], string, string?][] = [
    ['PUT', '/admin/api/rules', ruleSet('x')],
    ['GET', '/admin/api/rules/history'],
    ['GET', `/admin/api/rules/history/${UNKNOWN}`],
    ['POST', '/admin/api/rules/rollback', JSON.stringify({ version: UNKNOWN })],
  ]

  it('refuses every new route without the token, and writes nothing', async () => {
    const before = await snapshot()
    for (const [method, path, body] of routes) {
      for (const authorization of [undefined, 'Bearer wrong-token-of-some-length']) {
        const answer = await api(path, {
          method,
          ...(body === undefined ? {} : { body }),
          headers: authorization ? { authorization } : { authorization: '' },
        })
        expect(answer.status, `${method} ${path}`).toBe(401)
        expect(answer.text).toBe('Unauthorized')
      }
    }
    expect(await snapshot()).toBe(before)
  })

  it('documents them in openapi.json', async () => {
    const doc = json<{
      paths: Record<string, Record<string, { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> }>>
    }>(await api('/admin/api/openapi.json'))
    expect(Object.keys(doc.paths['/admin/api/rules']!).sort()).toEqual(['get', 'put'])
    const publish = doc.paths['/admin/api/rules']!.put!
    expect(publish.parameters?.map((p) => [p.name, p.in])).toEqual([
      ['If-Match', 'header'],
      ['ifVersion', 'query'],
    ])
    expect(Object.keys(publish.responses).sort()).toEqual(['200', '400', '401', '403', '412', '413', '415'])
    expect(doc.paths['/admin/api/rules/history']!.get).toBeDefined()
    expect(doc.paths['/admin/api/rules/history/{version}']!.get!.responses['404']).toBeDefined()
    expect(doc.paths['/admin/api/rules/rollback']!.post!.responses['409']).toBeDefined()
  })
})
