/**
 * End to end on loopback, one run, three targets behind the same load:
 *
 * - kefu-edge under `wrangler dev` (rules/rules.json pushed into its local KV first);
 * - the floor Worker (bench/floor/) under `wrangler dev`;
 * - co-wechat on Koa (bench/peer/server.ts) in its own Node process.
 *
 * Each target gets its own appid, so the strict fake WeChat API (dev/fake-wechat.ts, its own
 * process) keeps their calls apart. Load: autocannon (programmatic) sends a fixed number of
 * distinct safe-mode XML pushes — a fresh MsgId and nonce each, spread over some thousands of
 * openids — pre-signed into a pool that `setupRequest` hands out one per request. Each push is
 * `订单 <id>`, which the `order` rule answers with `订单 <id> 已收到…` (the floor echoes the
 * nonce, which is the same id), so every custom/send at the fake names its push. Time to
 * "success" is per request (send → response, as autocannon sees it); push → reply is send →
 * the fake's arrival timestamp (`receivedAt`). After the load the fake's calls are read back
 * and every push must have exactly one reply.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import autocannon from 'autocannon'
import type { FakeCall } from '../dev/fake-wechat-types'
import type { Cipher } from '../src/wechat/cipher'
import { importCipher } from '../src/wechat/cipher'
import { KEYS, signedPush, type SignedPush } from './fixtures'
import {
  awaitArrivals,
  freePort,
  installCleanup,
  runToEnd,
  startService,
  startWranglerDev,
  waitForHttp,
  type Service,
  WRANGLER,
} from './processes'
import { type ProfileSummary, startProfile, summarizeProfile } from './profile'
import { percentile } from './timing'

export type TargetName = 'kefu-edge' | 'floor' | 'co-wechat'
export const TARGETS: TargetName[] = ['kefu-edge', 'floor', 'co-wechat']

const APPIDS: Record<TargetName, string> = {
  'kefu-edge': 'wxbenchkefu0000001',
  floor: 'wxbenchfloor000001',
  'co-wechat': 'wxbenchpeer0000001',
}
const SEND_PATH = '/cgi-bin/message/custom/send'
const ROOT = resolve(import.meta.dirname, '..')

export interface E2eOptions {
  /** Measured pushes per target. */
  pushes: number
  /** Distinct openids the pushes are spread over. */
  openids: number
  connections: number
  /** Pushes sent (and their replies awaited) before measuring: warm isolates, a token. */
  warmup: number
  /** Only these targets (default all). */
  targets?: TargetName[]
  /**
   * Runs per target, the targets alternating (kefu-edge, floor, … then again), each on fresh
   * state; each target's row is its median run by pushes/s (default 1).
   */
  pairs?: number
  /** A CPU profile of kefu-edge's first measured load, the raw profile written to this path. */
  profile?: string
}

export interface E2eRow {
  target: TargetName
  pushes: number
  connections: number
  durationS: number
  pushesPerSec: number
  /** Send → "success" (or co-wechat's empty 200), ms. */
  successP50Ms: number
  successP99Ms: number
  /** autocannon's own latency percentiles (integer ms), for cross-checking. */
  autocannonP50Ms: number
  autocannonP99Ms: number
  /** Send → the reply's arrival at the fake, ms. */
  replyP50Ms: number
  replyP99Ms: number
  replyMaxMs: number
  /** Pushes with exactly one reply at the fake. */
  repliedOnce: number
  missing: number
  duplicated: number
  /** Replies the fake answered with an errcode other than 0. */
  replyErrors: number
  /** Every run's pushes/s (more than one with `pairs`); this row is the median run. */
  runsPushesPerSec: number[]
  badAnswers: number
  errors: number
  timeouts: number
}

interface Target {
  service: Service
  url: string
}

interface PushContext {
  id?: number
  sentAt?: number
}

