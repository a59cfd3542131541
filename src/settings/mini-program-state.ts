/**
 * Several mini programs on one Worker. The first keeps the plain setting names, `/wechat` and
 * un-prefixed state (so a deployment that adds a second app keeps everything it has); each
 * appid listed in WECHAT_APPS has its own secrets, suffixed with the appid
 * (`WECHAT_TOKEN_<appid>`, `WECHAT_ENCODING_AES_KEY_<appid>`, `WECHAT_APPSECRET_<appid>`,
 * `WECHAT_PUSH_MODE_<appid>` where it differs), and its pushes come to `/wechat/<appid>`.
 *
 * The rest of the Worker serves one app at a time through that app's view of the bindings: an
 * Env whose WECHAT_* settings are the app's own and whose KEFU_APP_SCOPE names it. Its
 * Conversation objects are named `<appid>:<openid>` (`conversationOf`), its RULES keys are
 * prefixed `app:<appid>:` (`scopedKey`), its caches are keyed by appid and its D1 rows carry
 * it: code handed one app's view has no name for another app's state. Views are built once
 * per isolate (the Env object lives as long as the isolate), not per push.
 */
import { scopedKey, scopeOf } from './mini-programs'
import type { Env } from './env'
import { kvStore, scopedStore, type RulesStore } from '../rules/history-store'
import { isKf, kfObjectName } from './kf-view'

export {
  MINI_PROGRAM_SETTINGS,
  miniProgramEnv,
  servedAppids,
  extraAppids,
  rootOf,
  scopedKey,
  scopeOf,
  scopeOfObjectName,
  settingLabel,
  type MiniProgramSetting,
} from './mini-programs'

/** The app's rule set and its history in RULES, for history.ts (publish, list, rollback). */
export function rulesStoreOf(env: Env): RulesStore {
  return scopedStore(kvStore(env.RULES), scopedKey(env, ''))
}

/**
 * The user's Conversation object in this app: `<openid>` for the first, `<appid>:<openid>`
 * beyond, and `kf.<open_kfid>:<external_userid>` for a 微信客服 customer (settings/kf-view.ts).
 */
export function conversationOf(env: Env, openid: string) {
  if (isKf(env)) return env.CONVERSATIONS.getByName(kfObjectName(env.KEFU_KF_ID ?? '', openid))
  const scope = scopeOf(env)
  return env.CONVERSATIONS.getByName(scope === '' ? openid : `${scope}:${openid}`)
}

/** This app's human desk (desk/desk.ts): one object per mini program, named by its appid. */
export function deskOf(env: Env) {
  return env.DESK.getByName(env.WECHAT_APPID ?? '')
}

/** Where people answer in this app: HUMAN_DESK (per app), `wechat` unless it says `console`. */
export function humanDesk(env: Env): 'wechat' | 'console' {
  return env.HUMAN_DESK === 'console' ? 'console' : 'wechat'
}
