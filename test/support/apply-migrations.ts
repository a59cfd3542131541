/** Vitest setup file (in workerd, per test file): the D1 record's tables, as `npm start` creates them. */
import { applyD1Migrations, type D1Migration } from 'cloudflare:test'
import { env } from 'cloudflare:workers'

declare global {
  namespace Cloudflare {
    interface Env {
      /** migrations/*.sql, read in Node by vitest.config.ts. */
      TEST_MIGRATIONS: D1Migration[]
    }
  }
}

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS)
