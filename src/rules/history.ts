/**
 * Publishing a rule set, and its history: every publish — the console, the admin API,
 * `rules:push`, a rollback — validates and compiles the set as `rules:check` and the loader
 * do, writes `rules:compiled` then `rules`, and keeps the version as a history entry (format
 * in keys.ts and history-format.ts). A rollback publishes an entry's exact bytes again, so
 * the version after it is the old version, and it is itself in the history to undo.
 *
 * The functions take the RULES binding (`c.env.RULES`) or a RulesStore: the rules:* scripts
 * pass one that reaches KV through wrangler, so both run this same code.
 *
 * KV has no transactions: `ifVersion` is checked against a read just before the writes. In
 * the Worker, the admin API and the console publish and roll back through their app's
 * RulePublisher object (publisher.ts), which runs them one at a time, so of two publishes
 * from the same version one is refused as a conflict. `rules:push` and `rules:rollback` write
 * KV through wrangler and cannot reach that object: a push that lands between a Worker
 * publish's check and its writes is replaced by that publish without a conflict (its history
 * entry stays). KV is also eventually consistent (up to a minute between locations, and for
 * lists): a push and a Worker publish within a minute of each other may record a version twice.
 */
import { log } from '../log'
import { compiledVersion, encodeCompiled } from './codec'
import { compileRules } from './compile'
import {
  cursorOf,
  historyItems,
  historyKey,
  historyMetadata,
  nextPublishedAt,
  type HistoryFrom,
  type HistoryItem,
  type StoredItem,
} from './history-format'
import { COMPILED_KEY, HISTORY_LIMIT, HISTORY_PREFIX, RULES_KEY } from './keys'
import { storeOf, type RulesKv, type RulesStore } from './history-store'
import { validateRuleSetText, type RuleIssue } from './validate'
import { ruleSetVersion } from './version'

export type { HistoryFrom, HistoryItem } from './history-format'
export type { KvNamespaceLike, RulesKv, RulesStore, StoredKey, StorePut } from './history-store'

interface State {
  current: { bytes: ArrayBuffer; version: string } | null
  /** Newest first. */
  items: StoredItem[]
}

async function readCurrent(store: RulesStore): Promise<State['current']> {
  const bytes = await store.get(RULES_KEY)
  return bytes === null ? null : { bytes, version: await ruleSetVersion(bytes) }
}

async function readState(store: RulesStore): Promise<State> {
  const [current, keys] = await Promise.all([readCurrent(store), store.list(HISTORY_PREFIX)])
  return { current, items: historyItems(keys) }
}

const decode = (bytes: ArrayBuffer) => new TextDecoder().decode(bytes)
const publicItem = ({ version, publishedAt, from, rules, by }: HistoryItem): HistoryItem => ({
  version,
  publishedAt,
  from,
  rules,
  ...(by === undefined ? {} : { by }),
})

// ---------------------------------------------------------------- publishing

export type PublishOutcome =
  | {
      ok: true
      version: string
      rules: number
      /** The bytes were already the rule set in force: nothing was published or recorded. */
      unchanged: boolean
      /** The version in force before (null when there was none). */
      previousVersion: string | null
      /** That version, recorded as `unrecorded` because no entry had it (put by hand). */
      recordedUnrecorded: string | null
    }
  /** Nothing was written. */
  | { ok: false; problem: 'invalid'; issues: RuleIssue[] }
  /** The version in force is not `ifVersion`; nothing was written. */
  | { ok: false; problem: 'conflict'; currentVersion: string | null }

export type RollbackOutcome = PublishOutcome | { ok: false; problem: 'not_found' }

/**
 * Publishes a rule set: `source` is stored exactly as given (a string as UTF-8). `ifVersion`
 * is the version the editor started from; when another is in force, nothing is written.
 * `by` names the operator who published it (the console, the admin API); scripts give none.
 */
export async function publishRules(
  kv: RulesKv,
  source: string | Uint8Array,
  from: Exclude<HistoryFrom, 'unrecorded'>,
  now: number,
  ifVersion?: string,
  by?: string,
): Promise<PublishOutcome> {
  const bytes = typeof source === 'string' ? new TextEncoder().encode(source) : source
  const validation = validateRuleSetText(new TextDecoder().decode(bytes))
  if (!validation.ok) return { ok: false, problem: 'invalid', issues: validation.issues }
  const store = storeOf(kv)
  const version = await ruleSetVersion(bytes)
  const current = await readCurrent(store)
  const currentVersion = current?.version ?? null
  if (ifVersion !== undefined && ifVersion !== currentVersion) return { ok: false, problem: 'conflict', currentVersion }
  const rules = validation.value.rules.length
  const compile = () => encodeCompiled(compileRules(validation.value, version))

  if (version === currentVersion) {
    // The set stays; only a compiled form left stale by a hand put is brought up to date,
    // as a push of the same file always did.
    const stored = await store.get(COMPILED_KEY)
    if (stored === null || compiledVersion(stored) !== version) await store.putMany([{ key: COMPILED_KEY, value: compile() }])
    return { ok: true, version, rules, unchanged: true, previousVersion: currentVersion, recordedUnrecorded: null }
  }

  // The version in force is kept even when nothing recorded it (put by hand), dated just
  // before this one.
  const items = historyItems(await store.list(HISTORY_PREFIX))
  const unrecorded = current !== null && items[0]?.version !== current.version ? current : null
  const firstAt = nextPublishedAt(unrecorded ? now - 1 : now, items[0])
  // Newest first, as the history lists them.
  const added: { item: HistoryItem; value: Uint8Array }[] = [
    { item: { version, publishedAt: unrecorded ? firstAt + 1 : firstAt, from, rules, ...(by ? { by } : {}) }, value: bytes },
    ...(unrecorded
      ? [
          {
            item: { version: unrecorded.version, publishedAt: firstAt, from: 'unrecorded' as const, rules: ruleCount(unrecorded.bytes) },
            value: new Uint8Array(unrecorded.bytes),
          },
        ]
      : []),
  ]

  // The compiled form first: a Worker that sees the new `rules` finds it (codec.ts). The
  // entries last: a failure before them leaves a version in force that the next publish
  // records as unrecorded, never an entry for a version that was not published.
  await store.putMany([
    { key: COMPILED_KEY, value: compile() },
    { key: RULES_KEY, value: bytes },
    ...added.map(({ item, value }) => ({ key: historyKey(item.version, item.publishedAt), value, metadata: historyMetadata(item) })),
  ])
  const beyond = items.slice(Math.max(0, HISTORY_LIMIT - added.length))
  if (beyond.length > 0) await store.deleteMany(beyond.map((item) => item.key))
  return { ok: true, version, rules, unchanged: false, previousVersion: currentVersion, recordedUnrecorded: unrecorded?.version ?? null }
}

