/**
 * The rule-set history's keys and metadata (see keys.ts), as pure functions: the Worker's
 * history.ts and the rules:* scripts, which reach KV through wrangler, read and write the
 * same format through these.
 */
import { HISTORY_PREFIX } from './keys'

/** Where a version came from. */
export const HISTORY_FROM = ['console', 'api', 'rules:push', 'rollback', 'unrecorded'] as const
export type HistoryFrom = (typeof HISTORY_FROM)[number]

/** One published version, as the history lists it (from the KV metadata, no value read). */
export interface HistoryItem {
  version: string
  /** Epoch ms; for `unrecorded`, when a publish found it in force (just before replacing it). */
  publishedAt: number
  from: HistoryFrom
  /** How many rules it has; null when it is not a rule set's JSON (only ever an `unrecorded` one). */
  rules: number | null
  /**
   * The name of the operator who published it from the console or the admin API (a rollback
   * there too); absent for entries written before operators, by `rules:push` or
   * `rules:rollback`, and for `unrecorded` ones.
   */
  by?: string
}

/** An item and the key it is stored under. */
export interface StoredItem extends HistoryItem {
  key: string
}

/** The KV metadata of an entry: the item itself (well under KV's 1024 bytes). */
export type HistoryMetadata = HistoryItem

const LAST_TIME = 9_999_999_999_999
/** An operator's name as the metadata keeps it: KV's metadata is at most 1024 bytes. */
export const MAX_BY_CHARS = 100
/** A rule-set version (version.ts): 16 lower-case hex digits. */
export const VERSION = /^[0-9a-f]{16}$/
/** A history page's cursor (cursorOf). */
export const HISTORY_CURSOR = /^\d{13}:[0-9a-f]{16}$/
const KEY = /^rules:history:(\d{13}):([0-9a-f]{16})$/

/** The key of a version published at `publishedAt`: KV lists keys ascending, so newest first. */
export function historyKey(version: string, publishedAt: number): string {
  if (!VERSION.test(version)) throw new Error('a version is 16 hex digits')
  if (!Number.isSafeInteger(publishedAt) || publishedAt < 0 || publishedAt > LAST_TIME) throw new Error('publishedAt out of range')
  return `${HISTORY_PREFIX}${String(LAST_TIME - publishedAt).padStart(13, '0')}:${version}`
}

/** The item a listed key holds, or null for a key that is not a history entry. */
export function readHistoryItem(key: string, metadata: unknown): StoredItem | null {
  const match = KEY.exec(key)
  if (!match) return null
  const publishedAt = LAST_TIME - Number(match[1])
  const version = match[2]!
  // The key alone dates and names the entry: metadata lost or written by something else
  // still leaves it listed, as unrecorded.
  const fallback: StoredItem = { key, version, publishedAt, from: 'unrecorded', rules: null }
  if (typeof metadata !== 'object' || metadata === null) return fallback
  const { from, rules, by } = metadata as Record<string, unknown>
  return {
    ...fallback,
    from: HISTORY_FROM.includes(from as HistoryFrom) ? (from as HistoryFrom) : 'unrecorded',
    rules: typeof rules === 'number' && Number.isSafeInteger(rules) && rules >= 0 ? rules : null,
    // Entries from before operators have none: they stay readable, without it.
    ...(typeof by === 'string' && by !== '' ? { by: by.slice(0, MAX_BY_CHARS) } : {}),
  }
}

/** The entries among listed keys, newest first. */
export function historyItems(keys: readonly { name: string; metadata?: unknown }[]): StoredItem[] {
  return keys
    .map((k) => readHistoryItem(k.name, k.metadata))
    .filter((item): item is StoredItem => item !== null)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}

export function historyMetadata(item: HistoryItem): HistoryMetadata {
  const by = item.by?.slice(0, MAX_BY_CHARS)
  return { version: item.version, publishedAt: item.publishedAt, from: item.from, rules: item.rules, ...(by ? { by } : {}) }
}

/**
 * When a new entry is dated: now, but never at or before the newest entry, so the list
 * stays in publishing order when the clocks of a laptop (rules:push) and the Worker differ.
 */
export function nextPublishedAt(now: number, newest: HistoryItem | undefined): number {
  return Math.max(Math.floor(now), newest ? newest.publishedAt + 1 : 0)
}

/** A page position: the key of the last item shown, without the prefix. */
export function cursorOf(item: StoredItem): string {
  return item.key.slice(HISTORY_PREFIX.length)
}
