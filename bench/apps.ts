/**
 * Serving 20 mini programs against serving one (issue 17): what a push costs when each push
 * first picks its app's view of the bindings (src/settings/mini-program-state.ts) and that app's token, key and rule
 * set, as the push route does. Two measures, in Node:
 *
 * - resolve: miniProgramEnv + the settings a push reads (token, mode, AES key) + the app's cached
 *   cipher — the only work that could grow with the number of apps;
 * - push: resolve + verify + decrypt + parse + decide, one 1 KB safe-mode XML push.
 *
 * With 20 apps the pushes go round-robin over the apps, each signed and sealed with its own
 * keys. Views are built once per isolate (the first miniProgramEnv call); the timed loops run after,
 * the two cases interleaved. Median of 9 runs each.
 */
import { buildPush, textMessage } from '../dev/push'
import { miniProgramEnv, type MiniProgramSettings } from '../src/settings/mini-programs'
import { toRuleSet } from '../src/rules/compile'
import { decide } from '../src/rules/match'
import { importCipher } from '../src/wechat/cipher'
import { openPush } from '../src/wechat/push'
import { contentOfBytes, KEYS } from './fixtures'
import { benchRules } from './pipeline'
import { median } from './timing'

export interface AppsRow {
  apps: number
  /** ns per push for picking the app and its settings. */
  resolveNs: number
  /** µs per push for the whole pipeline. */
  pushUs: number
}

const APP_COUNTS = [1, 20] as const
const RESOLVE_OPS = 200_000
const PUSHES = 2_000
const RUNS = 9

/** The nth made-up app: appid, token and AES key of the right shapes. */
function appKeys(n: number) {
  if (n === 0) return { appid: KEYS.appid, token: KEYS.token, aesKey: KEYS.encodingAesKey }
  const hex = n.toString(16).padStart(2, '0')
  return { appid: `wx${hex}34567890abcd${hex}`, token: `kefuBenchToken${hex}`, aesKey: `${hex}${KEYS.encodingAesKey.slice(2)}` }
}

function envFor(count: number): MiniProgramSettings {
  const apps = Array.from({ length: count }, (_, n) => appKeys(n))
  const env: Record<string, string> = {
    WECHAT_APPID: KEYS.appid,
    WECHAT_TOKEN: KEYS.token,
    WECHAT_ENCODING_AES_KEY: KEYS.encodingAesKey,
    WECHAT_APPSECRET: KEYS.secret,
    WECHAT_APPS: apps
      .slice(1)
      .map((a) => a.appid)
      .join(','),
  }
  for (const app of apps.slice(1)) {
    env[`WECHAT_TOKEN_${app.appid}`] = app.token
    env[`WECHAT_ENCODING_AES_KEY_${app.appid}`] = app.aesKey
    env[`WECHAT_APPSECRET_${app.appid}`] = KEYS.secret
  }
  return env
}

/** What the push route reads for a push to `appid`: its view, token, AES key and cached cipher. */
function resolve(env: MiniProgramSettings, appid: string) {
  const view = miniProgramEnv(env, appid)
  if (view === null || !view.WECHAT_TOKEN || !view.WECHAT_ENCODING_AES_KEY) throw new Error(`bench: app ${appid} is not configured`)
  return {
    token: view.WECHAT_TOKEN,
    mode: 'safe' as const,
    cipher: importCipher(view.WECHAT_ENCODING_AES_KEY, appid),
  }
}

export async function runAppsBench(): Promise<AppsRow[]> {
  const { checked } = await benchRules()
  const ruleSet = toRuleSet(checked.compiled)
  const now = Math.floor(Date.now() / 1000)
  const setups = await Promise.all(APP_COUNTS.map((count) => setup(count, now)))

  // Interleaved, the order alternating per run: Node's timings drift over a process's life
  // (GC, the thread pool), and a case timed only after the other would pay for it.
  const resolveRuns = setups.map((): number[] => [])
  const pushRuns = setups.map((): number[] => [])
  for (let run = 0; run < RUNS; run++) {
    const order = run % 2 === 0 ? setups.map((_, i) => i) : setups.map((_, i) => setups.length - 1 - i)
    for (const i of order) {
      const { env, apps, pushes } = setups[i]!
      let start = process.hrtime.bigint()
      for (let op = 0; op < RESOLVE_OPS; op++) resolve(env, apps[op % apps.length]!.appid)
      resolveRuns[i]!.push(Number(process.hrtime.bigint() - start) / RESOLVE_OPS)
      start = process.hrtime.bigint()
      for (const push of pushes) {
        const app = resolve(env, push.appid)
        const opened = await openPush(push.query, push.body, {
          token: app.token,
          mode: app.mode,
          cipher: () => app.cipher,
          maxAgeSeconds: 300,
          now,
        })
        decide(ruleSet, opened.message, Date.now())
      }
      pushRuns[i]!.push(Number(process.hrtime.bigint() - start) / pushes.length / 1000)
    }
  }
  return setups.map(({ apps }, i) => ({ apps: apps.length, resolveNs: median(resolveRuns[i]!), pushUs: median(pushRuns[i]!) }))
}

/** The Env of `count` apps, its views and ciphers built, and pushes round-robin over the apps. */
async function setup(count: number, now: number) {
  const env = envFor(count)
  const apps = Array.from({ length: count }, (_, n) => appKeys(n))
  for (const app of apps) await resolve(env, app.appid).cipher
  const pushes = await Promise.all(
    Array.from({ length: PUSHES }, async (_, i) => {
      const app = apps[i % count]!
      const { query, body } = await buildPush(textMessage('oBenchUser', contentOfBytes(1024, i), String(7e18 + i)), {
        token: app.token,
        mode: 'safe',
        format: 'xml',
        cipher: await importCipher(app.aesKey, app.appid),
        timestamp: now,
      })
      return { appid: app.appid, query: Object.fromEntries(query), body }
    }),
  )
  return { env, apps, pushes }
}
