/**
 * Calendar days of the record. WeChat's own console and most operators of mini programs
 * count days in China Standard Time (UTC+8, no daylight saving), so the stats do too.
 */

const DAY_MS = 24 * 60 * 60 * 1000
const ZONE_OFFSET_MS = 8 * 60 * 60 * 1000

/** The day an instant falls on, as 'YYYY-MM-DD' (sorts as text in time order). */
export function dayOf(at: number): string {
  return new Date(at + ZONE_OFFSET_MS).toISOString().slice(0, 10)
}

/** When a China day ('YYYY-MM-DD') starts, epoch ms: `at >= startOfDay(d)` ⇔ `dayOf(at) >= d`. */
export function startOfDay(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) - ZONE_OFFSET_MS
}

/** The `count` days ending with the day of `now`, oldest first. */
export function lastDays(now: number, count: number): string[] {
  const days: string[] = []
  for (let i = count - 1; i >= 0; i--) days.push(dayOf(now - i * DAY_MS))
  return days
}

export { DAY_MS }
