/**
 * A user's data at an operator's request — the admin API's and the console's routes do the
 * same thing through here: the export, audited with the user's openid, and the deletion,
 * audited with what went but no one's name.
 */
import type { Operator } from '../auth/operators'
import { auditDone } from '../admin/audit'
import type { Env } from '../settings/env'
import { exportUser, type UserExport } from './export'
import { forgetUser, forgottenSummary, type Forgotten } from './forget'

export type RequestedVia = 'api' | 'console'

export async function exportRequested(env: Env, appid: string, operator: Operator, openid: string, via: RequestedVia): Promise<UserExport> {
  const document = await exportUser(env, appid, openid)
  await auditDone(env.DB, { appid, operator, action: 'user_export', target: openid, summary: via })
  return document
}

export async function forgetRequested(env: Env, appid: string, operator: Operator, openid: string, via: RequestedVia): Promise<Forgotten> {
  const forgotten = await forgetUser(env, appid, openid)
  await auditDone(env.DB, {
    appid,
    operator,
    action: 'user_delete',
    target: null,
    summary: forgottenSummary(forgotten, `on request (${via})`),
  })
  return forgotten
}
