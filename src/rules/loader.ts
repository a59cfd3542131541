/**
 * Loads the rule set from KV for the push route. Never throws: a missing, unreadable or
 * invalid rule set leaves the last good one in force (or the empty set), logged once per
 * version and shown in /healthz.
 *
 * Cost: the compiled set lives in isolate memory, keyed by version. KV is asked again at
 * most every `recheckMs` (30 s, like its edge cache and well within KV's own propagation
 * delay), so a warm request does no I/O and no parsing. When the version changes, the
 * compiled form that `rules:push` stored beside the rules is decoded (no build); a rule set
 * put by hand is validated and compiled here instead (see rules/README.md for its cost).
 */
import { rulesStoreOf, scopedKey, scopeOf } from '../settings/mini-program-state'
import { numberSetting, settingState, type Env } from '../settings/env'
import { log } from '../log'
import { compiledVersion, decodeCompiled } from './codec'
import { compileRules, toRuleSet } from './compile'
import { COMPILED_KEY, RULES_CACHE_TTL, RULES_KEY } from './keys'
import { readStoredRules } from './history-store'
import { EMPTY_RULE_SET, type RuleSet } from './rule-set'
import { formatIssue, validateRuleSetText } from './validate'

export type RulesState =
  /** Not read from KV yet in this isolate. */
  | 'not_loaded'
  /** The rule set in KV is the one in force. */
  | 'ok'
  /** KV has no `rules` key: the set in force stays (the empty one in a fresh isolate). */
  | 'missing'
  /** The rule set in KV is invalid: the last good one (or the empty set) is in force. */
  | 'invalid'
  /** KV could not be read: the last good one is in force. */
  | 'unavailable'

export interface RulesStatus {
  /** The version in force (`empty` for the built-in empty set). */
  version: string
  status: RulesState
  /** How many rules the set in force has. */
  rules: number
  /** How the set in force was loaded. */
  from: 'compiled' | 'source' | 'none'
  /** The version in KV, when it is not the one in force. */
  rejectedVersion?: string
  /** Why it was rejected (at most MAX_REPORTED_ERRORS). */
  errors?: string[]
}

export interface RulesLoaderOptions {
  /** How long a loaded set is used before KV is asked again; default RULES_REFRESH_SECONDS. */
  recheckMs?: number
  now?: () => number
}

export interface RulesLoader {
  load(env: Env): Promise<RuleSet>
  status(): RulesStatus
}

const MAX_REPORTED_ERRORS = 20

