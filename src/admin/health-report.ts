/**
 * What an operator is shown of the deployment's health: the admin `/healthz` (routes/health.ts)
 * and the console's status page. Each mini program's push mode and settings (why one is
 * refused), and the rule set in force (version, status, rule count, why a newer one was
 * rejected), and the bindings a deployment can lose without failing to start (MEDIA, the
 * bucket of uploaded images). A rejected or missing rule set does not make the deployment
 * unhealthy: the service keeps answering with the last good set, so `ok` reflects the
 * settings and bindings only.
 */
import { pushModeState, SETTING_NAMES, settingState, type Env, type PushMode, type SettingState } from '../settings/env'
import { MINI_PROGRAM_SETTINGS, miniProgramEnv, servedAppids, rootOf, settingLabel } from '../settings/mini-program-state'
import { loadRules, rulesStatus, type RulesStatus } from '../rules/loader'
import { VERSION } from '../version'
import { hasMediaBucket, MEDIA_MISSING } from '../media/bucket'

/** One mini program's settings (the names it sets: `WECHAT_TOKEN_<appid>` beyond the first) and push mode. */
export interface MiniProgramHealth {
  appid: string
  ok: boolean
  mode: PushMode | null
  settings: Record<string, SettingState>
}

/** What an operator is shown: the admin `/healthz` and the console's status page. */
export interface HealthReport {
  ok: boolean
  version: string
  /** The first mini program's push mode, settings and rule set (as before several). */
  mode: PushMode | null
  settings: Record<string, SettingState>
  rules: RulesStatus
  /** The deployment's bindings checked by presence (one for all its mini programs): MEDIA. */
  bindings: Record<string, SettingState>
  /** Every mini program served, the first first: its settings, and its rule set in force. */
  apps: (MiniProgramHealth & { rules: RulesStatus })[]
}

/** Every mini program this Worker serves, the first first, with its view of the bindings. */
function servedMiniPrograms(env: Env): { appid: string; view: Env }[] {
  // appids lists only mini programs miniProgramEnv has a view of.
  return servedAppids(env).map((appid) => ({ appid, view: miniProgramEnv(env, appid) ?? env }))
}

/** The settings a mini program has: the first all of them, the others their own (settings/mini-program-state.ts). */
function miniProgramHealth(env: Env, { appid, view }: { appid: string; view: Env }): MiniProgramHealth {
  const settings: Record<string, SettingState> = {}
  const names = view === env ? SETTING_NAMES : SETTING_NAMES.filter((name) => (MINI_PROGRAM_SETTINGS as readonly string[]).includes(name))
  for (const name of names) settings[settingLabel(view, name)] = settingState(view, name)
  const ok = Object.values(settings).every((s) => s.status === 'ok')
  return { appid, ok, mode: pushModeState(view), settings }
}

/** The bindings a deployment runs without (wrangler.toml lost them), by presence: nothing is read. */
function bindingsHealth(env: Env): Record<string, SettingState> {
  const present = (name: 'USER_MEDIA' | 'WEBHOOKS') => (env as Partial<Env>)[name] !== undefined
  return {
    MEDIA: hasMediaBucket(env) ? { status: 'ok' } : { status: 'missing', reason: MEDIA_MISSING },
    USER_MEDIA: present('USER_MEDIA')
      ? { status: 'ok' }
      : { status: 'missing', reason: "USER_MEDIA is not bound: users' images are not archived and die with WeChat's 3 days" },
    // Only needed with WEBHOOK_URL: without it, nothing is queued.
    ...(env.WEBHOOK_URL
      ? {
          WEBHOOKS: present('WEBHOOKS')
            ? { status: 'ok' as const }
            : { status: 'missing' as const, reason: 'WEBHOOKS is not bound: events to WEBHOOK_URL cannot be queued' },
        }
      : {}),
  }
}

const bindingsOk = (env: Env): boolean => Object.values(bindingsHealth(env)).every((state) => state.status === 'ok')

/** Whether every mini program is configured, and the bindings are there: all the public `/healthz` says. Reads no storage. */
export function configured(env: Env): boolean {
  return bindingsOk(rootOf(env)) && servedMiniPrograms(env).every((served) => miniProgramHealth(env, served).ok)
}

/**
 * The operator's report (whichever mini program's view it is asked with); reads each shown
 * mini program's rule set. `apps`: an operator limited to some mini programs sees those alone
 * — another's settings and rule set are not theirs to see — the one they are viewing on top;
 * null, every one served, the first first.
 */
export async function healthReport(view: Env, apps: readonly string[] | null = null): Promise<HealthReport> {
  const env = rootOf(view)
  const served = servedMiniPrograms(env)
  const viewing = (one: { appid: string }) => (one.appid === view.WECHAT_APPID ? 0 : 1)
  const shown = apps === null ? served : served.filter((one) => apps.includes(one.appid)).sort((a, b) => viewing(a) - viewing(b))
  const miniPrograms = await Promise.all(
    shown.map(async (one) => {
      await loadRules(one.view)
      return { ...miniProgramHealth(env, one), rules: rulesStatus(one.view) }
    }),
  )
  // The console lets an operator in only on a mini program of theirs, so one is always shown;
  // the view's own rule set stands in should there be none.
  const first = miniPrograms[0] ?? { mode: pushModeState(view), settings: {}, rules: rulesStatus(view) }
  const bindings = bindingsHealth(env)
  return {
    ok: miniPrograms.every((miniProgram) => miniProgram.ok) && Object.values(bindings).every((state) => state.status === 'ok'),
    version: VERSION,
    mode: first.mode,
    settings: first.settings,
    rules: first.rules,
    bindings,
    apps: miniPrograms,
  }
}
