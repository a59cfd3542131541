/**
 * The office hours as form fields and back, for the rules editor (rule-form.ts): a time zone,
 * a weekly grid of open periods, holidays and make-up working days as dates, and the hours of
 * those make-up days. No field takes JSON.
 *
 * Field names:
 *   hours.on                      'on': the set has office hours
 *   hours.tz                      an IANA time zone
 *   hours.<day>.count, hours.<day>.<n>.start / .end        the day's open periods (day: mon … sun, open_hours)
 *   hours.closed.count, hours.closed.<n>                   holidays (YYYY-MM-DD)
 *   hours.open.count, hours.open.<n>                       make-up working days
 * A period or date left empty is dropped, so the page can always offer a blank one to fill.
 */
import { isRecord } from '../is-record'
import { WEEKDAYS, type Weekday } from '../rules/hours'

/** The grid's rows: the weekdays, and the make-up days' own hours. */
export const PERIOD_ROWS = [...WEEKDAYS, 'open_hours'] as const
export type PeriodRow = (typeof PERIOD_ROWS)[number]
export const DATE_LISTS = ['closed', 'open'] as const
export type DateList = (typeof DATE_LISTS)[number]

export interface Period {
  start: string
  end: string
}

export interface HoursDraft {
  tz: string
  periods: Record<PeriodRow, Period[]>
  closed: string[]
  open: string[]
}

export const DEFAULT_TZ = 'Asia/Shanghai'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** A new block: Monday to Friday, 09:00–18:00, China time. */
export function newHours(): HoursDraft {
  const draft = emptyHours()
  for (const day of WEEKDAYS.slice(0, 5)) draft.periods[day] = [{ start: '09:00', end: '18:00' }]
  return draft
}

function emptyHours(): HoursDraft {
  return {
    tz: DEFAULT_TZ,
    periods: Object.fromEntries(PERIOD_ROWS.map((row) => [row, []])) as unknown as Record<PeriodRow, Period[]>,
    closed: [],
    open: [],
  }
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item) => typeof item === 'string') : [])

function periodOf(text: string): Period {
  const [start = '', end = ''] = text.split('-')
  return { start: start.trim(), end: end.trim() }
}

/** The draft of a stored `hours` block; null when the set has none. */
export function hoursDraftOf(raw: unknown): HoursDraft | null {
  if (raw === undefined) return null
  const block = isRecord(raw) ? raw : {}
  const weekly = isRecord(block.weekly) ? block.weekly : {}
  const draft = emptyHours()
  draft.tz = typeof block.tz === 'string' ? block.tz : ''
  for (const day of WEEKDAYS) draft.periods[day] = strings(weekly[day]).map(periodOf)
  draft.periods.open_hours = strings(block.open_hours).map(periodOf)
  draft.closed = strings(block.closed)
  draft.open = strings(block.open)
  return draft
}

/** The rule set's `hours` block. Days without periods are left out: a day not listed is closed. */
export function hoursOf(draft: HoursDraft): Json {
  const intervals = (row: PeriodRow) => draft.periods[row].filter(filled).map((period) => `${period.start}-${period.end}`)
  const weekly: Record<string, Json> = {}
  for (const day of WEEKDAYS) {
    const list = intervals(day)
    if (list.length > 0) weekly[day] = list
  }
  const out: Record<string, Json> = { tz: draft.tz.trim(), weekly }
  const closed = draft.closed.filter((date) => date.trim() !== '')
  const open = draft.open.filter((date) => date.trim() !== '')
  if (closed.length > 0) out.closed = closed
  if (open.length > 0) out.open = open
  const openHours = intervals('open_hours')
  if (openHours.length > 0) out.open_hours = openHours
  return out
}

const filled = (period: Period) => period.start !== '' || period.end !== ''

export function hoursFields(draft: HoursDraft | null): Record<string, string> {
  if (draft === null) return { 'hours.on': '' }
  const fields: Record<string, string> = { 'hours.on': 'on', 'hours.tz': draft.tz }
  for (const row of PERIOD_ROWS) {
    fields[`hours.${row}.count`] = String(draft.periods[row].length)
    draft.periods[row].forEach((period, n) => {
      fields[`hours.${row}.${n}.start`] = period.start
      fields[`hours.${row}.${n}.end`] = period.end
    })
  }
  for (const list of DATE_LISTS) {
    fields[`hours.${list}.count`] = String(draft[list].length)
    draft[list].forEach((date, n) => {
      fields[`hours.${list}.${n}`] = date
    })
  }
  return fields
}

