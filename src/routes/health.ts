/**
 * `/healthz`: is this deployment configured? Publicly: ok or not, the version, the push mode,
 * and each setting by name and status. With the admin token: why a setting is refused, and
 * the rule set in force (version, status, rule count, why a newer one was rejected).
 * A rejected or missing rule set does not make the deployment unhealthy: the service keeps
 * answering with the last good set, so `ok` reflects the settings only.
 */
import { Hono } from 'hono'
import { pushModeState, SETTING_NAMES, settingState, type Env, type PushMode, type SettingState } from '../env'
import { loadRules, rulesStatus, type RulesStatus } from '../rules/loader'
import { VERSION } from '../version'
import { isAdmin } from './admin-auth'

export const health = new Hono<{ Bindings: Env }>()

/** What an operator is shown: the admin `/healthz` and the console's status page. */
export interface HealthReport {
  ok: boolean
  version: string
  mode: PushMode | null
  settings: Record<string, SettingState>
  rules: RulesStatus
}

export async function healthReport(env: Env): Promise<HealthReport> {
  const settings: Record<string, SettingState> = {}
  for (const name of SETTING_NAMES) settings[name] = settingState(env, name)
  const ok = Object.values(settings).every((s) => s.status === 'ok')
  await loadRules(env)
  return { ok, version: VERSION, mode: pushModeState(env), settings, rules: rulesStatus() }
}

health.get('/healthz', async (c) => {
  if (await isAdmin(c)) {
    const report = await healthReport(c.env)
    return c.json(report, report.ok ? 200 : 503)
  }
  const settings: Record<string, SettingState['status']> = {}
  for (const name of SETTING_NAMES) settings[name] = settingState(c.env, name).status
  const ok = Object.values(settings).every((s) => s === 'ok')
  return c.json({ ok, version: VERSION, mode: pushModeState(c.env), settings }, ok ? 200 : 503)
})
