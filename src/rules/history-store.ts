/**
 * Where a publish reads and writes (history.ts): the RULES binding in the Worker, or, for the
 * rules:* scripts, a store whose reads and writes are wrangler commands (scripts/rules-kv.ts).
 * The stored rule set is read through it too (`readStoredRules`): by the loader, the admin
 * API and the console.
 */
import type { HistoryMetadata } from './history-format'
import { RULES_KEY } from './keys'
import { ruleSetVersion } from './version'

export interface StoredKey {
  name: string
  metadata?: unknown
}

export interface StorePut {
  key: string
  value: Uint8Array
  metadata?: HistoryMetadata
}

/** How a read may be served: from KV's edge cache for up to `cacheTtl` seconds (KV's default when absent). */
export interface ReadOptions {
  cacheTtl?: number
}

/** What a publish needs of the RULES namespace. */
export interface RulesStore {
  /** Every key under `prefix` with its metadata (no values). */
  list(prefix: string): Promise<StoredKey[]>
  get(key: string, options?: ReadOptions): Promise<ArrayBuffer | null>
  /**
   * Writes the keys in order, each done before the next starts (KV binding), or all in one
   * request (wrangler's bulk put: the CLI pays seconds per run, and a Worker that finds the
   * new `rules` finds the compiled form written with it).
   */
  putMany(entries: StorePut[]): Promise<void>
  deleteMany(keys: string[]): Promise<void>
}

/** The part of a Workers KV namespace used here: `KVNamespace` has it. */
export interface KvNamespaceLike {
  get(key: string, options: { type: 'arrayBuffer'; cacheTtl?: number }): Promise<ArrayBuffer | null>
  put(key: string, value: ArrayBuffer | ArrayBufferView, options?: { metadata?: unknown }): Promise<void>
  list(options: { prefix: string; cursor?: string | null }): Promise<{ keys: StoredKey[]; list_complete: boolean; cursor?: string }>
  delete(key: string): Promise<void>
}

export type RulesKv = KvNamespaceLike | RulesStore

/** A RulesStore over a KV binding. */
export function kvStore(kv: KvNamespaceLike): RulesStore {
  return {
    async list(prefix) {
      const keys: StoredKey[] = []
      let cursor: string | undefined
      do {
        const page = await kv.list({ prefix, ...(cursor ? { cursor } : {}) })
        keys.push(...page.keys)
        cursor = page.list_complete ? undefined : page.cursor
      } while (cursor)
      return keys
    },
    get: (key, options) => kv.get(key, { type: 'arrayBuffer', ...(options?.cacheTtl === undefined ? {} : { cacheTtl: options.cacheTtl }) }),
    async putMany(entries) {
      for (const { key, value, metadata } of entries) await kv.put(key, value, metadata ? { metadata } : {})
    },
    async deleteMany(keys) {
      await Promise.all(keys.map((key) => kv.delete(key)))
    },
  }
}

/** The store of a binding, or the store itself. */
export const storeOf = (kv: RulesKv): RulesStore => ('putMany' in kv ? kv : kvStore(kv))

/**
 * The store of one app beyond the first (settings/mini-program-state.ts): every key it reads, lists and writes is
 * under `prefix`, and the keys it returns are as the app sees them, without it.
 */
export function scopedStore(store: RulesStore, prefix: string): RulesStore {
  if (prefix === '') return store
  return {
    async list(listPrefix) {
      const keys = await store.list(prefix + listPrefix)
      return keys.map((key) => ({ ...key, name: key.name.slice(prefix.length) }))
    },
    get: (key, options) => store.get(prefix + key, options),
    putMany: (entries) => store.putMany(entries.map((entry) => ({ ...entry, key: prefix + entry.key }))),
    deleteMany: (keys) => store.deleteMany(keys.map((key) => prefix + key)),
  }
}

/** The rule set as stored: its exact bytes, and their version (the hash, never a label stored beside it). */
export interface StoredRules {
  bytes: ArrayBuffer
  version: string
}

/**
 * The rule set stored under `rules` (keys.ts) in `store`, or null when there is none: what
 * the loader compiles, the admin API hands an editor, and the console's form starts from.
 */
export async function readStoredRules(store: RulesStore, options?: ReadOptions): Promise<StoredRules | null> {
  const bytes = await store.get(RULES_KEY, options)
  return bytes === null ? null : { bytes, version: await ruleSetVersion(bytes) }
}
