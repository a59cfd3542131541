/**
 * The settings a Conversation object reads. A malformed value is the operator's to fix, and
 * /healthz names it; meanwhile the object goes on with the default rather than stop
 * delivering or stop deleting.
 */
import { DEFAULT_REPLY_MAX_AGE_SECONDS, DEFAULT_RETENTION_DAYS, numberSetting, SettingError, type Env, type SettingName } from './env'
import { log } from '../log'

const DAY_MS = 24 * 60 * 60 * 1000

/** REPLY_MAX_AGE_SECONDS in ms: how long after its push a reply may still be sent. */
export function replyMaxAgeMs(env: Env): number {
  return settingOr(env, 'REPLY_MAX_AGE_SECONDS', DEFAULT_REPLY_MAX_AGE_SECONDS) * 1000
}

/** RETENTION_DAYS in ms: how long an idle object keeps its storage. */
export function retentionMs(env: Env): number {
  return retentionDays(env) * DAY_MS
}

/** RETENTION_DAYS: also how long the D1 record keeps message text. */
export function retentionDays(env: Env): number {
  return settingOr(env, 'RETENTION_DAYS', DEFAULT_RETENTION_DAYS)
}

function settingOr(env: Env, name: SettingName, fallback: number): number {
  try {
    return numberSetting(env, name, fallback)
  } catch (error) {
    if (!(error instanceof SettingError)) throw error
    log.error('setting.malformed', { setting: name, reason: error.reason, using: fallback })
    return fallback
  }
}
