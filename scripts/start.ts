/**
 * `npm start`: the whole service on this machine.
 *
 * 1. Creates .dev.vars from .dev.vars.example when absent (local-only values).
 * 2. Starts the WeChat API stand-in (dev/fake-wechat.ts) on loopback, and beside it the
 *    stand-in model (dev/fake-llm.ts: OpenAI-compatible, answers from the knowledge passages
 *    it is sent), unless .dev.vars sets LLM_API_BASE: then the operator's own model is used.
 * 3. Puts rules/rules.json into local KV (as `npm run rules:push -- --local` does), for the
 *    first app, then for each app of WECHAT_APPS in .dev.vars (`--app <appid>`). Images on
 *    example.com, the documentation domain the example rules use, are served by the stand-in.
 *    Meanwhile applies migrations/ to the local D1 record (what the admin API reads).
 * 4. Runs `wrangler dev` with WECHAT_API_BASE pointing at the stand-in (LLM_API_BASE,
 *    LLM_MODEL and LLM_API_KEY at the stand-in model, its made-up key never printed), and
 *    prints every message the service sends to "WeChat" as it happens (with several apps,
 *    each line starts with the app's appid). Ctrl-C stops everything.
 * 5. Once the Worker is ready, loads the example knowledge base (knowledge/faq.csv and
 *    knowledge/returns-policy.md, scripts/kb-example.ts) into the first app's through the admin
 *    API, when it holds nothing yet (a persisted state keeps the operator's edits).
 * 4b. Starts the 微信客服 stand-in (dev/fake-wecom.ts) and points the Worker's WECOM_API_BASE at it;
 *    when .dev.vars holds the WECOM_* settings, the stand-in knows that corp and POSTs its
 *    signed callbacks to the Worker's /wecom/kf (protocol layer only: answering lands with the
 *    pulling work).
 * 6. Prints each app's push URL (`/wechat`, `/wechat/<appid>` for the apps of WECHAT_APPS)
 *    and the `npm run chat` command for it; once the Worker is ready, the console's URL
 *    (/admin) and how to sign in: the ADMIN_TOKEN itself when it is .dev.vars.example's
 *    made-up one, else only that it is the one in .dev.vars (never a value that may be real).
 *
 * Flags: --port (Worker, default 8787), --api-port (stand-in, default 8788), --llm-port
 * (stand-in model, default 8790, or a free port when 8790 is taken and the flag not given),
 * --kf-port (微信客服 stand-in, default 8791, or a free port when 8791 is taken and the flag not given),
 * --persist-to (local KV/DO state, default wrangler's .wrangler/state), --inspector-port
 * (wrangler's devtools port, default 9229), --dev-vars (the settings file, default .dev.vars,
 * created from .dev.vars.example when absent; `npm run chat` takes the same flag).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { describeCall } from '../dev/describe-call'
import { FAKE_LLM_API_KEY, FAKE_LLM_MODEL, type FakeLlm, startFakeLlm } from '../dev/fake-llm'
import { startFakeWechat } from '../dev/fake-wechat'
import { DEFAULT_FAKE_WECOM_PORT, type FakeWecom, startFakeWecom } from '../dev/fake-wecom'
import { DEV_VARS, DEV_VARS_EXAMPLE, localApps, parseDevVars, signInLine } from './dev-vars'
import { loadKnowledge, readExampleKnowledge } from './kb-example'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8787' },
    'api-port': { type: 'string', default: '8788' },
    // No default here: only a port asked for explicitly must be that one (startModel).
    'llm-port': { type: 'string' },
    'kf-port': { type: 'string' },
    'persist-to': { type: 'string' },
    'inspector-port': { type: 'string' },
    'dev-vars': { type: 'string' },
  },
})
const DEFAULT_LLM_PORT = 8790
const persist = values['persist-to'] ? ['--persist-to', values['persist-to']] : []
const devVarsPath = values['dev-vars'] ?? DEV_VARS

if (!existsSync(devVarsPath)) {
  copyFileSync(DEV_VARS_EXAMPLE, devVarsPath)
  console.log(`Created ${devVarsPath} from ${DEV_VARS_EXAMPLE} (made-up, local-only values).`)
}
// The apps beyond the first, as the Worker will read them from the same file.
const devVars = parseDevVars(readFileSync(devVarsPath, 'utf8'))
const { apps, ignored } = localApps(devVars)
for (const entry of ignored)
  console.log(`WECHAT_APPS in ${devVarsPath} lists "${entry}", not an appid (wx + 16 letters or digits): ignored.`)

const fake = await startFakeWechat({ port: Number(values['api-port']) })
console.log(`WeChat API stand-in on ${fake.url}`)
// The operator's own model when .dev.vars names one (wrangler reads it from there); else the
// stand-in, whose settings go to wrangler as --var (which would win over .dev.vars).
const llm = devVars.LLM_API_BASE ? null : await startModel()
console.log(
  llm
    ? `Stand-in model on ${llm.url} (LLM_MODEL ${FAKE_LLM_MODEL})`
    : `Model: the LLM_API_BASE of ${devVarsPath} (no stand-in model started)`,
)

/**
 * The stand-in model on --llm-port, else on 8790, else — 8790 taken (another `npm start`, whose
 * callers pass only --port and --api-port) — on a free port: only the Worker needs to know it.
 */
