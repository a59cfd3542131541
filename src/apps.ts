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
import type { Env } from './env'
import { kvStore, scopedStore, type RulesStore } from './rules/history-store'

/** The settings each app beyond the first has of its own, suffixed `_<appid>`. */
export const APP_SETTINGS = ['WECHAT_TOKEN', 'WECHAT_ENCODING_AES_KEY', 'WECHAT_APPSECRET', 'WECHAT_PUSH_MODE'] as const
export type AppSetting = (typeof APP_SETTINGS)[number]

const APPID = /^wx[0-9a-zA-Z]{16}$/

/** The apps of WECHAT_APPS (valid appids other than the first, in order, once each). */
export function extraAppids(env: Env): string[] {
  const listed = (env.WECHAT_APPS ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '')
  return [...new Set(listed)].filter((id) => APPID.test(id) && id !== env.WECHAT_APPID)
}

/** Every app this Worker serves, the first first. */
export function appids(env: Env): string[] {
  return [env.WECHAT_APPID ?? '', ...extraAppids(env)]
}

const views = new WeakMap<Env, Map<string, Env>>()

/**
 * The view of the bindings for `appid`: the Env itself for the first app, a view for an app
 * of WECHAT_APPS, null for any other appid (a push to `/wechat/<unknown>` is a 404).
 */
export function appEnv(env: Env, appid: string): Env | null {
  if (appid === (env.WECHAT_APPID ?? '')) return env
  let known = views.get(env)
  if (known === undefined) {
    known = new Map(extraAppids(env).map((id) => [id, viewOf(env, id)]))
    views.set(env, known)
  }
  return known.get(appid) ?? null
}

function viewOf(env: Env, appid: string): Env {
  const own = (name: AppSetting): string | undefined => {
    const value: unknown = (env as unknown as Record<string, unknown>)[`${name}_${appid}`]
    return typeof value === 'string' ? value : undefined
  }
  return {
    ...env,
    WECHAT_APPID: appid,
    WECHAT_TOKEN: own('WECHAT_TOKEN'),
    WECHAT_ENCODING_AES_KEY: own('WECHAT_ENCODING_AES_KEY'),
    WECHAT_APPSECRET: own('WECHAT_APPSECRET'),
    // The one setting an app may share: said once when all apps use the same mode.
    WECHAT_PUSH_MODE: own('WECHAT_PUSH_MODE') ?? env.WECHAT_PUSH_MODE,
    KEFU_APP_SCOPE: appid,
  }
}

/** '' for the first app, the appid for the others. */
export function scopeOf(env: Env): string {
  return env.KEFU_APP_SCOPE ?? ''
}

/** A RULES key as this app stores it: the first app's keys are unchanged. */
export function scopedKey(env: Env, key: string): string {
  const scope = scopeOf(env)
  return scope === '' ? key : `app:${scope}:${key}`
}

/** The app's rule set and its history in RULES, for history.ts (publish, list, rollback). */
export function rulesStoreOf(env: Env): RulesStore {
  return scopedStore(kvStore(env.RULES), scopedKey(env, ''))
}

/** The name a setting has for this app: `WECHAT_TOKEN_<appid>` beyond the first. */
export function settingLabel(env: Env, name: string): string {
  const scope = scopeOf(env)
  return scope !== '' && (APP_SETTINGS as readonly string[]).includes(name) ? `${name}_${scope}` : name
}

/** The user's Conversation object in this app: `<openid>` for the first, `<appid>:<openid>` beyond. */
export function conversationOf(env: Env, openid: string) {
  const scope = scopeOf(env)
  return env.CONVERSATIONS.getByName(scope === '' ? openid : `${scope}:${openid}`)
}

/** The app a Conversation object's name says it belongs to: null for the first app. */
export function scopeOfObjectName(name: string): string | null {
  const colon = name.indexOf(':')
  return colon < 0 ? null : name.slice(0, colon)
}
