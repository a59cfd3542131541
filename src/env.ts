/**
 * The Worker's bindings and settings, and how settings are read: each one is present, missing
 * or malformed, with a reason that names the setting and never shows its value.
 */
import type { Conversation } from './conversation/conversation'
import { decodeAesKey } from './wechat/cipher'
import { isHttpUrl } from './url'

export interface Env {
  WECHAT_APPID?: string
  WECHAT_APPSECRET?: string
  WECHAT_TOKEN?: string
  WECHAT_ENCODING_AES_KEY?: string
  WECHAT_API_BASE?: string
  ADMIN_TOKEN?: string
  /** How far a push's timestamp may be from now, in seconds (default 300). */
  PUSH_MAX_AGE_SECONDS?: string
  /** The largest push body accepted, in bytes (default 64 KiB). */
  PUSH_MAX_BYTES?: string
  /** The message encryption mode chosen in WeChat's console: safe, compatible or plaintext. */
  WECHAT_PUSH_MODE?: string
  /** A reply not delivered this many seconds after its push is failed as `expired` (default 1800). */
  REPLY_MAX_AGE_SECONDS?: string
  /** How long a quiet user's data is kept, in days (default 7). */
  RETENTION_DAYS?: string
  /** The time-out of each WeChat API exchange, in ms (default 8000). */
  WECHAT_API_TIMEOUT_MS?: string
  /** How often an isolate asks KV whether the rule set changed, in seconds (default 30). */
  RULES_REFRESH_SECONDS?: string
  RULES: KVNamespace
  CACHE: KVNamespace
  CONVERSATIONS: DurableObjectNamespace<Conversation>
}

type WorkerEnv = Env

// `env` from 'cloudflare:workers' (tests, Durable Objects) is typed by this same interface.
declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
    interface GlobalProps {
      mainModule: typeof import('./index')
      durableNamespaces: 'Conversation'
    }
  }
}

export type SettingName =
  | 'WECHAT_APPID'
  | 'WECHAT_APPSECRET'
  | 'WECHAT_TOKEN'
  | 'WECHAT_ENCODING_AES_KEY'
  | 'WECHAT_API_BASE'
  | 'ADMIN_TOKEN'
  | 'PUSH_MAX_AGE_SECONDS'
  | 'PUSH_MAX_BYTES'
  | 'WECHAT_API_TIMEOUT_MS'
  | 'RULES_REFRESH_SECONDS'
  | 'WECHAT_PUSH_MODE'
  | 'REPLY_MAX_AGE_SECONDS'
  | 'RETENTION_DAYS'

export type SettingState = { status: 'ok' } | { status: 'missing' | 'malformed'; reason: string }

/** Thrown when a push needs a setting that is missing or malformed: the operator's fault. */
export class SettingError extends Error {
  override readonly name = 'SettingError'
  constructor(
    readonly setting: SettingName,
    readonly reason: string,
  ) {
    super(`${setting} ${reason}`)
  }
}

export const DEFAULT_API_BASE = 'https://api.weixin.qq.com'
export const DEFAULT_MAX_AGE_SECONDS = 300
/** The largest documented push (a subscribe event with many items) is a few KB. */
export const DEFAULT_MAX_BYTES = 64 * 1024
export const DEFAULT_REPLY_MAX_AGE_SECONDS = 1800
export const DEFAULT_RETENTION_DAYS = 7

type Check = (value: string) => string | null

/** Each check returns why a present value is malformed, or null. */
const CHECKS: Record<SettingName, { required: boolean; check: Check }> = {
  WECHAT_APPID: {
    required: true,
    check: (v) => (/^wx[0-9a-zA-Z]{16}$/.test(v) ? null : 'is not an appid (wx + 16 characters)'),
  },
  WECHAT_APPSECRET: {
    required: true,
    check: (v) => (/^[0-9a-zA-Z]{16,64}$/.test(v) ? null : 'is not an app secret'),
  },
  WECHAT_TOKEN: {
    required: true,
    check: (v) => (/^[0-9A-Za-z]{3,32}$/.test(v) ? null : 'is not 3 to 32 letters or digits'),
  },
  WECHAT_ENCODING_AES_KEY: {
    required: false,
    check: (v) => (decodeAesKey(v) ? null : 'is not 43 base64 characters'),
  },
  WECHAT_API_BASE: {
    required: false,
    check: (v) => (isHttpUrl(v) ? null : 'is not an http(s) URL'),
  },
  ADMIN_TOKEN: {
    required: false,
    check: (v) => (v.length >= 16 ? null : 'is shorter than 16 characters'),
  },
  PUSH_MAX_AGE_SECONDS: { required: false, check: positiveInteger },
  PUSH_MAX_BYTES: { required: false, check: positiveInteger },
  WECHAT_API_TIMEOUT_MS: { required: false, check: positiveInteger },
  RULES_REFRESH_SECONDS: { required: false, check: positiveInteger },
  WECHAT_PUSH_MODE: {
    required: false,
    check: (v) => (isPushMode(v) ? null : 'is not safe, compatible or plaintext'),
  },
  REPLY_MAX_AGE_SECONDS: { required: false, check: positiveInteger },
  RETENTION_DAYS: { required: false, check: positiveInteger },
}

export type PushMode = 'safe' | 'compatible' | 'plaintext'

function isPushMode(value: string): value is PushMode {
  return value === 'safe' || value === 'compatible' || value === 'plaintext'
}

function positiveInteger(value: string): string | null {
  return /^[1-9]\d{0,9}$/.test(value) ? null : 'is not a positive integer'
}

export const SETTING_NAMES = Object.keys(CHECKS) as SettingName[]

export function settingState(env: Env, name: SettingName): SettingState {
  const value = env[name]
  if (value === undefined || value === '') {
    return CHECKS[name].required
      ? { status: 'missing', reason: `${name} is not set` }
      : { status: 'ok' }
  }
  const problem = CHECKS[name].check(value)
  return problem ? { status: 'malformed', reason: `${name} ${problem}` } : { status: 'ok' }
}

/** The value of a setting a request cannot do without; a SettingError if it is unusable. */
export function requireSetting(env: Env, name: SettingName): string {
  const value = env[name]
  if (value === undefined || value === '') throw new SettingError(name, 'is not set')
  const problem = CHECKS[name].check(value)
  if (problem) throw new SettingError(name, problem)
  return value
}

/** An optional numeric setting, falling back to its default when unset. */
export function numberSetting(env: Env, name: SettingName, fallback: number): number {
  const value = env[name]
  if (value === undefined || value === '') return fallback
  return Number(requireSetting(env, name))
}

export function apiBase(env: Env): string {
  const value = env.WECHAT_API_BASE
  if (value === undefined || value === '') return DEFAULT_API_BASE
  return requireSetting(env, 'WECHAT_API_BASE').replace(/\/+$/, '')
}
