/**
 * `npm run setup` against a stand-in for wrangler (and npm): an account with KV namespaces, D1
 * databases, queues and a Worker's secrets, answering each command as wrangler 4.86 does
 * (outputs copied from its runs against a local stand-in of the Cloudflare API), on a temp copy
 * of the repository's wrangler.toml. No command really runs, except the command line's own
 * refusals.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runSetup, type Runner, type SetupIo, type SetupOptions, type Tool } from '../../scripts/setup-steps'
import { TomlDocument } from '../../scripts/setup-toml'

const root = join(import.meta.dirname, '..', '..')

const SECRETS = {
  WECHAT_TOKEN: 'prodToken4xQ9',
  WECHAT_ENCODING_AES_KEY: 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF',
  WECHAT_APPSECRET: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  ADMIN_TOKEN: 'prod-admin-token-0123456789abcdef',
}
const APPID = 'wx0123456789abcdef'

const BANNER = '\n \u26c5\ufe0f wrangler 4.86.0\n' + '\u2500'.repeat(46) + '\n'
const NOT_LOGGED_IN = '{"loggedIn":false}\n'
const QUEUE = 'kefu-edge-campaigns'
const WEBHOOK_QUEUE = 'kefu-edge-webhooks'
const MEDIA_QUEUE = 'kefu-edge-user-media'
const BUCKET = 'kefu-edge-media'

/**
 * A Cloudflare API refusal as wrangler 4.86 reports it: its own line, then the API's message
 * and code (e.g. `Queue name already taken [code: 11009]`), on stderr; exit status 1.
 */
function apiRefusal(path: string, note: string, stdout: string) {
  const stderr =
    `\u001b[31m✘ \u001b[41;31m[\u001b[41;97mERROR\u001b[41;31m]\u001b[0m \u001b[1mA request to the Cloudflare API (${path}) failed.\u001b[0m\n\n` +
    `  ${note}\n  \n  If you think this is a bug, please open an issue at: \u001b[4mhttps://github.com/cloudflare/workers-sdk/issues/new/choose\u001b[0m\n\n\n` +
    '🪵  Logs were written to "/home/ops/.config/.wrangler/logs/wrangler-2026-05-01_10-00-00_000.log"\n'
  return { status: 1, stdout, stderr }
}

interface Call {
  tool: Tool
  args: string[]
  input?: string
  /** The command created something (a resource, a secret put). */
  made?: boolean
}

/** A Cloudflare account as wrangler shows it. */
class StandIn {
  loggedIn = true
  namespaces: { id: string; title: string }[] = []
  databases: { uuid: string; name: string }[] = []
  queues: string[] = []
  buckets: string[] = []
  /** false: the account has not enabled R2 (the API answers 10042). */
  r2Enabled = true
  /** false: the account has not enabled Queues (the API answers 11002). */
  queuesEnabled = true
  workerExists = false
  secrets = new Map<string, string>()
  applied = new Set<string>()
  deploys = 0
  rulesVersion: string | null = null
  failDeploy = false
  calls: Call[] = []
  private next = 1

