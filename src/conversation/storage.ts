/**
 * The Conversation object's SQLite tables (one database per openid). STORAGE.md describes
 * them for operators; the schema is written once, as the list of migrations in
 * `migrations.ts`: the object records how many it has applied and runs the rest when it
 * starts, before any request. Storage outlives deploys, so a change is a new entry at the
 * end, never an edit of an old one — an object created by any earlier version replays them
 * as they stand.
 *
 * A new object does not replay them: it runs `CURRENT`, the tables and triggers the
 * migrations leave, in one script (fewer statements and billed rows written on a user's
 * first message). `CURRENT` and the row type of each table (`Tables`) are generated from the
 * migrations, never written by hand: `npm run schema` replays them in a Durable Object
 * (test/conversation/storage.test.ts) and writes what SQLite then holds to `schema.generated.ts`;
 * the same test fails while that file differs from a replay. A schema change is a new
 * migration and `npm run schema`. Should the file lag behind the migrations, a new object
 * replays them instead.
 */
import { MIGRATIONS } from './migrations'
import { CURRENT, CURRENT_VERSION } from './schema.generated'

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length

/** Whether this object's database has been created (a deleted object's has not). */
export function hasSchema(sql: SqlStorage): boolean {
  return sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").toArray().length > 0
}

/**
 * Brings this object's database up to the current schema, or to `target` (tests build an
 * object as an older version left it). A new database gets CURRENT, unless `replay` (the
 * schema test compares the two, and generates CURRENT from the replay). Synchronous: run it
 * in one transaction.
 */
export function migrate(sql: SqlStorage, target: number = SCHEMA_VERSION, replay = false): void {
  sql.exec('CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)')
  const applied = sql.exec<{ version: number }>('SELECT version FROM schema_version WHERE id = 1').toArray()[0]?.version ?? 0
  if (applied === 0 && target === SCHEMA_VERSION && CURRENT_VERSION === SCHEMA_VERSION && !replay) sql.exec(CURRENT)
  else for (let version = applied; version < target; version++) sql.exec(MIGRATIONS[version]!)
  if (applied < target) {
    sql.exec('INSERT INTO schema_version (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version', target)
  }
}
