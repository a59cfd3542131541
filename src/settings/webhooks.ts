/**
 * Where events go: WEBHOOK_URL (a var) and WEBHOOK_SECRET (a secret), one pair for the
 * deployment — every app's events go to the same receiver, which tells them apart by the
 * body's `appid`. Set both, or neither (src/settings/env.ts names the missing one).
 */
import { requireSetting, type Env } from './env'

/** Whether events are wanted at all: WEBHOOK_URL is set (checked when delivered, not here). */
export function webhooksOn(env: Pick<Env, 'WEBHOOK_URL'>): boolean {
  return env.WEBHOOK_URL !== undefined && env.WEBHOOK_URL !== ''
}

/** The receiver and the key to sign with; a SettingError naming what is missing or malformed. */
export function webhookTarget(env: Env): { url: string; secret: string } {
  return { url: requireSetting(env, 'WEBHOOK_URL'), secret: requireSetting(env, 'WEBHOOK_SECRET') }
}
