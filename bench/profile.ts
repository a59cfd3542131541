/**
 * A CPU profile of the Worker under load (issue 33): V8's sampling profiler in workerd,
 * through `wrangler dev`'s inspector (the Chrome DevTools protocol), started before the load
 * and stopped after it. Locally the Worker and its Durable Objects share one isolate, so one
 * profile sees the route, the Conversation objects and the record together.
 *
 * Each sample's self time is charged to the source file its function came from — the bundle's
 * source map (wrangler dev writes one beside the bundle) turns a bundle position into
 * `src/…`, `node_modules/hono/…` — or to V8's own rows: `(garbage collector)`, `(program)`
 * (the runtime outside JavaScript: workerd's I/O, SQLite, crypto) and `(idle)`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { type SourceMapPayload, type SourceOrigin, SourceMap } from 'node:module'
import { fileURLToPath } from 'node:url'
import { relative, resolve } from 'node:path'
import { WebSocketClient } from './ws'

const ROOT = resolve(import.meta.dirname, '..')

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
  columnNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  hitCount?: number
  children?: number[]
}
export interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples?: number[]
  timeDeltas?: number[]
  /** Each script's source map, by the script's URL (not V8's: read from the bundle while it existed). */
  sourceMaps?: Record<string, SourceMapPayload>
}

export interface ProfileRow {
  /** A source file (`src/wechat/crypto.ts`), a package, or one of V8's own rows. */
  where: string
  /** Self time, ms, and its share of the profile's busy (non-idle) time. */
  selfMs: number
  sharePct: number
  /** The functions there that took the most self time. */
  top: string[]
}

export interface ProfileSummary {
  /** Profile length, ms, and the part not idle. */
  wallMs: number
  busyMs: number
  rows: ProfileRow[]
  /** Where the raw profile was written (open it in Chrome DevTools), if it was. */
  file?: string
}

/** Starts V8's profiler in the Worker's isolate; the returned function stops it and gives the profile. */
export async function startProfile(inspectorPort: number, intervalUs = 200): Promise<() => Promise<CpuProfile>> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as { webSocketDebuggerUrl?: string }[]
  const url = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl
  if (!url) throw new Error(`no inspector target on port ${inspectorPort}`)
  const socket = new WebSocketClient(url, { maxPayload: 1024 * 1024 * 1024 })
  const sourceMaps = new Map<string, string>()
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  let next = 0
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString('utf8')) as {
      id?: number
      result?: unknown
      error?: { message: string }
      method?: string
      params?: { url?: string; sourceMapURL?: string }
    }
    if (message.method === 'Debugger.scriptParsed' && message.params?.url && message.params.sourceMapURL)
      sourceMaps.set(message.params.url, message.params.sourceMapURL)
    const waiter = message.id === undefined ? undefined : pending.get(message.id)
    if (!waiter || message.id === undefined) return
    pending.delete(message.id)
    if (message.error) waiter.reject(new Error(message.error.message))
    else waiter.resolve(message.result)
  })
  await new Promise<void>((resolve, reject) => {
    socket.on('open', resolve)
    socket.on('error', reject)
  })
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++next
      pending.set(id, { resolve, reject })
      socket.send(JSON.stringify({ id, method, params }))
    })
  // The Debugger tells each script's source map (wrangler dev's bundle has one), read before the stop.
  await call('Debugger.enable')
  await call('Profiler.enable')
  await call('Profiler.setSamplingInterval', { interval: intervalUs })
  await call('Profiler.start')
  return async () => {
    const { profile } = (await call('Profiler.stop')) as { profile: CpuProfile }
    socket.close()
    // Read now: wrangler dev removes its bundle when it stops.
    const maps: Record<string, SourceMapPayload> = {}
    for (const [script, mapUrl] of sourceMaps) {
      try {
        const path = fileURLToPath(new URL(mapUrl, script))
        maps[script] = JSON.parse(readFileSync(path, 'utf8')) as SourceMapPayload
      } catch {
        // No map (a data: URL, or gone): its frames are charged to the script itself.
      }
    }
    return { ...profile, sourceMaps: maps }
  }
}

