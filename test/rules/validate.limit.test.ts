/**
 * One limit on the rules a set holds (MAX_RULES in rules/validate.ts), held by the validator
 * and so by every way in: a set one rule over is refused with the same issue by the admin
 * API's publish and preview, a rollback to it, and the loader that meets it put by hand (the
 * console: test/console/rules-routes.test.ts; rules:check and rules:push: test/node/rules-limit.test.ts).
 * A set at the limit is valid. Real Worker and local KV.
 */
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { RULES_KEY } from '../../src/rules/keys'
import { createRulesLoader } from '../../src/rules/loader'
import { formatIssue, MAX_RULES, validateRuleSet } from '../../src/rules/validate'
import { ruleSetVersion } from '../../src/rules/version'
import { workerFetch } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'

const AUTH = { authorization: `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}`, 'content-type': 'application/json' }
const OVER_LIMIT = `rules: has ${(MAX_RULES + 1).toLocaleString('en')} rules, over the limit of ${MAX_RULES.toLocaleString('en')}`

const rule = (i: number) => ({ id: `r${i}`, when: { contains: [`词${i}`] }, reply: { type: 'text', text: `回复 ${i}` } })
const rules = (n: number) => ({ rules: Array.from({ length: n }, (_, i) => rule(i)) })
/**
 * Over the limit, and small enough for the API's 256 KiB body: empty rules are invalid too,
 * but a set over the limit is refused for its count alone, before any rule is looked at.
 */
const OVER_SMALL = JSON.stringify({ rules: Array.from({ length: MAX_RULES + 1 }, () => ({})) })

async function api(path: string, method: 'GET' | 'POST' | 'PUT', body?: string) {
  const res = await workerFetch(path, { method, headers: AUTH, ...(body === undefined ? {} : { body }) })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

beforeEach(async () => {
  const { keys } = await env.RULES.list()
  await Promise.all(keys.map((k) => env.RULES.delete(k.name)))
})

describe('the validator', () => {
  it('takes a set at the limit and refuses one rule more, with one issue naming the count', () => {
    expect(validateRuleSet(rules(MAX_RULES)).ok).toBe(true)
    const over = validateRuleSet(rules(MAX_RULES + 1))
    expect(over.ok).toBe(false)
    if (over.ok) return
    expect(over.issues.map(formatIssue)).toEqual([OVER_LIMIT])
    const junk = validateRuleSet(JSON.parse(OVER_SMALL))
    expect(!junk.ok && junk.issues.map(formatIssue)).toEqual([OVER_LIMIT])
  })
})

describe('the admin API', () => {
  it('refuses to publish or preview a set over the limit with the same issue, writing nothing', async () => {
    const put = await api('/admin/api/rules', 'PUT', OVER_SMALL)
    expect(put).toEqual({ status: 400, body: { error: 'body: the rule set is invalid', issues: [OVER_LIMIT] } })
    expect((await env.RULES.list()).keys).toEqual([])
    const preview = await api(
      '/admin/api/rules/preview',
      'POST',
      JSON.stringify({ message: { type: 'text', text: 'x' }, rules: JSON.parse(OVER_SMALL) }),
    )
    expect(preview).toEqual({ status: 400, body: { error: 'rules: the draft rule set is invalid', issues: [OVER_LIMIT] } })
  })

  it('says why a set over the limit put by hand is not in force, and refuses to restore it', async () => {
    const over = JSON.stringify(rules(MAX_RULES + 1))
    await env.RULES.put(RULES_KEY, over)
    // GET loads the stored set as a push would; it is refused, with the same issue.
    const status = await api('/admin/api/rules', 'GET')
    expect(status.body).toMatchObject({ status: 'invalid', version: 'empty', errors: [OVER_LIMIT] })
    // The next publish records it; a rollback to it checks it again.
    expect((await api('/admin/api/rules', 'PUT', JSON.stringify(rules(3)))).status).toBe(200)
    const back = await api(
      '/admin/api/rules/rollback',
      'POST',
      JSON.stringify({ version: await ruleSetVersion(new TextEncoder().encode(over)) }),
    )
    expect(back).toEqual({ status: 400, body: { error: 'version: the rule set is invalid', issues: [OVER_LIMIT] } })
    expect(JSON.parse((await env.RULES.get(RULES_KEY))!)).toEqual(rules(3))
  })
})

describe('the loader', () => {
  it('keeps the last good set when a set over the limit is put by hand, naming the count', async () => {
    await env.RULES.put(RULES_KEY, JSON.stringify(rules(2)))
    const loader = createRulesLoader({ recheckMs: 0 })
    const good = await loader.load(env)
    await env.RULES.put(RULES_KEY, JSON.stringify(rules(MAX_RULES + 1)))
    expect(await loader.load(env)).toBe(good)
    expect(loader.status()).toMatchObject({ status: 'invalid', version: good.version, rules: 2, errors: [OVER_LIMIT] })
  })
})
