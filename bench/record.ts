/**
 * What the D1 record costs (issue 13): per push, the statements the record adds and the CPU
 * to build them (`recordStatements`, in Node); over 100,000 stored messages, the latency of
 * the admin API's list, conversation, failed and stats queries against a local D1.
 *
 * The local D1 is the one `wrangler dev` gives (workerd's SQLite behind the D1 simulator), in
 * a temporary --persist-to directory, with migrations/ applied. The queries run inside the
 * bench Worker (bench/record-worker/) through src/record's own functions, as the routes call
 * them, and are timed there (see the Worker for why that clock is right). A local number has
 * no network in it: on Cloudflare each route's one D1 call (a query or one batch) also pays
 * the round trip from the Worker to the database.
 *
 * The data: 100,000 messages in and out over 14 days from 5,000 users (a few write a lot,
 * most a little), written with the statements a push writes (`writeRecord`), many pushes per
 * batch so the fill takes seconds. Seeded: every run stores the same rows, relative to now.
 */
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { unstable_splitSqlQuery } from 'wrangler'
import type { OutboxStatus as OutboundStatus } from '../src/conversation/contract'
import type { InboundEvent, OutboundEvent, RecordEvent, WindowEvent } from '../src/record/event'
import { recordStatements } from '../src/record/write'
import type { RecordCounts, RecordOp, TimeAnswer, TimeRequest, WriteAnswer } from './record-worker/worker'
import { generator, type Generator } from './rules'
import { freePort, installCleanup, startWranglerDev, type Service, waitForHttp } from './processes'
import { median, medianMs, percentile } from './timing'

const ROOT = resolve(import.meta.dirname, '..')
const CONFIG = join(ROOT, 'bench', 'record-worker', 'wrangler.toml')
const MIGRATIONS = join(ROOT, 'migrations')

const APPID = 'wxbench0000000000'
const DAY_MS = 24 * 60 * 60 * 1000
const WINDOW_MS = 48 * 60 * 60 * 1000
/** The admin API's default page size (src/admin/requests.ts DEFAULT_LIMIT). */
const PAGE = 50
const RULES_VERSION = '0123456789abcdef'
const CJK =
  '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机'

export interface RecordOptions {
  messages?: number
  users?: number
  days?: number
  /** Timed runs per query. */
  runs?: number
  /** Pushes per fill request (one D1 batch each). */
  fillChunk?: number
}

export interface RecordPushRow {
  case: string
  /** writeRecord calls per push. */
  batches: number
  events: number
  statements: number
  /** recordStatements for the whole push, µs, in Node. */
  cpuUs: number
  /** All the push's writeRecord calls against the filled local D1, ms: mean, median, p95. */
  writeMeanMs: number
  writeP50Ms: number
  writeP95Ms: number
}

export interface RecordQueryRow {
  op: RecordOp
  route: string
  /** Items the query returned (page rows; days + rules + questions for stats). */
  items: number
  /** D1's rows_read for one run: what D1 bills, the same on any machine. */
  rowsRead: number
  /** Over the whole loop of runs (finer than one run: workerd's clock moves in whole ms). */
  meanMs: number
  p50Ms: number
  p95Ms: number
  runs: number
}

export interface RecordResult {
  /** Always true: workerd's SQLite through the local D1 simulator, no network. */
  local: true
  messages: number
  pushes: number
  conversations: number
  questions: number
  ruleDays: number
  days: number
  dbBytes: number
  fillMs: number
  fillStatements: number
  pushRows: RecordPushRow[]
  queries: RecordQueryRow[]
}

/** What the routes serve, for the table. */
const QUERIES: readonly { op: RecordOp; route: string }[] = [
  { op: 'list', route: 'GET /admin/api/conversations' },
  { op: 'list-page-20', route: 'GET /admin/api/conversations?cursor=<page 19’s>' },
  { op: 'list-failed', route: 'GET /admin/api/conversations?filter=failed' },
  { op: 'list-unmatched', route: 'GET /admin/api/conversations?filter=unmatched' },
  { op: 'list-open', route: 'GET /admin/api/conversations?filter=open' },
  { op: 'conversation', route: 'GET /admin/api/conversations/:openid (busiest user)' },
  { op: 'failed', route: 'GET /admin/api/failed' },
  { op: 'stats-14', route: 'GET /admin/api/stats?days=14' },
  { op: 'stats-90', route: 'GET /admin/api/stats?days=90' },
]

