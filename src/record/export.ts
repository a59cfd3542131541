/**
 * The export's reads (issue 31): the messages of one mini program for a range of China days,
 * in and out, each with the day its user first wrote (their conversation's `first_at`), in
 * the order of `messages_at` — by time, then by message id — and read in pages, so an export of any size is a series of bounded index searches. The range's China
 * days are a range of times: from the first day's start to the end of the last.
 *
 * One page is two branches merged: the rest of the instant after the last row served
 * (`at = ? AND id > ?`), and the times after it (`at > ? AND at < end`). Each is a seek
 * into `messages_at` ((appid, at, id), and the key's openid), merged without a sort; a
 * single row-value comparison `(at, id) > (?, ?)` would scan the range from its start on every page.
 * `npm run doctor`'s test pushes are left out, as the lists and stats leave them out.
 */
import { DOCTOR_OPENID } from '../doctor'
import { DAY_MS, dayOf, startOfDay } from './day'
import { decodeCursor, encodeCursor, type Position } from './cursor'
import type { MessageRow } from './message-row'
import { all, statement, type Statement } from './sql'

/** Rows per D1 read while the response streams. */
export const EXPORT_PAGE_ROWS = 500
/** The most rows one response holds; the rest follows with `?cursor=` (the answer's `X-Next-Cursor`). */
export const EXPORT_MAX_ROWS = 100_000

export interface ExportRange {
  appid: string
  /** China days, 'YYYY-MM-DD', both included. */
  from: string
  to: string
}

/** Where a read stands: the last row served, by its time (epoch ms) and message id. */
export type ExportPosition = Position

/** One message of the export, as stored, with its user's first day. */
export type ExportRow = Omit<MessageRow, 'appid' | 'pushed_at' | 'updated_at' | 'media'> & {
  /** The conversation's first push (epoch ms); null once its row is gone. */
  first_at: number | null
}

/** Before the range's first row: every id sorts after ''. */
export const startOf = (range: ExportRange): ExportPosition => ({ at: startOfDay(range.from), id: '' })

/** The first instant after the range (its last day's end). */
const endOf = (range: Pick<ExportRange, 'to'>): number => startOfDay(range.to) + DAY_MS

const COLUMNS = `m.id, m.day, m.at, m.direction, m.openid, m.kind, m.text, m.rule_id, m.rules_version, m.unmatched,
  m.inbound_key, m.part, m.manual, m.status, m.errcode, m.reason, m.latency_ms, m.tokens, m.refused, m.sources, c.first_at`
const FROM = `messages AS m INDEXED BY messages_at
  LEFT JOIN conversations AS c ON c.appid = m.appid AND c.openid = m.openid`

/** The rows after `after`, at most `limit`, in export order. */
export function exportPageQuery(range: ExportRange, after: ExportPosition, limit: number): Statement {
  return statement(
    `SELECT ${COLUMNS} FROM ${FROM} WHERE m.appid = ?1 AND m.at = ?2 AND m.id > ?3 AND m.openid <> ?5
     UNION ALL
     SELECT ${COLUMNS} FROM ${FROM} WHERE m.appid = ?1 AND m.at > ?2 AND m.at < ?4 AND m.openid <> ?5
     ORDER BY 3, 1 LIMIT ?6`,
    [range.appid, after.at, after.id, endOf(range), DOCTOR_OPENID, limit],
  )
}

/**
 * The `limit`-th row after `after` and the one after it, if there are that many: where a
 * response of at most `limit` rows ends, and whether more follow. Reads up to `limit` + 1
 * rows once per response (the openid, to leave the doctor's out, is in the table).
 */
export function exportBoundQuery(range: ExportRange, after: ExportPosition, limit: number): Statement {
  return statement(
    `SELECT at, id FROM messages INDEXED BY messages_at WHERE appid = ?1 AND at = ?2 AND id > ?3 AND openid <> ?5
     UNION ALL
     SELECT at, id FROM messages INDEXED BY messages_at WHERE appid = ?1 AND at > ?2 AND at < ?4 AND openid <> ?5
     ORDER BY 1, 2 LIMIT 2 OFFSET ?6`,
    [range.appid, after.at, after.id, endOf(range), DOCTOR_OPENID, limit - 1],
  )
}

export function readExportPage(db: D1Database, range: ExportRange, after: ExportPosition, limit: number): Promise<ExportRow[]> {
  return all<ExportRow>(db, exportPageQuery(range, after, limit))
}

/** Where a response of at most `limit` rows after `after` stops: null when the rest fits. */
export async function exportBound(
  db: D1Database,
  range: ExportRange,
  after: ExportPosition,
  limit: number,
): Promise<ExportPosition | null> {
  const rows = await all<ExportPosition>(db, exportBoundQuery(range, after, limit))
  const last = rows[0]
  return rows.length === 2 && last ? { at: last.at, id: last.id } : null
}

/** Whether `a` comes after `b` in export order. */
export const isAfter = (a: ExportPosition, b: ExportPosition): boolean => a.at > b.at || (a.at === b.at && a.id > b.id)

// ---------------------------------------------------------------- the cursor

/**
 * A continuation: the last row the previous response held, as the lists' cursors are made
 * (cursor.ts). Opaque to clients; valid only for the same range (its time within it).
 */
export const encodeExportCursor = (position: ExportPosition): string => encodeCursor('export', position)

export function decodeExportCursor(cursor: string, range: Pick<ExportRange, 'from' | 'to'>): ExportPosition | null {
  const position = decodeCursor('export', cursor)
  if (position === null) return null
  if (position.at < startOfDay(range.from) || position.at >= endOf(range)) return null
  return position
}

// ---------------------------------------------------------------- days

/** The China day `text` names, if it is one ('YYYY-MM-DD', a real date). */
export function isDay(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false
  const at = Date.parse(`${text}T00:00:00+08:00`)
  return Number.isFinite(at) && dayOf(at) === text
}

/** Days from `from` to `to`, both counted (1 for the same day). */
export const daysBetween = (from: string, to: string): number =>
  Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS) + 1
