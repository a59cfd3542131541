/**
 * `npm run setup`'s steps (scripts/setup.ts is the command line): everything the README's
 * "Go live" does by hand, each step first looking at what exists and doing only what is
 * missing, so that a run that stopped half-way is finished by running it again.
 *
 * 1. Checks the inputs given by flags and the environment, before any command runs.
 * 2. `wrangler whoami`: logged in? `wrangler secret list`: which secrets the Worker has.
 * 3. Asks for what is still missing (the AppID, each secret not set yet), checked as
 *    src/settings/env.ts checks them, before anything is created.
 * 4. KV namespaces RULES and CACHE, D1 database `kefu-edge`: kept when wrangler.toml already
 *    names one of the account's, reused when the account has one of the expected title,
 *    created otherwise; their ids written into wrangler.toml at once (scripts/setup-toml.ts).
 *    The queues (the CAMPAIGNS and WEBHOOKS producers'): `wrangler queues create`, a queue of that
 *    name already there counting as done (queues are named, not ids, in wrangler.toml).
 *    The R2 bucket of uploaded images (MEDIA): `wrangler r2 bucket create`, the same way.
 * 5. WECHAT_APPID into wrangler.toml's [vars]; LLM_API_BASE, LLM_MODEL, HUMAN_DESK,
 *    DESK_ALERT_MINUTES, WEBHOOK_URL and WECOM_CORPID too, when the environment gives them (optional, never asked for).
 * 6. Each secret with `wrangler secret put NAME`, its value on stdin only, never printed. A
 *    generated ADMIN_TOKEN is first written to a file only its owner can read (adminTokenFile).
 *    LLM_API_KEY, DESK_ALERT_WEBHOOK, WEBHOOK_SECRET and the 微信客服 channel's WECOM_KF_SECRET,
 *    WECOM_KF_TOKEN and WECOM_KF_ENCODING_AES_KEY only when the environment gives them.
 * 7. `wrangler d1 migrations apply DB --remote`, `wrangler deploy`, `npm run rules:push -- --remote`.
 *
 * Commands run through a Runner, so the tests can put a stand-in for wrangler in its place.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { relative, resolve } from 'node:path'
import { CHECKS, type SettingName } from '../src/settings/checks'
import { TomlDocument, TomlError, type Table } from './setup-toml'

export type Tool = 'wrangler' | 'npm'

export interface RunResult {
  status: number
  stdout: string
  stderr: string
}

/** Runs `wrangler …` or `npm …`; `input`, when given, is the command's whole stdin. */
export type Runner = (tool: Tool, args: readonly string[], options?: { input?: string }) => Promise<RunResult>

export interface SetupIo {
  log(line: string): void
  /** Asks a question; null when no answer can come (the input ended). */
  ask(question: string, options: { secret: boolean }): Promise<string | null>
}

export interface SetupOptions {
  /** The project directory: commands run here, `.dev.vars.example` and `rules/` are read here. */
  cwd: string
  /** The Wrangler config to set up, relative to cwd (default `wrangler.toml`). */
  config: string
  /** `--appid`. */
  appid?: string
  /** `--yes`: never ask; what is missing must come from flags or the environment. */
  yes: boolean
  /** `--reset-secrets`: put every secret again, even those the Worker has. */
  resetSecrets: boolean
  /** `--skip-deploy`. */
  skipDeploy: boolean
  /** Where secret values (and WECHAT_APPID) may come from: process.env. */
  env: Readonly<Record<string, string | undefined>>
}

export const KV_BINDINGS = ['RULES', 'CACHE'] as const
export const D1_BINDING = 'DB'
/** The producer bindings whose queues setup creates: campaigns fan out, events go to other systems, users' images are archived. */
export const QUEUE_BINDINGS = ['CAMPAIGNS', 'WEBHOOKS', 'USER_MEDIA'] as const
/** The R2 binding whose bucket setup creates: images operators upload (src/media/). */
export const R2_BINDING = 'MEDIA'
export const DEFAULT_CONFIG = 'wrangler.toml'

/**
 * Wrangler's report of a queue name the account has: 4.86 passes the API's error through,
 * `A request to the Cloudflare API (/accounts/<id>/queues) failed.` and then
 * `Queue name already taken [code: 11009]`, with exit status 1.
 */
const QUEUE_TAKEN = /\[code: 11009\]|\bQueue name already taken\b/i

/**
 * The same for an R2 bucket of the account's: the API's `The bucket you tried to create
 * already exists, and you own it. [code: 10004]`, exit status 1.
 */