// ---------------------------------------------------------------------------------------------
// Pushes as the Conversation object hands them to the record

interface Push {
  inbound: InboundEvent
  /** The reply's parts in their final state. */
  outbound: OutboundEvent[]
  /** The window after the push's sends. */
  window: WindowEvent
}

interface UserState {
  nextOutbox: number
  failed: number
}

/** Seeded pushes from `users` users over `days` days before `now`: skewed users, rules, questions. */
class PushMaker {
  readonly #g: Generator
  readonly #users: UserState[]
  readonly #questions: string[]
  #seq = 0

  constructor(
    seed: number,
    readonly users: number,
  ) {
    this.#g = generator(seed)
    this.#users = Array.from({ length: users }, () => ({ nextOutbox: 1, failed: 0 }))
    this.#questions = Array.from({ length: 2000 }, () => `请问${this.#g.pick(CJK, 4 + Math.floor(this.#g.random() * 12))}？`)
  }

  openid(user: number): string {
    return `oKefuBench${String(user).padStart(18, '0')}`
  }

  /** A push at `at` with a reply of `parts` parts (0 to 3), each `status` or a seeded mix. */
  make(at: number, parts: number, status?: OutboundStatus): Push {
    const { random, pick } = this.#g
    // r² skews towards the first users: a few write a lot, most a little.
    const user = Math.floor(this.users * random() ** 2)
    const state = this.#users[user]!
    const openid = this.openid(user)
    const seq = this.#seq++
    const kindRoll = random()
    const kind = kindRoll < 0.95 ? 'text' : kindRoll < 0.98 ? 'image' : 'user_enter_tempsession'
    const matched = kind !== 'text' || random() < 0.7
    const question = this.#questions[Math.floor(this.#questions.length * random() ** 3)]!
    const text =
      kind === 'text' ? (matched ? pick(CJK, 4 + Math.floor(random() * 40)) : question) : kind === 'image' ? '[图片]' : '[进入会话]'
    const ruleId = matched ? (kind === 'text' ? `r${Math.floor(200 * random() ** 2)}` : kind) : 'default'
    const key =
      kind === 'user_enter_tempsession'
        ? `event:${openid}:${Math.floor(at / 1000)}:${kind}`
        : `msg:${24_000_000_000_000_000n + BigInt(seq)}`
    const inbound: InboundEvent = {
      type: 'inbound',
      appid: APPID,
      openid,
      key,
      msgId: key.startsWith('msg:') ? key.slice(4) : null,
      kind,
      text,
      ruleId,
      rulesVersion: RULES_VERSION,
      unmatched: !matched,
      at,
    }
    const outbound: OutboundEvent[] = []
    let updatedAt = at + 150 + Math.floor(random() * 900)
    for (let part = 0; part < parts; part++) {
      const roll = random()
      const final: OutboundStatus = status ?? (roll < 0.96 ? 'sent' : roll < 0.99 ? 'failed' : 'pending')
      if (final === 'failed') state.failed++
      outbound.push({
        type: 'outbound',
        appid: APPID,
        openid,
        id: state.nextOutbox++,
        inboundKey: key,
        ruleId,
        part,
        replyType: part === 1 ? 'image' : 'text',
        text: part === 1 ? '[图片] https://example.com/a.png' : `回复：${pick(CJK, 10 + Math.floor(random() * 60))}`,
        status: final,
        errcode: final === 'failed' ? 45015 : null,
        reason: final === 'failed' ? 'window_closed: response out of time limit or subscription is canceled' : null,
        pushedAt: at,
        updatedAt,
        manual: false,
      })
      updatedAt += 80 + Math.floor(random() * 200)
    }
    const window: WindowEvent = {
      type: 'window',
      appid: APPID,
      openid,
      remaining: Math.max(0, 5 - parts),
      closesAt: at + WINDOW_MS,
      pending: outbound.filter((o) => o.status === 'pending').length,
      failed: state.failed,
      at: updatedAt,
    }
    return { inbound, outbound, window }
  }
}

