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
  json?: boolean | undefined
}

/** Each setting: its flag, and the variable (in the environment and .dev.vars) of the same name. */
const SETTINGS = [
  { key: 'token', flag: 'token', name: 'WECHAT_TOKEN', label: 'Token' },
  { key: 'aesKey', flag: 'aes-key', name: 'WECHAT_ENCODING_AES_KEY', label: 'EncodingAESKey' },
  { key: 'appid', flag: 'appid', name: 'WECHAT_APPID', label: 'AppID' },
  { key: 'adminToken', flag: 'admin-token', name: 'ADMIN_TOKEN', label: 'admin token' },
] as const

export function isLocalUrl(url: URL): boolean {
  const host = url.hostname
  return host === 'localhost' || host.endsWith('.localhost') || host === '127.0.0.1' || host === '[::1]' || host === '0.0.0.0'
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
  for (const { key, flag, name, label } of SETTINGS) {
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
    const shown = key === 'appid' && value !== undefined ? ` ${value}` : ''
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
