/**
 * What becomes of a 微信客服 notice once /wecom/kf has answered: the account's object pulls
 * (wecom/account.ts). Under `waitUntil`, after WeChat Work has its 200 — a pull with a backlog
 * takes longer than the 5 s WeChat Work waits before sending the notice again. A failed pull is
 * logged; the account's alarm, or the next notice, reads the same pages again.
 */
import { log } from '../log'
import type { Env } from '../settings/env'
import type { KfNotice } from './types'

export async function handNotice(env: Env, notice: KfNotice): Promise<void> {
  try {
    const report = await env.KF_ACCOUNTS.getByName(notice.openKfId).pull(notice.openKfId, notice.token)
    log.info('wecom.pulled', { openKfId: notice.openKfId, ...report })
  } catch (error) {
    log.error('wecom.pull_failed', { openKfId: notice.openKfId, error: error instanceof Error ? error.message : String(error) })
  }
}
