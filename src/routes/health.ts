/**
 * `/healthz`: is this deployment configured? Publicly: ok or not, the version, the push mode,
 * and each setting by name and status. With the admin token: why a setting is refused, and
 * the rule set in force (version, status, rule count, why a newer one was rejected).
 * A rejected or missing rule set does not make the deployment unhealthy: the service keeps
 * answering with the last good set, so `ok` reflects the settings only.
 */
import { Hono } from 'hono'
import { pushModeState, SETTING_NAMES, settingState, type Env, type SettingState } from '../env'
import { loadRules, rulesStatus } from '../rules/loader'
import { VERSION } from '../version'
import { isAdmin } from './admin-auth'

export const health = new Hono<{ Bindings: Env }>()

health.get('/healthz', async (c) => {
  const settings: Record<string, SettingState> = {}
  for (const name of SETTING_NAMES) settings[name] = settingState(c.env, name)
  const ok = Object.values(settings).every((s) => s.status === 'ok')
  const status = ok ? 200 : 503
  const mode = pushModeState(c.env)
  if (!(await isAdmin(c))) {
    const statuses = Object.fromEntries(Object.entries(settings).map(([name, s]) => [name, s.status]))
    return c.json({ ok, version: VERSION, mode, settings: statuses }, status)
  }
  await loadRules(c.env)
  return c.json({ ok, version: VERSION, mode, settings, rules: rulesStatus() }, status)
})
