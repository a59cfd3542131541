/**
 * WeChat's word about a user's data (the push route hands these over before any rule sees
 * them): `user_authorization_cancellation` — the user closed their WeChat account — deletes
 * everything kept about them (users/forget.ts); `user_authorization_revoke` deletes what the
 * revoked item covers, and of the items WeChat lists (miniprogram/dev/server/event_push/
 * platform/authorized_user_information_changes) kefu-edge keeps only one: 14, the images and
 * videos the user chose, which are the images they sent to customer service (archived in
 * MEDIA). The others (a phone number, an address, a nickname…) are never asked for or kept.
 *
 * The push's sender is WeChat's push service: the user is `OpenID`, and only a push that
 * passed the signature, decryption and freshness checks gets here. In plaintext mode that is
 * not enough: the signature covers the token, timestamp and nonce but not the body, so anyone
 * who saw one push URL could post a cancellation naming any OpenID within the freshness
 * window. There nothing is deleted: WeChat hears "success" (a refusal would only make it
 * retry) and the operator reads `user.authorization_refused`, with the OpenID to check and
 * delete by hand (the console, `DELETE /admin/api/users/:openid`), and why. WeChat retries a push it
 * got no answer to: each one is done once, its audit line (keyed by a hash of the push, not
 * the user) saying so; a repeat changes nothing. A failure throws, WeChat hears a 500 and
 * retries.
 */
import { audit, deletionLoggedQuery } from '../admin/audit'
import { log } from '../log'
import { withdrawUserImagesStatement } from '../media/archive-record'
import { deleteUserMedia, keptDays } from '../media/user-media'
import { first, prepare } from '../record/sql'
import { retentionDays } from '../settings/conversation'
import { appidOf, pushMode, type Env } from '../settings/env'
import { toHex, utf8 } from '../wechat/bytes'
import type { AuthorizationEvent } from '../wechat/message'
import { forgetUser, forgottenSummary } from './forget'

/** RevokeInfo 14: 选中的图片或视频, the images the user chose — the only revoked item kefu-edge keeps. */
export const REVOKED_IMAGES = '14'

/** Who the audit log says acted: WeChat, on the user's behalf. */
const WECHAT = { id: 'wechat', name: 'WeChat' }

export type AuthorizationOutcome = 'deleted' | 'media_deleted' | 'nothing_kept' | 'repeat' | 'other_app' | 'unsigned_body'

const UNSIGNED_BODY =
  'WECHAT_PUSH_MODE is plaintext: the signature does not cover the body, so the OpenID may be anyone’s; use safe mode, or delete by hand once checked'

export async function actOnAuthorization(env: Env, event: AuthorizationEvent, now = Date.now()): Promise<AuthorizationOutcome> {
  const appid = appidOf(env)
  // `type`, not `event`: a log line's `event` is its own name.
  const fields = { appid, type: event.type, revokeInfo: event.revokeInfo }
  if (pushMode(env) === 'plaintext') {
    log.warn('user.authorization_refused', { ...fields, openid: event.openId, reason: UNSIGNED_BODY })
    return 'unsigned_body'
  }
  // Verified pushes come to this app's URL; one naming another app is not ours to act on.
  if (event.appId !== '' && event.appId !== appid) {
    log.warn('user.authorization_other_app', { ...fields, pushAppid: event.appId })
    return 'other_app'
  }
  const isImages = event.type === 'user_authorization_revoke' && event.revokeInfo === REVOKED_IMAGES
  if (event.type === 'user_authorization_revoke' && !isImages) {
    log.info('user.revoke_nothing_kept', fields)
    return 'nothing_kept'
  }
  const key = await pushKey(event)
  if (await first(env.DB, deletionLoggedQuery(appid, key))) {
    log.info('user.authorization_repeat', fields)
    return 'repeat'
  }
  let summary: string
  if (isImages) {
    const media = await withdrawImages(env, appid, event.openId, now)
    log.info('user.media_deleted', { ...fields, openid: event.openId, media })
    summary = `revoke ${REVOKED_IMAGES} (images they chose): ${media} images`
  } else {
    summary = forgottenSummary(await forgetUser(env, appid, event.openId, now, 'always'), 'account closed')
  }
  await audit(env.DB, { appid, operator: WECHAT, action: 'user_delete', target: key, summary }, now)
  return isImages ? 'media_deleted' : 'deleted'
}

/**
 * RevokeInfo 14: their image rows say `deleted` (the console shows 图片已删除, the export says
 * so, the archive never stores one again), then the images go from MEDIA — in that order, so an
 * archive task storing one meanwhile finds the row `deleted` when it records and deletes it.
 * Returns how many images were deleted.
 */
async function withdrawImages(env: Env, appid: string, openid: string, now: number): Promise<number> {
  await prepare(env.DB, withdrawUserImagesStatement(appid, openid)).run()
  return env.MEDIA ? deleteUserMedia(env.MEDIA, appid, openid, keptDays(now, retentionDays(env))) : 0
}

/** The audit log's key for a push: a hash of who, what and when — it tells repeats apart without naming the user. */
async function pushKey(event: AuthorizationEvent): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', utf8.encode(`${event.type}:${event.openId}:${event.createTime}`))
  return `wechat:${toHex(new Uint8Array(digest)).slice(0, 32)}`
}