async function startModel(): Promise<FakeLlm> {
  const asked = values['llm-port']
  try {
    return await startFakeLlm({ port: Number(asked ?? DEFAULT_LLM_PORT) })
  } catch (error) {
    if (asked !== undefined || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    return startFakeLlm({ port: 0 })
  }
}
const kf = await startKf()
console.log(
  `微信客服 stand-in on ${kf.url}${kf.state.corp(devVars.WECOM_CORPID ?? '') ? ` (corp ${devVars.WECOM_CORPID}, callbacks to /wecom/kf)` : ''}`,
)

/**
 * The 微信客服 stand-in on --kf-port, else 8791, else a free port (only the Worker needs to
 * know it). It knows the corp of .dev.vars, and posts that corp's callbacks to the Worker.
 */
async function startKf(): Promise<FakeWecom> {
  const { WECOM_CORPID: corpid, WECOM_KF_SECRET: secret, WECOM_KF_TOKEN: callbackToken, WECOM_KF_ENCODING_AES_KEY: aesKey } = devVars
  const corps =
    corpid && secret && callbackToken && aesKey
      ? [{ corpid, secret, callbackToken, aesKey, callbackUrl: `http://127.0.0.1:${values.port}/wecom/kf` }]
      : []
  const asked = values['kf-port']
  try {
    return await startFakeWecom({ port: Number(asked ?? DEFAULT_FAKE_WECOM_PORT), corps })
  } catch (error) {
    if (asked !== undefined || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    return startFakeWecom({ port: 0, corps })
  }
}
/** The stand-ins, closed. */
const closeStandIns = () => Promise.all([fake.close(), llm?.close(), kf.close()])

const rulesDir = mkdtempSync(join(tmpdir(), 'kefu-start-'))
const localRules = join(rulesDir, 'rules.json')
writeFileSync(localRules, JSON.stringify(withLocalImages(JSON.parse(readFileSync('rules/rules.json', 'utf8')))))
const pushRules = (app: string | undefined) =>
  finished(
    spawn('npx', ['tsx', 'scripts/rules-push.ts', localRules, '--local', ...persist, ...(app ? ['--app', app] : [])], {
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  )
/**
 * Each app's rules, one push after another: they are keys of the one RULES namespace (the
 * others' under app:<appid>:, src/settings/mini-program-state.ts), and two wrangler processes writing the same local
 * KV at once can fail ("KV PUT failed: 500"). Stops at the first failure.
 */
async function pushAll(): Promise<{ app: string | undefined; code: number | null }> {
  for (const app of [undefined, ...apps]) {
    const code = await pushRules(app)
    if (code !== 0) return { app, code }
  }
  return { app: undefined, code: 0 }
}
// The rules and the record's tables go into different local stores: both at once.
const [migrated, pushed] = await Promise.all([
  // CI=true: wrangler applies without asking. Already-applied migrations are skipped.
  finished(
    spawn(
      process.execPath,
      [join('node_modules', 'wrangler', 'bin', 'wrangler.js'), 'd1', 'migrations', 'apply', 'DB', '--local', ...persist],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
      },
    ),
  ),
  pushAll(),
])
rmSync(rulesDir, { recursive: true, force: true })
if (pushed.code !== 0) {
  const which = apps.length === 0 ? '' : ` for ${pushed.app ?? devVars.WECHAT_APPID ?? 'the first app'}`
  console.error(`Could not put rules/rules.json into local KV${which}: fix it (npm run rules:check) and retry.`)
  await closeStandIns()
  process.exit(1)
}
console.log(
  `Loaded rules/rules.json into local KV${apps.length === 0 ? '' : ', for each app'} (example.com images served by the stand-in).`,
)
if (migrated !== 0) {
  console.error('Could not apply migrations/ to the local D1 database (see the error above).')
  await closeStandIns()
  process.exit(1)
}
console.log('Applied migrations/ to the local D1 record.')

// Its own process group, so that stopping the group also stops the workerd it starts, whatever
// signal reaches this script (Ctrl-C, or a SIGTERM from a supervisor).
const worker = spawn(
  process.execPath,
  [
    join('node_modules', 'wrangler', 'bin', 'wrangler.js'),
    'dev',
    '--port',
    values.port,
    '--ip',
    '127.0.0.1',
    '--show-interactive-dev-session=false',
    // Two at once (a second checkout, the tests) would otherwise both take the inspector's 9229.
    ...(values['inspector-port'] ? ['--inspector-port', values['inspector-port']] : []),
    '--var',
    `WECHAT_API_BASE:${fake.url}`,
    '--var',
    `WECOM_API_BASE:${kf.url}`,
    // The stand-in model's made-up key goes as a var too: wrangler shows --var values as "(hidden)".
    ...(llm
      ? ['--var', `LLM_API_BASE:${llm.url}`, '--var', `LLM_MODEL:${FAKE_LLM_MODEL}`, '--var', `LLM_API_KEY:${FAKE_LLM_API_KEY}`]
      : []),
    // Locally, an edited rule set (npm run rules:push -- --local) shows within a second.
    '--var',
    'RULES_REFRESH_SECONDS:1',
    // Another settings file than .dev.vars: wrangler then reads that file instead.
    ...(values['dev-vars'] ? ['--env-file', values['dev-vars']] : []),
    ...persist,
  ],
  { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
)
// wrangler's own output, minus the Worker's JSON log lines and the chat client's polling of
// the admin API: the stand-in's lines show what matters.
for (const stream of [worker.stdout, worker.stderr]) {
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) {
      const noise = line.trimStart().startsWith('{"event"') || line.includes(' /admin/')
      if (line.trim() !== '' && !noise) console.log(line)
      if (line.includes('Ready on http')) void loadThenPrintConsole()
    }
  })
}

/**
 * Once the Worker answers: the example knowledge base (knowledge/: the shop's FAQ and its
 * returns policy) into the first mini program's, through the admin API, when that is empty —
 * then the console's address, so whoever waits for it finds the knowledge base loaded.
 */
let loading = false
async function loadThenPrintConsole(): Promise<void> {
  if (loading) return
  loading = true
  const token = parseDevVars(readFileSync(devVarsPath, 'utf8')).ADMIN_TOKEN
  try {
    if (!token) throw new Error(`no ADMIN_TOKEN in ${devVarsPath}`)
    const { loaded, entries } = await loadKnowledge({ url: `http://127.0.0.1:${values.port}`, token }, readExampleKnowledge())
    const faqs = entries.filter((entry) => entry.kind === 'faq').length
    const docs = entries.length - faqs
    const summary = `${faqs} FAQ entr${faqs === 1 ? 'y' : 'ies'}, ${docs} document${docs === 1 ? '' : 's'}`
    console.log(
      loaded
        ? `Loaded knowledge/ into the local knowledge base (${summary}).`
        : `The local knowledge base holds ${summary}: knowledge/ not loaded again.`,
    )
  } catch (error) {
    console.error(`Could not load knowledge/ into the local knowledge base: ${error instanceof Error ? error.message : String(error)}`)
  }
  printConsole()
}

/** Once the Worker answers: where the operator's console is and the token that opens it. */
let consolePrinted = false
function printConsole(): void {
  if (consolePrinted) return
  consolePrinted = true
  const token = parseDevVars(readFileSync(devVarsPath, 'utf8')).ADMIN_TOKEN
  console.log(`Console: http://localhost:${values.port}/admin`)
  console.log(signInLine(devVarsPath, token, madeUpAdminToken()))
}

/** The ADMIN_TOKEN of .dev.vars.example, the made-up one; undefined when the file is gone. */
function madeUpAdminToken(): string | undefined {
  try {
    return parseDevVars(readFileSync(DEV_VARS_EXAMPLE, 'utf8')).ADMIN_TOKEN
  } catch {
    return undefined
  }
}

/** A child's exit code, once it has exited. */
function finished(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('close', (code) => resolve(code)))
}

