/**
 * `.dev.vars`, the local settings file, read one way by every script and test: KEY=value
 * lines, as wrangler reads them (comments and blank lines skipped, quotes dropped). Names may
 * carry an appid (`WECHAT_TOKEN_wx2234567890abcdef`), so lower case is allowed.
 */
import { extraAppids, type MiniProgramSetting } from '../src/settings/mini-programs'
import { APPID } from '../src/wechat/appid'

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

/**
 * The apps of WECHAT_APPS as the Worker reads them (extraAppids, src/settings/mini-programs.ts).
 * `ignored`: the entries that are not appids, for a warning.
 */
export function localApps(vars: Record<string, string>): { apps: string[]; ignored: string[] } {
  const listed = (vars.WECHAT_APPS ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '')
  return { apps: extraAppids(vars), ignored: [...new Set(listed.filter((id) => !APPID.test(id)))] }
}

/** A setting's name for an app of WECHAT_APPS: `WECHAT_TOKEN_<appid>` (src/settings/mini-program-state.ts, MINI_PROGRAM_SETTINGS). */
export function appSetting(name: MiniProgramSetting, appid: string): string {
  return `${name}_${appid}`
}

/** The settings file `npm start` copies to .dev.vars when there is none: made-up, local-only values. */
export const DEV_VARS_EXAMPLE = '.dev.vars.example'

/**
 * What `npm start` prints under the console's address about signing in. The token itself only
 * when it is the made-up one of .dev.vars.example (`madeUp`), which the repository publishes
 * anyway; any other ADMIN_TOKEN may be a real one (pasted from production, shared with a
 * deployment), so only where to find it, never its value: the output lands in terminals,
 * screen shares and CI logs.
 */
export function signInLine(devVarsPath: string, token: string | undefined, madeUp: string | undefined): string {
  if (!token) return `  set ADMIN_TOKEN in ${devVarsPath} to sign in`
  if (madeUp !== undefined && token === madeUp) return `  sign in with the local ADMIN_TOKEN from ${devVarsPath}: ${token}`
  return `  sign in with the ADMIN_TOKEN from ${devVarsPath} (not shown: it is not the made-up one of ${DEV_VARS_EXAMPLE})`
}
