/**
 * Where the doctor's settings come from, in order: a flag, an environment variable of the
 * Worker's own name, and — only when --url is a local address — .dev.vars (what `npm start`
 * runs the Worker with). The doctor says where each came from, never its value (the AppID
 * aside: it is no secret).
 */
import type { PushFormat } from '../src/wechat/message'

export interface DoctorSettings {
  /** The Worker, without a trailing slash. */
  url: string
  token?: string
  aesKey?: string
  appid?: string
  adminToken?: string
  /** 微信客服 (optional): the corp and its callback Token and EncodingAESKey, for the URL check of /wecom/kf. */
  kfCorpid?: string
  kfToken?: string
  kfAesKey?: string
  format: PushFormat
  /** Where each setting came from, in words, e.g. `WECHAT_TOKEN from .dev.vars`. */
  sources: string[]
}

export interface DoctorFlags {
  url: string
  token?: string | undefined
  'aes-key'?: string | undefined
  appid?: string | undefined
  'admin-token'?: string | undefined
  'kf-corpid'?: string | undefined
  'kf-token'?: string | undefined
  'kf-aes-key'?: string | undefined
  json?: boolean | undefined
}

/** Each setting: its flag, and the variable (in the environment and .dev.vars) of the same name. */
const SETTINGS = [
  { key: 'token', flag: 'token', name: 'WECHAT_TOKEN', label: 'Token' },
  { key: 'aesKey', flag: 'aes-key', name: 'WECHAT_ENCODING_AES_KEY', label: 'EncodingAESKey' },
  { key: 'appid', flag: 'appid', name: 'WECHAT_APPID', label: 'AppID' },
  { key: 'adminToken', flag: 'admin-token', name: 'ADMIN_TOKEN', label: 'admin token' },
  // 微信客服 is optional: named among the sources only when given.
  { key: 'kfCorpid', flag: 'kf-corpid', name: 'WECOM_CORPID', label: '微信客服 CorpID', optional: true },
  { key: 'kfToken', flag: 'kf-token', name: 'WECOM_KF_TOKEN', label: '微信客服 Token', optional: true },
  { key: 'kfAesKey', flag: 'kf-aes-key', name: 'WECOM_KF_ENCODING_AES_KEY', label: '微信客服 EncodingAESKey', optional: true },
] as const

/**
 * This machine: localhost (and its subdomains), 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z),
 * 0.0.0.0. The WHATWG URL parser has already normalised the host (`127.1` is `127.0.0.1`,
 * `[::ffff:127.0.0.1]` is `[::ffff:7f00:1]`).
 */
export function isLocalUrl(url: URL): boolean {
  const host = url.hostname.toLowerCase()
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '[::1]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host) ||
    host === '0.0.0.0'
  )
}

/**
 * Why the doctor will not run as asked: the admin token would cross the network in the clear
 * (plain http to a host that is not this machine), readable and reusable by anyone on the path.
 * Null when it may run: https, a local URL, no admin token to send, or `--insecure-http`.
 */
export function plainHttpRefusal(settings: DoctorSettings, insecureHttp: boolean): string | null {
  const url = new URL(settings.url)
  if (url.protocol !== 'http:' || isLocalUrl(url) || !settings.adminToken || insecureHttp) return null
  const source = /^admin token: (.+)$/.exec(settings.sources.find((line) => line.startsWith('admin token:')) ?? '')?.[1] ?? 'given'
  const leaveOut = source.startsWith('--')
    ? `drop ${source}`
    : source.startsWith('environment ')
      ? `unset ${source.slice('environment '.length)}`
      : 'leave it out'
  return [
    `Refusing to send the admin token (${source}) over plain http to ${url.host}: anyone on the way could read it and sign in to /admin.`,
    `Use ${settings.url.replace(/^http:/, 'https:')} (a Worker answers https); or ${leaveOut} to run only the checks that need no admin token;`,
    'or pass --insecure-http to send it anyway (a network you trust end to end). Nothing was sent.',
  ].join('\n')
}

/**
 * The settings for one run. `readDevVars` is called only for a local URL and returns null
 * when there is no such file. Throws for a --url that is not an http(s) URL.
 */
export function resolveSettings(
  flags: DoctorFlags,
  environment: Record<string, string | undefined>,
  readDevVars: () => Record<string, string> | null,
): DoctorSettings {
  const url = parseUrl(flags.url)
  const devVars = isLocalUrl(url) ? readDevVars() : null
  const settings: DoctorSettings = {
    url: url.href.replace(/\/+$/, ''),
    format: flags.json ? 'json' : 'xml',
    sources: [],
  }
  for (const setting of SETTINGS) {
    const { key, flag, name, label } = setting
    const fromFlag = flags[flag]
    const fromEnv = environment[name]
    const fromFile = devVars?.[name]
    const [value, source] =
      fromFlag !== undefined && fromFlag !== ''
        ? [fromFlag, `--${flag}`]
        : fromEnv !== undefined && fromEnv !== ''
          ? [fromEnv, `environment ${name}`]
          : fromFile !== undefined && fromFile !== ''
            ? [fromFile, `.dev.vars ${name}`]
            : [undefined, 'not given']
    if (value !== undefined) settings[key] = value
    if (value === undefined && 'optional' in setting) continue
    const shown = (key === 'appid' || key === 'kfCorpid') && value !== undefined ? ` ${value}` : ''
    settings.sources.push(`${label}${shown}: ${source}`)
  }
  return settings
}

function parseUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new Error(`--url ${text} is not a URL: give the Worker's address, e.g. https://kefu-edge.<your-subdomain>.workers.dev`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`--url must be http(s), not ${url.protocol}`)
  // The Worker's origin: a pasted /healthz or /wechat is trimmed off.
  url.pathname = url.pathname.replace(/\/(healthz|wechat)\/?$/, '/')
  url.search = ''
  url.hash = ''
  return url
}
