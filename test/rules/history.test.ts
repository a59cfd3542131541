/**
 * Rule-set history against the real local RULES namespace: every publish keeps the version
 * it replaces (also one put by hand), a rollback puts the old bytes back exactly and the
 * loader then serves the old set, refusals (conflict, invalid) write nothing, publishing the
 * version in force changes nothing, and at most HISTORY_LIMIT entries are kept.
 */
import { env } from 'cloudflare:workers'
import { beforeEach, describe, expect, it } from 'vitest'
import { compiledVersion, encodeCompiled } from '../../src/rules/codec'
import { compileRules } from '../../src/rules/compile'
import { historyEntry, listHistory, publishRules, rollbackRules, type PublishOutcome, type RollbackOutcome } from '../../src/rules/history'
import { historyKey, historyMetadata, readHistoryItem } from '../../src/rules/history-format'
import { COMPILED_KEY, HISTORY_LIMIT, HISTORY_PREFIX, RULES_KEY } from '../../src/rules/keys'
import { createRulesLoader } from '../../src/rules/loader'
import { decide } from '../../src/rules/match'
import { formatIssue, validateRuleSetText } from '../../src/rules/validate'
import { ruleSetVersion } from '../../src/rules/version'
import type { InboundMessage } from '../../src/wechat/message'

const T0 = Date.UTC(2026, 0, 1)
const hi: InboundMessage = { toUserName: 'gh', fromUserName: 'o', createTime: 1, type: 'text', msgId: '1', content: 'hi' }

/** A rule set answering "hi" with `reply`, pretty-printed like a file an editor saved. */
const ruleSet = (reply: string, extra: object[] = []) =>
  JSON.stringify({ rules: [{ id: 'hi', when: { text: ['hi'] }, reply: { type: 'text', text: reply } }, ...extra] }, null, 2) + '\n'

const versionOf = (text: string | Uint8Array) => ruleSetVersion(typeof text === 'string' ? new TextEncoder().encode(text) : text)

async function storedBytes(key: string): Promise<Uint8Array | null> {
  const value = await env.RULES.get(key, 'arrayBuffer')
  return value === null ? null : new Uint8Array(value)
}

/** Every key of the namespace with its value and metadata: "nothing was written" compares two. */
async function snapshot(): Promise<string> {
  const { keys } = await env.RULES.list()
  const entries = await Promise.all(
    keys.map(async (k) => [k.name, JSON.stringify(k.metadata ?? null), [...((await storedBytes(k.name)) ?? [])].join(',')]),
  )
  return JSON.stringify(entries)
}

function published(outcome: RollbackOutcome): Extract<PublishOutcome, { ok: true }> {
  if (!outcome.ok) throw new Error(`not published: ${JSON.stringify(outcome)}`)
  return outcome
}

beforeEach(async () => {
  const { keys } = await env.RULES.list()
  await Promise.all(keys.map((k) => env.RULES.delete(k.name)))
})

