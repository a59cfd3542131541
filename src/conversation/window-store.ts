/**
 * The send allowance's events in the object's SQLite (`window_events`: all of the table's
 * statements), and the window they fold to (`window.ts`). Writes are synchronous, so a
 * caller can group them with its own.
 */
import type { GrantingAction, Refusal } from './policy'
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

export function readWindow(sql: SqlStorage): WindowState {
  const rows = sql.exec<EventRow>('SELECT at, kind, remaining, closes_at FROM window_events ORDER BY at, id').toArray()
  return foldWindow(rows.flatMap(toEvent))
}

/** Deletes the events that can no longer change the window (see WINDOW_EVENT_TTL_MS). */
export function pruneWindowEvents(sql: SqlStorage, now: number): void {
  sql.exec('DELETE FROM window_events WHERE at < ?', now - WINDOW_EVENT_TTL_MS)
}

/** When the oldest event becomes prunable, or null when there are none. */
export function windowEventsPrunableAt(sql: SqlStorage): number | null {
  const oldest = sql.exec<{ at: number | null }>('SELECT MIN(at) AS at FROM window_events').one().at
  return oldest === null ? null : oldest + WINDOW_EVENT_TTL_MS
}

/** When the newest event happened; null when there are none. */
export function lastWindowEventAt(sql: SqlStorage): number | null {
  return sql.exec<{ at: number | null }>('SELECT MAX(at) AS at FROM window_events').one().at
}

function insert(sql: SqlStorage, kind: EventKind, at: number): void {
  sql.exec('INSERT INTO window_events (at, kind) VALUES (?, ?)', at, kind)
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