  runner: Runner = async (tool, args, options = {}) => {
    const call: Call = { tool, args: [...args], ...(options.input !== undefined ? { input: options.input } : {}) }
    this.calls.push(call)
    const ok = (stdout: string) => ({ status: 0, stdout, stderr: '' })
    const made = (stdout: string) => {
      call.made = true
      return ok(stdout)
    }
    const fail = (stderr: string, stdout = '') => ({
      status: 1,
      stdout,
      stderr: `\u001b[31m✘ \u001b[41;31m[\u001b[41;97mERROR\u001b[41;31m]\u001b[0m \u001b[1m${stderr}\u001b[0m\n\n`,
    })
    if (tool === 'npm') {
      expect(args).toEqual(['run', '--silent', 'rules:push', '--', '--remote'])
      if (this.rulesVersion === 'v1') return ok('rules/rules.json (version v1) already is the rule set in remote KV; nothing to publish.\n')
      this.rulesVersion = 'v1'
      return ok(
        '$ wrangler kv bulk put /tmp/kefu-rules-x/1 --binding RULES --remote\npushed rules/rules.json (12 rules, version v1) to remote KV. Workers pick it up within about a minute (KV propagation and a 30 s cache).\n',
      )
    }
    const command = args.filter((a, i) => a !== '--config' && args[i - 1] !== '--config').join(' ')
    if (command === 'whoami --json') {
      return this.loggedIn
        ? ok(
            JSON.stringify(
              { loggedIn: true, authType: 'OAuth Token', email: 'ops@example.com', accounts: [{ id: 'acc123', name: 'Ops account' }] },
              null,
              4,
            ) + '\n',
          )
        : { status: 1, stdout: NOT_LOGGED_IN, stderr: '' }
    }
    if (!this.loggedIn) return fail('Not logged in.')
    if (command === 'kv namespace list')
      return ok(
        JSON.stringify(
          this.namespaces.map((n) => ({ ...n, supports_url_encoding: true })),
          null,
          '  ',
        ) + '\n',
      )
    let match = /^kv namespace create (\S+)$/.exec(command)
    if (match?.[1]) {
      const title = match[1]
      if (this.namespaces.some((n) => n.title === title)) return fail(`A KV namespace with the title "${title}" already exists.`)
      const id = (this.next++).toString(16).padStart(32, 'a')
      this.namespaces.push({ id, title })
      return made(
        `${BANNER}Resource location: remote \n\n🌀 Creating namespace with title "${title}"\n✨ Success!\n` +
          'To access your new KV Namespace in your Worker, add the following snippet to your configuration file:\n' +
          `[[kv_namespaces]]\nbinding = "${title.replace(/-/g, '_')}"\nid = "${id}"\n\n`,
      )
    }
    if (command === 'd1 list --json') {
      return ok(
        JSON.stringify(
          this.databases.map((d) => ({ ...d, created_at: '2026-05-01T00:00:00.000Z', version: 'production', num_tables: 0, file_size: 0 })),
          null,
          2,
        ) + '\n',
      )
    }
    match = /^d1 create (\S+)$/.exec(command)
    if (match?.[1]) {
      const name = match[1]
      if (this.databases.some((d) => d.name === name)) return fail('A database with that name already exists')
      const uuid = `7a1b2c3d-4e5f-4061-8283-${(this.next++).toString(16).padStart(12, '9')}`
      this.databases.push({ uuid, name })
      return made(
        `${BANNER}✅ Successfully created DB '${name}' in region APAC\nCreated your new D1 database.\n\n` +
          'To access your new D1 Database in your Worker, add the following snippet to your configuration file:\n' +
          `[[d1_databases]]\nbinding = "kefu_edge"\ndatabase_name = "${name}"\ndatabase_id = "${uuid}"\n\n`,
      )
    }
    if (command === 'secret list --format json') {
      if (!this.workerExists)
        return fail('Worker "kefu-edge" not found.\n\n  \n  If this is a new Worker, run `wrangler deploy` first to create it.')
      return ok(
        JSON.stringify(
          [...this.secrets.keys()].map((name) => ({ name, type: 'secret_text' })),
          null,
          '  ',
        ) + '\n',
      )
    }
    match = /^secret put (\S+)$/.exec(command)
    if (match?.[1]) {
      expect(options.input, 'a secret comes on stdin').toBeTypeOf('string')
      this.workerExists = true
      this.secrets.set(match[1], options.input ?? '')
      return made(`${BANNER}🌀 Creating the secret for the Worker "kefu-edge" \n✨ Success! Uploaded secret ${match[1]}\n`)
    }
    match = /^queues create (\S+)$/.exec(command)
    if (match?.[1]) {
      const name = match[1]
      const creating = `${BANNER}🌀 Creating queue '${name}'\n`
      if (!this.queuesEnabled) {
        return apiRefusal(
          '/accounts/acc123/queues',
          'In order to use Queues, you must enable your account at \u001b[4mhttps://dash.cloudflare.com/acc123/workers/queues\u001b[0m. [code: 11002]',
          `${creating}\n`,
        )
      }
      if (this.queues.includes(name))
        return apiRefusal('/accounts/acc123/queues', 'Queue name already taken [code: 11009]', `${creating}\n`)
      this.queues.push(name)
      return made(
        `${creating}✅ Created queue '${name}'\n\nConfigure your Worker to send messages to this queue:\n\n` +
          `[[queues.producers]]\nqueue = "${name}"\nbinding = "${name.replace(/-/g, '_')}"\n\n` +
          `Configure your Worker to consume messages from this queue:\n\n[[queues.consumers]]\nqueue = "${name}"\n\n`,
      )
    }
    match = /^r2 bucket create (\S+)$/.exec(command)
    if (match?.[1]) {
      const name = match[1]
      const creating = `${BANNER}Creating bucket '${name}'...\n`
      if (!this.r2Enabled)
        return apiRefusal('/accounts/acc123/r2/buckets', 'Please enable R2 through the Cloudflare Dashboard. [code: 10042]', creating)
      if (this.buckets.includes(name))
        return apiRefusal(
          '/accounts/acc123/r2/buckets',
          'The bucket you tried to create already exists, and you own it. [code: 10004]',
          creating,
        )
      this.buckets.push(name)
      return made(
        `${creating}✅ Created bucket '${name}' with default storage class of Standard.\n\n` +
          `Configure your Worker to write objects to this bucket:\n\n[[r2_buckets]]\nbucket_name = "${name}"\nbinding = "${name.replace(/-/g, '_')}"\n`,
      )
    }
    if (command === 'd1 migrations apply DB --remote') {
      if (this.databases.length === 0) return fail("Couldn't find a D1 DB with the name or binding 'DB' in your wrangler.toml file.")
      const todo = ['0001_record.sql', '0002_rule_hits.sql'].filter((m) => !this.applied.has(m))
      if (todo.length === 0) return ok(`${BANNER}Resource location: remote \n\n✅ No migrations to apply!\n`)
      for (const m of todo) this.applied.add(m)
      return ok(
        `${BANNER}Migrations to be applied:\n┌──┐\n${todo.map((m) => `│ ${m} │`).join('\n')}\n└──┘\n${todo.map((m) => `│ ${m} │ ✅ │`).join('\n')}\n`,
      )
    }
    if (command === 'deploy') {
      if (this.failDeploy) return fail('Received a bad response from the API\nA request to the Cloudflare API failed. [code: 10021]')
      this.deploys++
      this.workerExists = true
      return ok(
        `${BANNER}Total Upload: 412.12 KiB / gzip: 93.40 KiB\nUploaded kefu-edge (3.21 sec)\nDeployed kefu-edge triggers (0.80 sec)\n  https://kefu-edge.ops.workers.dev\n  schedule: 17 * * * *\nCurrent Version ID: 0b1c\n`,
      )
    }
    throw new Error(`the stand-in does not know: wrangler ${command}`)
  }

  /** What the runs made, command by command: a create refused (the name is taken) made nothing. */
  creates(): string[] {
    return this.calls.filter((c) => c.made).map((c) => c.args.slice(0, 4).join(' '))
  }
}

/** Answers questions from a list and keeps every line printed. */
function scriptedIo(answers: string[] = []): SetupIo & { output: string[]; questions: { question: string; secret: boolean }[] } {
  const output: string[] = []
  const questions: { question: string; secret: boolean }[] = []
  return {
    output,
    questions,
    log: (line) => output.push(line),
    ask: async (question, { secret }) => {
      questions.push({ question, secret })
      return answers.shift() ?? null
    },
  }
}