const BUCKET_TAKEN = /\[code: 10004\]|\bbucket you tried to create already exists\b/i

interface SecretSpec {
  name: string
  /** What to enter, for the prompt. */
  prompt: string
  check(value: string): string | null
  /** When set, an empty answer (or --yes without a value) generates one. */
  generate?: () => string
  /** Optional: put only when the environment gives it, never asked for. */
  optional?: true
}

/** What setup says of an optional secret the environment does not give. */
const OPTIONAL_UNSET: Record<string, string> = {
  LLM_API_KEY:
    'not set: the knowledge base answers from its FAQ only (LLM_API_BASE=… LLM_MODEL=… LLM_API_KEY=… npm run setup adds a model)',
  DESK_ALERT_WEBHOOK: 'not set: long waits at the human desk are flagged in the console only',
  WEBHOOK_SECRET: 'not set: no events are posted to other systems (WEBHOOK_URL=… WEBHOOK_SECRET=… npm run setup turns them on)',
  WECOM_KF_SECRET: 'not set: the 微信客服 channel is off (WECOM_CORPID=… and the three WECOM_KF_*=… npm run setup turns it on)',
  WECOM_KF_TOKEN: 'not set: the 微信客服 channel is off',
  WECOM_KF_ENCODING_AES_KEY: 'not set: the 微信客服 channel is off',
}

/** Optional vars — the model (src/ai/model.ts), the human desk (src/desk/): written to [vars] when the environment gives them. */
export const OPTIONAL_VARS = ['LLM_API_BASE', 'LLM_MODEL', 'HUMAN_DESK', 'DESK_ALERT_MINUTES', 'WEBHOOK_URL', 'WECOM_CORPID'] as const

/** The Worker's own check of `name` (src/settings/checks.ts), with setup's words for a refusal. */
function checkedAs(name: SettingName, refusal: string): (value: string) => string | null {
  return (value) => (CHECKS[name].check(value) === null ? null : refusal)
}

export const checkAppid = checkedAs('WECHAT_APPID', 'is not an AppID (wx + 16 letters or digits)')

export const SECRETS: readonly SecretSpec[] = [
  {
    name: 'WECHAT_TOKEN',
    prompt: 'WECHAT_TOKEN — the Token (令牌) you will enter in 消息推送, 3–32 letters or digits',
    check: checkedAs('WECHAT_TOKEN', 'is not 3 to 32 letters or digits'),
  },
  {
    name: 'WECHAT_ENCODING_AES_KEY',
    prompt: 'WECHAT_ENCODING_AES_KEY — the EncodingAESKey (消息加密密钥), 43 characters',
    check: checkedAs('WECHAT_ENCODING_AES_KEY', 'is not 43 base64 characters (the EncodingAESKey of 消息推送)'),
  },
  {
    name: 'WECHAT_APPSECRET',
    prompt: 'WECHAT_APPSECRET — the AppSecret (小程序后台 → 开发 → 开发设置)',
    check: checkedAs('WECHAT_APPSECRET', 'is not an AppSecret (16 to 64 letters or digits)'),
  },
  {
    name: 'ADMIN_TOKEN',
    prompt: 'ADMIN_TOKEN — signs you in to the console and /admin/api; Enter generates a strong one (kept in a file, not shown)',
    // The Worker's reasons are setup's too.
    check: (v) => CHECKS.ADMIN_TOKEN.check(v),
    generate: () => randomBytes(32).toString('base64url'),
  },
  {
    name: 'LLM_API_KEY',
    prompt: 'LLM_API_KEY — the key of the model at LLM_API_BASE',
    check: checkedAs('LLM_API_KEY', 'is not an API key (8 to 512 printable characters, no spaces)'),
    optional: true,
  },
  {
    name: 'DESK_ALERT_WEBHOOK',
    prompt: 'DESK_ALERT_WEBHOOK — where a long wait at the human desk is announced (a WeCom group robot URL)',
    check: checkedAs('DESK_ALERT_WEBHOOK', 'is not an http(s) URL'),
    optional: true,
  },
  {
    name: 'WEBHOOK_SECRET',
    prompt: 'WEBHOOK_SECRET — the key events to WEBHOOK_URL are signed with (the receiver keeps it too)',
    check: checkedAs('WEBHOOK_SECRET', 'is not 16 to 256 printable characters without spaces'),
    optional: true,
  },
  // 微信客服 (README "微信客服 (WeCom) channel: setup"): with WECOM_CORPID, all three or none.
  {
    name: 'WECOM_KF_SECRET',
    prompt: 'WECOM_KF_SECRET — the self-built app’s Secret (企业微信管理后台 → 应用管理 → the app)',
    check: checkedAs('WECOM_KF_SECRET', "is not an app's Secret (16 to 128 letters, digits, - or _)"),
    optional: true,
  },
  {
    name: 'WECOM_KF_TOKEN',
    prompt: 'WECOM_KF_TOKEN — the Token of the app’s 接收消息 → 设置API接收',
    check: checkedAs('WECOM_KF_TOKEN', 'is not 3 to 32 letters or digits'),
    optional: true,
  },
  {
    name: 'WECOM_KF_ENCODING_AES_KEY',
    prompt: 'WECOM_KF_ENCODING_AES_KEY — the EncodingAESKey of the app’s 接收消息 → 设置API接收, 43 characters',
    check: checkedAs('WECOM_KF_ENCODING_AES_KEY', 'is not 43 base64 characters'),
    optional: true,
  },
]

