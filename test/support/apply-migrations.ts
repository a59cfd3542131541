/**
 * Vitest setup file (in workerd, per test file): the D1 record's tables, as `npm start` creates
 * them. The migrations are applied here rather than with `cloudflare:test`'s applyD1Migrations:
 * importing `cloudflare:test` costs about 2.5 s per test file on this machine, paid by every
 * file whose tests never use it (measured: 4 small files, setup 16.7 s → 0.1 s). Like
 * applyD1Migrations, it records what it applied in `d1_migrations`, so a file's storage is
 * migrated once.
 */
import type { D1Migration } from 'cloudflare:test'
import { env } from 'cloudflare:workers'

declare global {
  namespace Cloudflare {
    interface Env {
      /** migrations/*.sql, read in Node by vitest.config.ts. */
      TEST_MIGRATIONS: D1Migration[]
    }
  }
}

await env.DB.prepare(
  'CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)',
).run()
const applied = new Set((await env.DB.prepare('SELECT name FROM d1_migrations').all<{ name: string }>()).results.map((row) => row.name))
for (const migration of env.TEST_MIGRATIONS) {
  if (applied.has(migration.name)) continue
  await env.DB.batch([
    ...migration.queries.map((query) => env.DB.prepare(query)),
    env.DB.prepare('INSERT INTO d1_migrations (name) VALUES (?)').bind(migration.name),
  ])
}