/** One write after delivery: the push, its sends as they ended, the window. */
function oneBatch(push: Push): RecordEvent[][] {
  return [[push.inbound, ...push.outbound, push.window]]
}

/** As the object writes today: after the push is recorded (sends pending), then after delivery. */
function twoBatches(push: Push): RecordEvent[][] {
  const pending = push.outbound.map((o): OutboundEvent => ({ ...o, status: 'pending', errcode: null, reason: null, updatedAt: o.pushedAt }))
  const recorded: WindowEvent = { ...push.window, pending: pending.length, at: push.inbound.at }
  return [
    [push.inbound, ...pending, recorded],
    [...push.outbound, push.window],
  ]
}

interface PushCase {
  name: string
  parts: number
  unmatched: boolean
  batches: (push: Push) => RecordEvent[][]
}

const PUSH_CASES: readonly PushCase[] = [
  { name: 'text, rule hit, 1-part reply', parts: 1, unmatched: false, batches: oneBatch },
  { name: 'text, default only (unmatched), 1-part reply', parts: 1, unmatched: true, batches: oneBatch },
  { name: 'text, rule hit, 3-part reply', parts: 3, unmatched: false, batches: oneBatch },
  { name: 'text, rule hit, 1-part, 2 writes (pending, then sent)', parts: 1, unmatched: false, batches: twoBatches },
  { name: 'text, rule hit, 3-part, 2 writes (pending, then sent)', parts: 3, unmatched: false, batches: twoBatches },
]

/** `count` pushes of one case: text messages, matched or not as the case says, every send sent. */
function casePushes(maker: PushMaker, c: PushCase, count: number, now: number): RecordEvent[][][] {
  const pushes: RecordEvent[][][] = []
  while (pushes.length < count) {
    const push = maker.make(now - Math.floor(pushes.length * 1000), c.parts, 'sent')
    if (push.inbound.kind !== 'text' || push.inbound.unmatched !== c.unmatched) continue
    pushes.push(c.batches(push))
  }
  return pushes
}

/** µs of recordStatements per push: passes over the pool until ≥ 50 ms, median of 5. */
function statementsUs(pool: readonly RecordEvent[][][]): number {
  let sink = 0
  const pass = () => {
    for (const batches of pool) for (const events of batches) sink += recordStatements(events).length
  }
  pass()
  const start = performance.now()
  pass()
  const once = Math.max(performance.now() - start, 0.001)
  const loops = Math.max(1, Math.ceil(50 / once))
  const ms = medianMs(5, () => {
    for (let i = 0; i < loops; i++) pass()
  })
  if (sink < 0) console.log(sink)
  return (ms * 1000) / (loops * pool.length)
}

// ---------------------------------------------------------------------------------------------
// The bench Worker

class RecordWorker {
  constructor(private readonly base: string) {}

  async post<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`record-worker ${path}: ${response.status} ${text.slice(0, 2000)}`)
    return JSON.parse(text) as T
  }
}

/** Every migration in migrations/, in file order, split as `wrangler d1 migrations apply` splits them. */
async function migrate(worker: RecordWorker): Promise<void> {
  const files = readdirSync(MIGRATIONS)
    .filter((f) => f.endsWith('.sql'))
    .sort()
  for (const file of files) {
    const statements = unstable_splitSqlQuery(readFileSync(join(MIGRATIONS, file), 'utf8'))
    await worker.post('/migrate', { statements })
  }
}

