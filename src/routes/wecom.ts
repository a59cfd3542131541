/**
 * `/wecom/kf`: the 微信客服 callback (docs/wecom-kf-protocol.md §2). GET is the URL check, answered
 * with the decrypted echostr; POST is a notice, answered `success` at once — WeChat Work drops
 * the connection after 5 s and re-sends, so the pull runs after the answer (waitUntil), never
 * before it. The notice is a wake-up, not data: handNotice pulls what it announces.
 *
 * The channel is off when none of its settings is set (404); some without the others is the
 * operator's mistake, a 500 naming the missing one.
 */
import { Hono } from 'hono/tiny'
import { log } from '../log'
import { requireSetting, wecomConfigured, type Env } from '../settings/env'
import { importCipher } from '../wechat/cipher'
import { openKfCallback, verifyKfUrl, type KfCallbackKeys } from '../wecom/crypto'
import { handNotice } from '../wecom/pull'
import type { KfNotice } from '../wecom/types'
import { pushBodyLimit, pushFreshness } from './push-limits'

export const WECOM_KF_PATH = '/wecom/kf'

/** What runs after the answer: handNotice in the Worker; tests hand in their own. */
export type NoticeHandler = (env: Env, notice: KfNotice) => Promise<void>

/** The routes, handing notices to `hand`. */
export function kfCallbackRoutes(hand: NoticeHandler): Hono<{ Bindings: Env }> {
  const routes = new Hono<{ Bindings: Env }>()

  routes.use(WECOM_KF_PATH, async (c, next) => {
    if (!wecomConfigured(c.env)) return c.text('wecom channel not configured', 404)
    await next()
  })

  routes.get(WECOM_KF_PATH, async (c) => {
    const echo = await verifyKfUrl(c.req.query(), callbackKeys(c.env))
    log.info('wecom.url_verified')
    // The plaintext only: no quotes, no BOM, no newline (§2).
    return c.text(echo)
  })

  routes.post(WECOM_KF_PATH, pushBodyLimit, async (c) => {
    const callback = await openKfCallback(c.req.query(), await c.req.text(), callbackKeys(c.env))
    if (callback.kind === 'auth_change') {
      // Accounts granted or taken away: a granted one's first notice starts its pulls.
      log.info('wecom.accounts_changed', { added: callback.added.join(','), removed: callback.removed.join(',') })
      return c.text('success')
    }
    const { notice } = callback
    log.info('wecom.notice_received', { openKfId: notice.openKfId, createTime: notice.createTime })
    c.executionCtx.waitUntil(handOn(hand, c.env, notice))
    return c.text('success')
  })
  return routes
}

export const wecom = kfCallbackRoutes(handNotice)

/** After the answer: a failure is logged (by name, never a message that may hold the token). */
async function handOn(hand: NoticeHandler, env: Env, notice: KfNotice): Promise<void> {
  try {
    await hand(env, notice)
  } catch (error) {
    log.error('wecom.notice_failed', { openKfId: notice.openKfId, error: error instanceof Error ? error.name : 'error' })
  }
}

/** Every setting the callback needs, each a SettingError (500 naming it) when unusable. */
function callbackKeys(env: Env): KfCallbackKeys {
  const token = requireSetting(env, 'WECOM_KF_TOKEN')
  const aesKey = requireSetting(env, 'WECOM_KF_ENCODING_AES_KEY')
  const corpid = requireSetting(env, 'WECOM_CORPID')
  // The channel's other settings are checked here too: a callback accepted by a Worker that cannot pull is a lost message.
  requireSetting(env, 'WECOM_KF_SECRET')
  return {
    token,
    cipher: () => importCipher(aesKey, corpid),
    ...pushFreshness(env),
  }
}
