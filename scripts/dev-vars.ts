/**
 * `.dev.vars`, the local settings file, read one way by every script and test: KEY=value
 * lines, as wrangler reads them (comments and blank lines skipped, quotes dropped). Names may
 * carry an appid (`WECHAT_TOKEN_wx2234567890abcdef`), so lower case is allowed.
 */

/** Where `npm start` and `npm run chat` read the local settings unless told otherwise. */
export const DEV_VARS = '.dev.vars'

export function parseDevVars(text: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line)
    if (match?.[1] && !line.trimStart().startsWith('#')) out[match[1]] = match[2] ?? ''
  }
  return out
}

const APPID = /^wx[0-9a-zA-Z]{16}$/

/**
 * The apps of WECHAT_APPS as the Worker reads them (extraAppids in src/apps.ts, which these
 * scripts cannot import: it brings the Workers types): valid appids other than WECHAT_APPID,
 * once each, in order. `ignored`: the other entries (not appids), for a warning.
 */
export function localApps(vars: Record<string, string>): { apps: string[]; ignored: string[] } {
  const listed = [...new Set((vars.WECHAT_APPS ?? '').split(',').map((id) => id.trim()).filter((id) => id !== ''))]
  return {
    apps: listed.filter((id) => APPID.test(id) && id !== vars.WECHAT_APPID),
    ignored: listed.filter((id) => !APPID.test(id)),
  }
}

/** A setting's name for an app of WECHAT_APPS: `WECHAT_TOKEN_<appid>` (src/apps.ts, APP_SETTINGS). */
export function appSetting(name: 'WECHAT_TOKEN' | 'WECHAT_ENCODING_AES_KEY' | 'WECHAT_APPSECRET' | 'WECHAT_PUSH_MODE', appid: string): string {
  return `${name}_${appid}`
}