let dir = ''
let config = ''
const original = readFileSync(join(root, 'wrangler.toml'), 'utf8')

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kefu-setup-'))
  config = join(dir, 'wrangler.toml')
  copyFileSync(join(root, 'wrangler.toml'), config)
  copyFileSync(join(root, '.dev.vars.example'), join(dir, '.dev.vars.example'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function options(overrides: Partial<SetupOptions> = {}): SetupOptions {
  return { cwd: dir, config: 'wrangler.toml', yes: false, resetSecrets: false, skipDeploy: false, env: {}, ...overrides }
}

/** A step's line as setup prints it, up to what it did. */
const step = (name: string) => `${`${name} `.padEnd(25, '·')} `

const ANSWERS = [APPID, SECRETS.WECHAT_TOKEN, SECRETS.WECHAT_ENCODING_AES_KEY, SECRETS.WECHAT_APPSECRET, '']

/** The token setup left in `file` (in the project directory), checked to be its owner's only. */
function adminTokenIn(file: string): string {
  const path = join(dir, file)
  if (process.platform !== 'win32') expect((statSync(path).mode & 0o777).toString(8)).toBe('600')
  const text = readFileSync(path, 'utf8')
  expect(text).toMatch(/^\S+\n$/)
  return text.trim()
}

/** The lines of the file that differ from the repository's wrangler.toml. */
function changedLines(): string[] {
  const before = original.split('\n')
  const after = readFileSync(config, 'utf8').split('\n')
  expect(after).toHaveLength(before.length)
  return after.filter((line, i) => line !== before[i])
}

describe('npm run setup', () => {
  it('a first run creates everything, writes the ids, puts the secrets on stdin, migrates, deploys and pushes the rules', async () => {
    const cf = new StandIn()
    const io = scriptedIo([...ANSWERS])
    expect(await runSetup(options(), cf.runner, io)).toBe(0)
    const printed = io.output.join('\n')

    expect(cf.creates()).toEqual([
      'kv namespace create kefu-edge-RULES',
      'kv namespace create kefu-edge-CACHE',
      'd1 create kefu-edge',
      `queues create ${QUEUE}`,
      `queues create ${WEBHOOK_QUEUE}`,
      `queues create ${MEDIA_QUEUE}`,
      `r2 bucket create ${BUCKET}`,
      'secret put WECHAT_TOKEN',
      'secret put WECHAT_ENCODING_AES_KEY',
      'secret put WECHAT_APPSECRET',
      'secret put ADMIN_TOKEN',
    ])
    // Questions before anything is created; secrets hidden, the AppID not.
    expect(io.questions.map((q) => [q.question.split(' ')[0], q.secret])).toEqual([
      ['WECHAT_APPID', false],
      ['WECHAT_TOKEN', true],
      ['WECHAT_ENCODING_AES_KEY', true],
      ['WECHAT_APPSECRET', true],
      ['ADMIN_TOKEN', true],
    ])

    // Only the four values changed; every comment, blank line and other key is as it was.
    const rules = cf.namespaces.find((n) => n.title === 'kefu-edge-RULES')
    const cache = cf.namespaces.find((n) => n.title === 'kefu-edge-CACHE')
    const db = cf.databases[0]
    expect(changedLines()).toEqual([
      `WECHAT_APPID = "${APPID}"`,
      `id = "${rules?.id}"`,
      `id = "${cache?.id}"`,
      `database_id = "${db?.uuid}"`,
    ])
    // Wrangler's own reader sees them where they belong.
    const raw = await readRawConfig(config)
    expect(raw.kv_namespaces).toEqual([
      { binding: 'RULES', id: rules?.id },
      { binding: 'CACHE', id: cache?.id },
    ])
    expect(raw.d1_databases?.[0]).toMatchObject({ binding: 'DB', database_name: 'kefu-edge', database_id: db?.uuid })
    expect(raw.vars?.WECHAT_APPID).toBe(APPID)

    // Secret values on stdin only: never in arguments, never printed, the generated token neither.
    expect(Object.fromEntries([...cf.secrets].filter(([name]) => name !== 'ADMIN_TOKEN'))).toEqual({
      WECHAT_TOKEN: SECRETS.WECHAT_TOKEN,
      WECHAT_ENCODING_AES_KEY: SECRETS.WECHAT_ENCODING_AES_KEY,
      WECHAT_APPSECRET: SECRETS.WECHAT_APPSECRET,
    })
    const admin = cf.secrets.get('ADMIN_TOKEN') ?? ''
    expect(admin).toMatch(/^[A-Za-z0-9_-]{43}$/)
    for (const value of [...cf.secrets.values()]) {
      expect(cf.calls.some((c) => c.args.some((a) => a.includes(value)))).toBe(false)
    }
    for (const value of [SECRETS.WECHAT_TOKEN, SECRETS.WECHAT_ENCODING_AES_KEY, SECRETS.WECHAT_APPSECRET]) {
      expect(printed).not.toContain(value)
    }
    expect(printed).not.toContain(admin)
    // It is in .admin-token, for its owner only, and the output says where.
    expect(adminTokenIn('.admin-token')).toBe(admin)
    expect(printed).toContain(`${step('ADMIN_TOKEN')}put with wrangler secret put (generated)`)
    expect(printed).toContain('  not shown: written to .admin-token, readable by you only (mode 600) and git-ignored.')
    expect(printed).toContain('  To replace it: npx wrangler secret put ADMIN_TOKEN (then delete .admin-token).')
    expect(printed).toContain(
      'Check it from outside: ADMIN_TOKEN="$(cat .admin-token)" npm run doctor -- --url https://kefu-edge.ops.workers.dev',
    )
    // Interactive: no CI advice.
    expect(printed).not.toContain('In CI')

    expect(cf.queues).toEqual([QUEUE, WEBHOOK_QUEUE, MEDIA_QUEUE])
    expect(cf.applied).toEqual(new Set(['0001_record.sql', '0002_rule_hits.sql']))
    expect(cf.deploys).toBe(1)
    expect(cf.rulesVersion).toBe('v1')
    // The order: resources, secrets, migrations before the Worker that writes to them, rules last.
    const order = cf.calls.map((c) => c.args.slice(0, 2).join(' '))
    expect(order.indexOf('d1 migrations')).toBeLessThan(order.indexOf('deploy'))
    // A producer's queue must exist before the deploy that binds it.
    expect(order.indexOf('queues create')).toBeLessThan(order.indexOf('deploy'))
    // So must the bucket: wrangler deploy refuses a binding to a bucket that is not there.
    expect(order.indexOf('r2 bucket')).toBeLessThan(order.indexOf('deploy'))
    expect(cf.buckets).toEqual([BUCKET])
    expect(order.at(-1)).toBe('run --silent')

    expect(printed).toContain(`${step('Cloudflare')}logged in as ops@example.com`)
    expect(printed).toContain(`${step('KV namespace RULES')}created "kefu-edge-RULES" (${rules?.id}); id written to wrangler.toml`)
    expect(printed).toContain(`${step('Queue CAMPAIGNS')}created "${QUEUE}"`)
    expect(printed).toContain(`${step('Queue WEBHOOKS')}created "${WEBHOOK_QUEUE}"`)
    expect(printed).toContain(`${step('Queue USER_MEDIA')}created "${MEDIA_QUEUE}"`)
    expect(printed).toContain(`${step('R2 bucket MEDIA')}created "${BUCKET}"`)
    expect(printed).toContain(`${step('D1 migrations')}applied 0001_record.sql, 0002_rule_hits.sql`)
    expect(printed).toContain(`${step('deploy')}deployed to https://kefu-edge.ops.workers.dev`)
    expect(printed).toContain(`${step('rules')}pushed rules/rules.json (12 rules, version v1) to remote KV.`)
    expect(printed).toContain('URL https://kefu-edge.ops.workers.dev/wechat')
  })

  it('a second run asks nothing, creates nothing and leaves wrangler.toml as it was', async () => {
    const cf = new StandIn()
    expect(await runSetup(options(), cf.runner, scriptedIo([...ANSWERS]))).toBe(0)
    const toml = readFileSync(config, 'utf8')
    const secrets = new Map(cf.secrets)
    cf.calls = []

    const io = scriptedIo()
    expect(await runSetup(options(), cf.runner, io)).toBe(0)
    expect(io.questions).toEqual([])
    expect(cf.creates()).toEqual([])
    expect(readFileSync(config, 'utf8')).toBe(toml)
    expect(cf.secrets).toEqual(secrets)
    expect(cf.namespaces).toHaveLength(2)
    expect(cf.databases).toHaveLength(1)
    // Asked again, and refused as taken: that is the check.
    expect(cf.calls.filter((c) => c.args[0] === 'queues').map((c) => c.args.join(' '))).toEqual([
      `queues create ${QUEUE}`,
      `queues create ${WEBHOOK_QUEUE}`,
      `queues create ${MEDIA_QUEUE}`,
    ])
    expect(cf.queues).toEqual([QUEUE, WEBHOOK_QUEUE, MEDIA_QUEUE])
    expect(cf.calls.filter((c) => c.args[0] === 'r2').map((c) => c.args.join(' '))).toEqual([`r2 bucket create ${BUCKET}`])
    expect(cf.buckets).toEqual([BUCKET])
    const printed = io.output.join('\n')
    expect(printed).toContain(`${step('R2 bucket MEDIA')}"${BUCKET}" already exists; nothing to do`)
    expect(printed).toContain(
      `${step('KV namespace RULES')}"kefu-edge-RULES" (${cf.namespaces[0]?.id}) already in wrangler.toml; nothing to do`,
    )
    expect(printed).toContain(`${step('D1 database DB')}"kefu-edge" (${cf.databases[0]?.uuid}) already in wrangler.toml; nothing to do`)
    expect(printed).toContain(`${step('Queue CAMPAIGNS')}"${QUEUE}" already exists; nothing to do`)
    expect(printed).toContain(`${step('WECHAT_APPID')}${APPID} already in wrangler.toml; nothing to do`)
    expect(printed).toContain(`${step('ADMIN_TOKEN')}already set on the Worker; kept (--reset-secrets replaces it)`)
    expect(printed).toContain(`${step('D1 migrations')}none to apply; the tables are up to date`)
    expect(printed).toContain(`${step('rules')}rules/rules.json (version v1) already is the rule set in remote KV; nothing to publish.`)
  })

  it('reuses a namespace and a database the account already has by their titles, and creates only the rest', async () => {
    const cf = new StandIn()
    cf.namespaces.push(
      { id: 'feedfacefeedfacefeedfacefeedface', title: 'kefu-edge-RULES' },
      { id: '0123456789abcdef0123456789abcdef', title: 'CACHE' },
    )
    cf.databases.push({ uuid: '11111111-2222-4333-8444-555555555555', name: 'kefu-edge' })
    const io = scriptedIo([...ANSWERS])
    expect(await runSetup(options(), cf.runner, io)).toBe(0)
    expect(cf.creates().filter((c) => c.includes('create'))).toEqual([
      'kv namespace create kefu-edge-CACHE',
      `queues create ${QUEUE}`,
      `queues create ${WEBHOOK_QUEUE}`,
      `queues create ${MEDIA_QUEUE}`,
      `r2 bucket create ${BUCKET}`,
    ])
    const toml = readFileSync(config, 'utf8')
    expect(toml).toContain('binding = "RULES"\nid = "feedfacefeedfacefeedfacefeedface"')
    expect(toml).toContain('database_id = "11111111-2222-4333-8444-555555555555"')
    const printed = io.output.join('\n')
    expect(printed).toContain(`reused the account's "kefu-edge-RULES" (feedfacefeedfacefeedfacefeedface); id written to wrangler.toml`)
    // A namespace titled just "CACHE" may be anyone's: named, not taken.
    expect(printed).toContain('the account also has a namespace titled "CACHE", 0123456789abcdef0123456789abcdef')
  })

  it('keeps ids wrangler.toml already has when they are the account’s, and stops on one that is not', async () => {
    const cf = new StandIn()
    cf.namespaces.push({ id: 'feedfacefeedfacefeedfacefeedface', title: 'RULES' })
    writeFileSync(config, original.replace('id = "00000000000000000000000000000000"', 'id = "feedfacefeedfacefeedfacefeedface"'))
    const io = scriptedIo([...ANSWERS])
    expect(await runSetup(options(), cf.runner, io)).toBe(0)
    expect(io.output.join('\n')).toContain(
      `${step('KV namespace RULES')}"RULES" (feedfacefeedfacefeedfacefeedface) already in wrangler.toml; nothing to do`,
    )
    expect(cf.creates()).not.toContain('kv namespace create kefu-edge-RULES')

    const other = new StandIn()
    const again = scriptedIo([SECRETS.WECHAT_TOKEN, SECRETS.WECHAT_ENCODING_AES_KEY, SECRETS.WECHAT_APPSECRET, ''])
    expect(await runSetup(options(), other.runner, again)).toBe(1)
    expect(again.output.join('\n')).toContain(
      'the RULES namespace id feedfacefeedfacefeedfacefeedface is not one of this Cloudflare account',
    )
    expect(other.creates()).toEqual([])
  })

  it('refuses an invalid AES key or AppID before running anything, never showing a secret', async () => {
    const cf = new StandIn()
    const badKey = 'not-a-key-but-a-secret-value'
    const io = scriptedIo()
    const code = await runSetup(options({ yes: true, appid: 'wx123', env: { ...SECRETS, WECHAT_ENCODING_AES_KEY: badKey } }), cf.runner, io)
    expect(code).toBe(2)
    expect(cf.calls).toEqual([])
    const printed = io.output.join('\n')
    expect(printed).toContain('WECHAT_APPID (--appid) "wx123" is not an AppID (wx + 16 letters or digits).')
    expect(printed).toContain('WECHAT_ENCODING_AES_KEY (from the environment) is not 43 base64 characters')
    expect(printed).toContain('Nothing was changed.')
    expect(printed).not.toContain(badKey)
    expect(readFileSync(config, 'utf8')).toBe(original)

    // The made-up local values are not for production.
    const local = scriptedIo()
    expect(
      await runSetup(
        options({ yes: true, env: { ...SECRETS, ADMIN_TOKEN: 'local-admin-token-change-me' }, appid: APPID }),
        cf.runner,
        local,
      ),
    ).toBe(2)
    expect(local.output.join('\n')).toContain('ADMIN_TOKEN (from the environment) is the made-up local value from .dev.vars.example.')
    expect(cf.calls).toEqual([])
  })

  it('asks again after an invalid answer, and stops before creating anything when the answers run out', async () => {
    const cf = new StandIn()
    const io = scriptedIo([
      'wx-nope',
      APPID,
      SECRETS.WECHAT_TOKEN,
      'tooShort',
      SECRETS.WECHAT_ENCODING_AES_KEY,
      SECRETS.WECHAT_APPSECRET,
      SECRETS.ADMIN_TOKEN,
    ])
    expect(await runSetup(options(), cf.runner, io)).toBe(0)
    expect(io.output).toContain('  WECHAT_APPID is not an AppID (wx + 16 letters or digits); try again.')
    expect(io.output).toContain('  WECHAT_ENCODING_AES_KEY is not 43 base64 characters (the EncodingAESKey of 消息推送); try again.')
    expect(cf.secrets.get('WECHAT_ENCODING_AES_KEY')).toBe(SECRETS.WECHAT_ENCODING_AES_KEY)
    expect(cf.secrets.get('ADMIN_TOKEN')).toBe(SECRETS.ADMIN_TOKEN)

    writeFileSync(config, original)
    const fresh = new StandIn()
    const short = scriptedIo([APPID, SECRETS.WECHAT_TOKEN])
    expect(await runSetup(options(), fresh.runner, short)).toBe(2)
    expect(short.output).toContain('No answer for WECHAT_ENCODING_AES_KEY (the input ended). Nothing was changed.')
    expect(fresh.creates()).toEqual([])
    expect(readFileSync(config, 'utf8')).toBe(original)
  })

  it('with --yes takes secrets from the environment, generates ADMIN_TOKEN, and names what is missing before creating anything', async () => {
    const cf = new StandIn()
    const missing = scriptedIo()
    const { WECHAT_APPSECRET: _, ...partial } = SECRETS
    expect(await runSetup(options({ yes: true, env: partial }), cf.runner, missing)).toBe(2)
    expect(missing.output.join('\n')).toContain('WECHAT_APPID: pass --appid wx… (wrangler.toml has none).')
    expect(missing.output.join('\n')).toContain('WECHAT_APPSECRET: set it in the environment (WECHAT_APPSECRET=… npm run setup -- --yes).')
    expect(cf.creates()).toEqual([])
    expect(readFileSync(config, 'utf8')).toBe(original)

    const { ADMIN_TOKEN: __, ...noAdmin } = SECRETS
    const io = scriptedIo()
    expect(await runSetup(options({ yes: true, appid: APPID, env: noAdmin, skipDeploy: true }), cf.runner, io)).toBe(0)
    expect(io.questions).toEqual([])
    expect(cf.secrets.get('WECHAT_APPSECRET')).toBe(SECRETS.WECHAT_APPSECRET)
    const admin = cf.secrets.get('ADMIN_TOKEN') ?? ''
    expect(admin).toMatch(/^[A-Za-z0-9_-]{43}$/)
    // A CI log keeps everything printed: the token is only in the file, and the output says so.
    expect(io.output.join('\n')).not.toContain(admin)
    expect(adminTokenIn('.admin-token')).toBe(admin)
    expect(io.output).toContain('  not shown: written to .admin-token, readable by you only (mode 600) and git-ignored.')
    expect(io.output).toContain(
      "  In CI, .admin-token goes with the runner: give ADMIN_TOKEN from the CI's secrets instead (ADMIN_TOKEN=… npm run setup -- --yes).",
    )
    expect(io.output).toContain(`${step('deploy')}skipped (--skip-deploy): \`npx wrangler deploy\` when ready`)
    expect(cf.deploys).toBe(0)
    expect(cf.rulesVersion).toBe('v1')

    // --reset-secrets puts them all again; without it a value in the environment is not used.
    cf.calls = []
    const kept = scriptedIo()
    expect(await runSetup(options({ yes: true, env: { ...SECRETS, WECHAT_TOKEN: 'newToken123' } }), cf.runner, kept)).toBe(0)
    expect(cf.secrets.get('WECHAT_TOKEN')).toBe(SECRETS.WECHAT_TOKEN)
    expect(kept.output).toContain(
      `${step('WECHAT_TOKEN')}already set on the Worker; kept; the value in the environment is not used (--reset-secrets replaces it)`,
    )
    expect(
      await runSetup(options({ yes: true, resetSecrets: true, env: { ...SECRETS, WECHAT_TOKEN: 'newToken123' } }), cf.runner, scriptedIo()),
    ).toBe(0)
    expect(cf.secrets.get('WECHAT_TOKEN')).toBe('newToken123')
    expect(cf.secrets.get('ADMIN_TOKEN')).toBe(SECRETS.ADMIN_TOKEN)
    // The generated token it replaced is not left behind in .admin-token.
    expect(existsSync(join(dir, '.admin-token'))).toBe(false)
    expect(cf.creates().filter((c) => c.includes('create'))).toEqual([])
  })

  it('puts the 微信客服 settings the environment gives (WECOM_CORPID a var, three secrets), and says the channel is off otherwise', async () => {
    const cf = new StandIn()
    const off = scriptedIo()
    expect(await runSetup(options({ yes: true, appid: APPID, env: SECRETS, skipDeploy: true }), cf.runner, off)).toBe(0)
    expect(off.output).toContain(
      `${step('WECOM_KF_SECRET')}not set: the 微信客服 channel is off (WECOM_CORPID=… and the three WECOM_KF_*=… npm run setup turns it on)`,
    )
    expect(cf.secrets.has('WECOM_KF_SECRET')).toBe(false)

    const wecom = {
      WECOM_CORPID: 'ww0123456789abcdef',
      WECOM_KF_SECRET: 'kfSecretFromTheAdmin_0123456789',
      WECOM_KF_TOKEN: 'kfToken123',
      // Not .dev.vars.example's made-up key: setup refuses that one.
      WECOM_KF_ENCODING_AES_KEY: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
    }
    const on = scriptedIo()
    expect(await runSetup(options({ yes: true, env: { ...SECRETS, ...wecom }, skipDeploy: true }), cf.runner, on)).toBe(0)
    expect(readFileSync(config, 'utf8')).toContain('WECOM_CORPID = "ww0123456789abcdef"')
    expect(cf.secrets.get('WECOM_KF_SECRET')).toBe(wecom.WECOM_KF_SECRET)
    expect(cf.secrets.get('WECOM_KF_TOKEN')).toBe(wecom.WECOM_KF_TOKEN)
    expect(cf.secrets.get('WECOM_KF_ENCODING_AES_KEY')).toBe(wecom.WECOM_KF_ENCODING_AES_KEY)
    expect(on.output.join('\n')).not.toContain(wecom.WECOM_KF_SECRET)

    const refused = scriptedIo()
    expect(await runSetup(options({ yes: true, env: { ...SECRETS, WECOM_KF_ENCODING_AES_KEY: 'short' } }), cf.runner, refused)).toBe(2)
    expect(refused.output.join('\n')).toContain('WECOM_KF_ENCODING_AES_KEY (from the environment) is not 43 base64 characters.')
  })

  it('stops at a failing deploy with its error, and a run after the fix resumes where it stopped', async () => {
    const cf = new StandIn()
    cf.failDeploy = true
    const io = scriptedIo([...ANSWERS])
    expect(await runSetup(options(), cf.runner, io)).toBe(1)
    const printed = io.output.join('\n')
    expect(printed).toContain('✘ wrangler deploy failed (exit status 1):')
    expect(printed).toContain('  ✘ [ERROR] Received a bad response from the API')
    expect(printed).toContain('Fix the cause, then run `npm run setup` again')
    expect(printed).not.toContain('\u001b[')
    expect(cf.rulesVersion).toBeNull()
    expect(changedLines()).toHaveLength(4)

    cf.failDeploy = false
    cf.calls = []
    const again = scriptedIo()
    expect(await runSetup(options(), cf.runner, again)).toBe(0)
    expect(again.questions).toEqual([])
    expect(cf.creates()).toEqual([])
    expect(cf.deploys).toBe(1)
    expect(cf.rulesVersion).toBe('v1')
  })

  it('creates the queue wrangler.toml names, counts one the account has as done, and stops before the deploy when Cloudflare refuses it otherwise', async () => {
    // Made by hand before: Cloudflare refuses a second one of the name, and setup goes on.
    const cf = new StandIn()
    cf.queues.push(QUEUE)
    const io = scriptedIo([...ANSWERS])
    expect(await runSetup(options(), cf.runner, io)).toBe(0)
    expect(io.output).toContain(`${step('Queue CAMPAIGNS')}"${QUEUE}" already exists; nothing to do`)
    expect(cf.queues).toEqual([QUEUE, WEBHOOK_QUEUE, MEDIA_QUEUE])
    expect(cf.deploys).toBe(1)

    // The account has not enabled Queues: the refusal is shown, and nothing after it runs.
    writeFileSync(config, original)
    const off = new StandIn()
    off.queuesEnabled = false
    const refused = scriptedIo([...ANSWERS])
    expect(await runSetup(options(), off.runner, refused)).toBe(1)
    const printed = refused.output.join('\n')
    expect(printed).toContain(`✘ wrangler queues create ${QUEUE} failed (exit status 1):`)
    expect(printed).toContain('  ✘ [ERROR] A request to the Cloudflare API (/accounts/acc123/queues) failed.')
    expect(printed).toContain(
      '  In order to use Queues, you must enable your account at https://dash.cloudflare.com/acc123/workers/queues. [code: 11002]',
    )
    expect(printed).not.toContain('already exists')
    expect(printed).not.toContain('\u001b[')
    expect(off.secrets.size).toBe(0)
    expect(off.deploys).toBe(0)
    // Once enabled, a run picks up from there (the ids written are kept; what came after is asked again).
    off.queuesEnabled = true
    off.calls = []
    expect(await runSetup(options(), off.runner, scriptedIo([...ANSWERS]))).toBe(0)
    // The bucket comes after the queue: it was not reached either.
    expect(off.creates().filter((c) => c.includes('create'))).toEqual([
      `queues create ${QUEUE}`,
      `queues create ${WEBHOOK_QUEUE}`,
      `queues create ${MEDIA_QUEUE}`,
      `r2 bucket create ${BUCKET}`,
    ])
    expect(off.queues).toEqual([QUEUE, WEBHOOK_QUEUE, MEDIA_QUEUE])
    expect(off.deploys).toBe(1)

    // The name is wrangler.toml's.
    writeFileSync(
      config,
      original.replace(`binding = "CAMPAIGNS"\nqueue = "${QUEUE}"`, 'binding = "CAMPAIGNS"\nqueue = "kefu-staging-campaigns"'),
    )
    const staging = new StandIn()
    expect(await runSetup(options(), staging.runner, scriptedIo([...ANSWERS]))).toBe(0)
    expect(staging.queues).toEqual(['kefu-staging-campaigns', WEBHOOK_QUEUE, MEDIA_QUEUE])

    // No CAMPAIGNS producer: refused before any command runs.
    writeFileSync(config, original.replace('binding = "CAMPAIGNS"\n', ''))
    const none = new StandIn()
    const missing = scriptedIo([...ANSWERS])
    expect(await runSetup(options(), none.runner, missing)).toBe(2)
    expect(missing.output.join('\n')).toContain('wrangler.toml has no [[queues.producers]] with binding = "CAMPAIGNS"')
    expect(none.calls).toEqual([])
  })

  it('creates the MEDIA bucket wrangler.toml names, counts one the account has as done, and stops before the deploy when R2 is not enabled', async () => {
    const cf = new StandIn()
    cf.buckets.push(BUCKET)
    const io = scriptedIo([...ANSWERS])
    expect(await runSetup(options(), cf.runner, io)).toBe(0)
    expect(io.output).toContain(`${step('R2 bucket MEDIA')}"${BUCKET}" already exists; nothing to do`)
    expect(cf.buckets).toEqual([BUCKET])
    expect(cf.deploys).toBe(1)

    writeFileSync(config, original)
    const off = new StandIn()
    off.r2Enabled = false
    const refused = scriptedIo([...ANSWERS])
    expect(await runSetup(options(), off.runner, refused)).toBe(1)
    const printed = refused.output.join('\n')
    expect(printed).toContain(`✘ wrangler r2 bucket create ${BUCKET} failed (exit status 1):`)
    expect(printed).toContain('  Please enable R2 through the Cloudflare Dashboard. [code: 10042]')
    expect(printed).not.toContain('\u001b[')
    expect(off.secrets.size).toBe(0)
    expect(off.deploys).toBe(0)
    off.r2Enabled = true
    off.calls = []
    expect(await runSetup(options(), off.runner, scriptedIo([...ANSWERS]))).toBe(0)
    expect(off.buckets).toEqual([BUCKET])

    // No MEDIA bucket in wrangler.toml: refused before any command runs.
    writeFileSync(config, original.replace('binding = "MEDIA"\n', ''))
    const none = new StandIn()
    const missing = scriptedIo([...ANSWERS])
    expect(await runSetup(options(), none.runner, missing)).toBe(2)
    expect(missing.output.join('\n')).toContain('wrangler.toml has no [[r2_buckets]] with binding = "MEDIA"')
    expect(none.calls).toEqual([])
  })

  it('replaces a token file that was readable by others, and puts no generated token it could not keep', async () => {
    // Left by hand with wider permissions: replaced by a file for its owner only.
    writeFileSync(join(dir, '.admin-token'), 'old\n', { mode: 0o644 })
    const cf = new StandIn()
    expect(
      await runSetup(options({ yes: true, appid: APPID, env: { ...SECRETS, ADMIN_TOKEN: '' }, skipDeploy: true }), cf.runner, scriptedIo()),
    ).toBe(0)
    expect(adminTokenIn('.admin-token')).toBe(cf.secrets.get('ADMIN_TOKEN'))

    // Where the file cannot be written, the generated token is not put: nobody could ever read it.
    rmSync(join(dir, '.admin-token'))
    mkdirSync(join(dir, '.admin-token'))
    writeFileSync(config, original)
    const blocked = new StandIn()
    const io = scriptedIo()
    expect(
      await runSetup(options({ yes: true, appid: APPID, env: { ...SECRETS, ADMIN_TOKEN: '' }, skipDeploy: true }), blocked.runner, io),
    ).toBe(1)
    expect(io.output.join('\n')).toContain('Cannot write the generated ADMIN_TOKEN to .admin-token (')
    expect(blocked.secrets.has('ADMIN_TOKEN')).toBe(false)
    expect(blocked.deploys).toBe(0)
  })

  it('tells a user who is not logged in to run wrangler login, and does nothing else', async () => {
    const cf = new StandIn()
    cf.loggedIn = false
    const io = scriptedIo([...ANSWERS])
    expect(await runSetup(options(), cf.runner, io)).toBe(1)
    expect(io.output).toContain(
      'Not logged in to Cloudflare: run `npx wrangler login` (or set CLOUDFLARE_API_TOKEN), then `npm run setup` again.',
    )
    expect(cf.calls.map((c) => c.args.join(' '))).toEqual(['whoami --json'])
    expect(io.questions).toEqual([])
  })

  it('with another --config passes it to wrangler and leaves the rules to rules:push', async () => {
    copyFileSync(config, join(dir, 'staging.toml'))
    const cf = new StandIn()
    const io = scriptedIo([...ANSWERS])
    expect(await runSetup(options({ config: 'staging.toml' }), cf.runner, io)).toBe(0)
    expect(cf.calls.every((c) => c.tool === 'wrangler' && c.args.slice(-2).join(' ') === `--config ${join(dir, 'staging.toml')}`)).toBe(
      true,
    )
    expect(readFileSync(config, 'utf8')).toBe(original)
    expect(io.output).toContain(
      `${step('rules')}skipped: rules:push publishes to the RULES namespace of wrangler.toml, not of staging.toml`,
    )
    // Another Worker, another token: its own file, wrangler.toml's left alone.
    expect(adminTokenIn('.admin-token-staging')).toBe(cf.secrets.get('ADMIN_TOKEN'))
    expect(existsSync(join(dir, '.admin-token'))).toBe(false)
    expect(io.output).toContain(
      '  To replace it: npx wrangler secret put ADMIN_TOKEN --config staging.toml (then delete .admin-token-staging).',
    )
  })
})

describe('the command line', () => {
  function setup(...args: string[]) {
    return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/setup.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 })
  }

  it('prints its flags', () => {
    const result = setup('--help')
    expect(result.status).toBe(0)
    for (const flag of ['--appid', '--yes', '--reset-secrets', '--skip-deploy', '--config']) expect(result.stdout).toContain(flag)
  })

  it('refuses a bad AppID and an unknown flag before running anything', () => {
    const bad = setup('--yes', '--appid', 'wxTooShort', '--config', config)
    expect(bad.status).toBe(2)
    expect(bad.stdout).toContain('WECHAT_APPID (--appid) "wxTooShort" is not an AppID')
    expect(readFileSync(config, 'utf8')).toBe(original)
    const unknown = setup('--app-id', APPID)
    expect(unknown.status).toBe(2)
    expect(unknown.stderr).toContain("Unknown option '--app-id'")
  })
})

