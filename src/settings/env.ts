/**
 * The Worker's bindings and settings, and how settings are read: each one is present, missing
 * or malformed, with a reason that names the setting and never shows its value.
 */
import type { Conversation } from '../conversation/conversation'
import type { Sessions } from '../auth/sessions'
import type { Desk } from '../desk/desk'
import type { KfAccount } from '../wecom/account'
import type { RulePublisher } from '../rules/publisher'
import type { Recorder } from '../record/recorder'
import type { CampaignTask } from '../subscribe/campaign-task'
import type { UserMediaTask } from '../media/archive-task'
import type { QueuedDelivery } from '../webhooks/events'
import { settingLabel } from './mini-programs'
import { CHECKS, type SettingName } from './checks'
import type { PushMode } from '../wechat/push'

export type { PushMode } from '../wechat/push'
export type { SettingName } from './checks'

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
  /** Subscribe templates that are long-term (长期订阅), comma-separated; every other is one-time. */
  SUBSCRIBE_LONG_TERM_TEMPLATES?: string
  /** How many subscribe messages a campaign sends per second at most (default 20). */
  CAMPAIGN_SENDS_PER_SECOND?: string
  /** How long the audit log keeps an entry, in days (default 365; admin/audit.ts). */
  AUDIT_RETENTION_DAYS?: string
  /** The mini programs served beyond the first, comma-separated appids (their secrets are suffixed `_<appid>`). */
  WECHAT_APPS?: string
  /**
   * Cloudflare Access in front of the console (auth/access.ts): the Zero Trust team's domain,
   * `<team>.cloudflareaccess.com` (or, for a local stand-in and tests, an `http(s)://host:port`
   * base URL). Set with ACCESS_AUD, or neither.
   */
  ACCESS_TEAM_DOMAIN?: string
  /** The Access application's audience (AUD) tag, 64 hex characters. Set with ACCESS_TEAM_DOMAIN, or neither. */
  ACCESS_AUD?: string
  /**
   * The language model of the knowledge base's answers (src/ai/): any OpenAI-compatible
   * chat-completions endpoint, as the base URL an OpenAI SDK takes (requests go to its
   * /chat/completions). With LLM_MODEL and LLM_API_KEY; without all three, FAQ only.
   */
  LLM_API_BASE?: string
  /** The model's name at LLM_API_BASE, e.g. deepseek-chat or qwen-plus. */
  LLM_MODEL?: string
  /** The endpoint's key (a secret; an app of WECHAT_APPS may have its own, LLM_API_KEY_<appid>). */
  LLM_API_KEY?: string
  /**
   * Where people answer (src/desk/): `wechat` (the default: a transfer hands the user to
   * WeChat's customer-service tool) or `console` (to the console's queue). Per app: HUMAN_DESK_<appid>.
   */
  HUMAN_DESK?: string
  /** A user waiting this many minutes for a person is flagged, and announced (default 10). */
  DESK_ALERT_MINUTES?: string
  /** Where a long wait is announced once: a WeCom group robot's URL, or any URL taking JSON (a secret: it holds the robot's key). */
  DESK_ALERT_WEBHOOK?: string
  /** Where events go (src/webhooks/): an http(s) URL taking a POST of JSON; one for the deployment. With WEBHOOK_SECRET, or neither. */
  WEBHOOK_URL?: string
  /** The key each event's X-Kefu-Signature is an HMAC-SHA256 with (a secret, at least 16 characters). */
  WEBHOOK_SECRET?: string
  /** 微信客服 (src/wecom/): the corp's CorpID (企业ID). With the three WECOM_KF_* secrets, or none. */
  WECOM_CORPID?: string
  /** The self-built app's Secret, for gettoken. */
  WECOM_KF_SECRET?: string
  /** The callback's Token (设置API接收). */
  WECOM_KF_TOKEN?: string
  /** The callback's EncodingAESKey, 43 characters. */
  WECOM_KF_ENCODING_AES_KEY?: string
  /** Default https://qyapi.weixin.qq.com; local runs and tests point it at dev/fake-wecom.ts. */
  WECOM_API_BASE?: string
  /** Set by the Worker in an app's view of the bindings (mini-program-state.ts), never by the operator: '' or the appid. */
  KEFU_APP_SCOPE?: string
  /** Set by the Worker in a 微信客服 account's view (settings/kf-view.ts), never by the operator: 'kf', or absent for the mini program. */
  KEFU_CHANNEL?: string
  /** With KEFU_CHANNEL 'kf': the account's open_kfid. */
  KEFU_KF_ID?: string
  RULES: KVNamespace
  CACHE: KVNamespace
  CONVERSATIONS: DurableObjectNamespace<Conversation>
  /** Console sessions and failed sign-ins, in one object named `console` (auth/sessions.ts). */
  SESSIONS: DurableObjectNamespace<Sessions>
  /** The human desk of each mini program: its queue, agents and live consoles (desk/desk.ts). */
  DESK: DurableObjectNamespace<Desk>
  /** Each 微信客服 account's pulls: its cursor and what it has handed on (wecom/account.ts). */
  KF_ACCOUNTS: DurableObjectNamespace<KfAccount>
  /** Serialises each mini program's rule publishes (rules/publisher.ts). */
  RULE_PUBLISHER: DurableObjectNamespace<RulePublisher>
  /** Each mini program's copies to the D1 record, many users' in one batch (record/recorder.ts). */
  RECORDER: DurableObjectNamespace<Recorder>
  /** The operator's record across users: conversations, messages, rule hits (migrations/). */
  DB: D1Database
  /** The fan-out of subscribe campaigns: this Worker produces and consumes it. */
  CAMPAIGNS: Queue<CampaignTask>
  /** Events to other systems, one message per event: this Worker produces and consumes it (src/webhooks/). */
  WEBHOOKS: Queue<QueuedDelivery>
  /** Images users send, to copy from WeChat's temporary media into MEDIA: this Worker produces and consumes it (media/archive-queue.ts). */
  USER_MEDIA: Queue<UserMediaTask>
  /** Images operators upload in the console (src/media/uploads.ts), sent to WeChat as media when a reply first needs them. */
  MEDIA: R2Bucket
  /** assets/, reached only through the Worker (run_worker_first): the admin API's OpenAPI document. */
  ASSETS: Fetcher
}

