/**
 * The send allowance's events in the object's SQLite (`window_events`: all of the table's
 * statements), and the window they fold to (`window.ts`). Writes are synchronous, so a
 * caller can group them with its own.
 *
 * A push reads the window up to five times (to claim its first send, to send, to copy the
 * record, to plan the alarm) and writes it twice: the table is read once per instance and
 * kept in step by this module's own writes, which are the table's only ones. What is kept is
 * forgotten when the storage is deleted, or a transaction that may have written here rolls
 * back (`transaction.ts`): `forgetWindow`.
 */
import type { DeskWindow } from './contract'
import { type GrantingAction, type Refusal, refusal } from './policy'
import type { Tables } from './schema.generated'
import { foldWindow, WINDOW_EVENT_TTL_MS, type WindowEvent, type WindowState } from './window'

type EventKind = GrantingAction | 'sent' | Refusal | 'carried'

type EventRow = Omit<Tables['window_events'], 'id'>

export function recordGrant(sql: SqlStorage, action: GrantingAction, at: number): void {
  insert(sql, action, at)
}

/** A send WeChat accepted, when its answer arrived. */
export function recordSent(sql: SqlStorage, at: number): void {
  insert(sql, 'sent', at)
}

/** WeChat's 45015 or 45047, as of when the refused send left. */
export function recordRefusal(sql: SqlStorage, refusal: Refusal, at: number): void {
  insert(sql, refusal, at)
}

/** The events in table order (`at`, then `id`), and their fold once asked for. */
interface Kept {
  rows: EventRow[]
  window: WindowState | null
}
const kept = new WeakMap<SqlStorage, Kept>()

/** What this instance keeps of the table no longer describes it: the next read reads it. */
export function forgetWindow(sql: SqlStorage): void {
  kept.delete(sql)
}

export function readWindow(sql: SqlStorage): WindowState {
  const entry = keptOf(sql)
  entry.window ??= foldWindow(entry.rows.flatMap(toEvent))
  return entry.window
}

function keptOf(sql: SqlStorage): Kept {
  let entry = kept.get(sql)
  if (!entry) {
    entry = { rows: sql.exec<EventRow>('SELECT at, kind, remaining, closes_at FROM window_events ORDER BY at, id').toArray(), window: null }
    kept.set(sql, entry)
  }
  return entry
}

/** Deletes the events that can no longer change the window (see WINDOW_EVENT_TTL_MS). */
export function pruneWindowEvents(sql: SqlStorage, now: number): void {
  const before = now - WINDOW_EVENT_TTL_MS
  sql.exec('DELETE FROM window_events WHERE at < ?', before)
  const entry = kept.get(sql)
  if (!entry?.rows.some((row) => row.at < before)) return
  kept.set(sql, { rows: entry.rows.filter((row) => row.at >= before), window: null })
}

/** When the oldest event becomes prunable, or null when there are none. */
export function windowEventsPrunableAt(sql: SqlStorage): number | null {
  const oldest = keptOf(sql).rows[0]
  return oldest === undefined ? null : oldest.at + WINDOW_EVENT_TTL_MS
}

/** When the newest event happened; null when there are none. */
export function lastWindowEventAt(sql: SqlStorage): number | null {
  return keptOf(sql).rows.at(-1)?.at ?? null
}

function insert(sql: SqlStorage, kind: EventKind, at: number): void {
  sql.exec('INSERT INTO window_events (at, kind) VALUES (?, ?)', at, kind)
  const entry = kept.get(sql)
  if (!entry) return
  // The new row's id is the table's largest: among rows of the same `at` it comes last, as a
  // stable sort by `at` puts it.
  const rows = [...entry.rows, { at, kind, remaining: null, closes_at: null }]
  if (rows.length > 1 && rows[rows.length - 2]!.at > at) rows.sort((a, b) => a.at - b.at)
  kept.set(sql, { rows, window: null })
}

function toEvent(row: EventRow): WindowEvent[] {
  switch (row.kind) {
    case 'message':
    case 'enter_session':
      return [{ kind: 'grant', at: row.at, action: row.kind }]
    case 'sent':
      return [{ kind: 'sent', at: row.at }]
    case 'window_closed':
    case 'limit_reached':
      return [{ kind: 'refused', at: row.at, refusal: row.kind }]
    case 'carried':
      return [{ kind: 'carried', at: row.at, window: { remaining: row.remaining ?? 0, closesAt: row.closes_at ?? 0 } }]
    default:
      // Written by a newer version this code does not know: it cannot be folded, so it is left out.
      return []
  }
}

/**
 * The window as others are shown it — the record's copy, the human desk: a closed window has no
 * sends left, whatever count it closed with.
 */
export function shownWindow(sql: SqlStorage, now: number): DeskWindow {
  const window = readWindow(sql)
  return {
    closesAt: window.closesAt,
    remaining: refusal(window, now) === 'window_closed' ? 0 : window.remaining,
    openedAt: window.openedAt,
  }
}