describe('wrangler.toml edits', () => {
  it('change only the value, keeping spacing, a trailing comment and CRLF line ends', () => {
    const text = '# top\r\nname = "w"\r\n\r\n[vars]\r\n# the appid\r\nWECHAT_APPID   =  ""   # set by setup\r\nOTHER = "x"\r\n'
    const doc = new TomlDocument(text)
    const vars = doc.table('vars')
    if (!vars) throw new Error('no [vars]')
    expect(doc.set(vars, 'WECHAT_APPID', APPID)).toBe(true)
    expect(doc.toString()).toBe(text.replace('""', `"${APPID}"`))
    expect(doc.set(vars, 'WECHAT_APPID', APPID)).toBe(false)
    doc.set(vars, 'NEW', 'v')
    expect(doc.toString()).toContain('OTHER = "x"\r\nNEW = "v"\r\n')
  })

  it('find the array table by its key and are not fooled by values spanning lines', () => {
    const text = [
      'crons = [',
      '  "[[kv_namespaces]]",',
      '  # id = "no"',
      ']',
      "notes = '''",
      '[[kv_namespaces]]',
      'binding = "RULES"',
      "'''",
      '[[kv_namespaces]]',
      "binding = 'CACHE'",
      'id = "c"',
      '',
      '[[kv_namespaces]] # the rules',
      'binding = "RULES"',
      'id = "r" # keep',
      '',
      '[env.staging]',
      '[[env.staging.kv_namespaces]]',
      'binding = "RULES"',
      'id = "s"',
    ].join('\n')
    const doc = new TomlDocument(text)
    const rules = doc.table('kv_namespaces', { key: 'binding', value: 'RULES' })
    if (!rules) throw new Error('no RULES table')
    expect(doc.get(rules, 'id')).toBe('r')
    const cache = doc.table('kv_namespaces', { key: 'binding', value: 'CACHE' })
    if (!cache) throw new Error('no CACHE table')
    expect(doc.get(cache, 'id')).toBe('c')
    doc.set(rules, 'id', 'new')
    expect(doc.toString()).toBe(text.replace('id = "r" # keep', 'id = "new" # keep'))
    expect(doc.get(doc.root(), 'crons')).toBeUndefined()
  })
})

interface RawConfig {
  kv_namespaces?: { binding: string; id?: string }[]
  d1_databases?: { binding: string; database_name?: string; database_id?: string }[]
  vars?: Record<string, unknown>
}

/** The file as wrangler reads it. */
async function readRawConfig(path: string): Promise<RawConfig> {
  const wrangler: { experimental_readRawConfig(args: { config: string }): { rawConfig: RawConfig } } = await import('wrangler')
  return wrangler.experimental_readRawConfig({ config: path }).rawConfig
}