let printed = 0
const printer = setInterval(() => {
  const calls = fake.calls()
  // With several apps, each line starts with the call's appid (the stand-in knows it from the token).
  for (const call of calls.slice(printed))
    console.log(apps.length > 0 && call.appid ? `${call.appid} ${describeCall(call)}` : describeCall(call))
  printed = calls.length
}, 100)

let stopping = false
async function stop(code: number): Promise<void> {
  if (stopping) return
  stopping = true
  clearInterval(printer)
  if (worker.exitCode === null && worker.pid) {
    const exited = new Promise((resolve) => worker.once('exit', resolve))
    process.kill(-worker.pid, 'SIGINT')
    await exited
  }
  await closeStandIns()
  process.exit(code)
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(0))
worker.on('exit', (code) => void stop(code ?? 0))
const firstApp = apps.length > 0 && devVars.WECHAT_APPID ? ` (${devVars.WECHAT_APPID})` : ''
console.log(`Ready soon at http://127.0.0.1:${values.port}/wechat${firstApp} — try: ${chatCommand(undefined)}`)
for (const app of apps) console.log(`  and ${app} at http://127.0.0.1:${values.port}/wechat/${app} — try: ${chatCommand(app)}`)

/** `npm run chat` for an app, with the flags that differ from chat's defaults. */
function chatCommand(app: string | undefined): string {
  const flags = [
    ...(app ? ['--app', app] : []),
    ...(values.port !== '8787' ? ['--url', `http://127.0.0.1:${values.port}`] : []),
    ...(values['api-port'] !== '8788' ? ['--api', fake.url] : []),
    ...(values['dev-vars'] ? ['--dev-vars', values['dev-vars']] : []),
  ]
  return `npm run chat -- ${[...flags, '"1"'].join(' ')}`
}

/**
 * The example rules' images live on example.com, the documentation domain, which serves
 * none: locally the stand-in serves them. Only URLs the Worker downloads (an image's `url`,
 * a card's `thumb_url`, and a link's `thumb_url`, which 微信客服 needs uploaded) are rewritten;
 * the page a link opens stays as written.
 */
function withLocalImages(rules: unknown): unknown {
  const local = (url: unknown) =>
    typeof url === 'string' ? url.replace(/^https:\/\/example\.com\//, `${fake.url}/__fake/images/example.com/`) : url
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit)
    if (typeof value !== 'object' || value === null) return value
    const entries = Object.entries(value).map(([key, inner]) => [key, visit(inner)] as const)
    const object: Record<string, unknown> = Object.fromEntries(entries)
    if (object.type === 'image') object.url = local(object.url)
    if (object.type === 'miniprogrampage' || object.type === 'link') object.thumb_url = local(object.thumb_url)
    return object
  }
  return visit(rules)
}
