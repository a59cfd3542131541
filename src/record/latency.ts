/**
 * Push-to-reply times as a histogram per day (`daily_latency`): the stats read a row per
 * bucket and day instead of every reply. Percentiles come out as the upper bound of the
 * bucket holding that rank — "the median reply took at most 300 ms" — which is as precise as
 * an operator reads them.
 */

/** Upper bounds, ms; the last bucket holds everything slower. */
export const LATENCY_BUCKETS_MS = [
  25,
  50,
  100,
  200,
  300,
  500,
  750,
  1000,
  1500,
  2000,
  3000,
  5000,
  7500,
  10_000,
  15_000,
  20_000,
  30_000,
  60_000,
  120_000,
  300_000,
  600_000,
  1_800_000,
  Number.POSITIVE_INFINITY,
] as const

/** The bucket of a push-to-reply time. */
export function latencyBucket(ms: number): number {
  const index = LATENCY_BUCKETS_MS.findIndex((bound) => ms <= bound)
  return index === -1 ? LATENCY_BUCKETS_MS.length - 1 : index
}

/**
 * The bound of the bucket holding the nearest-rank percentile `p` (0–100) of the counts, or
 * null when there are none. The open last bucket reports its lower bound.
 */
export function percentileOf(counts: ReadonlyMap<number, number>, p: number): number | null {
  const total = [...counts.values()].reduce((sum, n) => sum + n, 0)
  if (total === 0) return null
  const rank = Math.max(1, Math.ceil((p / 100) * total))
  let seen = 0
  for (let bucket = 0; bucket < LATENCY_BUCKETS_MS.length; bucket++) {
    seen += counts.get(bucket) ?? 0
    if (seen >= rank) return boundOf(bucket)
  }
  return boundOf(LATENCY_BUCKETS_MS.length - 1)
}

function boundOf(bucket: number): number {
  const bound = LATENCY_BUCKETS_MS[bucket]!
  return Number.isFinite(bound) ? bound : LATENCY_BUCKETS_MS[bucket - 1]!
}
