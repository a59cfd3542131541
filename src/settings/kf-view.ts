/**
 * A 微信客服 account as the rest of the Worker sees it: the first mini program's view of the
 * bindings (its rule set, knowledge base, desk, record and appid) marked as the `kf` channel
 * of one account (`open_kfid`). Code handed this view answers a 微信客服 customer exactly as a
 * mini program user — the Conversation object it names is the customer's (`kfObjectName`), and
 * its deliveries go out through `kf/send_msg` (wecom/send.ts) instead of custom/send. A view of
 * the bindings, like an app's (mini-programs.ts): settings' to make, everyone's to read.
 */
import type { Env } from './env'

/** Views are made once per isolate per account: the Env object lives as long as the isolate. */
const views = new WeakMap<Env, Map<string, Env>>()

export function kfEnv(env: Env, openKfId: string): Env {
  let known = views.get(env)
  if (!known) {
    known = new Map()
    views.set(env, known)
  }
  let view = known.get(openKfId)
  if (!view) {
    view = { ...env, KEFU_CHANNEL: 'kf', KEFU_KF_ID: openKfId }
    known.set(openKfId, view)
  }
  return view
}

export const isKf = (env: Env): boolean => env.KEFU_CHANNEL === 'kf'

/** How a view's users came, as the record keeps it: the mini program, or a 微信客服 account. */
export function channelOf(env: Env): { channel: 'miniprogram' | 'kf'; kfAccount?: string } {
  return isKf(env) ? { channel: 'kf', kfAccount: env.KEFU_KF_ID ?? '' } : { channel: 'miniprogram' }
}

/** The scope part of a 微信客服 customer's object name (`kf.<open_kfid>`): no appid starts with `kf.`. */
export const KF_SCOPE_PREFIX = 'kf.'

/** A customer's Conversation object: `kf.<open_kfid>:<external_userid>`. */
export const kfObjectName = (openKfId: string, externalUserid: string): string => `${KF_SCOPE_PREFIX}${openKfId}:${externalUserid}`

/** The account of an object's scope (`kf.<open_kfid>`), or null for a mini program's. */
export function kfAccountOfScope(scope: string): string | null {
  return scope.startsWith(KF_SCOPE_PREFIX) ? scope.slice(KF_SCOPE_PREFIX.length) : null
}
