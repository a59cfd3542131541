/**
 * When the user was last active, kept past the rows that told it. `seen` is pruned after two
 * days and window events after about two: a user whose pushes got no reply would otherwise
 * have no trace of their last push long before RETENTION_DAYS, and the object would delete
 * itself early (with the `once_per_hours` and hand-off memory it keeps). The `meta` row
 * `last_activity` is written only when pruning removes the row that held the latest time —
 * at most hourly, and never on a push — so it costs nothing while rows still tell it.
 */

/** The remembered time, or null. */
export function rememberedActivity(sql: SqlStorage): number | null {
  const value = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'last_activity'").toArray()[0]?.value
  return value === undefined ? null : Number(value)
}

/** Keeps `at` as the last activity (a later time than one kept wins). */
export function rememberActivity(sql: SqlStorage, at: number): void {
  sql.exec(
    "INSERT INTO meta (key, value) VALUES ('last_activity', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE CAST(meta.value AS INTEGER) < CAST(excluded.value AS INTEGER)",
    String(at),
  )
}
