/**
 * Child processes for the end-to-end section: free ports, services started in their own
 * process group (wrangler starts workerd beneath it) and stopped by group id, readiness
 * polling, and a last-resort cleanup on exit or signal so nothing is left running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..')
export const WRANGLER = join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js')

const running = new Set<Service>()

export interface Service {
  name: string
  child: ChildProcess
  logFile: string
  /** `wrangler dev`'s inspector (Chrome DevTools protocol), for a CPU profile. */
  inspectorPort?: number
  stop(): Promise<void>
}

/** A port the OS says is free right now (bound to 0 and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
}

export interface StartOptions {
  name: string
  command: string
  args: string[]
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** stdout and stderr go here (for reading when something fails). */
  logFile: string
}

export interface WranglerDevOptions {
  name: string
  port: number
  /** Local KV and Durable Object state. */
  persistTo: string
  logFile: string
  /** A wrangler.toml other than the project's. */
  config?: string
  /** `--var NAME:value` for each. */
  vars?: Record<string, string>
}

/** `wrangler dev` on loopback with its own inspector port, no prompts and no telemetry. */
export async function startWranglerDev(options: WranglerDevOptions): Promise<Service> {
  const args = [WRANGLER, 'dev', ...(options.config ? ['--config', options.config] : [])]
  const inspectorPort = await freePort()
  args.push('--ip', '127.0.0.1', '--port', String(options.port), '--inspector-port', String(inspectorPort))
  args.push('--persist-to', options.persistTo, '--show-interactive-dev-session=false')
  // Only the settings given here: a developer's .dev.vars (npm start writes one) never leaks in.
  args.push('--env-file', '/dev/null')
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push('--var', `${name}:${value}`)
  const service = startService({
    name: options.name,
    command: process.execPath,
    args,
    cwd: ROOT,
    env: { WRANGLER_SEND_METRICS: 'false', NO_UPDATE_NOTIFIER: '1', CI: '1' },
    logFile: options.logFile,
  })
  service.inspectorPort = inspectorPort
  return service
}

export function startService(options: StartOptions): Service {
  const fd = openSync(options.logFile, 'a')
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', fd, fd],
    // Its own process group: stopping the group also stops what it started (workerd).
    detached: true,
  })
  closeSync(fd)
  const service: Service = {
    name: options.name,
    child,
    logFile: options.logFile,
    stop: () => stopChild(service),
  }
  running.add(service)
  child.once('exit', () => running.delete(service))
  return service
}

async function stopChild(service: Service): Promise<void> {
  const { child } = service
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    running.delete(service)
    return
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  signalGroup(child.pid, 'SIGTERM')
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000).unref())
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    signalGroup(child.pid, 'SIGKILL')
    await exited
  }
  running.delete(service)
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // Already gone.
  }
}

/** Synchronous last resort (process 'exit' handlers cannot wait). */
export function killAllNow(): void {
  for (const service of running) {
    if (service.child.pid !== undefined) signalGroup(service.child.pid, 'SIGKILL')
  }
  running.clear()
}

let installed = false
/** Kill every started service when this process exits or is interrupted. */
export function installCleanup(): void {
  if (installed) return
  installed = true
  process.once('exit', killAllNow)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllNow()
      process.exit(130)
    })
  }
}

/** Polls `url` until it answers (any status below 500), or throws after `timeoutMs`. */
export async function waitForHttp(url: string, service: Service, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited early; see ${service.logFile}`)
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
      await response.arrayBuffer()
      if (response.status < 500) return
    } catch {
      // Not listening yet.
    }
    await sleep(250)
  }
  throw new Error(`${service.name} did not answer ${url} within ${timeoutMs} ms; see ${service.logFile}`)
}

/**
 * Reads what has arrived until `expected` items have, and the count stayed put `quietMs` (a
 * late duplicate shows), or nothing new came for 5 s (the rest is missing), or `deadlineMs`
 * passed. `read` gives what has arrived so far; its `size` is counted.
 */
export async function awaitArrivals<T extends { size: number }>(
  read: () => T | Promise<T>,
  expected: number,
  options: { intervalMs: number; quietMs?: number; deadlineMs?: number },
): Promise<T> {
  const deadline = Date.now() + (options.deadlineMs ?? Number.POSITIVE_INFINITY)
  let last = -1
  let stableSince = Date.now()
  for (;;) {
    const arrived = await read()
    if (arrived.size >= expected && Date.now() - stableSince > (options.quietMs ?? 500)) return arrived
    if (arrived.size !== last) {
      last = arrived.size
      stableSince = Date.now()
    } else if (Date.now() - stableSince > 5_000 || Date.now() > deadline) return arrived
    await sleep(options.intervalMs)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Runs a command to completion (for wrangler kv / deploy --dry-run); throws on failure. */
export function runToEnd(command: string, args: string[], cwd?: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: process.env })
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`)
  }
  return result.stdout
}
