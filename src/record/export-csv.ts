/**
 * The export as CSV (RFC 4180), pure: a header line, then one line per message, lines ended
 * by CRLF. A field holding a comma, a double quote, CR or LF is quoted, its quotes doubled.
 *
 * - The file starts with a UTF-8 byte-order mark: Excel on Windows reads a CSV without one in
 *   the system's code page (GBK on a Chinese Windows) and garbles every Chinese text; with it,
 *   Excel, Numbers, LibreOffice and Google Sheets read UTF-8. Scripts: `encoding='utf-8-sig'`
 *   (pandas), or strip U+FEFF (the console's own CSV reader, console/csv.ts, does).
 * - Every text cell is the user's or comes from a rule: one starting with `=`, `+`, `-`, `@`,
 *   a tab or CR gets a leading apostrophe, so a spreadsheet shows it as text and never runs
 *   it as a formula (CSV injection). Numbers are written as numbers, never guarded.
 * - Empty cell: nothing recorded (null), e.g. a text past RETENTION_DAYS.
 */
import { dayOf } from './day'
import type { ExportRow } from './export'

export const CSV_BOM = '\uFEFF'

type Cell = string | number | null

/** The columns, in order, with what each holds (README's table says the same). */
export const EXPORT_COLUMNS = [
  'day', // China day of `at_ms`, YYYY-MM-DD
  'time', // China time (UTC+8) of `at_ms`, YYYY-MM-DD HH:MM:SS
  'at_ms', // in: when the user acted; out: when the push it answers arrived (epoch ms)
  'direction', // in (from the user) or out (to the user)
  'openid',
  'kind', // in: message or event type; out: reply type
  'text', // what was said or sent, ≤ 200 characters as stored; empty after RETENTION_DAYS
  'rule_id', // the rule that answered (default, faq:<entry>, ai, ai:fallback, …)
  'rules_version', // in: the rule set in force
  'unmatched', // in: 1 when only the default reply answered a text
  'status', // in: received; out: pending, sent, failed, dropped
  'errcode', // out: WeChat's errcode of a failed send
  'reason', // out: why it failed or was dropped
  'part', // out: which part of the reply (0 first)
  'manual', // out: 1 for an operator's reply by hand
  'latency_ms', // out, sent by a rule: push to reply
  'ai_tokens', // out, the model's answer (first part): tokens spent
  'ai_refused', // out: why the model's answer was not sent and the fallback was
  'ai_sources', // out: the knowledge entries it drew on (JSON array)
  'message_id', // in: the push's dedup key (msg:<MsgId> or event:…); out: out:<openid>:<n>
  'in_reply_to', // out: message_id of the push it answers
  'user_first_day', // China day of the user's first recorded push (new or returning)
] as const

const NEEDS_QUOTES = /[",\r\n]/
const FORMULA_START = /^[=+\-@\t\r]/

/**
 * One cell: a number as it is, text guarded against formulas and quoted when it must be.
 *
 * @example
 * csvCell('=1+1') // "'=1+1"
 * csvCell('a, "b"') // '"a, ""b"""'
 */
export function csvCell(value: Cell): string {
  if (value === null) return ''
  if (typeof value === 'number') return String(value)
  const text = FORMULA_START.test(value) ? `'${value}` : value
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export const csvLine = (cells: readonly Cell[]): string => `${cells.map(csvCell).join(',')}\r\n`

/** The file's first line, after the byte-order mark. */
export const exportHeader = (): string => CSV_BOM + csvLine(EXPORT_COLUMNS)

/** China Standard Time, as day.ts counts days. */
const ZONE_OFFSET_MS = 8 * 60 * 60 * 1000

/** An instant in China time, as spreadsheets read a date and time: `2025-01-02 09:30:00`. */
export const chinaTime = (at: number): string => new Date(at + ZONE_OFFSET_MS).toISOString().slice(0, 19).replace('T', ' ')

/** One message's line, in the order of EXPORT_COLUMNS. */
export function exportLine(row: ExportRow): string {
  const out = row.direction === 'out'
  return csvLine([
    row.day,
    chinaTime(row.at),
    row.at,
    row.direction,
    row.openid,
    row.kind,
    row.text,
    row.rule_id,
    row.rules_version,
    out ? null : row.unmatched,
    row.status,
    row.errcode,
    row.reason,
    row.part,
    out ? row.manual : null,
    row.latency_ms,
    row.tokens,
    row.refused,
    row.sources,
    row.id,
    row.inbound_key,
    row.first_at === null ? null : dayOf(row.first_at),
  ])
}