/**
 * Where a generated ADMIN_TOKEN is left for the operator, relative to the project directory:
 * `.admin-token` for wrangler.toml, `.admin-token-<name>` for `--config <name>.toml` (each
 * config is another Worker, with its own token). Setup never prints the token — its output
 * lands in CI logs and scrollback — but writes it there, readable by its owner only (mode
 * 0600) and git-ignored (`.admin-token*` in .gitignore), as Jenkins leaves its first admin
 * password in a file and prints the file's path.
 */
export function adminTokenFile(configName: string): string {
  if (configName === DEFAULT_CONFIG) return '.admin-token'
  const name = configName
    .replace(/\.(toml|jsonc?)$/i, '')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^_+/, '')
  return `.admin-token-${name}`
}

/** Writes `value` to `path` as a new file only its owner can read or write. */
function writePrivate(path: string, value: string): void {
  // A file that is there may have wider permissions: replaced, not rewritten in place.
  rmSync(path, { force: true })
  writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' })
}

/** Why setup stopped: 2 for inputs it refused (nothing was done), 1 for a failed step. */
export class SetupStop extends Error {
  constructor(
    message: string,
    readonly code: 1 | 2,
  ) {
    super(message)
  }
}

interface Namespace {
  id: string
  title: string
}

interface Database {
  uuid: string
  name: string
}

/** Runs setup; the exit code (0 done, 1 a step failed, 2 an input refused). */
export async function runSetup(options: SetupOptions, runner: Runner, io: SetupIo): Promise<number> {
  try {
    await setup(options, runner, io)
    return 0
  } catch (error) {
    if (!(error instanceof SetupStop)) throw error
    io.log('')
    for (const line of error.message.split('\n')) io.log(line)
    return error.code
  }
}