export async function runRecordBench(options: RecordOptions = {}): Promise<RecordResult> {
  const messages = options.messages ?? 100_000
  const users = options.users ?? 5_000
  const days = options.days ?? 14
  const runs = options.runs ?? 30
  const fillChunk = options.fillChunk ?? 500
  const now = Date.now()

  // Per push, in Node: no database needed.
  const cpu = PUSH_CASES.map((c) => {
    const pool = casePushes(new PushMaker(7, users), c, 200, now)
    const first = pool[0]!
    return {
      c,
      batches: first.length,
      events: first.reduce((n, b) => n + b.length, 0),
      statements: first.reduce((n, b) => n + recordStatements(b).length, 0),
      cpuUs: statementsUs(pool),
    }
  })

  installCleanup()
  const dir = mkdtempSync(join(tmpdir(), 'kefu-bench-record-'))
  let service: Service | null = null
  try {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    service = await startWranglerDev({
      name: 'record-worker',
      port,
      persistTo: join(dir, 'state'),
      logFile: join(dir, 'record-worker.log'),
      config: CONFIG,
    })
    await waitForHttp(base, service, 90_000)
    const worker = new RecordWorker(base)
    await migrate(worker)

    // The fill: pushes in time order, so each user's rows arrive as they would.
    const maker = new PushMaker(42, users)
    const times: number[] = []
    const pushes: Push[] = []
    let stored = 0
    const g = generator(44)
    while (stored < messages) {
      times.push(now - Math.floor(g.random() * days * DAY_MS))
      const left = messages - stored - 1
      const parts = Math.min(left, g.random() < 0.1 ? 3 : 1)
      pushes.push(maker.make(0, parts))
      stored += 1 + parts
    }
    times.sort((a, b) => a - b)
    const timed = pushes.map((p, i) => retime(p, times[i]!))
    let fillStatements = 0
    const fillStart = performance.now()
    for (let i = 0; i < timed.length; i += fillChunk) {
      const events = timed
        .slice(i, i + fillChunk)
        .flatMap(oneBatch)
        .flat()
      fillStatements += recordStatements(events).length
      await worker.post('/fill', { events })
    }
    const fillMs = performance.now() - fillStart
    const counts = await worker.post<RecordCounts>('/count', {})
    if (counts.messages !== messages) throw new Error(`record-worker holds ${counts.messages} messages, expected ${messages}`)

    // The busiest user: the most pushes in the fill.
    const perUser = new Map<string, number>()
    for (const p of timed) perUser.set(p.inbound.openid, (perUser.get(p.inbound.openid) ?? 0) + 1)
    const busiest = [...perUser.entries()].reduce((a, b) => (b[1] > a[1] ? b : a))[0]

    const queries: RecordQueryRow[] = []
    for (const { op, route } of QUERIES) {
      const request: TimeRequest = { op, runs, now, appid: APPID, openid: busiest, limit: PAGE }
      const answer = await worker.post<TimeAnswer>('/time', request)
      queries.push({
        op,
        route,
        items: answer.items,
        rowsRead: answer.rowsRead,
        meanMs: answer.meanMs,
        p50Ms: median(answer.ms),
        p95Ms: percentile(answer.ms, 95),
        runs,
      })
    }

    // Writes per push against the filled database, after the queries (they add rows).
    const pushRows: RecordPushRow[] = []
    for (const { c, batches, events, statements, cpuUs } of cpu) {
      const pool = casePushes(maker, c, 100, now)
      const { ms, meanMs } = await worker.post<WriteAnswer>('/write', { pushes: pool })
      pushRows.push({
        case: c.name,
        batches,
        events,
        statements,
        cpuUs,
        writeMeanMs: meanMs,
        writeP50Ms: median(ms),
        writeP95Ms: percentile(ms, 95),
      })
    }

    return {
      local: true,
      messages: counts.messages,
      pushes: timed.length,
      conversations: counts.conversations,
      questions: counts.questions,
      ruleDays: counts.ruleDays,
      days,
      dbBytes: counts.bytes,
      fillMs,
      fillStatements,
      pushRows,
      queries,
    }
  } finally {
    await service?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The same push at another time: its sends and window move with it. */
function retime(push: Push, at: number): Push {
  const shift = at - push.inbound.at
  const key =
    push.inbound.kind === 'user_enter_tempsession'
      ? `event:${push.inbound.openid}:${Math.floor(at / 1000)}:${push.inbound.kind}`
      : push.inbound.key
  return {
    inbound: { ...push.inbound, key, at },
    outbound: push.outbound.map((o) => ({ ...o, inboundKey: key, pushedAt: o.pushedAt + shift, updatedAt: o.updatedAt + shift })),
    window: { ...push.window, closesAt: push.window.closesAt + shift, at: push.window.at + shift },
  }
}