export function createRulesLoader(options: RulesLoaderOptions = {}): RulesLoader {
  const now = options.now ?? Date.now
  let ruleSet: RuleSet = EMPTY_RULE_SET
  let from: RulesStatus['from'] = 'none'
  let state: RulesState = 'not_loaded'
  /** The version last read from KV (valid or not), and why it was rejected. */
  let seenVersion: string | null = null
  let rejection: { version: string; errors: string[] } | null = null
  let checkedAt = -Infinity
  let pending: Promise<RuleSet> | null = null

  function load(env: Env): Promise<RuleSet> {
    // A read in flight is awaited, never bypassed: `checkedAt` is set as soon as KV answers,
    // before the set is decoded or compiled, and answering from `ruleSet` in between gave a
    // cold isolate's concurrent first pushes the empty set (no reply, and never a retry).
    if (pending) return pending
    if (now() - checkedAt < (options.recheckMs ?? refreshMs(env))) return Promise.resolve(ruleSet)
    // Concurrent requests of a cold isolate share one read and one compile.
    pending ??= refresh(env).finally(() => {
      pending = null
    })
    return pending
  }

  async function refresh(env: Env): Promise<RuleSet> {
    try {
      // Its version is the hash of what is stored, never a label stored beside it: a hand put
      // that kept old metadata would otherwise pass for the version it replaced (and its
      // compiled form).
      const stored = await readStoredRules(rulesStoreOf(env), { cacheTtl: RULES_CACHE_TTL })
      checkedAt = now()
      if (stored === null) return missing(env)
      const { version, bytes } = stored
      if (version === seenVersion) {
        state = rejection ? 'invalid' : 'ok'
        return ruleSet
      }
      await apply(env, version, bytes)
      // Only once applied: a version whose loading failed (a KV error) is tried again.
      seenVersion = version
    } catch (error) {
      checkedAt = now()
      if (state !== 'unavailable') log.error('rules.unavailable', { error: (error as Error).name })
      state = 'unavailable'
    }
    return ruleSet
  }

  /**
   * No `rules` key: the set in force stays (a fresh isolate has the empty one). To stop all
   * replies on purpose, push a rule set with no rules.
   */
  function missing(env: Env): RuleSet {
    if (state !== 'missing') log.warn('rules.missing', { key: scopedKey(env, RULES_KEY), inForce: ruleSet.version })
    seenVersion = null
    rejection = null
    state = 'missing'
    return ruleSet
  }

  async function apply(env: Env, version: string, value: ArrayBuffer): Promise<void> {
    const compiled = await readCompiled(env, version)
    if (compiled) return use(compiled, 'compiled')
    const validation = validateRuleSetText(new TextDecoder().decode(value))
    if (!validation.ok) {
      const errors = validation.issues.map(formatIssue)
      rejection = { version, errors: errors.slice(0, MAX_REPORTED_ERRORS) }
      state = 'invalid'
      log.error('rules.invalid', {
        version,
        inForce: ruleSet.version,
        count: errors.length,
        errors: errors.slice(0, MAX_REPORTED_ERRORS).join('\n'),
      })
      return
    }
    use(toRuleSet(compileRules(validation.value, version)), 'source')
  }

  function use(next: RuleSet, how: 'compiled' | 'source'): void {
    ruleSet = next
    from = how
    rejection = null
    state = 'ok'
    log.info('rules.loaded', { version: next.version, rules: next.size, from: how })
  }

  /** The compiled form, when rules:push stored one for exactly this version. */
  async function readCompiled(env: Env, version: string): Promise<RuleSet | null> {
    const bytes = await rulesStoreOf(env).get(COMPILED_KEY, { cacheTtl: RULES_CACHE_TTL })
    if (bytes === null) return null
    const compiledFor = compiledVersion(bytes)
    if (compiledFor !== version) {
      // A hand put after a push, or KV not yet showing both keys: the source wins.
      log.info('rules.compiled_stale', { version, compiledFor })
      return null
    }
    try {
      return decodeCompiled(bytes)
    } catch (error) {
      log.warn('rules.compiled_unreadable', { version, error: (error as Error).message })
      return null
    }
  }

  function status(): RulesStatus {
    const base: RulesStatus = { version: ruleSet.version, status: state, rules: ruleSet.size, from }
    if (!rejection) return base
    return { ...base, rejectedVersion: rejection.version, errors: rejection.errors }
  }

  return { load, status }
}

/** RULES_REFRESH_SECONDS, or 30 s when unset or malformed (/healthz reports the latter). */
function refreshMs(env: Env): number {
  if (settingState(env, 'RULES_REFRESH_SECONDS').status !== 'ok') return DEFAULT_REFRESH_MS
  return numberSetting(env, 'RULES_REFRESH_SECONDS', DEFAULT_REFRESH_MS / 1000) * 1000
}

const DEFAULT_REFRESH_MS = 30_000

/** One loader per app (settings/mini-program-state.ts): each app's rule set, in force for this isolate. */
const isolateLoaders = new Map<string, RulesLoader>()

function loaderOf(env: Env): RulesLoader {
  const scope = scopeOf(env)
  let loader = isolateLoaders.get(scope)
  if (loader === undefined) {
    loader = createRulesLoader()
    isolateLoaders.set(scope, loader)
  }
  return loader
}

/** The app's rule set in force for this isolate; never throws. */
export function loadRules(env: Env): Promise<RuleSet> {
  return loaderOf(env).load(env)
}

/** What /healthz shows about the app's rule set in force. */
export function rulesStatus(env: Env): RulesStatus {
  return loaderOf(env).status()
}