/** The log line of a publish or rollback; the routes and the console write it, scripts print their own. */
export function logPublish(outcome: RollbackOutcome, from: Exclude<HistoryFrom, 'unrecorded'>): void {
  if (outcome.ok) {
    const { version, rules, unchanged, previousVersion, recordedUnrecorded } = outcome
    log.info('rules.published', { version, from, rules, unchanged, previousVersion, recordedUnrecorded })
  } else {
    const count = outcome.problem === 'invalid' ? outcome.issues.length : undefined
    const currentVersion = outcome.problem === 'conflict' ? outcome.currentVersion : undefined
    log.warn('rules.publish_refused', { from, problem: outcome.problem, issues: count, currentVersion })
  }
}

/** Publishes the exact bytes of a version in the history again, from `rollback` (by the operator named, if any). */
export async function rollbackRules(kv: RulesKv, version: string, now: number, ifVersion?: string, by?: string): Promise<RollbackOutcome> {
  const store = storeOf(kv)
  const item = historyItems(await store.list(HISTORY_PREFIX)).find((i) => i.version === version)
  const bytes = item ? await store.get(item.key) : null
  if (bytes === null) return { ok: false, problem: 'not_found' }
  return publishRules(store, new Uint8Array(bytes), 'rollback', now, ifVersion, by)
}

/** The `rules` count of a stored set that may not validate: null when it is not a set's JSON. */
function ruleCount(bytes: ArrayBuffer): number | null {
  try {
    const parsed: unknown = JSON.parse(decode(bytes))
    const rules = typeof parsed === 'object' && parsed !== null ? (parsed as { rules?: unknown }).rules : undefined
    return Array.isArray(rules) ? rules.length : null
  } catch {
    return null
  }
}

// ---------------------------------------------------------------- reading

export interface HistoryListItem extends HistoryItem {
  /** The entry of the rule set in force: the newest with its version. */
  current: boolean
}

export interface HistoryPage {
  items: HistoryListItem[]
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: string | null
  /** The version in force (null when there is none); may have no entry if put by hand. */
  currentVersion: string | null
}

export interface HistoryDetail extends HistoryListItem {
  source: string
  /** The entry published before it, and its source (for a diff); null for the oldest kept. */
  previous: (HistoryItem & { source: string }) | null
}

export const DEFAULT_HISTORY_LIMIT = 50

/** The history, newest first. A cursor that is not one from here gives an empty page. */
export async function listHistory(kv: RulesKv, options: { limit?: number; cursor?: string } = {}): Promise<HistoryPage> {
  const { current, items } = await readState(storeOf(kv))
  const limit = Math.min(Math.max(Math.floor(options.limit ?? DEFAULT_HISTORY_LIMIT), 1), 1000)
  const currentKey = current ? items.find((i) => i.version === current.version)?.key : undefined
  const after = options.cursor === undefined ? null : HISTORY_PREFIX + options.cursor
  const rest = after === null ? items : items.filter((i) => i.key > after)
  const page = rest.slice(0, limit)
  const last = page[page.length - 1]
  return {
    items: page.map((i) => ({ ...publicItem(i), current: i.key === currentKey })),
    nextCursor: rest.length > limit && last ? cursorOf(last) : null,
    currentVersion: current?.version ?? null,
  }
}

/** A version's newest entry with its source, and the entry before it; null if none has it. */
export async function historyEntry(kv: RulesKv, version: string): Promise<HistoryDetail | null> {
  const store = storeOf(kv)
  const { current, items } = await readState(store)
  const index = items.findIndex((i) => i.version === version)
  const item = items[index]
  if (!item) return null
  const before = items[index + 1]
  const [bytes, previousBytes] = await Promise.all([store.get(item.key), before ? store.get(before.key) : null])
  if (bytes === null) return null
  const currentKey = current ? items.find((i) => i.version === current.version)?.key : undefined
  return {
    ...publicItem(item),
    current: item.key === currentKey,
    source: decode(bytes),
    previous: before && previousBytes ? { ...publicItem(before), source: decode(previousBytes) } : null,
  }
}
