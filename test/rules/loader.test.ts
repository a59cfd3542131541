import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import type { Env } from '../../src/settings/env'
import { encodeCompiled } from '../../src/rules/codec'
import { compileRules } from '../../src/rules/compile'
import { COMPILED_KEY, RULES_KEY } from '../../src/rules/keys'
import { createRulesLoader } from '../../src/rules/loader'
import { decide } from '../../src/rules/match'
import { validateRuleSet } from '../../src/rules/validate'
import { ruleSetVersion } from '../../src/rules/version'
import type { InboundMessage } from '../../src/wechat/message'
import { captureLogs } from '../support/helpers'

const logs = captureLogs()
const hi: InboundMessage = { toUserName: 'gh', fromUserName: 'o', createTime: 1, type: 'text', msgId: '1', content: 'hi' }

function ruleSetText(reply: string): string {
  return JSON.stringify({ rules: [{ id: 'hi', when: { text: ['hi'] }, reply: { type: 'text', text: reply } }] })
}
const INVALID = JSON.stringify({ rules: [{ id: 'bad', when: { text: ['hi'] }, reply: { type: 'image', url: 'ftp://x' } }] })

/** What rules:push writes: the compiled form, then the rules with their version. */
async function pushLikeTheScript(text: string): Promise<string> {
  const version = await ruleSetVersion(new TextEncoder().encode(text))
  const result = validateRuleSet(JSON.parse(text))
  if (!result.ok) throw new Error('invalid test rule set')
  await env.RULES.put(COMPILED_KEY, encodeCompiled(compileRules(result.value, version)))
  await env.RULES.put(RULES_KEY, text)
  return version
}

const eventsNamed = (name: string) => logs.events().filter((e) => e.event === name)

