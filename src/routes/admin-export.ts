/**
 * `GET /admin/api/export.csv?from=&to=`: the messages of a range of China days as CSV
 * (admin/export.ts), streamed and bounded per response. Users' texts in bulk: the `users`
 * permission (owner and admin), as for exporting one user's data; agents and viewers read
 * conversations one at a time in the console, but take nothing away in bulk. Audited.
 */
import { Hono } from 'hono/tiny'
import { appidOf } from '../settings/env'
import { EXPORT_PATH, exportAnswer, planExport } from '../admin/export'
import { ExportQuery } from '../admin/requests-export'
import { params, type ApiEnv } from './admin-validation'
import { allow } from './allow'

export const adminExport = new Hono<ApiEnv>()

adminExport.get(EXPORT_PATH, allow('users'), params('query', ExportQuery), async (c) => {
  const ask = { db: c.env.DB, appid: appidOf(c.env), operator: c.var.operator, query: c.req.valid('query'), url: c.req.url }
  return exportAnswer(ask, await planExport(ask))
})