export async function runE2e(options: E2eOptions): Promise<{ rows: E2eRow[]; profile: ProfileSummary | null }> {
  installCleanup()
  const dir = mkdtempSync(join(tmpdir(), 'kefu-bench-'))
  const services: Service[] = []
  let profile: ProfileSummary | null = null
  try {
    const fakePort = await freePort()
    const fake = startService({
      name: 'fake-wechat',
      command: process.execPath,
      args: ['--import', 'tsx', join(ROOT, 'dev', 'fake-wechat.ts'), String(fakePort)],
      cwd: ROOT,
      logFile: join(dir, 'fake-wechat.log'),
    })
    services.push(fake)
    const fakeUrl = `http://127.0.0.1:${fakePort}`
    await waitForHttp(`${fakeUrl}/__fake/health`, fake)

    const runs = new Map<TargetName, E2eRow[]>()
    const targets = options.targets ?? TARGETS
    for (let pair = 0; pair < (options.pairs ?? 1); pair++) {
      for (const [index, name] of targets.entries()) {
        const target = await startTarget(name, join(dir, `run-${pair}`), fakeUrl)
        services.push(target.service)
        try {
          const cipher = await importCipher(KEYS.encodingAesKey, APPIDS[name])
          // Each run its own ids: the fake's calls are told apart by the id in each reply.
          const base = 100_000_000 + (pair * targets.length + index) * 10_000_000
          // Warm-up: isolates, Durable Object code, the access token, Node's JIT in the peer.
          const warm = await pushPool(name, cipher, base, options.warmup, options.openids)
          await load(target.url, warm, Math.min(options.connections, options.warmup))
          await awaitReplies(fakeUrl, name, warm.length, base)
          const pool = await pushPool(name, cipher, base + 1_000_000, options.pushes, options.openids)
          const profiling = options.profile && name === 'kefu-edge' && pair === 0 && target.service.inspectorPort
          const stop = profiling ? await startProfile(target.service.inspectorPort!) : null
          const result = await load(target.url, pool, options.connections)
          const replies = await awaitReplies(fakeUrl, name, options.pushes, base + 1_000_000)
          if (stop && options.profile) profile = summarizeProfile(await stop(), options.profile)
          runs.set(name, [...(runs.get(name) ?? []), summarize(name, options, result, replies)])
        } finally {
          await target.service.stop()
        }
      }
    }
    const rows = targets.map((name) => {
      const list = [...(runs.get(name) ?? [])].sort((a, b) => a.pushesPerSec - b.pushesPerSec)
      const middle = list[Math.floor((list.length - 1) / 2)]!
      return { ...middle, runsPushesPerSec: (runs.get(name) ?? []).map((r) => r.pushesPerSec) }
    })
    return { rows, profile }
  } finally {
    for (const service of services) await service.stop()
    // BENCH_KEEP=1 keeps the services' logs and state for a look after the run.
    if (process.env.BENCH_KEEP) console.log(`kept ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

async function startTarget(name: TargetName, dir: string, fakeUrl: string): Promise<Target> {
  mkdirSync(dir, { recursive: true })
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const appid = APPIDS[name]
  const logFile = join(dir, `${name}.log`)
  if (name === 'co-wechat') {
    const service = startService({
      name,
      command: process.execPath,
      args: ['--import', 'tsx', join(ROOT, 'bench', 'peer', 'server.ts')],
      cwd: ROOT,
      env: { PORT: String(port), WECHAT_API_BASE: fakeUrl, WECHAT_APPID: appid, NODE_ENV: 'production' },
      logFile,
    })
    await waitForHttp(`${url}/wechat`, service)
    return { service, url: `${url}/wechat` }
  }

  const persist = join(dir, `${name}-state`)
  if (name === 'kefu-edge') {
    // The example rule set into this run's local KV, as an operator would with rules:push,
    // and the D1 record's tables, as a deployment has them (without them every copy to D1
    // fails and is tried again, which is not what a push costs). BENCH_NO_D1=1 leaves them
    // out, to see what the record's copies cost (in this run's measurements: nothing visible).
    runToEnd(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'rules-push.ts'), '--local', '--persist-to', persist], ROOT)
    if (!process.env.BENCH_NO_D1)
      runToEnd(process.execPath, [WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist], ROOT)
  }
  const service = await startWranglerDev({
    name,
    port,
    persistTo: persist,
    logFile,
    config: name === 'floor' ? join(ROOT, 'bench', 'floor', 'wrangler.toml') : undefined,
    vars: {
      WECHAT_API_BASE: fakeUrl,
      WECHAT_APPID: appid,
      WECHAT_APPSECRET: KEYS.secret,
      WECHAT_TOKEN: KEYS.token,
      WECHAT_ENCODING_AES_KEY: KEYS.encodingAesKey,
    },
  })
  await waitForHttp(name === 'kefu-edge' ? `${url}/healthz` : url, service, 90_000)
  return { service, url: `${url}/wechat` }
}

interface PoolPush extends SignedPush {
  id: number
}

async function pushPool(name: TargetName, cipher: Cipher, base: number, count: number, openids: number): Promise<PoolPush[]> {
  const now = Math.floor(Date.now() / 1000)
  const tag = name.replace(/[^a-z]/g, '').slice(0, 8)
  const pool: PoolPush[] = []
  for (let i = 0; i < count; i++) {
    const id = base + i
    const push = await signedPush({
      openid: `oBench_${tag}_${String(i % openids).padStart(5, '0')}`,
      content: `订单 ${id}`,
      msgId: String(24_000_000_000_000_000n + BigInt(id)),
      format: 'xml',
      timestamp: now,
      nonce: String(id),
      cipher,
    })
    pool.push({ ...push, id })
  }
  return pool
}

interface LoadResult {
  result: autocannon.Result
  sentAt: Map<number, number>
  successMs: number[]
  badAnswers: number
  /** First send to last answer, ms (autocannon's own duration is coarse). */
  wallMs: number
}

/** Exactly `pool.length` requests, each push once, over `connections` keep-alive connections. */
async function load(url: string, pool: readonly PoolPush[], connections: number): Promise<LoadResult> {
  const sentAt = new Map<number, number>()
  const successMs: number[] = []
  let next = 0
  let badAnswers = 0
  let firstSent = Number.POSITIVE_INFINITY
  let lastAnswer = 0
  const parsed = new URL(url)
  const result = await autocannon({
    url: parsed.origin,
    connections,
    pipelining: 1,
    amount: pool.length,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        setupRequest: (request, context) => {
          const push = pool[next++ % pool.length]!
          const ctx = context as PushContext
          ctx.id = push.id
          ctx.sentAt = performance.timeOrigin + performance.now()
          sentAt.set(push.id, ctx.sentAt)
          firstSent = Math.min(firstSent, ctx.sentAt)
          return {
            ...request,
            method: 'POST',
            path: `${parsed.pathname}?${push.search}`,
            headers: { 'content-type': 'text/xml' },
            body: push.body,
          }
        },
        onResponse: (status, body, context) => {
          const ctx = context as PushContext
          lastAnswer = performance.timeOrigin + performance.now()
          if (ctx.sentAt !== undefined) successMs.push(lastAnswer - ctx.sentAt)
          if (status !== 200 || (body !== 'success' && body !== '')) badAnswers++
        },
      },
    ],
  })
  return { result, sentAt, successMs, badAnswers, wallMs: lastAnswer - firstSent }
}

interface Replies {
  /** id → arrival times of its replies at the fake. */
  arrivals: Map<number, number[]>
  errors: number
}

/** Polls the fake until `expected` pushes from `base` have replies, or nothing changes for 5 s. */
/** Polls the fake until `expected` pushes from `base` have replies, or nothing changes for 5 s. */
function awaitReplies(fakeUrl: string, name: TargetName, expected: number, base: number): Promise<Replies> {
  const read = async () => {
    const replies = await readReplies(fakeUrl, name, base, expected)
    return Object.assign(replies, { size: replies.arrivals.size })
  }
  return awaitArrivals(read, expected, { intervalMs: 250, deadlineMs: 60_000 })
}

async function readReplies(fakeUrl: string, name: TargetName, base: number, expected: number): Promise<Replies> {
  const query = new URLSearchParams({ appid: APPIDS[name], path: SEND_PATH })
  const response = await fetch(`${fakeUrl}/__fake/calls?${query}`)
  const { calls } = (await response.json()) as { calls: FakeCall[] }
  const arrivals = new Map<number, number[]>()
  let errors = 0
  for (const call of calls) {
    const id = replyId(call.body)
    if (id === null || id < base || id >= base + expected) continue
    if (call.errcode !== 0) {
      errors++
      continue
    }
    const list = arrivals.get(id) ?? []
    list.push(call.receivedAt)
    arrivals.set(id, list)
  }
  return { arrivals, errors }
}

function replyId(body: unknown): number | null {
  if (typeof body !== 'object' || body === null) return null
  const text = (body as { text?: { content?: unknown } }).text?.content
  if (typeof text !== 'string') return null
  const match = /(\d{6,})/.exec(text)
  return match ? Number(match[1]) : null
}

function summarize(name: TargetName, options: E2eOptions, load: LoadResult, replies: Replies): E2eRow {
  const { result } = load
  const replyMs: number[] = []
  let repliedOnce = 0
  let duplicated = 0
  for (const [id, sentAt] of load.sentAt) {
    const arrivals = replies.arrivals.get(id)
    if (!arrivals) continue
    if (arrivals.length === 1) repliedOnce++
    else duplicated++
    replyMs.push(Math.min(...arrivals) - sentAt)
  }
  const missing = options.pushes - replies.arrivals.size
  return {
    target: name,
    pushes: options.pushes,
    connections: options.connections,
    durationS: load.wallMs / 1000,
    pushesPerSec: result.requests.total / (load.wallMs / 1000),
    successP50Ms: percentile(load.successMs, 50),
    successP99Ms: percentile(load.successMs, 99),
    autocannonP50Ms: result.latency.p50,
    autocannonP99Ms: result.latency.p99,
    replyP50Ms: percentile(replyMs, 50),
    replyP99Ms: percentile(replyMs, 99),
    replyMaxMs: replyMs.length ? Math.max(...replyMs) : Number.NaN,
    repliedOnce,
    missing,
    duplicated,
    replyErrors: replies.errors,
    runsPushesPerSec: [],
    badAnswers: load.badAnswers,
    errors: result.errors,
    timeouts: result.timeouts,
  }
}