describe('loadRules with the real RULES namespace', () => {
  beforeEach(async () => {
    await env.RULES.delete(RULES_KEY)
    await env.RULES.delete(COMPILED_KEY)
  })

  it('serves the empty set when there is no rule set, and says so', async () => {
    const loader = createRulesLoader({ recheckMs: 0 })
    const rules = await loader.load(env)
    expect(decide(rules, hi, Date.now())).toMatchObject({ ruleId: null, sends: [], ruleSetVersion: 'empty' })
    expect(loader.status()).toMatchObject({ status: 'missing', version: 'empty', rules: 0, from: 'none' })
    expect(eventsNamed('rules.missing')).toHaveLength(1)
  })

  it('keeps the rule set in force when the key disappears, and says so', async () => {
    const loader = createRulesLoader({ recheckMs: 0 })
    await env.RULES.put(RULES_KEY, ruleSetText('hello'))
    const before = await loader.load(env)
    await env.RULES.delete(RULES_KEY)
    const after = await loader.load(env)
    expect(after.version).toBe(before.version)
    expect(decide(after, hi, Date.now()).ruleId).toBe(decide(before, hi, Date.now()).ruleId)
    expect(loader.status()).toMatchObject({ status: 'missing', version: before.version })
  })

  it('compiles a rule set put by hand, and reuses it while the value is unchanged', async () => {
    const text = ruleSetText('hello')
    await env.RULES.put(RULES_KEY, text)
    const loader = createRulesLoader({ recheckMs: 0 })
    const first = await loader.load(env)
    const second = await loader.load(env)
    expect(second).toBe(first) // same version: no parse, no compile
    expect(first.version).toBe(await ruleSetVersion(new TextEncoder().encode(text)))
    expect(decide(first, hi, Date.now()).sends).toEqual([{ type: 'text', text: 'hello' }])
    expect(loader.status()).toMatchObject({ status: 'ok', rules: 1, from: 'source', version: first.version })
    expect(eventsNamed('rules.loaded')).toHaveLength(1)
  })

  it('uses the compiled form rules:push stored for the same version', async () => {
    const version = await pushLikeTheScript(ruleSetText('from compiled'))
    const loader = createRulesLoader({ recheckMs: 0 })
    const rules = await loader.load(env)
    expect(rules.version).toBe(version)
    expect(decide(rules, hi, Date.now()).sends).toEqual([{ type: 'text', text: 'from compiled' }])
    expect(loader.status()).toMatchObject({ status: 'ok', from: 'compiled' })
  })

  it('ignores a stale compiled form after a hand put, and uses the source', async () => {
    await pushLikeTheScript(ruleSetText('old'))
    await env.RULES.put(RULES_KEY, ruleSetText('new by hand'))
    const loader = createRulesLoader({ recheckMs: 0 })
    const rules = await loader.load(env)
    expect(decide(rules, hi, Date.now()).sends).toEqual([{ type: 'text', text: 'new by hand' }])
    expect(loader.status()).toMatchObject({ status: 'ok', from: 'source' })
    expect(eventsNamed('rules.compiled_stale')).toHaveLength(1)
  })

  it('versions the stored value by its hash: stale metadata from an earlier push cannot pass for it', async () => {
    const old = await pushLikeTheScript(ruleSetText('old'))
    // A hand put that carries the previous push's metadata along (as a copy of the key would).
    await env.RULES.put(RULES_KEY, ruleSetText('new by hand'), { metadata: { version: old } })
    const loader = createRulesLoader({ recheckMs: 0 })
    const rules = await loader.load(env)
    expect(rules.version).not.toBe(old)
    expect(rules.version).toBe(await ruleSetVersion(new TextEncoder().encode(ruleSetText('new by hand'))))
    expect(decide(rules, hi, Date.now()).sends).toEqual([{ type: 'text', text: 'new by hand' }])
    expect(loader.status()).toMatchObject({ from: 'source' })
  })

  it('keeps the last good set when an invalid one arrives, and logs it once per version', async () => {
    await env.RULES.put(RULES_KEY, ruleSetText('good'))
    const loader = createRulesLoader({ recheckMs: 0 })
    const good = await loader.load(env)
    await env.RULES.put(RULES_KEY, INVALID)
    expect(await loader.load(env)).toBe(good)
    expect(await loader.load(env)).toBe(good)
    const invalid = eventsNamed('rules.invalid')
    expect(invalid).toHaveLength(1)
    expect(invalid[0]).toMatchObject({ inForce: good.version, count: 1 })
    expect(String(invalid[0]!.errors)).toContain('rule "bad" at rules[0].reply.url')
    expect(loader.status()).toMatchObject({
      status: 'invalid',
      version: good.version,
      rules: 1,
      errors: [expect.stringContaining('rule "bad" at rules[0].reply.url')],
    })
  })

  it('serves the empty set when the first rule set it sees is invalid, or not JSON', async () => {
    await env.RULES.put(RULES_KEY, '{ not json')
    const loader = createRulesLoader({ recheckMs: 0 })
    expect(decide(await loader.load(env), hi, Date.now()).ruleId).toBeNull()
    expect(loader.status()).toMatchObject({ status: 'invalid', version: 'empty', errors: [expect.stringMatching(/not valid JSON/)] })
  })

  it('recovers when a valid set follows an invalid one', async () => {
    await env.RULES.put(RULES_KEY, INVALID)
    const loader = createRulesLoader({ recheckMs: 0 })
    await loader.load(env)
    await env.RULES.put(RULES_KEY, ruleSetText('fixed'))
    expect(decide(await loader.load(env), hi, Date.now()).sends).toEqual([{ type: 'text', text: 'fixed' }])
    expect(loader.status()).toMatchObject({ status: 'ok' })
    expect(loader.status().errors).toBeUndefined()
  })

  it('does not ask KV again within the recheck interval', async () => {
    let now = 1_000_000
    const loader = createRulesLoader({ recheckMs: 30_000, now: () => now })
    await env.RULES.put(RULES_KEY, ruleSetText('one'))
    const one = await loader.load(env)
    await env.RULES.put(RULES_KEY, ruleSetText('two'))
    expect(await loader.load(env)).toBe(one)
    now += 30_000
    expect(decide(await loader.load(env), hi, Date.now()).sends).toEqual([{ type: 'text', text: 'two' }])
  })

  it('shares one read between concurrent cold requests', async () => {
    await env.RULES.put(RULES_KEY, ruleSetText('once'))
    const loader = createRulesLoader({ recheckMs: 0 })
    const [a, b] = await Promise.all([loader.load(env), loader.load(env)])
    expect(a).toBe(b)
    expect(eventsNamed('rules.loaded')).toHaveLength(1)
  })

  it('keeps the last good set when KV cannot be read, and never throws', async () => {
    await env.RULES.put(RULES_KEY, ruleSetText('good'))
    const loader = createRulesLoader({ recheckMs: 0 })
    const good = await loader.load(env)
    const failing = {
      ...env,
      RULES: { getWithMetadata: () => Promise.reject(new Error('KV down')) } as unknown as KVNamespace,
    } as Env
    expect(await loader.load(failing)).toBe(good)
    expect(loader.status()).toMatchObject({ status: 'unavailable', version: good.version })
    expect(eventsNamed('rules.unavailable')).toHaveLength(1)
    expect(await loader.load(env)).toBe(good)
    expect(loader.status()).toMatchObject({ status: 'ok' })
  })
})
