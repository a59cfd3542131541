/**
 * The service as `npm start` runs it (the WeChat API stand-in, local KV with the example
 * rules, local D1, wrangler dev) on free ports with a fresh --persist-to folder, its settings
 * from the checkout's .dev.vars (made from .dev.vars.example when absent).
 *
 * Started once for the whole node project by test/node/shared-service.setup.ts (a Vitest
 * globalSetup), on the first `sharedService()` call of a test file (test/node/browser.ts):
 * wrangler dev takes seconds of CPU to start, a request a few milliseconds. No Vitest import
 * here: the globalSetup loads this file in Vitest's own process.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const root = join(import.meta.dirname, '..', '..')

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where test files ask the node project's globalSetup for the shared `npm start` (GET /service). */
    sharedServiceControl: string
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** What a test file needs of the service: where it is and how to sign in. */
export interface ServiceAddress {
  /** The Worker, as `npm start` prints the console's address: http://localhost:<port>. */
  url: string
  /** The WeChat API stand-in (its /__fake control routes). */
  api: string
  /** The local ADMIN_TOKEN `npm start` printed. */
  token: string
}

export interface LocalService extends ServiceAddress {
  /** Everything `npm start` printed so far. */
  output(): string
  stop(): Promise<void>
}

/**
 * `npm start` on free ports with a fresh --persist-to folder; resolves once it printed the
 * console's URL and the token. `extraVars` are added to .dev.vars.example's values in a settings
 * file of this service's own (a second service beside the shared one, e.g. HUMAN_DESK=console);
 * without them the checkout's .dev.vars serves, as for `npm start`.
 */
export async function startLocal(extraVars: Record<string, string> = {}): Promise<LocalService> {
  const [port, apiPort, llmPort, inspectorPort] = await Promise.all([freePort(), freePort(), freePort(), freePort()])
  const state = mkdtempSync(join(tmpdir(), 'kefu-browser-'))
  const own = Object.keys(extraVars).length > 0
  const devVars = join(state, '.dev.vars')
  if (own) {
    const example = readFileSync(join(root, '.dev.vars.example'), 'utf8')
    writeFileSync(
      devVars,
      `${example.trimEnd()}\n${Object.entries(extraVars)
        .map(([name, value]) => `${name}=${value}\n`)
        .join('')}`,
    )
  }
  const start: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/start.ts',
      '--port',
      String(port),
      '--api-port',
      String(apiPort),
      '--inspector-port',
      String(inspectorPort),
      '--persist-to',
      join(state, 'state'),
      // A second service beside the shared one: its own settings, and a model stand-in of its own.
      ...(own ? ['--dev-vars', devVars, '--llm-port', String(llmPort)] : []),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  )
  let output = ''
  start.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  start.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const url = `http://localhost:${port}`
  const stop = async () => {
    if (start.exitCode === null && start.pid) {
      const exited = new Promise((resolve) => start.once('exit', resolve))
      process.kill(-start.pid, 'SIGINT')
      await exited
    }
    rmSync(state, { recursive: true, force: true })
  }
  // npm start prints the console's URL, then the token on a line of its own: wait for both
  // (they can arrive in separate chunks).
  const TOKEN = /sign in with the local ADMIN_TOKEN from \S*\.dev\.vars: (\S+)/
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (output.includes(`Console: ${url}/admin`) && TOKEN.test(output)) {
          clearInterval(timer)
          resolve()
        }
      }, 100)
      start.once('exit', (code) => {
        clearInterval(timer)
        reject(new Error(`npm start exited (${code}):\n${output}`))
      })
    })
  } catch (error) {
    await stop()
    throw error
  }
  const token = TOKEN.exec(output)?.[1]
  if (!token) throw new Error(`npm start printed no ADMIN_TOKEN:\n${output}`)
  return { url, api: `http://127.0.0.1:${apiPort}`, token, output: () => output, stop }
}
