/**
 * Office hours: is the service open at an instant? The operator writes local wall-clock
 * hours per weekday in an IANA time zone, plus holidays (`closed`) and make-up working days
 * (`open`, which keep the hours of `open_hours`, or Monday's when that is absent). Local time
 * comes from the runtime's `Intl` — no bundled time-zone database — computed once per message
 * with one cached `Intl.DateTimeFormat` per zone; the check is then O(intervals of that day).
 *
 * Intervals are `HH:MM-HH:MM`, start inclusive, end exclusive, end at most `24:00`; one that
 * crosses midnight is refused (write `22:00-24:00` and `00:00-02:00` on the next day), so a
 * day's hours never depend on the day before.
 */
import { type Problem, problem } from './messages'

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]

/** What the compiled form carries (JSON): intervals as flat [start, end, …] minute pairs. */
export interface HoursData {
  tz: string
  /** Indexed like WEEKDAYS (Monday first). */
  weekly: number[][]
  closed: string[]
  open: string[]
  openHours: number[]
}

/** HoursData made ready for lookups: the date lists as sets. */
export interface HoursTable {
  tz: string
  weekly: readonly (readonly number[])[]
  closed: ReadonlySet<string>
  open: ReadonlySet<string>
  openHours: readonly number[]
}

export interface HoursSource {
  tz: string
  weekly: Partial<Record<Weekday, string[]>>
  closed?: string[] | undefined
  open?: string[] | undefined
  open_hours?: string[] | undefined
}

export const INTERVAL = /^(\d\d):(\d\d)-(\d\d):(\d\d)$/
export const DATE = /^\d{4}-\d\d-\d\d$/

/** `09:00-18:00` → [540, 1080]; null when malformed, out of range or not forward. */
export function parseInterval(text: string): [number, number] | null {
  const m = INTERVAL.exec(text)
  if (!m) return null
  const [h1, m1, h2, m2] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number]
  if (h1 > 23 || m1 > 59 || m2 > 59 || h2 > 24 || (h2 === 24 && m2 !== 0)) return null
  const start = h1 * 60 + m1
  const end = h2 * 60 + m2
  return start < end ? [start, end] : null
}

/** A real calendar date in YYYY-MM-DD. */
export function isCalendarDate(text: string): boolean {
  if (!DATE.test(text)) return false
  const date = new Date(`${text}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text
}

export function isTimeZone(tz: string): boolean {
  try {
    formatFor(tz)
    return true
  } catch {
    return false
  }
}

/** Call only on validated hours (rules:check refuses what parseInterval cannot read). */
export function hoursData(source: HoursSource): HoursData {
  const minutes = (list: readonly string[] | undefined) => (list ?? []).flatMap((text) => parseInterval(text) ?? [])
  const weekly = WEEKDAYS.map((day) => minutes(source.weekly[day]))
  return {
    tz: source.tz,
    weekly,
    closed: source.closed ?? [],
    open: source.open ?? [],
    openHours: source.open_hours === undefined ? weekly[0]! : minutes(source.open_hours),
  }
}

export function hoursTable(data: HoursData): HoursTable {
  return { ...data, closed: new Set(data.closed), open: new Set(data.open) }
}

/** The wall clock in a zone: date, Monday-first weekday index, minute of the day. */
export interface LocalClock {
  date: string
  weekday: number
  minute: number
}

const formats = new Map<string, Intl.DateTimeFormat>()
const WEEKDAY_INDEX: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 }

/** Building a DateTimeFormat costs far more than using one: one per zone per isolate. */
function formatFor(tz: string): Intl.DateTimeFormat {
  let format = formats.get(tz)
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    })
    formats.set(tz, format)
  }
  return format
}

export function localClock(tz: string, now: number): LocalClock {
  const parts: Record<string, string> = {}
  for (const part of formatFor(tz).formatToParts(now)) parts[part.type] = part.value
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    weekday: WEEKDAY_INDEX[parts.weekday ?? ''] ?? 0,
    // Some engines wrote midnight as "24" under hour12: false; h23 should not, but be safe.
    minute: (Number(parts.hour) % 24) * 60 + Number(parts.minute),
  }
}

/** Holidays win over make-up days' absence, make-up days over the weekday's hours. */
export function isOpenAt(hours: HoursTable, clock: LocalClock): boolean {
  if (hours.closed.has(clock.date)) return false
  const intervals = hours.open.has(clock.date) ? hours.openHours : hours.weekly[clock.weekday]!
  for (let i = 0; i < intervals.length; i += 2) {
    if (clock.minute >= intervals[i]! && clock.minute < intervals[i + 1]!) return true
  }
  return false
}

export function isOpen(hours: HoursTable, now: number): boolean {
  return isOpenAt(hours, localClock(hours.tz, now))
}

/** Problems `rules:check` reports for the hours block, as [path below `hours`, problem]. */
export function hoursProblems(source: HoursSource): [string, Problem][] {
  const problems: [string, Problem][] = []
  if (!isTimeZone(source.tz)) problems.push(['tz', problem('tz_unknown', { tz: source.tz })])
  const intervalList = (path: string, list: readonly string[] | undefined) => {
    const seen: [number, number, number][] = []
    ;(list ?? []).forEach((text, i) => {
      const parsed = parseInterval(text)
      if (parsed === null) {
        problems.push([`${path}[${i}]`, problem('interval_invalid', { text })])
        return
      }
      const other = seen.find(([start, end]) => parsed[0] < end && start < parsed[1])
      if (other) problems.push([`${path}[${i}]`, problem('interval_overlap', { text, other: `${path}[${other[2]}]` })])
      seen.push([parsed[0], parsed[1], i])
    })
  }
  for (const day of WEEKDAYS) intervalList(`weekly.${day}`, source.weekly[day])
  intervalList('open_hours', source.open_hours)
  const dates = (key: 'closed' | 'open') =>
    (source[key] ?? []).forEach((date, i) => {
      if (!isCalendarDate(date)) problems.push([`${key}[${i}]`, problem('date_invalid', { date })])
    })
  dates('closed')
  dates('open')
  const closed = new Set(source.closed ?? [])
  ;(source.open ?? []).forEach((date, i) => {
    if (closed.has(date)) problems.push([`open[${i}]`, problem('date_in_both', { date })])
  })
  if ((source.open ?? []).length > 0 && source.open_hours === undefined && (source.weekly.mon ?? []).length === 0) {
    problems.push(['open', problem('makeup_needs_hours')])
  }
  return problems
}
