/**
 * `/healthz`: is this deployment configured? Names settings, never shows their values, and
 * shows the rule set in force (version, status, rule count, why a newer one was rejected).
 * A rejected or missing rule set does not make the deployment unhealthy: the service keeps
 * answering with the last good set, so `ok` reflects the settings only.
 */
import { Hono } from 'hono'
import { SETTING_NAMES, settingState, type Env, type SettingState } from '../env'
import { loadRules, rulesStatus } from '../rules/loader'
import { VERSION } from '../version'

export const health = new Hono<{ Bindings: Env }>()

health.get('/healthz', async (c) => {
  const settings: Record<string, SettingState> = {}
  for (const name of SETTING_NAMES) settings[name] = settingState(c.env, name)
  const ok = Object.values(settings).every((s) => s.status === 'ok')
  await loadRules(c.env)
  return c.json({ ok, version: VERSION, settings, rules: rulesStatus() }, ok ? 200 : 503)
})