/** Self time by source file, busiest first; `file` keeps the raw profile. */
export function summarizeProfile(profile: CpuProfile, file?: string): ProfileSummary {
  if (file) {
    const { sourceMaps: _maps, ...raw } = profile
    writeFileSync(file, JSON.stringify(raw))
  }
  const selfUs = new Map<number, number>()
  const samples = profile.samples ?? []
  const deltas = profile.timeDeltas ?? []
  // A sample's time is the gap to the next one (V8's own convention in DevTools).
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i]!
    selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i + 1] ?? 0))
  }
  const maps = new SourceMaps(profile.sourceMaps ?? {})
  const byWhere = new Map<string, { us: number; functions: Map<string, number> }>()
  let idleUs = 0
  const parents = new Map<number, ProfileNode>()
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node)
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0
    if (us === 0) continue
    let { where, name } = maps.locate(node.callFrame)
    // A built-in is charged with the file that called it: SQLite's exec from the window store
    // is not SQLite's exec from the outbox.
    const parent = parents.get(node.id)
    if (where.startsWith('native ') && parent) where = `${where} ← ${maps.locate(parent.callFrame).where}`
    if (where === '(idle)') idleUs += us
    const entry = byWhere.get(where) ?? { us: 0, functions: new Map<string, number>() }
    entry.us += us
    entry.functions.set(name, (entry.functions.get(name) ?? 0) + us)
    byWhere.set(where, entry)
  }
  const wallUs = profile.endTime - profile.startTime
  const busyUs = Math.max(1, wallUs - idleUs)
  const rows = [...byWhere.entries()]
    .filter(([where]) => where !== '(idle)')
    .sort((a, b) => b[1].us - a[1].us)
    .map(([where, { us, functions }]) => ({
      where,
      selfMs: us / 1000,
      sharePct: (100 * us) / busyUs,
      top: [...functions.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([name]) => name),
    }))
  return { wallMs: wallUs / 1000, busyMs: busyUs / 1000, rows, ...(file ? { file } : {}) }
}

/** Bundle positions → original files, through each script's source map. */
class SourceMaps {
  private readonly maps = new Map<string, SourceMap | null>()

  constructor(private readonly payloads: Record<string, SourceMapPayload>) {}

  locate(frame: CallFrame): { where: string; name: string } {
    const name = frame.functionName || '(anonymous)'
    if (name.startsWith('(') && frame.url === '') return { where: name, name }
    // A built-in (SQLite's exec, setAlarm, a Response's text): its own row, by name.
    if (frame.url === '') return { where: `native ${name}`, name }
    const map = this.mapOf(frame.url)
    // The profile's positions are 0-based; findOrigin takes them 1-based.
    const origin: Partial<SourceOrigin> = map?.findOrigin(frame.lineNumber + 1, frame.columnNumber + 1) ?? {}
    if (!origin.fileName) return { where: shortPath(frame.url), name }
    // The bundle is minified: the original name where the map has one, else file:line.
    return { where: shortPath(origin.fileName), name: origin.name || `${name}@${origin.lineNumber ?? '?'}` }
  }

  /** A frame's URL is the script's as V8 names it, sometimes only its file name. */
  private mapOf(url: string): SourceMap | null {
    if (this.maps.has(url)) return this.maps.get(url) ?? null
    const script = Object.keys(this.payloads).find((known) => known === url || known.endsWith(`/${url}`))
    const map = script === undefined ? null : new SourceMap(this.payloads[script]!)
    this.maps.set(url, map)
    return map
  }
}

/** `src/…` for the project's files, `hono/…` for a package's, the file name otherwise. */
function shortPath(source: string): string {
  // A map's sources are relative to the bundle's directory (.wrangler/tmp/dev-…/): from the project root.
  const path = (source.startsWith('file:') ? fileURLToPath(source) : source).replace(/^(\.\.\/)+/, '')
  const modules = path.lastIndexOf('node_modules/')
  if (modules >= 0) return path.slice(modules + 'node_modules/'.length)
  const local = relative(ROOT, resolve(path))
  return local.startsWith('..') ? path : local
}
