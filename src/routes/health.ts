/**
 * `/healthz`: is this deployment configured? Publicly only `{ ok, version }` (200 when ok, 503
 * when not): no appid, push mode or setting name for whoever asks. With the admin token the
 * operator's report: each app's push mode and settings (why one is refused), and the rule set
 * in force (version, status, rule count, why a newer one was rejected). The public answer reads
 * no storage; the report reads each app's rule set.
 * A rejected or missing rule set does not make the deployment unhealthy: the service keeps
 * answering with the last good set, so `ok` reflects the settings only.
 */
import { Hono } from 'hono/tiny'
import { pushModeState, SETTING_NAMES, settingState, type Env, type PushMode, type SettingState } from '../env'
import { APP_SETTINGS, appEnv, appids, rootOf, settingLabel } from '../apps'
import { loadRules, rulesStatus, type RulesStatus } from '../rules/loader'
import { VERSION } from '../version'
import { isAdmin } from './admin-auth'

export const health = new Hono<{ Bindings: Env }>()

/** One app's settings (the names it sets: `WECHAT_TOKEN_<appid>` beyond the first) and push mode. */
export interface AppHealth {
  appid: string
  ok: boolean
  mode: PushMode | null
  settings: Record<string, SettingState>
}

/** What an operator is shown: the admin `/healthz` and the console's status page. */
export interface HealthReport {
  ok: boolean
  version: string
  /** The first app's push mode, settings and rule set (as before several apps). */
  mode: PushMode | null
  settings: Record<string, SettingState>
  rules: RulesStatus
  /** Every app served, the first first: its settings, and its rule set in force. */
  apps: (AppHealth & { rules: RulesStatus })[]
}

/** Every app this Worker serves, the first first, with its view of the bindings. */
function servedApps(env: Env): { appid: string; view: Env }[] {
  // appids lists only apps appEnv has a view of.
  return appids(env).map((appid) => ({ appid, view: appEnv(env, appid) ?? env }))
}

/** The settings an app has: the first app all of them, the others their own (apps.ts). */
function appHealth(env: Env, { appid, view }: { appid: string; view: Env }): AppHealth {
  const settings: Record<string, SettingState> = {}
  const names = view === env ? SETTING_NAMES : SETTING_NAMES.filter((name) => (APP_SETTINGS as readonly string[]).includes(name))
  for (const name of names) settings[settingLabel(view, name)] = settingState(view, name)
  const ok = Object.values(settings).every((s) => s.status === 'ok')
  return { appid, ok, mode: pushModeState(view), settings }
}

export async function healthReport(view: Env): Promise<HealthReport> {
  // The console asks with the app it shows; the report is of every app.
  const env = rootOf(view)
  const apps = await Promise.all(
    servedApps(env).map(async (app) => {
      await loadRules(app.view)
      return { ...appHealth(env, app), rules: rulesStatus(app.view) }
    }),
  )
  const first = apps[0]!
  return { ok: apps.every((app) => app.ok), version: VERSION, mode: first.mode, settings: first.settings, rules: first.rules, apps }
}

health.get('/healthz', async (c) => {
  // A status is live: nothing in between keeps a copy.
  c.header('cache-control', 'no-store')
  if (await isAdmin(c)) {
    const report = await healthReport(c.env)
    return c.json(report, report.ok ? 200 : 503)
  }
  // Publicly: ok or not, and the version. Which app, mode or setting is for the operator.
  const ok = servedApps(c.env).every((app) => appHealth(c.env, app).ok)
  return c.json({ ok, version: VERSION }, ok ? 200 : 503)
})
