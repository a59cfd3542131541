/**
 * Several mini programs on one Worker: which apps there are and each app's view of the
 * settings (see mini-program-state.ts for what the views are for). Pure: no bindings are touched, so the
 * benchmarks and the setting checks can use it outside the Worker.
 */
import { APPID } from '../wechat/appid'

/** What an app's view is made from: the Worker's settings, and whatever else the Env holds. */
export interface MiniProgramSettings {
  WECHAT_APPID?: string
  WECHAT_APPS?: string
  WECHAT_TOKEN?: string
  WECHAT_ENCODING_AES_KEY?: string
  WECHAT_APPSECRET?: string
  WECHAT_PUSH_MODE?: string
  LLM_API_KEY?: string
  HUMAN_DESK?: string
  KEFU_APP_SCOPE?: string
}

/** The settings each app beyond the first has of its own, suffixed `_<appid>`. */
export const MINI_PROGRAM_SETTINGS = [
  'WECHAT_TOKEN',
  'WECHAT_ENCODING_AES_KEY',
  'WECHAT_APPSECRET',
  'WECHAT_PUSH_MODE',
  'LLM_API_KEY',
  'HUMAN_DESK',
] as const
export type MiniProgramSetting = (typeof MINI_PROGRAM_SETTINGS)[number]

/** The apps of WECHAT_APPS (valid appids other than the first, in order, once each). */
export function extraAppids(env: MiniProgramSettings): string[] {
  const listed = (env.WECHAT_APPS ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '')
  return [...new Set(listed)].filter((id) => APPID.test(id) && id !== env.WECHAT_APPID)
}

/** Every app this Worker serves, the first first. */
export function servedAppids(env: MiniProgramSettings): string[] {
  return [env.WECHAT_APPID ?? '', ...extraAppids(env)]
}

const views = new WeakMap<MiniProgramSettings, Map<string, MiniProgramSettings>>()
/** Each view's Env: what lists every app, whichever app a request was handed. */
const roots = new WeakMap<MiniProgramSettings, MiniProgramSettings>()

/** The Env a view was made from (the Env itself when it is no view). */
export function rootOf<E extends MiniProgramSettings>(env: E): E {
  // Views are made by viewOf from an Env of the same type.
  return (roots.get(env) as E | undefined) ?? env
}

/**
 * The view of the bindings for `appid`: the Env itself for the first app, a view for an app
 * of WECHAT_APPS, null for any other appid (a push to `/wechat/<unknown>` is a 404).
 */
export function miniProgramEnv<E extends MiniProgramSettings>(env: E, appid: string): E | null {
  if (appid === (env.WECHAT_APPID ?? '')) return env
  let known = views.get(env)
  if (known === undefined) {
    known = new Map(extraAppids(env).map((id) => [id, viewOf(env, id)]))
    views.set(env, known)
    for (const view of known.values()) roots.set(view, env)
  }
  // Every view in the map was made from this env by viewOf: of its type.
  return (known.get(appid) as E | undefined) ?? null
}

function viewOf<E extends MiniProgramSettings>(env: E, appid: string): E {
  const own = (name: MiniProgramSetting): string | undefined => {
    const value: unknown = (env as unknown as Record<string, unknown>)[`${name}_${appid}`]
    return typeof value === 'string' ? value : undefined
  }
  return {
    ...env,
    WECHAT_APPID: appid,
    WECHAT_TOKEN: own('WECHAT_TOKEN'),
    WECHAT_ENCODING_AES_KEY: own('WECHAT_ENCODING_AES_KEY'),
    WECHAT_APPSECRET: own('WECHAT_APPSECRET'),
    // Settings an app may share: said once when all apps use the same value.
    WECHAT_PUSH_MODE: own('WECHAT_PUSH_MODE') ?? env.WECHAT_PUSH_MODE,
    // An app may bill the model to a key of its own; the shared one otherwise.
    LLM_API_KEY: own('LLM_API_KEY') ?? env.LLM_API_KEY,
    HUMAN_DESK: own('HUMAN_DESK') ?? env.HUMAN_DESK,
    KEFU_APP_SCOPE: appid,
  }
}

/** '' for the first app, the appid for the others. */
export function scopeOf(env: MiniProgramSettings): string {
  return env.KEFU_APP_SCOPE ?? ''
}

/** A RULES key as this app stores it: the first app's keys are unchanged. */
export function scopedKey(env: MiniProgramSettings, key: string): string {
  const scope = scopeOf(env)
  return scope === '' ? key : `app:${scope}:${key}`
}

/** The name a setting has for this app: `WECHAT_TOKEN_<appid>` beyond the first. */
export function settingLabel(env: MiniProgramSettings, name: string): string {
  const scope = scopeOf(env)
  return scope !== '' && (MINI_PROGRAM_SETTINGS as readonly string[]).includes(name) ? `${name}_${scope}` : name
}

/** The app a Conversation object's name says it belongs to: null for the first app. */
export function scopeOfObjectName(name: string): string | null {
  const colon = name.indexOf(':')
  return colon < 0 ? null : name.slice(0, colon)
}
