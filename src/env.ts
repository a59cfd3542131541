/**
 * The Worker's bindings and settings, and how settings are read: each one is present, missing
 * or malformed, with a reason that names the setting and never shows its value.
 */
import type { Conversation } from './conversation/conversation'
import { decodeAesKey } from './wechat/cipher'
import type { PushMode } from './wechat/push'

export type { PushMode } from './wechat/push'
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
  /** The operator's record across users: conversations, messages, rule hits (migrations/). */
  DB: D1Database
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

/** RFC 6750 token68, the syntax Hono's bearer-auth accepts. */
const BEARER_TOKEN = /^[A-Za-z0-9._~+/-]+=*$/

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
    // Hono's bearer check only reads tokens of RFC 6750's token68 characters: any other
    // character would make every admin call a 400.
    check: (v) =>
      v.length < 16
        ? 'is shorter than 16 characters'
        : BEARER_TOKEN.test(v)
          ? null
          : 'has characters a bearer token cannot carry (use letters, digits and - . _ ~ + /)',
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
    if (name === 'WECHAT_ENCODING_AES_KEY' && needsAesKey(env)) {
      return { status: 'missing', reason: `${name} is not set (WECHAT_PUSH_MODE is ${env.WECHAT_PUSH_MODE})` }
    }
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

/**
 * The push mode in force: WECHAT_PUSH_MODE, or `safe` when an AES key is set and
 * `plaintext` when not. Safe and compatible mode cannot run without the key.
 */
export function pushMode(env: Env): PushMode {
  const value = env.WECHAT_PUSH_MODE
  if (value === undefined || value === '') return hasValue(env.WECHAT_ENCODING_AES_KEY) ? 'safe' : 'plaintext'
  const mode = requireSetting(env, 'WECHAT_PUSH_MODE') as PushMode
  if (mode !== 'plaintext' && !hasValue(env.WECHAT_ENCODING_AES_KEY)) {
    throw new SettingError('WECHAT_ENCODING_AES_KEY', `is not set (WECHAT_PUSH_MODE is ${mode})`)
  }
  return mode
}

/** The mode /healthz shows: null when WECHAT_PUSH_MODE itself is malformed. */
export function pushModeState(env: Env): PushMode | null {
  if (settingState(env, 'WECHAT_PUSH_MODE').status !== 'ok') return null
  const value = env.WECHAT_PUSH_MODE
  if (value === undefined || value === '') return hasValue(env.WECHAT_ENCODING_AES_KEY) ? 'safe' : 'plaintext'
  return value as PushMode
}

function needsAesKey(env: Env): boolean {
  return env.WECHAT_PUSH_MODE === 'safe' || env.WECHAT_PUSH_MODE === 'compatible'
}

function hasValue(value: string | undefined): boolean {
  return value !== undefined && value !== ''
}
