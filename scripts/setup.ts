/**
 * `npm run setup`: the README's "Go live" in one command — KV namespaces and the D1 database
 * (their ids written into wrangler.toml), the campaigns queue, the R2 bucket of uploaded
 * images, the AppID, the secrets, the D1
 * migrations, the deploy and the rules. Safe to run again: each step does only what is
 * missing. The steps are in scripts/setup-steps.ts; this file reads flags and asks questions.
 */
import { createInterface, type Interface } from 'node:readline'
import { Writable } from 'node:stream'
import { parseArgs } from 'node:util'
import { DEFAULT_CONFIG, processRunner, runSetup, type SetupIo } from './setup-steps'

const USAGE = `npm run setup -- [flags]

Creates what kefu-edge needs on Cloudflare and deploys it; safe to run again (it does only
what is missing). Asks for what flags and the environment do not give.

  --appid <wx…>       the mini program's AppID (else wrangler.toml's, else asked)
  --yes, -y           never ask: secrets come from the environment (WECHAT_TOKEN,
                      WECHAT_ENCODING_AES_KEY, WECHAT_APPSECRET, ADMIN_TOKEN; an ADMIN_TOKEN
                      not given is generated and written to .admin-token, mode 600,
                      never printed)
  --reset-secrets     put every secret again, also those the Worker already has
  --skip-deploy       everything but \`wrangler deploy\`
  --config <path>     the Wrangler config to set up (default ${DEFAULT_CONFIG})
  --help, -h          this text

Log in first: npx wrangler login (or set CLOUDFLARE_API_TOKEN).`

let values: { appid?: string; yes?: boolean; 'reset-secrets'?: boolean; 'skip-deploy'?: boolean; config?: string; help?: boolean }
try {
  values = parseArgs({
    options: {
      appid: { type: 'string' },
      yes: { type: 'boolean', short: 'y' },
      'reset-secrets': { type: 'boolean' },
      'skip-deploy': { type: 'boolean' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values
} catch (error) {
  console.error(`setup: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`)
  process.exit(2)
}
if (values.help) {
  console.log(USAGE)
  process.exit(0)
}

const io = terminalIo()
const code = await runSetup(
  {
    cwd: process.cwd(),
    config: values.config ?? DEFAULT_CONFIG,
    ...(values.appid !== undefined ? { appid: values.appid } : {}),
    yes: values.yes ?? false,
    resetSecrets: values['reset-secrets'] ?? false,
    skipDeploy: values['skip-deploy'] ?? false,
    env: process.env,
  },
  processRunner(process.cwd()),
  io,
)
io.close()
process.exit(code)

/**
 * Questions on the terminal, one readline for the whole run (a piped stdin's lines are kept
 * for the next question). A secret's answer is not echoed: readline writes to a stream that
 * drops everything while it is asked.
 */
function terminalIo(): SetupIo & { close(): void } {
  const tty = process.stdin.isTTY === true
  let muted = false
  let rl: Interface | null = null
  const lines: string[] = []
  const waiting: ((line: string | null) => void)[] = []
  let ended = false

  function open(): Interface {
    if (rl) return rl
    const output = new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        if (!muted) process.stdout.write(chunk)
        done()
      },
    })
    const created = createInterface({ input: process.stdin, output, terminal: tty })
    created.on('line', (line) => {
      const next = waiting.shift()
      if (next) next(line)
      else lines.push(line)
    })
    created.on('close', () => {
      ended = true
      for (const next of waiting.splice(0)) next(null)
    })
    created.on('SIGINT', () => {
      process.stdout.write('\n')
      process.exit(130)
    })
    rl = created
    return created
  }

  return {
    log: (line) => console.log(line),
    ask(question, { secret }) {
      const reader = open()
      if (secret) {
        process.stdout.write(question)
        reader.setPrompt('')
        muted = true
      } else {
        reader.setPrompt(question)
        reader.prompt()
      }
      return new Promise((resolve) => {
        const answer = (line: string | null) => {
          muted = false
          // Neither a muted nor a piped answer ends its line on the screen.
          if (secret || !tty) process.stdout.write('\n')
          resolve(line)
        }
        const buffered = lines.shift()
        if (buffered !== undefined) answer(buffered)
        else if (ended) answer(null)
        else waiting.push(answer)
      })
    },
    close: () => rl?.close(),
  }
}
