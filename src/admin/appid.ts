/**
 * The mini program an operator's request acts on, by its appid: the admin API's `?app=` and the
 * console's switcher hand every route that mini program's view of the bindings (settings/mini-program-state.ts).
 */
import { requireSetting, type Env } from '../settings/env'

/**
 * The appid of the mini program `env` serves: the key of its D1 rows, campaigns and
 * idempotency keys. A Worker without WECHAT_APPID answers 500 naming the setting.
 *
 * @example
 * const list = await listFailed(c.env.DB, { appid: appidOf(c.env), limit: 50 })
 */
export const appidOf = (env: Env): string => requireSetting(env, 'WECHAT_APPID')