async function setup(options: SetupOptions, runner: Runner, io: SetupIo): Promise<void> {
  const configPath = resolve(options.cwd, options.config)
  const isDefaultConfig = configPath === resolve(options.cwd, DEFAULT_CONFIG)
  const configName = relative(options.cwd, configPath) || DEFAULT_CONFIG
  const configArgs = isDefaultConfig ? [] : ['--config', configPath]
  const config = openConfig(configPath, configName)
  const localOnly = madeUpValues(resolve(options.cwd, '.dev.vars.example'))
  const tokenFile = adminTokenFile(isDefaultConfig ? DEFAULT_CONFIG : configName)
  let tokenWritten = false
  const say = (step: string, what: string) => io.log(`${`${step} `.padEnd(25, '·')} ${what}`)

  /** A value's problem, checked as the Worker checks it and against .dev.vars.example. */
  const problem = (name: string, value: string, check: (value: string) => string | null) =>
    check(value) ?? (localOnly.get(name) === value ? 'is the made-up local value from .dev.vars.example' : null)

  // 1. What flags and the environment give, before any command runs.
  const refused: string[] = []
  const givenAppid = options.appid ?? nonEmpty(options.env.WECHAT_APPID)
  const appidSource = options.appid !== undefined ? '--appid' : 'WECHAT_APPID in the environment'
  if (givenAppid !== undefined) {
    const why = problem('WECHAT_APPID', givenAppid, checkAppid)
    if (why) refused.push(`WECHAT_APPID (${appidSource}) "${givenAppid}" ${why}.`)
  }
  const given = new Map<string, string>()
  for (const spec of SECRETS) {
    const value = nonEmpty(options.env[spec.name])
    if (value === undefined) continue
    const why = problem(spec.name, value, spec.check)
    // Never the value: it is a secret.
    if (why) refused.push(`${spec.name} (from the environment) ${why}.`)
    else given.set(spec.name, value)
  }
  const modelVars = new Map<string, string>()
  for (const name of OPTIONAL_VARS) {
    const value = nonEmpty(options.env[name])
    if (value === undefined) continue
    const why = CHECKS[name].check(value)
    if (why) refused.push(`${name} (from the environment) ${why}.`)
    else modelVars.set(name, value)
  }
  if (refused.length > 0) throw new SetupStop(`${refused.join('\n')}\nNothing was changed.`, 2)

  const wrangler = (args: readonly string[], input?: string) =>
    runner('wrangler', [...args, ...configArgs], input === undefined ? {} : { input })

  // 2. Logged in? Which secrets exist?
  const who = await wrangler(['whoami', '--json'])
  const account = parseJson(who.stdout)
  if (who.status !== 0 || !isRecord(account) || account.loggedIn !== true) {
    const known = isRecord(account) && account.loggedIn === false
    throw new SetupStop(
      known
        ? 'Not logged in to Cloudflare: run `npx wrangler login` (or set CLOUDFLARE_API_TOKEN), then `npm run setup` again.'
        : failure('wrangler whoami', who, 'Check your login with `npx wrangler login`, then run `npm run setup` again.'),
      1,
    )
  }
  const email = typeof account.email === 'string' ? account.email : 'an API token'
  say('Cloudflare', `logged in as ${email}`)

  const listed = await wrangler(['secret', 'list', '--format', 'json'])
  let secretsSet: Set<string>
  if (listed.status === 0) {
    secretsSet = new Set(
      parseJsonArray(listed.stdout, 'wrangler secret list').flatMap((s) => (isRecord(s) && typeof s.name === 'string' ? [s.name] : [])),
    )
  } else if (/Worker "[^"]*" not found/.test(stripAnsi(listed.stderr + listed.stdout))) {
    secretsSet = new Set() // Not deployed yet: `secret put` creates it.
  } else {
    throw new SetupStop(failure('wrangler secret list', listed), 1)
  }

  // 3. What is still missing: asked for, or refused with --yes, before anything is created.
  const vars = config.table('vars')
  const tomlAppid = config.get(vars, 'WECHAT_APPID') ?? ''
  let appid = givenAppid
  if (appid === undefined && tomlAppid !== '' && problem('WECHAT_APPID', tomlAppid, checkAppid) === null) appid = tomlAppid
  const missing: string[] = []
  if (appid === undefined) {
    if (options.yes)
      missing.push(
        `WECHAT_APPID: pass --appid wx… (wrangler.toml has ${tomlAppid ? `"${tomlAppid}", which ${problem('WECHAT_APPID', tomlAppid, checkAppid)}` : 'none'}).`,
      )
    else
      appid = await ask(io, 'WECHAT_APPID — your mini program AppID (小程序后台 → 开发 → 开发设置), wx + 16 characters', false, (v) =>
        problem('WECHAT_APPID', v, checkAppid),
      )
  }
  const toPut: { spec: SecretSpec; value: string; source: string }[] = []
  for (const spec of SECRETS) {
    const value = given.get(spec.name)
    if (secretsSet.has(spec.name) && !options.resetSecrets) continue
    if (value === undefined && spec.optional) continue
    if (value !== undefined) {
      toPut.push({ spec, value, source: 'from the environment' })
    } else if (options.yes) {
      if (spec.generate) toPut.push({ spec, value: spec.generate(), source: 'generated' })
      else missing.push(`${spec.name}: set it in the environment (${spec.name}=… npm run setup -- --yes).`)
    } else {
      const answer = await ask(io, spec.prompt, true, (v) => (v === '' && spec.generate ? null : problem(spec.name, v, spec.check)))
      if (answer === '' && spec.generate) toPut.push({ spec, value: spec.generate(), source: 'generated' })
      else toPut.push({ spec, value: answer, source: 'as entered' })
    }
  }
  if (missing.length > 0) throw new SetupStop(`--yes, and these are missing:\n  ${missing.join('\n  ')}\nNothing was changed.`, 2)
  if (appid === undefined) throw new Error('unreachable: appid is asked for or refused above')

  // 4. KV namespaces and the D1 database, their ids written as soon as known; the queue.
  let namespaces: Namespace[] | null = null
  const listNamespaces = async () => {
    if (namespaces) return namespaces
    const result = await wrangler(['kv', 'namespace', 'list'])
    if (result.status !== 0) throw new SetupStop(failure('wrangler kv namespace list', result), 1)
    namespaces = parseJsonArray(result.stdout, 'wrangler kv namespace list').flatMap((n) =>
      isRecord(n) && typeof n.id === 'string' && typeof n.title === 'string' ? [{ id: n.id, title: n.title }] : [],
    )
    return namespaces
  }
  for (const binding of KV_BINDINGS) {
    const table = config.table('kv_namespaces', { key: 'binding', value: binding })
    const step = `KV namespace ${binding}`
    const title = `${config.workerName}-${binding}`
    const current = config.get(table, 'id') ?? ''
    const all = await listNamespaces()
    if (!isPlaceholder(current)) {
      const found = all.find((n) => n.id === current)
      if (!found) {
        throw new SetupStop(
          `${configName}: the ${binding} namespace id ${current} is not one of this Cloudflare account's namespaces ` +
            `(another account? deleted?). Put the right id there, or "" to have setup reuse or create "${title}", then run \`npm run setup\` again.`,
          1,
        )
      }
      say(step, `"${found.title}" (${current}) already in ${configName}; nothing to do`)
      continue
    }
    const existing = all.find((n) => n.title === title)
    if (existing) {
      config.set(table, 'id', existing.id)
      say(step, `reused the account's "${title}" (${existing.id}); id written to ${configName}`)
      continue
    }
    const created = await wrangler(['kv', 'namespace', 'create', title])
    if (created.status !== 0) throw new SetupStop(failure(`wrangler kv namespace create ${title}`, created), 1)
    namespaces = null
    const id =
      /^\s*id\s*=\s*"([0-9a-f]{32})"/m.exec(stripAnsi(created.stdout))?.[1] ?? (await listNamespaces()).find((n) => n.title === title)?.id
    if (!id)
      throw new SetupStop(
        `Created the KV namespace "${title}" but could not read its id: run \`npm run setup\` again (it finds it by its title).`,
        1,
      )
    config.set(table, 'id', id)
    say(step, `created "${title}" (${id}); id written to ${configName}`)
    const generic = all.find((n) => n.title === binding)
    if (generic)
      io.log(
        `  (the account also has a namespace titled "${binding}", ${generic.id}: if it holds this Worker's rules, put its id in ${configName} instead and run setup again)`,
      )
  }

  {
    const table = config.table('d1_databases', { key: 'binding', value: D1_BINDING })
    const name = config.get(table, 'database_name')
    if (!name) throw new SetupStop(`${configName}: the ${D1_BINDING} database has no database_name: restore it from the repository.`, 2)
    const step = `D1 database ${D1_BINDING}`
    const current = config.get(table, 'database_id') ?? ''
    const listDatabases = async (): Promise<Database[]> => {
      const result = await wrangler(['d1', 'list', '--json'])
      if (result.status !== 0) throw new SetupStop(failure('wrangler d1 list', result), 1)
      return parseJsonArray(result.stdout, 'wrangler d1 list').flatMap((d) =>
        isRecord(d) && typeof d.uuid === 'string' && typeof d.name === 'string' ? [{ uuid: d.uuid, name: d.name }] : [],
      )
    }
    const databases = await listDatabases()
    if (!isPlaceholder(current)) {
      const found = databases.find((d) => d.uuid === current)
      if (!found) {
        throw new SetupStop(
          `${configName}: the database_id ${current} is not one of this Cloudflare account's D1 databases ` +
            `(another account? deleted?). Put the right id there, or "" to have setup reuse or create "${name}", then run \`npm run setup\` again.`,
          1,
        )
      }
      say(step, `"${found.name}" (${current}) already in ${configName}; nothing to do`)
    } else {
      const existing = databases.find((d) => d.name === name)
      if (existing) {
        config.set(table, 'database_id', existing.uuid)
        say(step, `reused the account's "${name}" (${existing.uuid}); id written to ${configName}`)
      } else {
        const created = await wrangler(['d1', 'create', name])
        if (created.status !== 0) throw new SetupStop(failure(`wrangler d1 create ${name}`, created), 1)
        const uuid =
          /^\s*database_id\s*=\s*"([0-9a-f-]{36})"/m.exec(stripAnsi(created.stdout))?.[1] ??
          (await listDatabases()).find((d) => d.name === name)?.uuid
        if (!uuid)
          throw new SetupStop(
            `Created the D1 database "${name}" but could not read its id: run \`npm run setup\` again (it finds it by its name).`,
            1,
          )
        config.set(table, 'database_id', uuid)
        say(step, `created "${name}" (${uuid}); id written to ${configName}`)
      }
    }
  }

  for (const binding of QUEUE_BINDINGS) {
    const queue = config.get(config.table('queues.producers', { key: 'binding', value: binding }), 'queue')
    if (!queue) throw new SetupStop(`${configName}: the ${binding} producer has no queue = "…": restore it from the repository.`, 2)
    const step = `Queue ${binding}`
    // Cloudflare refuses a second queue of a name: asking is the check, and it is one call.
    const created = await wrangler(['queues', 'create', queue])
    if (created.status === 0) say(step, `created "${queue}"`)
    else if (QUEUE_TAKEN.test(stripAnsi(created.stderr + created.stdout))) say(step, `"${queue}" already exists; nothing to do`)
    else throw new SetupStop(failure(`wrangler queues create ${queue}`, created), 1)
  }

  {
    const bucket = config.get(config.table('r2_buckets', { key: 'binding', value: R2_BINDING }), 'bucket_name')
    if (!bucket) throw new SetupStop(`${configName}: the ${R2_BINDING} bucket has no bucket_name = "…": restore it from the repository.`, 2)
    const step = `R2 bucket ${R2_BINDING}`
    // As for the queue: a bucket is named in wrangler.toml, and creating it is the check.
    const created = await wrangler(['r2', 'bucket', 'create', bucket])
    if (created.status === 0) say(step, `created "${bucket}"`)
    else if (BUCKET_TAKEN.test(stripAnsi(created.stderr + created.stdout))) say(step, `"${bucket}" already exists; nothing to do`)
    else throw new SetupStop(failure(`wrangler r2 bucket create ${bucket}`, created), 1)
  }

  // 5. The AppID, a var.
  if (config.get(vars, 'WECHAT_APPID') === appid) say('WECHAT_APPID', `${appid} already in ${configName}; nothing to do`)
  else {
    config.set(vars, 'WECHAT_APPID', appid)
    say('WECHAT_APPID', `${appid} written to ${configName} [vars]`)
  }

  for (const [name, value] of modelVars) {
    if (config.get(vars, name) === value) say(name, `already in ${configName}; nothing to do`)
    else {
      config.set(vars, name, value)
      say(name, `${value} written to ${configName} [vars]`)
    }
  }

  // 6. Secrets: the value on stdin, never in arguments or output.
  for (const spec of SECRETS) {
    const put = toPut.find((p) => p.spec === spec)
    if (!put && spec.optional && !secretsSet.has(spec.name)) {
      say(spec.name, OPTIONAL_UNSET[spec.name] ?? 'not set (optional)')
      continue
    }
    if (!put) {
      const unused = given.has(spec.name) ? `; the value in the environment is not used` : ''
      say(spec.name, `already set on the Worker; kept${unused} (--reset-secrets replaces it)`)
      continue
    }
    // A generated value is kept before it is put: once put, it could not be read back.
    if (put.source === 'generated') {
      try {
        writePrivate(resolve(options.cwd, tokenFile), put.value)
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error)
        throw new SetupStop(
          `Cannot write the generated ${spec.name} to ${tokenFile} (${why}); it was not put.\n` +
            `Fix that, or give your own (${spec.name}=… in the environment), then run \`npm run setup\` again.`,
          1,
        )
      }
    }
    const result = await wrangler(['secret', 'put', spec.name], put.value)
    if (result.status !== 0) throw new SetupStop(failure(`wrangler secret put ${spec.name}`, result), 1)
    say(spec.name, `put with wrangler secret put (${put.source})`)
    if (spec.generate && put.source !== 'generated' && existsSync(resolve(options.cwd, tokenFile))) {
      // It held the value just replaced.
      rmSync(resolve(options.cwd, tokenFile), { force: true })
      io.log(`  removed ${tokenFile}: it held the ${spec.name} this replaced.`)
    }
    if (put.source === 'generated') {
      tokenWritten = true
      // Never the value: setup's output ends up in CI logs and terminal scrollback.
      io.log(`  not shown: written to ${tokenFile}, readable by you only (mode 600) and git-ignored.`)
      io.log(`  It signs you in to /admin: read it with \`cat ${tokenFile}\`, keep it in your password manager.`)
      io.log(
        `  To replace it: npx wrangler secret put ${spec.name}${isDefaultConfig ? '' : ` --config ${configName}`} (then delete ${tokenFile}).`,
      )
      if (options.yes)
        io.log(
          `  In CI, ${tokenFile} goes with the runner: give ${spec.name} from the CI's secrets instead (${spec.name}=… npm run setup -- --yes).`,
        )
    }
  }

  // 7. The record's tables, the Worker, the rules.
  const migrated = await wrangler(['d1', 'migrations', 'apply', D1_BINDING, '--remote'])
  if (migrated.status !== 0) throw new SetupStop(failure(`wrangler d1 migrations apply ${D1_BINDING} --remote`, migrated), 1)
  if (/No migrations to apply/.test(migrated.stdout)) say('D1 migrations', 'none to apply; the tables are up to date')
  else {
    const applied = [...new Set(stripAnsi(migrated.stdout).match(/\b\d+_[\w.-]+\.sql\b/g) ?? [])]
    say('D1 migrations', applied.length > 0 ? `applied ${applied.join(', ')}` : 'applied')
  }

  let url: string | undefined
  if (options.skipDeploy) say('deploy', 'skipped (--skip-deploy): `npx wrangler deploy` when ready')
  else {
    say('deploy', 'running wrangler deploy (this takes a little while)…')
    const deployed = await wrangler(['deploy'])
    if (deployed.status !== 0) {
      const subdomain = /workers\.dev subdomain/.test(stripAnsi(deployed.stderr + deployed.stdout))
        ? 'Register a workers.dev subdomain (the link above, or run `npx wrangler deploy` once in a terminal), then run `npm run setup` again.'
        : undefined
      throw new SetupStop(failure('wrangler deploy', deployed, subdomain), 1)
    }
    url = /https:\/\/[A-Za-z0-9.-]+\.workers\.dev\b/.exec(stripAnsi(deployed.stdout))?.[0]
    say('deploy', url ? `deployed to ${url}` : 'deployed')
  }

  if (!isDefaultConfig) {
    say('rules', `skipped: rules:push publishes to the RULES namespace of ${DEFAULT_CONFIG}, not of ${configName}`)
  } else {
    const pushed = await runner('npm', ['run', '--silent', 'rules:push', '--', '--remote'])
    if (pushed.status !== 0) throw new SetupStop(failure('npm run rules:push -- --remote', pushed), 1)
    const said = tidy(pushed.stdout).filter((line) => !line.startsWith('$ wrangler'))
    say('rules', said.join(' ') || 'pushed rules/rules.json')
  }

  const base = url ?? 'https://<your-worker>.workers.dev'
  io.log('')
  io.log(`Done. Check ${base}/healthz, then in the mini program admin console (小程序后台 → 开发 → 开发设置 → 消息推送) set:`)
  io.log(`  URL ${base}/wechat, the same Token and EncodingAESKey, 安全模式, and a data format (XML or JSON).`)
  io.log(`Console: ${base}/admin. Running \`npm run setup\` again only does what is missing.`)
  const adminToken = tokenWritten ? `ADMIN_TOKEN="$(cat ${tokenFile})"` : 'ADMIN_TOKEN=…'
  io.log(
    `Check it from outside: ${adminToken} npm run doctor -- --url ${base} (WECHAT_TOKEN, WECHAT_ENCODING_AES_KEY, WECHAT_APPID from the environment too)`,
  )

  function openConfig(path: string, name: string) {
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch {
      throw new SetupStop(`Cannot read ${name}: run npm run setup from the project's directory (or pass --config).`, 2)
    }
    const doc = new TomlDocument(text)
    let saved = text
    const need = (table: Table | undefined, what: string): Table => {
      if (!table) throw new SetupStop(`${name} has no ${what}: restore it from the repository, then run setup again.`, 2)
      return table
    }
    // Every table setup edits or reads, checked before anything runs.
    const workerName = doc.get(doc.root(), 'name')
    if (!workerName) throw new SetupStop(`${name} has no name = "…" at the top: restore it from the repository, then run setup again.`, 2)
    need(doc.table('vars'), '[vars] table')
    for (const binding of KV_BINDINGS)
      need(doc.table('kv_namespaces', { key: 'binding', value: binding }), `[[kv_namespaces]] with binding = "${binding}"`)
    need(doc.table('d1_databases', { key: 'binding', value: D1_BINDING }), `[[d1_databases]] with binding = "${D1_BINDING}"`)
    for (const binding of QUEUE_BINDINGS)
      need(doc.table('queues.producers', { key: 'binding', value: binding }), `[[queues.producers]] with binding = "${binding}"`)
    need(doc.table('r2_buckets', { key: 'binding', value: R2_BINDING }), `[[r2_buckets]] with binding = "${R2_BINDING}"`)
    return {
      /** The Worker's name, the KV namespaces' titles' prefix. */
      workerName,
      table: (tableName: string, where?: { key: string; value: string }) => need(doc.table(tableName, where), `[${tableName}]`),
      get: (table: Table, key: string) => doc.get(table, key),
      /** Sets a string and saves the file at once, so what is done stays done if a later step fails. */
      set(table: Table, key: string, value: string) {
        try {
          doc.set(table, key, value)
        } catch (error) {
          if (error instanceof TomlError) throw new SetupStop(`${name}: ${error.message}`, 1)
          throw error
        }
        const text = doc.toString()
        if (text !== saved) {
          writeFileSync(path, text)
          saved = text
        }
      },
    }
  }
}

