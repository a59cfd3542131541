/**
 * Cold start, both ways (issue 33: "split the console out of the push path's bundle if it
 * grows — measure cold start both ways"): the time from starting workerd to its first answer
 * for
 * - `deployed`: the Worker as `npm run deploy` uploads it (the project's wrangler.toml);
 * - `pushOnly`: the push path alone (bench/push-only: src/index.ts without the console and the
 *   admin API), what this Worker would be if those two moved to a Worker of their own;
 * - `empty`: a Worker that only answers 404, the floor of starting workerd at all.
 *
 * Each bundle is built by `wrangler deploy --dry-run` from its config and run by the workerd
 * binary Wrangler itself uses, with no Miniflare or proxy in between, and asked for a path
 * none of them has (a 404 that touches no binding). workerd reads, compiles and runs every
 * module of a Worker when it starts (measured: a module never imported still costs its share),
 * so the time over `empty` is what the script costs. The three alternate, `rounds` times each;
 * medians. On Cloudflare an isolate starts from cached compiled code, so the absolute times
 * there are smaller; the ratio is what this measures.
 */
import { spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { dryRunBuild } from './bundle'
import { freePort, sleep } from './processes'
import { median } from './timing'

const ROOT = resolve(import.meta.dirname, '..')
/** The workerd binary of the Wrangler in node_modules: its `workerd` package's default export is the path. */
const WORKERD = (createRequire(join(ROOT, 'node_modules', 'wrangler', 'package.json'))('workerd') as { default: string }).default

const EMPTY_WORKER = 'export default { fetch() { return new Response("not found", { status: 404 }) } }\n'

export type ColdStartCase = 'deployed' | 'pushOnly' | 'empty'

export interface ColdStartMeasure {
  rawBytes: number
  gzipBytes: number
  /** Median ms from spawning workerd to the first answer. */
  medianMs: number
  /** Every round's ms, in order. */
  runsMs: number[]
}

export interface ColdStartResult {
  rounds: number
  cases: Record<ColdStartCase, ColdStartMeasure>
}

/** The bundle of a config, built into `dir`: the one .js file. */
function buildInto(dir: string, config: string): string {
  dryRunBuild(dir, { config })
  const js = readdirSync(dir).find((name) => name.endsWith('.js'))
  if (js === undefined) throw new Error(`wrangler wrote no .js into ${dir}`)
  return js
}

/** A workerd config serving one ES module on `port`. */
function capnp(moduleFile: string, port: number): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ]
);
const w :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "${moduleFile}") ],
  compatibilityDate = "2026-04-20",
);
`
}

/** Asks `url` until something answers (workerd is starting), checking `alive` between tries. */
async function firstResponse(url: string, alive: () => void): Promise<Response> {
  for (;;) {
    try {
      const response = await fetch(url)
      await response.arrayBuffer()
      return response
    } catch {
      alive()
      await sleep(1)
    }
  }
}

/** Starts workerd on `config` and returns the ms until it answers; it is killed before returning. */
async function timeFirstAnswer(dir: string, name: string): Promise<number> {
  const port = await freePort()
  const config = join(dir, `${name}.capnp`)
  writeFileSync(config, capnp(`${name}.js`, port))
  const started = performance.now()
  const child = spawn(WORKERD, ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  try {
    const response = await firstResponse(`http://127.0.0.1:${port}/kefu-edge-cold-start`, () => {
      if (child.exitCode !== null) throw new Error(`workerd stopped on ${name}: ${stderr.slice(0, 500)}`)
    })
    const ms = performance.now() - started
    if (response.status !== 404) throw new Error(`${name}: expected 404, got ${response.status}`)
    return ms
  } finally {
    child.kill('SIGKILL')
    if (child.exitCode === null) await new Promise((done) => child.once('exit', done))
  }
}

/** `deployed`: the project's bundle as runBundle built it (the push path alone is built here). */
export async function runColdStart(deployed: Uint8Array, rounds = 15): Promise<ColdStartResult> {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-cold-start-'))
  try {
    const pushOnlyDir = join(dir, 'push-only')
    writeFileSync(join(dir, 'deployed.js'), deployed)
    copyFileSync(join(pushOnlyDir, buildInto(pushOnlyDir, join(ROOT, 'bench', 'push-only', 'wrangler.toml'))), join(dir, 'pushOnly.js'))
    writeFileSync(join(dir, 'empty.js'), EMPTY_WORKER)
    const names: ColdStartCase[] = ['deployed', 'pushOnly', 'empty']
    const runs: Record<ColdStartCase, number[]> = { deployed: [], pushOnly: [], empty: [] }
    // One untimed start each: the first reads the binary and the files from disk.
    for (const name of names) await timeFirstAnswer(dir, name)
    for (let round = 0; round < rounds; round++) for (const name of names) runs[name].push(await timeFirstAnswer(dir, name))
    const measure = (name: ColdStartCase): ColdStartMeasure => {
      const code = readFileSync(join(dir, `${name}.js`))
      return { rawBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length, medianMs: median(runs[name]), runsMs: runs[name] }
    }
    return { rounds, cases: { deployed: measure('deployed'), pushOnly: measure('pushOnly'), empty: measure('empty') } }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
