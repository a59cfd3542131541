/**
 * `/healthz`: is this deployment configured? Publicly only `{ ok, version }` (200 when ok, 503
 * when not): no appid, push mode or setting name for whoever asks, and no storage read. With
 * the admin token the operator's report (admin/health-report.ts): each mini program's push
 * mode and settings, and its rule set in force.
 */
import { Hono } from 'hono/tiny'
import { configured, healthReport } from '../admin/health-report'
import type { Env } from '../settings/env'
import { VERSION } from '../version'
import { isAdmin } from './admin-auth'

export const health = new Hono<{ Bindings: Env }>()

health.get('/healthz', async (c) => {
  // A status is live: nothing in between keeps a copy.
  c.header('cache-control', 'no-store')
  if (await isAdmin(c)) {
    const report = await healthReport(c.env)
    return c.json(report, report.ok ? 200 : 503)
  }
  // Publicly: ok or not, and the version. Which mini program, mode or setting is for the operator.
  const ok = configured(c.env)
  return c.json({ ok, version: VERSION }, ok ? 200 : 503)
})