/** At most this many periods a day and dates a list: far past any real schedule, and a bound on what a form makes us read. */
const MAX_PERIODS = 12
const MAX_DATES = 200

export function hoursFromForm(field: (name: string) => string): HoursDraft | null {
  if (field('hours.on') !== 'on') return null
  const count = (name: string, max: number) => Math.min(max, Math.max(0, Number.parseInt(field(name), 10) || 0))
  const draft = emptyHours()
  draft.tz = field('hours.tz').trim()
  for (const row of PERIOD_ROWS) {
    const periods: Period[] = []
    for (let n = 0; n < count(`hours.${row}.count`, MAX_PERIODS); n++) {
      periods.push({ start: field(`hours.${row}.${n}.start`).trim(), end: field(`hours.${row}.${n}.end`).trim() })
    }
    draft.periods[row] = periods
  }
  for (const list of DATE_LISTS) {
    const dates: string[] = []
    for (let n = 0; n < count(`hours.${list}.count`, MAX_DATES); n++) dates.push(field(`hours.${list}.${n}`).trim())
    draft[list] = dates
  }
  return draft
}

/** The grid's buttons: add or remove a period of a row, or a date of a list. */
export type HoursOp =
  | { op: 'period-add'; row: PeriodRow }
  | { op: 'period-delete'; row: PeriodRow; index: number }
  | { op: 'date-add'; list: DateList }
  | { op: 'date-delete'; list: DateList; index: number }

export function applyHoursOp(draft: HoursDraft, change: HoursOp): HoursDraft {
  const periods = { ...draft.periods }
  switch (change.op) {
    case 'period-add': {
      // A new period starts where the last one ended, so a split day is two clicks.
      const last = periods[change.row].at(-1)
      periods[change.row] = [...periods[change.row], last ? { start: last.end, end: '' } : { start: '09:00', end: '18:00' }]
      return { ...draft, periods }
    }
    case 'period-delete':
      periods[change.row] = periods[change.row].filter((_, n) => n !== change.index)
      return { ...draft, periods }
    case 'date-add':
      return { ...draft, [change.list]: [...draft[change.list], ''] }
    case 'date-delete':
      return { ...draft, [change.list]: draft[change.list].filter((_, n) => n !== change.index) }
  }
}

/** Where the grid shows an hours issue: beside the time zone, in a row of periods, beside a date (index null: the list as a whole). */
export type HoursPlace = { at: 'tz' } | { at: 'row'; row: PeriodRow } | { at: 'date'; list: DateList; index: number | null }

/**
 * The place of an hours issue (`hours.tz`, `hours.weekly.mon[1]`, `hours.closed[2]`, `hours.open`),
 * or null for the block as a whole. A date's index is the rule set's, which lists only the
 * dates filled in: it is mapped back to the form's own, which also holds blank ones.
 */
export function hoursPlaceOf(draft: HoursDraft, path: string): HoursPlace | null {
  if (path === 'hours.tz') return { at: 'tz' }
  const row = periodRowOf(path)
  if (row) return { at: 'row', row }
  const date = /^hours\.(closed|open)(?:\[(\d+)\])?$/.exec(path)
  if (!date) return null
  const list = date[1] as DateList
  if (date[2] === undefined) return { at: 'date', list, index: null }
  const filled = draft[list].flatMap((value, n) => (value.trim() === '' ? [] : [n]))
  return { at: 'date', list, index: filled[Number(date[2])] ?? null }
}

/** The weekday row an hours issue path belongs to (`weekly.mon[1]`, `open_hours[0]`), or null. */
export function periodRowOf(path: string): PeriodRow | null {
  const match = /^hours\.(?:weekly\.)?(mon|tue|wed|thu|fri|sat|sun|open_hours)\b/.exec(path)
  return match ? (match[1] as Weekday | 'open_hours') : null
}
