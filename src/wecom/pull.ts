/**
 * What becomes of a 微信客服 notice once /wecom/kf has answered: a placeholder. The engineer
 * building the per-account pulling (issue 32, item 2) replaces this file; the route only
 * relies on `handNotice(env, notice)` being here.
 */
import { log } from '../log'
import type { Env } from '../settings/env'
import type { KfNotice } from './types'

export async function handNotice(env: Env, notice: KfNotice): Promise<void> {
  log.info('wecom.notice', { openKfId: notice.openKfId })
}