/** Asks until the answer passes `check` (5 tries); stops when the input ends. */
async function ask(io: SetupIo, question: string, secret: boolean, check: (value: string) => string | null): Promise<string> {
  const name = question.split(' ')[0] ?? question
  for (let tries = 0; tries < 5; tries++) {
    const answer = await io.ask(`${question}: `, { secret })
    if (answer === null) throw new SetupStop(`No answer for ${name} (the input ended). Nothing was changed.`, 2)
    const value = answer.trim()
    const why = check(value)
    if (!why) return value
    io.log(`  ${name} ${why}; try again.`)
  }
  throw new SetupStop(`No valid ${name} after 5 tries. Nothing was changed.`, 2)
}

/** Ids that are not real: empty, or the zeros the repository's wrangler.toml carries. */
export function isPlaceholder(id: string): boolean {
  return /^[0-]*1?$/.test(id)
}

/** The values of .dev.vars.example: made up, never for production. */
function madeUpValues(path: string): Map<string, string> {
  const values = new Map<string, string>()
  if (!existsSync(path)) return values
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^\s*([A-Z_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line)
    if (match?.[1] && match[2]) values.set(match[1], match[2])
  }
  return values
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim()
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text.slice(Math.max(0, text.indexOf('{'))))
  } catch {
    return undefined
  }
}