describe('publishRules', () => {
  it('stores the exact bytes, the compiled form of that version, and a history entry', async () => {
    // A BOM, CRLF line ends and trailing blanks: kept byte for byte, so the version is theirs.
    const text = '\ufeff' + ruleSet('hello').replace(/\n/g, '\r\n') + '  '
    const outcome = published(await publishRules(env.RULES, text, 'console', T0))
    const bytes = new TextEncoder().encode(text)
    expect(outcome).toEqual({
      ok: true,
      version: await versionOf(bytes),
      rules: 1,
      unchanged: false,
      previousVersion: null,
      recordedUnrecorded: null,
    })
    expect(await storedBytes(RULES_KEY)).toEqual(bytes)
    expect(compiledVersion((await env.RULES.get(COMPILED_KEY, 'arrayBuffer'))!)).toBe(outcome.version)
    const page = await listHistory(env.RULES)
    expect(page).toEqual({
      items: [{ version: outcome.version, publishedAt: T0, from: 'console', rules: 1, current: true }],
      nextCursor: null,
      currentVersion: outcome.version,
    })
    const { keys } = await env.RULES.list({ prefix: HISTORY_PREFIX })
    expect(keys.map((k) => k.name)).toEqual([historyKey(outcome.version, T0)])
    expect(keys[0]!.metadata).toEqual({ version: outcome.version, publishedAt: T0, from: 'console', rules: 1 })
    expect(await storedBytes(keys[0]!.name)).toEqual(bytes)
  })

  it('keeps the previous version, newest first, with its source', async () => {
    const a = published(await publishRules(env.RULES, ruleSet('first'), 'rules:push', T0))
    const b = published(await publishRules(env.RULES, ruleSet('second'), 'console', T0 + 1000))
    expect(b.previousVersion).toBe(a.version)
    const page = await listHistory(env.RULES)
    expect(page.items.map((i) => [i.version, i.from, i.current])).toEqual([
      [b.version, 'console', true],
      [a.version, 'rules:push', false],
    ])
    const entry = await historyEntry(env.RULES, b.version)
    expect(entry).toMatchObject({ version: b.version, from: 'console', current: true, source: ruleSet('second') })
    expect(entry?.previous).toEqual({ version: a.version, publishedAt: T0, from: 'rules:push', rules: 1, source: ruleSet('first') })
    expect((await historyEntry(env.RULES, a.version))?.previous).toBeNull()
  })

  it('records a version put by hand as unrecorded before replacing it', async () => {
    published(await publishRules(env.RULES, ruleSet('pushed'), 'rules:push', T0))
    // Bytes no tool recorded (not even valid: a hand put can be anything).
    const byHand = '{"rules": [{"id": "x"}], "note": "put with wrangler kv key put"}'
    await env.RULES.put(RULES_KEY, byHand)
    const c = published(await publishRules(env.RULES, ruleSet('from the console'), 'console', T0 + 5000))
    const handVersion = await versionOf(byHand)
    expect(c).toMatchObject({ previousVersion: handVersion, recordedUnrecorded: handVersion })
    const page = await listHistory(env.RULES)
    expect(page.items.map((i) => [i.from, i.version, i.publishedAt, i.rules])).toEqual([
      ['console', c.version, T0 + 5000, 1],
      ['unrecorded', handVersion, T0 + 4999, 1],
      ['rules:push', await versionOf(ruleSet('pushed')), T0, 1],
    ])
    expect((await historyEntry(env.RULES, handVersion))?.source).toBe(byHand)
    // It can be diffed against, but not restored: it does not validate.
    const back = await rollbackRules(env.RULES, handVersion, T0 + 6000)
    expect(back).toMatchObject({ ok: false, problem: 'invalid' })
  })

  it('records the version in force once, also when the namespace had only a hand put', async () => {
    await env.RULES.put(RULES_KEY, ruleSet('by hand'))
    published(await publishRules(env.RULES, ruleSet('one'), 'console', T0))
    published(await publishRules(env.RULES, ruleSet('two'), 'console', T0 + 1))
    expect((await listHistory(env.RULES)).items.map((i) => i.from)).toEqual(['console', 'console', 'unrecorded'])
  })

  it('changes nothing when the bytes are the version in force, and says so', async () => {
    const a = published(await publishRules(env.RULES, ruleSet('same'), 'console', T0))
    const before = await snapshot()
    const again = published(await publishRules(env.RULES, ruleSet('same'), 'rules:push', T0 + 1000))
    expect(again).toEqual({ ok: true, version: a.version, rules: 1, unchanged: true, previousVersion: a.version, recordedUnrecorded: null })
    expect(await snapshot()).toBe(before)
  })

  it('brings a stale compiled form up to date on a publish of the version in force', async () => {
    const text = ruleSet('hand put')
    const other = validateRuleSetText(ruleSet('other'))
    if (!other.ok) throw new Error('invalid test set')
    // A hand put after a push: `rules` is new, `rules:compiled` is the old push's.
    await env.RULES.put(COMPILED_KEY, encodeCompiled(compileRules(other.value, await versionOf(ruleSet('other')))))
    await env.RULES.put(RULES_KEY, text)
    const outcome = published(await publishRules(env.RULES, text, 'rules:push', T0))
    expect(outcome.unchanged).toBe(true)
    expect(compiledVersion((await env.RULES.get(COMPILED_KEY, 'arrayBuffer'))!)).toBe(outcome.version)
    expect((await listHistory(env.RULES)).items).toEqual([])
  })

  it('refuses a version that moved on, and writes nothing', async () => {
    const a = published(await publishRules(env.RULES, ruleSet('a'), 'console', T0))
    const b = published(await publishRules(env.RULES, ruleSet('b'), 'rules:push', T0 + 1))
    const before = await snapshot()
    // An editor that started from `a` while `b` was pushed.
    expect(await publishRules(env.RULES, ruleSet('c'), 'console', T0 + 2, a.version)).toEqual({
      ok: false,
      problem: 'conflict',
      currentVersion: b.version,
    })
    expect(await rollbackRules(env.RULES, a.version, T0 + 2, a.version)).toEqual({
      ok: false,
      problem: 'conflict',
      currentVersion: b.version,
    })
    expect(await snapshot()).toBe(before)
    // From the version in force it goes through.
    expect(published(await publishRules(env.RULES, ruleSet('c'), 'console', T0 + 3, b.version)).previousVersion).toBe(b.version)
  })

  it('refuses an ifVersion when there is no rule set at all', async () => {
    expect(await publishRules(env.RULES, ruleSet('a'), 'console', T0, '0123456789abcdef')).toEqual({
      ok: false,
      problem: 'conflict',
      currentVersion: null,
    })
    expect(await snapshot()).toBe('[]')
  })

  it('refuses an invalid rule set, naming the rule and the field, and writes nothing', async () => {
    published(await publishRules(env.RULES, ruleSet('good'), 'console', T0))
    const before = await snapshot()
    const bad = JSON.stringify({
      rules: [
        { id: 'qr', when: { text: ['qr'] }, reply: { type: 'image', url: 'ftp://example.com/qr.png' } },
        { id: 'qr', when: { regex: '(a)\\1' }, reply: { type: 'text', text: 'x' } },
      ],
    })
    const outcome = await publishRules(env.RULES, bad, 'console', T0 + 1)
    if (outcome.ok || outcome.problem !== 'invalid') throw new Error('expected invalid')
    const lines = outcome.issues.map(formatIssue)
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^rule "qr" at rules\[0\]\.reply\.url: must be an http/),
        expect.stringMatching(/^rule "qr" at rules\[1\]\.id: repeats the id of rules\[0\]/),
      ]),
    )
    expect(await publishRules(env.RULES, '{"rules": [', 'console', T0 + 2)).toMatchObject({ ok: false, problem: 'invalid' })
    expect(await snapshot()).toBe(before)
  })

  it('keeps at most HISTORY_LIMIT entries, deleting the oldest', async () => {
    // A full history, written as a publish would, then two publishes (one with a hand put).
    const seeded: string[] = []
    for (let i = 0; i < HISTORY_LIMIT; i++) {
      const text = ruleSet(`seed ${i}`)
      const item = { version: await versionOf(text), publishedAt: T0 + i, from: 'rules:push' as const, rules: 1 }
      seeded.push(item.version)
      await env.RULES.put(historyKey(item.version, item.publishedAt), text, { metadata: historyMetadata(item) })
      if (i === HISTORY_LIMIT - 1) await env.RULES.put(RULES_KEY, text)
    }
    const next = published(await publishRules(env.RULES, ruleSet('next'), 'console', T0 + 1000))
    let versions = (await listHistory(env.RULES, { limit: 1000 })).items.map((i) => i.version)
    expect(versions).toHaveLength(HISTORY_LIMIT)
    expect(versions[0]).toBe(next.version)
    expect(versions.at(-1)).toBe(seeded[1])

    await env.RULES.put(RULES_KEY, ruleSet('by hand'))
    const last = published(await publishRules(env.RULES, ruleSet('last'), 'console', T0 + 2000))
    versions = (await listHistory(env.RULES, { limit: 1000 })).items.map((i) => i.version)
    expect(versions).toHaveLength(HISTORY_LIMIT)
    expect(versions.slice(0, 3)).toEqual([last.version, await versionOf(ruleSet('by hand')), next.version])
    expect(versions.at(-1)).toBe(seeded[3])
    const { keys } = await env.RULES.list({ prefix: HISTORY_PREFIX })
    expect(keys).toHaveLength(HISTORY_LIMIT)
  })

  it('dates a publish after the newest entry when the publisher’s clock is behind', async () => {
    // rules:push from a laptop whose clock runs an hour ahead of the Worker's.
    const ahead = published(await publishRules(env.RULES, ruleSet('laptop'), 'rules:push', T0 + 3_600_000))
    const worker = published(await publishRules(env.RULES, ruleSet('worker'), 'console', T0))
    const page = await listHistory(env.RULES)
    expect(page.items.map((i) => [i.version, i.publishedAt])).toEqual([
      [worker.version, T0 + 3_600_001],
      [ahead.version, T0 + 3_600_000],
    ])
  })
})