type WorkerEnv = Env

// `env` from 'cloudflare:workers' (tests, Durable Objects) is typed by this same interface.
declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
    interface GlobalProps {
      mainModule: typeof import('../index')
      durableNamespaces: 'Conversation' | 'Sessions' | 'RulePublisher' | 'Desk' | 'KfAccount'
    }
  }
}

export type SettingState = { status: 'ok' } | { status: 'missing' | 'malformed'; reason: string }

/** Thrown when a push needs a setting that is missing or malformed: the operator's fault. */
export class SettingError extends Error {
  override readonly name = 'SettingError'
  constructor(
    readonly setting: SettingName,
    readonly reason: string,
    /** The name the operator sets: `WECHAT_TOKEN_<appid>` for an app beyond the first. */
    readonly label: string = setting,
  ) {
    super(`${label} ${reason}`)
  }
}

export const DEFAULT_API_BASE = 'https://api.weixin.qq.com'
export const DEFAULT_MAX_AGE_SECONDS = 300
/** The largest documented push (a subscribe event with many items) is a few KB. */
export const DEFAULT_MAX_BYTES = 64 * 1024
export const DEFAULT_REPLY_MAX_AGE_SECONDS = 1800
export const DEFAULT_RETENTION_DAYS = 7

export const SETTING_NAMES = Object.keys(CHECKS) as SettingName[]