/** The JSON array a listing command prints (anything printed around it ignored). */
function parseJsonArray(text: string, command: string): unknown[] {
  const start = text.indexOf('[')
  const end = text.lastIndexOf(']')
  try {
    const value: unknown = start >= 0 && end > start ? JSON.parse(text.slice(start, end + 1)) : undefined
    if (Array.isArray(value)) return value
  } catch {
    // Reported below.
  }
  throw new SetupStop(`${command} printed something other than a JSON list:\n${tidy(text).slice(0, 20).join('\n')}`, 1)
}

export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC (\x1b) is what starts the ANSI escape sequences removed here
  return text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')
}

/** Output lines worth showing: no colours, banner or blank lines. */
function tidy(text: string): string[] {
  return stripAnsi(text)
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '' && !/^\s*⛅️ wrangler|^─+$/.test(line))
}

/** What a failed command said, and what to do. */
function failure(
  command: string,
  result: RunResult,
  advice = 'Fix the cause, then run `npm run setup` again: what is done is kept and skipped.',
): string {
  const said = tidy(`${result.stderr}\n${result.stdout}`)
  return [`✘ ${command} failed (exit status ${result.status}):`, ...said.map((line) => `  ${line}`), advice].join('\n')
}

/**
 * The project's wrangler, started as its launcher (bin/wrangler.js) starts it, as
 * scripts/rules-kv.ts does; npm from PATH.
 */
export function processRunner(cwd: string): Runner {
  let wranglerCli: string[]
  try {
    wranglerCli = [process.execPath, '--no-warnings', '--experimental-vm-modules', createRequire(import.meta.url).resolve('wrangler')]
  } catch {
    wranglerCli = ['npx', 'wrangler']
  }
  return (tool, args, options = {}) =>
    new Promise((resolvePromise, reject) => {
      const [command = 'npx', ...prefix] = tool === 'wrangler' ? wranglerCli : ['npm']
      const child = spawn(command, [...prefix, ...args], {
        cwd,
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
      child.on('error', reject)
      child.on('close', (code) => resolvePromise({ status: code ?? 1, stdout, stderr }))
      if (options.input !== undefined) child.stdin?.end(options.input)
    })
}
