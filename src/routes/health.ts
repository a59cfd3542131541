/** `/healthz`: is this deployment configured? Names settings, never shows their values. */
import { Hono } from 'hono'
import { SETTING_NAMES, settingState, type Env, type SettingState } from '../env'
import { VERSION } from '../version'

export const health = new Hono<{ Bindings: Env }>()

health.get('/healthz', (c) => {
  const settings: Record<string, SettingState> = {}
  for (const name of SETTING_NAMES) settings[name] = settingState(c.env, name)
  const ok = Object.values(settings).every((s) => s.status === 'ok')
  return c.json({ ok, version: VERSION, settings }, ok ? 200 : 503)
})
