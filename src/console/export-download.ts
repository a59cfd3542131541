/**
 * The console's CSV download (issue 31): the admin API's export (admin/export.ts) behind the
 * console's session, with the same role check (`users`) and the same query checks. A range
 * refused, or one holding more rows than one file (the console offers no continuation), goes
 * back to the conversations page with the reason (`?export=`); nothing is audited then.
 */
import * as v from 'valibot'
import { appidOf } from '../settings/env'
import { exportAnswer, planExport } from '../admin/export'
import { EXPORT_TOO_LONG, ExportQuery } from '../admin/requests-export'
import { back, type ConsoleContext } from './context'
import { CONVERSATIONS_PATH } from './pages/conversations'
import type { ExportProblem } from './pages/export-form'
import { permit } from './permit'

export async function exportDownload(c: ConsoleContext): Promise<Response> {
  const refused = permit(c, 'users')
  if (refused) return refused
  const given: Record<string, string> = {}
  for (const key of ['from', 'to']) {
    const value = c.req.query(key)
    if (value) given[key] = value
  }
  const query = v.safeParse(ExportQuery, given)
  const problemBack = (problem: ExportProblem) => back(c, CONVERSATIONS_PATH, { export: problem, ...given })
  if (!query.success) return problemBack(query.issues.some((issue) => issue.message === EXPORT_TOO_LONG) ? 'too_long' : 'invalid')
  const ask = { db: c.env.DB, appid: appidOf(c.env), operator: c.var.operator, query: query.output, url: c.req.url }
  const plan = await planExport(ask)
  if (plan.stop !== null) return problemBack('too_many')
  return exportAnswer(ask, plan)
}
