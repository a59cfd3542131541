/**
 * What each setting must look like, and why a value is refused. Pure (no bindings): the
 * Worker checks its settings with it (env.ts), and `npm run setup` checks what it is given
 * before putting it.
 */
import { decodeAesKey } from '../wechat/cipher'
import type { PushMode } from '../wechat/push'
import { isHttpsOrLoopback, isHttpUrl } from '../url'
import { APPID } from '../wechat/appid'

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
  | 'SUBSCRIBE_LONG_TERM_TEMPLATES'
  | 'WECHAT_APPS'
  | 'CAMPAIGN_SENDS_PER_SECOND'
  | 'AUDIT_RETENTION_DAYS'
  | 'ACCESS_TEAM_DOMAIN'
  | 'ACCESS_AUD'
  | 'LLM_API_BASE'
  | 'LLM_MODEL'
  | 'LLM_API_KEY'
  | 'HUMAN_DESK'
  | 'DESK_ALERT_MINUTES'
  | 'DESK_ALERT_WEBHOOK'
  | 'WEBHOOK_URL'
  | 'WEBHOOK_SECRET'
  | 'WECOM_CORPID'
  | 'WECOM_KF_SECRET'
  | 'WECOM_KF_TOKEN'
  | 'WECOM_KF_ENCODING_AES_KEY'
  | 'WECOM_API_BASE'

type Check = (value: string) => string | null

/** RFC 6750 token68, the syntax Hono's bearer-auth accepts. */
const BEARER_TOKEN = /^[A-Za-z0-9._~+/-]+=*$/

/** Each check returns why a present value is malformed, or null. */
export const CHECKS: Record<SettingName, { required: boolean; check: Check }> = {
  WECHAT_APPID: {
    required: true,
    check: (v) => (APPID.test(v) ? null : 'is not an appid (wx + 16 characters)'),
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
  SUBSCRIBE_LONG_TERM_TEMPLATES: {
    required: false,
    check: (v) => (/^\s*[A-Za-z0-9_-]+(\s*,\s*[A-Za-z0-9_-]+)*\s*,?\s*$/.test(v) ? null : 'is not template ids separated by commas'),
  },
  CAMPAIGN_SENDS_PER_SECOND: { required: false, check: positiveInteger },
  AUDIT_RETENTION_DAYS: { required: false, check: positiveInteger },
  WECHAT_APPS: {
    required: false,
    check: (v) =>
      v.split(',').every((id) => id.trim() === '' || APPID.test(id.trim()))
        ? null
        : 'is not appids (wx + 16 characters) separated by commas',
  },
  // Cloudflare Access (auth/access.ts): set both or neither (env.ts settingState says which is missing).
  ACCESS_TEAM_DOMAIN: {
    required: false,
    check: (v) =>
      ACCESS_TEAM.test(v) || isAccessBase(v)
        ? null
        : 'is not a team domain (<team>.cloudflareaccess.com) or an http(s)://host:port base URL',
  },
  ACCESS_AUD: {
    required: false,
    check: (v) => (/^[0-9a-f]{64}$/.test(v) ? null : "is not an Access application's audience tag (64 lower-case hex characters)"),
  },
  // The model (src/ai/): all three, or the knowledge base answers from its FAQ only.
  LLM_API_BASE: {
    required: false,
    // The key goes with every request: in clear only to this machine (the stand-in model).
    check: (v) =>
      isHttpUrl(v) && isHttpsOrLoopback(new URL(v)) ? null : 'is not an https URL (http only on localhost, 127.0.0.1 or [::1])',
  },
  LLM_MODEL: {
    required: false,
    check: (v) => (/^[^\s]{1,128}$/.test(v) ? null : 'is not a model name (1 to 128 characters, no spaces)'),
  },
  LLM_API_KEY: {
    required: false,
    // Sent as `Authorization: Bearer`: only characters a header value can carry.
    check: (v) => (/^[\x21-\x7e]{8,512}$/.test(v) ? null : 'is not an API key (8 to 512 printable ASCII characters, no spaces)'),
  },
  // The human desk (src/desk/): where people answer, and when a wait is announced.
  HUMAN_DESK: {
    required: false,
    check: (v) => (v === 'wechat' || v === 'console' ? null : 'is not wechat or console'),
  },
  DESK_ALERT_MINUTES: { required: false, check: positiveInteger },
  DESK_ALERT_WEBHOOK: {
    required: false,
    check: (v) => (isHttpUrl(v) ? null : 'is not an http(s) URL'),
  },
  // Events to other systems (src/webhooks/): set both, or neither (env.ts says which is missing).
  WEBHOOK_URL: {
    required: false,
    check: (v) => (isHttpUrl(v) ? null : 'is not an http(s) URL'),
  },
  WEBHOOK_SECRET: {
    required: false,
    // The receiver keeps it in its own settings: printable, no spaces, long enough not to be guessed.
    check: (v) => (/^[\x21-\x7e]{16,256}$/.test(v) ? null : 'is not 16 to 256 printable ASCII characters without spaces'),
  },
  // 微信客服 (src/wecom/, docs/wecom-kf-protocol.md §9): the first four all, or none (env.ts).
  WECOM_CORPID: {
    required: false,
    // WeChat Work publishes no shape (ids seen are ww + 16 hex, older corps wx…): a safe charset.
    check: (v) => (/^[A-Za-z0-9]{6,64}$/.test(v) ? null : 'is not a CorpID (6 to 64 letters or digits, e.g. ww + 16 hex)'),
  },
  WECOM_KF_SECRET: {
    required: false,
    // Sent in gettoken's query: URL-safe characters only.
    check: (v) => (/^[A-Za-z0-9_-]{16,128}$/.test(v) ? null : "is not an app's Secret (16 to 128 letters, digits, - or _)"),
  },
  WECOM_KF_TOKEN: {
    required: false,
    check: (v) => (/^[0-9A-Za-z]{3,32}$/.test(v) ? null : 'is not 3 to 32 letters or digits'),
  },
  WECOM_KF_ENCODING_AES_KEY: {
    required: false,
    check: (v) => (decodeAesKey(v) ? null : 'is not 43 base64 characters'),
  },
  WECOM_API_BASE: {
    required: false,
    check: (v) => (isHttpUrl(v) ? null : 'is not an http(s) URL'),
  },
}

/** A Zero Trust team's domain, as Cloudflare names it. */
const ACCESS_TEAM = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.cloudflareaccess\.com$/i

/** A base URL standing in for the team domain (a local stand-in, tests): scheme, host and port, nothing else. */
function isAccessBase(value: string): boolean {
  if (!isHttpUrl(value)) return false
  const url = new URL(value)
  return url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === ''
}

function isPushMode(value: string): value is PushMode {
  return value === 'safe' || value === 'compatible' || value === 'plaintext'
}

function positiveInteger(value: string): string | null {
  return /^[1-9]\d{0,9}$/.test(value) ? null : 'is not a positive integer'
}