export function settingState(env: Env, name: SettingName): SettingState {
  const label = settingLabel(env, name)
  const value = env[name]
  if (value === undefined || value === '') {
    if (name === 'WECHAT_ENCODING_AES_KEY' && needsAesKey(env)) {
      return { status: 'missing', reason: `${label} is not set (WECHAT_PUSH_MODE is ${env.WECHAT_PUSH_MODE})` }
    }
    const partner = ACCESS_PAIR[name]
    if (partner !== undefined && hasValue(env[partner])) {
      return { status: 'malformed', reason: `${label} is not set, but ${partner} is: Cloudflare Access needs both, or neither` }
    }
    const webhookPartner = WEBHOOK_PAIR[name]
    if (webhookPartner !== undefined && hasValue(env[webhookPartner])) {
      return { status: 'malformed', reason: `${label} is not set, but ${webhookPartner} is: webhooks need both, or neither` }
    }
    const wecomPeer = WECOM_SETTINGS.includes(name) ? WECOM_SETTINGS.find((other) => other !== name && hasValue(env[other])) : undefined
    if (wecomPeer !== undefined) {
      return {
        status: 'malformed',
        reason: `${label} is not set, but ${wecomPeer} is: the 微信客服 channel needs ${WECOM_SETTINGS.join(', ')}, or none`,
      }
    }
    const modelPeer = MODEL_SETTINGS.includes(name) ? MODEL_SETTINGS.find((other) => other !== name && hasValue(env[other])) : undefined
    if (modelPeer !== undefined) {
      return {
        status: 'malformed',
        reason: `${label} is not set, but ${modelPeer} is: the model needs LLM_API_BASE, LLM_MODEL and LLM_API_KEY, or none`,
      }
    }
    return CHECKS[name].required ? { status: 'missing', reason: `${label} is not set` } : { status: 'ok' }
  }
  const problem = CHECKS[name].check(value)
  return problem ? { status: 'malformed', reason: `${label} ${problem}` } : { status: 'ok' }
}

/** The value of a setting a request cannot do without; a SettingError if it is unusable. */
export function requireSetting(env: Env, name: SettingName): string {
  const value = env[name]
  if (value === undefined || value === '') throw new SettingError(name, 'is not set', settingLabel(env, name))
  const problem = CHECKS[name].check(value)
  if (problem) throw new SettingError(name, problem, settingLabel(env, name))
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

/** The model's three settings (src/ai/model.ts): some without the others is a mistake, named on each missing one. */
const MODEL_SETTINGS: readonly SettingName[] = ['LLM_API_BASE', 'LLM_MODEL', 'LLM_API_KEY']

/** The 微信客服 channel's settings (src/wecom/): all, or none (the channel is off). */
export const WECOM_SETTINGS: readonly SettingName[] = ['WECOM_CORPID', 'WECOM_KF_SECRET', 'WECOM_KF_TOKEN', 'WECOM_KF_ENCODING_AES_KEY']

/** Whether the 微信客服 channel is configured at all: any of its settings set. Partly set is a SettingError where a setting is needed. */
export function wecomConfigured(env: Env): boolean {
  return WECOM_SETTINGS.some((name) => hasValue(env[name]))
}

export const DEFAULT_WECOM_API_BASE = 'https://qyapi.weixin.qq.com'

export function wecomApiBase(env: Env): string {
  const value = env.WECOM_API_BASE
  if (value === undefined || value === '') return DEFAULT_WECOM_API_BASE
  return requireSetting(env, 'WECOM_API_BASE').replace(/\/+$/, '')
}

/** Cloudflare Access's two settings: one without the other is a mistake, named on the missing one. */
const ACCESS_PAIR: Partial<Record<SettingName, SettingName>> = { ACCESS_TEAM_DOMAIN: 'ACCESS_AUD', ACCESS_AUD: 'ACCESS_TEAM_DOMAIN' }

/** The webhooks' two settings (src/webhooks/): one without the other is a mistake, named on the missing one. */
const WEBHOOK_PAIR: Partial<Record<SettingName, SettingName>> = { WEBHOOK_URL: 'WEBHOOK_SECRET', WEBHOOK_SECRET: 'WEBHOOK_URL' }

function needsAesKey(env: Env): boolean {
  return env.WECHAT_PUSH_MODE === 'safe' || env.WECHAT_PUSH_MODE === 'compatible'
}

function hasValue(value: string | undefined): boolean {
  return value !== undefined && value !== ''
}

/**
 * The appid of the mini program `env` serves (its view): the key of its D1 rows, campaigns and
 * idempotency keys. A Worker without WECHAT_APPID throws a SettingError naming it (a 500 naming
 * the setting, at the routes).
 *
 * @example
 * const list = await listFailed(c.env.DB, { appid: appidOf(c.env), limit: 50 })
 */
export const appidOf = (env: Env): string => requireSetting(env, 'WECHAT_APPID')