describe('rollbackRules', () => {
  it('restores the exact bytes, the loader then serves the old set, and the rollback is recorded', async () => {
    const oldText = '{"rules":[{"id":"hi","when":{"text":["hi"]},"reply":{"type":"text","text":"old"}}]}\n\n'
    const old = published(await publishRules(env.RULES, oldText, 'rules:push', T0))
    const loader = createRulesLoader({ recheckMs: 0 })
    const newer = published(await publishRules(env.RULES, ruleSet('new'), 'console', T0 + 1000))
    expect(decide(await loader.load(env), hi, Date.now()).sends).toEqual([{ type: 'text', text: 'new' }])

    const back = published(await rollbackRules(env.RULES, old.version, T0 + 2000, newer.version))
    expect(back).toMatchObject({ version: old.version, unchanged: false, previousVersion: newer.version })
    expect(await storedBytes(RULES_KEY)).toEqual(new TextEncoder().encode(oldText))
    const rules = await loader.load(env)
    expect(rules.version).toBe(old.version)
    expect(decide(rules, hi, Date.now()).sends).toEqual([{ type: 'text', text: 'old' }])
    expect(loader.status()).toMatchObject({ status: 'ok', from: 'compiled', version: old.version })

    const page = await listHistory(env.RULES)
    expect(page.items.map((i) => [i.version, i.from, i.current])).toEqual([
      [old.version, 'rollback', true],
      [newer.version, 'console', false],
      [old.version, 'rules:push', false],
    ])
    // The rollback can itself be undone.
    expect(published(await rollbackRules(env.RULES, newer.version, T0 + 3000)).version).toBe(newer.version)
    expect(await storedBytes(RULES_KEY)).toEqual(new TextEncoder().encode(ruleSet('new')))
  })

  it('says not_found for a version no entry has, and writes nothing', async () => {
    published(await publishRules(env.RULES, ruleSet('a'), 'console', T0))
    const before = await snapshot()
    expect(await rollbackRules(env.RULES, '0123456789abcdef', T0 + 1)).toEqual({ ok: false, problem: 'not_found' })
    expect(await snapshot()).toBe(before)
  })

  it('is a no-op for the version in force', async () => {
    const a = published(await publishRules(env.RULES, ruleSet('a'), 'console', T0))
    expect(await rollbackRules(env.RULES, a.version, T0 + 1)).toMatchObject({ ok: true, unchanged: true, version: a.version })
    expect((await listHistory(env.RULES)).items).toHaveLength(1)
  })
})

