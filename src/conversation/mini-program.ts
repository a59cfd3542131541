/**
 * Which mini program a Conversation object serves, and its view of the bindings (settings/mini-program-state.ts).
 * The object's name says it (`<appid>:<openid>`, or `<openid>` for the first app); a call
 * that carries no name (an alarm) reads it from `meta` (schema 6), where it is written when
 * the storage is created. `meta`'s `scope` row (its `last_activity` row is activity.ts's).
 */
import { miniProgramEnv, scopeOfObjectName } from '../settings/mini-program-state'
import type { Env } from '../settings/env'
import { kfAccountOfScope, kfEnv } from '../settings/kf-view'

/** Remembers the mini program in a new database. Objects from before several apps have no row, and belong to the first. */
export function rememberScope(sql: SqlStorage, objectName: string): void {
  sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('scope', ?)", scopeOfObjectName(objectName) ?? '')
}

/** The mini program as `meta` has it: '' for the first, else its appid. */
export function storedScope(sql: SqlStorage): string {
  return sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'scope'").toArray()[0]?.value ?? ''
}

/**
 * The object's mini program's view of the bindings: from its name, or else from `stored`.
 * A mini program no longer served gets a view without secrets, so nothing of it is sent with
 * another's credentials.
 */
export function envOfObject(env: Env, objectName: string | undefined, stored: () => string): Env {
  const scope = objectName !== undefined ? (scopeOfObjectName(objectName) ?? '') : stored()
  // A 微信客服 customer's object answers through its account's view of the first app.
  const kfAccount = kfAccountOfScope(scope)
  if (kfAccount !== null) return kfEnv(env, kfAccount)
  const view = scope === '' ? env : miniProgramEnv(env, scope)
  return view ?? { ...env, WECHAT_APPID: scope, WECHAT_APPSECRET: undefined, WECHAT_TOKEN: undefined, KEFU_APP_SCOPE: scope }
}