describe('listHistory', () => {
  it('pages newest first with cursors, and marks only the newest entry of the version in force', async () => {
    const texts = ['a', 'b', 'c', 'd'].map((r) => ruleSet(r))
    for (const [i, text] of texts.entries()) published(await publishRules(env.RULES, text, 'console', T0 + i))
    const a = await versionOf(texts[0]!)
    published(await rollbackRules(env.RULES, a, T0 + 10))
    const all = await listHistory(env.RULES, { limit: 100 })
    expect(all.items.map((i) => i.current)).toEqual([true, false, false, false, false])
    expect(all.items[0]).toMatchObject({ version: a, from: 'rollback' })
    expect(all.items[4]).toMatchObject({ version: a, from: 'console', current: false })

    const seen: string[] = []
    let cursor: string | null | undefined
    let pages = 0
    do {
      const page = await listHistory(env.RULES, { limit: 2, ...(cursor ? { cursor } : {}) })
      seen.push(...page.items.map((i) => `${i.version}@${i.publishedAt}`))
      cursor = page.nextCursor
      pages++
    } while (cursor && pages < 10)
    expect(pages).toBe(3)
    expect(seen).toEqual(all.items.map((i) => `${i.version}@${i.publishedAt}`))
    // Something that is not a cursor from here lists nothing, rather than failing.
    expect((await listHistory(env.RULES, { cursor: 'zzz' })).items).toEqual([])
  })

  it('lists nothing for an empty namespace, and the version in force without an entry', async () => {
    expect(await listHistory(env.RULES)).toEqual({ items: [], nextCursor: null, currentVersion: null })
    await env.RULES.put(RULES_KEY, ruleSet('by hand'))
    expect(await listHistory(env.RULES)).toEqual({ items: [], nextCursor: null, currentVersion: await versionOf(ruleSet('by hand')) })
    expect(await historyEntry(env.RULES, await versionOf(ruleSet('by hand')))).toBeNull()
  })
})

describe('the key format', () => {
  it('sorts newest first and reads back; keys of other formats are not entries', () => {
    const older = historyKey('0123456789abcdef', T0)
    const newer = historyKey('fedcba9876543210', T0 + 1)
    expect(newer < older).toBe(true)
    expect(older).toMatch(/^rules:history:\d{13}:0123456789abcdef$/)
    expect(readHistoryItem(older, { version: '0123456789abcdef', publishedAt: T0, from: 'api', rules: 3 })).toEqual({
      key: older,
      version: '0123456789abcdef',
      publishedAt: T0,
      from: 'api',
      rules: 3,
    })
    // Metadata lost or foreign: the key still dates and names it.
    expect(readHistoryItem(older, undefined)).toMatchObject({
      version: '0123456789abcdef',
      publishedAt: T0,
      from: 'unrecorded',
      rules: null,
    })
    expect(readHistoryItem(older, { from: 'elsewhere', rules: -1 })).toMatchObject({ from: 'unrecorded', rules: null })
    expect(readHistoryItem('rules:history:123:0123456789abcdef', {})).toBeNull()
    expect(readHistoryItem(RULES_KEY, {})).toBeNull()
    expect(() => historyKey('XYZ', T0)).toThrow()
  })
})
