/**
 * The human desk's live channel under load (issue 29): many open consoles while users ask for
 * a person and write to it.
 *
 * One kefu-edge under `wrangler dev` with `HUMAN_DESK=console` (the example rules in its local
 * KV, the D1 tables applied), the WeChat API stand-in beside it. The bench signs in once through
 * `/admin/login` (the form, as a browser posts it) and opens `clients` WebSockets to
 * `/admin/queue/live` with that session cookie, as that many consoles would (the `ws` package
 * already in node_modules: Node 20 has no WebSocket without a flag). Then, in `rounds`, `users`
 * new users each push "人工" (the example rules' transfer: the Desk object queues them and
 * every console is sent the queue) and then a text (every console is sent the message, then the
 * queue); `concurrency` users at a time. At the end of a round the owner closes each of them
 * through the admin API, so every round starts from an empty queue.
 *
 * Per push: from the push's send to the moment the LAST of the clients had the event naming it
 * (for "人工" the first queue event listing the user; for the text the message event with that
 * text). Lost: client × push pairs that never got it (within 10 s). Memory: the resident size
 * of the workerd processes wrangler started (found through the process tree, `ps`), before the
 * consoles connect, with them connected, sampled during each round, after each round and after
 * the consoles have gone.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { buildPush, textMessage } from '../dev/push'
import { importCipher, type Cipher } from '../src/wechat/cipher'
import { KEYS } from './fixtures'
import { freePort, installCleanup, runToEnd, type Service, sleep, startService, startWranglerDev, waitForHttp, WRANGLER } from './processes'
import { fmt, percentile, table } from './timing'
import { WebSocketClient, type WsSocket } from './ws'

const ROOT = resolve(import.meta.dirname, '..')
const APPID = 'wxbenchdesk0000001'
const ADMIN_TOKEN = 'bench-desk-admin-token-0123456789abcdef'
/** A client that has not had an event this long after its push counts it as lost. */
const LOST_AFTER_MS = 10_000

export interface DeskOptions {
  /** Open consoles (WebSocket clients). */
  clients: number
  /** New users per round, each pushing "人工" then a text. */
  users: number
  rounds: number
  /** Users pushing at once. */
  concurrency: number
  /** The same users every round (they come back to the desk) instead of new ones: no new Conversation objects after round 1. */
  returning?: boolean
}

export interface DeskPhase {
  kind: 'arrival' | 'message'
  pushes: number
  /** Push sent → "success" at the pusher, ms. */
  successP50Ms: number
  successP99Ms: number
  /** Push sent → the first client had its event, ms. */
  firstP50Ms: number
  /** Push sent → every client had its event, ms (the number that matters). */
  allP50Ms: number
  allP99Ms: number
  allMaxMs: number
  /** Client × push pairs without the event after 10 s. */
  lost: number
}

export interface DeskRound {
  round: number
  phases: DeskPhase[]
  /** Largest RSS of the workerd processes sampled during the round's pushes, MiB. */
  rssMaxMiB: number
  /** After the round's users were closed, MiB. */
  rssAfterMiB: number
  /** The largest queue event a client received in the round (the queue at its fullest), bytes. */
  queueEventMaxBytes: number
  wallS: number
}

export interface DeskResult {
  clients: number
  /** Clients that opened (a local limit would show here). */
  opened: number
  /** Sockets closed or failed before the end. */
  dropped: number
  users: number
  rounds: number
  concurrency: number
  returning: boolean
  /** Sign-in → all clients open, ms. */
  connectMs: number
  /** workerd resident size (MiB): idle, with the consoles open, after all rounds, after they left. */
  rss: { idleMiB: number; connectedMiB: number; afterRoundsMiB: number; afterDisconnectMiB: number }
  /** The workerd processes summed (wrangler dev runs more than one). */
  workerdProcesses: number
  rows: DeskRound[]
  /** Events each client received in all (initial queue included). */
  eventsPerClient: number
  lostTotal: number
}

interface Tracker {
  kind: 'arrival' | 'message'
  openid: string
  /** For a message: the text the message event must carry. */
  text: string
  sentAt: number
  /** Per client: when it had the event (0: not yet). */
  got: Float64Array
  /** Per client: open when the push went out (only those must have it). */
  expected: Uint8Array
  receivers: number
  count: number
  done: () => void
  finished: Promise<void>
}

interface Client {
  socket: WsSocket
  events: number
  open: boolean
  dropped: boolean
  maxQueueBytes: number
}

export async function runDeskBench(options: DeskOptions): Promise<DeskResult> {
  installCleanup()
  const dir = mkdtempSync(join(tmpdir(), 'kefu-bench-desk-'))
  const services: Service[] = []
  const clients: Client[] = []
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

    const persist = join(dir, 'state')
    runToEnd(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'rules-push.ts'), '--local', '--persist-to', persist], ROOT)
    runToEnd(process.execPath, [WRANGLER, 'd1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist], ROOT)
    const port = await freePort()
    const url = `http://127.0.0.1:${port}`
    const worker = await startWranglerDev({
      name: 'kefu-edge-desk',
      port,
      persistTo: persist,
      logFile: join(dir, 'kefu-edge.log'),
      vars: {
        WECHAT_API_BASE: fakeUrl,
        WECHAT_APPID: APPID,
        WECHAT_APPSECRET: KEYS.secret,
        WECHAT_TOKEN: KEYS.token,
        WECHAT_ENCODING_AES_KEY: KEYS.encodingAesKey,
        ADMIN_TOKEN,
        HUMAN_DESK: 'console',
      },
    })
    services.push(worker)
    await waitForHttp(`${url}/healthz`, worker, 90_000)
    const cipher = await importCipher(KEYS.encodingAesKey, APPID)
    const rootPid = worker.child.pid ?? 0

    // Warm: the Worker, the Conversation and Desk objects, the access token.
    const warm = 'oBenchDesk_warm_000000000000'
    await push(url, cipher, warm, '人工')
    await closeAtDesk(url, warm)
    await sleep(1000)
    const idle = workerdRss(rootPid)

    // The consoles.
    const cookie = await signIn(url)
    const trackers = new Set<Tracker>()
    const connectStart = performance.now()
    const live = `ws://127.0.0.1:${port}/admin/queue/live`
    const openings: Promise<void>[] = []
    for (let i = 0; i < options.clients; i++) {
      const socket = new WebSocketClient(live, { headers: { cookie, origin: url }, perMessageDeflate: false })
      const client: Client = { socket, events: 0, open: false, dropped: false, maxQueueBytes: 0 }
      clients.push(client)
      openings.push(
        new Promise<void>((resolve) => {
          socket.on('open', () => {
            client.open = true
            resolve()
          })
          socket.on('unexpected-response', (_req, res) => {
            console.error(`client ${i}: ${res.statusCode ?? '?'} instead of a WebSocket`)
            resolve()
          })
          socket.on('error', (error) => {
            if (!client.open) console.error(`client ${i}: ${error.message}`)
            client.dropped = true
            resolve()
          })
          socket.on('close', () => {
            if (client.open) client.dropped = true
            client.open = false
          })
        }),
      )
      socket.on('message', (data) => onEvent(i, client, data.toString('utf8'), trackers))
    }
    await Promise.all(openings)
    const connectMs = performance.now() - connectStart
    const opened = clients.filter((c) => c.open).length
    await sleep(1000)
    const connected = workerdRss(rootPid)

    const rows: DeskRound[] = []
    for (let round = 1; round <= options.rounds; round++) {
      for (const c of clients) c.maxQueueBytes = 0
      const started = performance.now()
      const samples: number[] = []
      const sampler = setInterval(() => samples.push(workerdRss(rootPid).kib), 250)
      const results: Record<Tracker['kind'], { success: number[]; first: number[]; all: number[]; lost: number }> = {
        arrival: { success: [], first: [], all: [], lost: 0 },
        message: { success: [], first: [], all: [], lost: 0 },
      }
      const cohort = options.returning ? 'u' : `r${round}`
      const openids = Array.from({ length: options.users }, (_, i) => `oBenchDesk_${cohort}_${String(i).padStart(15, '0')}`)
      let next = 0
      const worker = async () => {
        while (next < openids.length) {
          const openid = openids[next++]!
          for (const [kind, text] of [
            ['arrival', '人工'],
            ['message', `第 ${round}-${openid.slice(-4)} 号：我的快递三天没动了，还在吗？`],
          ] as const) {
            const tracker = track(trackers, kind, openid, text, clients.length)
            const answer = await push(url, cipher, openid, text, tracker, clients)
            results[kind].success.push(answer)
            const timeout = sleep(LOST_AFTER_MS).then(() => 'timeout' as const)
            await Promise.race([tracker.finished, timeout])
            trackers.delete(tracker)
            const times: number[] = []
            for (const index of clients.keys()) {
              if (tracker.expected[index] === 0) continue
              const at = tracker.got[index]!
              if (at === 0) results[kind].lost++
              else times.push(at - tracker.sentAt)
            }
            if (times.length > 0) {
              results[kind].first.push(Math.min(...times))
              results[kind].all.push(Math.max(...times))
            }
          }
        }
      }
      await Promise.all(Array.from({ length: Math.min(options.concurrency, options.users) }, worker))
      clearInterval(sampler)
      const wallS = (performance.now() - started) / 1000
      for (const openid of openids) await closeAtDesk(url, openid)
      await sleep(1000)
      rows.push({
        round,
        phases: (['arrival', 'message'] as const).map((kind) => {
          const r = results[kind]
          return {
            kind,
            pushes: r.success.length,
            successP50Ms: percentile(r.success, 50),
            successP99Ms: percentile(r.success, 99),
            firstP50Ms: percentile(r.first, 50),
            allP50Ms: percentile(r.all, 50),
            allP99Ms: percentile(r.all, 99),
            allMaxMs: Math.max(...r.all),
            lost: r.lost,
          }
        }),
        rssMaxMiB: mib(Math.max(...samples)),
        rssAfterMiB: mib(workerdRss(rootPid).kib),
        queueEventMaxBytes: Math.max(...clients.map((c) => c.maxQueueBytes)),
        wallS,
      })
    }
    const afterRounds = workerdRss(rootPid)
    const dropped = clients.filter((c) => c.dropped).length
    const eventsPerClient = Math.max(...clients.map((c) => c.events))
    for (const c of clients) c.socket.close()
    await sleep(3000)
    const afterDisconnect = workerdRss(rootPid)
    return {
      clients: options.clients,
      opened,
      dropped,
      users: options.users,
      rounds: options.rounds,
      concurrency: options.concurrency,
      returning: options.returning ?? false,
      connectMs,
      rss: {
        idleMiB: mib(idle.kib),
        connectedMiB: mib(connected.kib),
        afterRoundsMiB: mib(afterRounds.kib),
        afterDisconnectMiB: mib(afterDisconnect.kib),
      },
      workerdProcesses: connected.processes,
      rows,
      eventsPerClient,
      lostTotal: rows.reduce((sum, r) => sum + r.phases.reduce((s, p) => s + p.lost, 0), 0),
    }
  } finally {
    for (const c of clients) c.socket.terminate()
    for (const service of services.reverse()) await service.stop()
    if (process.env.BENCH_KEEP) console.log(`kept ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

function track(trackers: Set<Tracker>, kind: Tracker['kind'], openid: string, text: string, clients: number): Tracker {
  let done = () => {}
  const finished = new Promise<void>((resolve) => {
    done = resolve
  })
  const tracker: Tracker = {
    kind,
    openid,
    text,
    sentAt: 0,
    got: new Float64Array(clients),
    expected: new Uint8Array(clients),
    receivers: Number.POSITIVE_INFINITY,
    count: 0,
    done,
    finished,
  }
  trackers.add(tracker)
  return tracker
}

/**
 * One event at one client: the time it reached the trackers it answers. Queue events are
 * searched, not parsed (they carry the whole queue: tens of KB at 100 waiting); messages are small.
 */
function onEvent(index: number, client: Client, data: string, trackers: Set<Tracker>): void {
  const at = performance.now()
  client.events++
  if (data === 'pong') return
  const isQueue = data.startsWith('{"type":"queue"')
  if (isQueue) client.maxQueueBytes = Math.max(client.maxQueueBytes, Buffer.byteLength(data))
  let message: { openid?: string; text?: string } | null = null
  for (const tracker of trackers) {
    if (tracker.sentAt === 0 || tracker.expected[index] === 0 || tracker.got[index] !== 0) continue
    if (tracker.kind === 'arrival') {
      if (!isQueue || !data.includes(`"openid":"${tracker.openid}"`)) continue
    } else {
      if (isQueue) continue
      message ??= JSON.parse(data) as { openid?: string; text?: string }
      if (message.openid !== tracker.openid || message.text !== tracker.text) continue
    }
    tracker.got[index] = at
    tracker.count++
    if (tracker.count >= tracker.receivers) tracker.done()
  }
}

let msgId = 26_000_000_000_000_000n

/** A text from `openid`, safe mode, XML; resolves to push → answer ms (the answer must be `success`). */
async function push(url: string, cipher: Cipher, openid: string, text: string, tracker?: Tracker, clients: Client[] = []): Promise<number> {
  const message = { ...textMessage(openid, text, String(++msgId)), ToUserName: 'gh_bench_desk' }
  const { query, body } = await buildPush(message, { token: KEYS.token, mode: 'safe', format: 'xml', cipher })
  const sentAt = performance.now()
  if (tracker) {
    for (const [index, c] of clients.entries()) tracker.expected[index] = c.open ? 1 : 0
    tracker.receivers = tracker.expected.reduce((sum, e) => sum + e, 0)
    tracker.sentAt = sentAt
  }
  const res = await fetch(`${url}/wechat?${query}`, { method: 'POST', body, headers: { 'content-type': 'text/xml' } })
  const answer = await res.text()
  if (res.status !== 200 || answer !== 'success') throw new Error(`push ${openid} "${text}": ${res.status} ${answer.slice(0, 200)}`)
  return performance.now() - sentAt
}

/** The owner closes the user at the desk (admin API); 404 / not at the desk is fine. */
async function closeAtDesk(url: string, openid: string): Promise<void> {
  const res = await fetch(`${url}/admin/api/conversations/${openid}/close`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: '{}',
  })
  await res.arrayBuffer()
  if (res.status >= 500) throw new Error(`close ${openid}: ${res.status}`)
}

/** The console's sign-in form, posted as the browser does; the session cookie it sets. */
async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
    body: new URLSearchParams({ token: ADMIN_TOKEN }).toString(),
  })
  await res.arrayBuffer()
  const session = res.headers.getSetCookie().find((c) => c.startsWith('kefu_session='))
  if (res.status !== 303 || !session) throw new Error(`sign-in: ${res.status}, no session cookie`)
  return session.split(';')[0]!
}

/** The resident size of the workerd processes under `rootPid` (wrangler's process tree), KiB. */
function workerdRss(rootPid: number): { kib: number; processes: number } {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss=,comm='], { encoding: 'utf8' })
  const rows = out
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([pid, ppid, rss, comm]) => ({ pid: Number(pid), ppid: Number(ppid), rss: Number(rss), comm: comm ?? '' }))
  const inTree = new Set([rootPid])
  for (let grew = true; grew; ) {
    grew = false
    for (const row of rows)
      if (inTree.has(row.ppid) && !inTree.has(row.pid)) {
        inTree.add(row.pid)
        grew = true
      }
  }
  const workerd = rows.filter((row) => inTree.has(row.pid) && row.comm.startsWith('workerd'))
  return { kib: workerd.reduce((sum, row) => sum + row.rss, 0), processes: workerd.length }
}

const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10

export function deskTable(r: DeskResult): string {
  const timing = table(
    ['round', 'event', 'pushes', 'success p50', 'success p99', 'first p50', 'all p50 ms', 'all p99 ms', 'all max', 'lost'],
    r.rows.flatMap((row) =>
      row.phases.map((p) => [
        String(row.round),
        p.kind === 'arrival' ? '"人工" → queue' : 'text → message',
        String(p.pushes),
        fmt(p.successP50Ms),
        fmt(p.successP99Ms),
        fmt(p.firstP50Ms),
        fmt(p.allP50Ms),
        fmt(p.allP99Ms),
        fmt(p.allMaxMs),
        String(p.lost),
      ]),
    ),
  )
  const memory = table(
    ['when', 'workerd RSS MiB'],
    [
      ['idle (before the consoles)', fmt(r.rss.idleMiB)],
      [`${r.opened} consoles open`, fmt(r.rss.connectedMiB)],
      ...r.rows.flatMap((row) => [
        [
          `round ${row.round}: max during (${fmt(row.wallS)} s, queue event up to ${fmt(row.queueEventMaxBytes / 1024)} KiB)`,
          fmt(row.rssMaxMiB),
        ],
        [`round ${row.round}: after (users closed)`, fmt(row.rssAfterMiB)],
      ]),
      ['after the consoles left', fmt(r.rss.afterDisconnectMiB)],
    ],
  )
  return `${timing}\n\n${memory}\n\n${r.opened}/${r.clients} consoles opened in ${fmt(r.connectMs, 0)} ms, ${r.dropped} dropped; ${r.eventsPerClient} events per console; ${r.lostTotal} lost; ${r.workerdProcesses} workerd processes summed.`
}

/** Issue 29's targets: each update delivered (live: within 2 s), the Worker's memory flat. */
export function deskTargets(r: DeskResult): { target: string; met: boolean; detail: string }[] {
  const worst = Math.max(...r.rows.flatMap((row) => row.phases.map((p) => p.allMaxMs)))
  const first = r.rows[0]?.rssAfterMiB ?? Number.NaN
  const last = r.rows.at(-1)?.rssAfterMiB ?? Number.NaN
  return [
    {
      target: `desk: every event at all ${r.clients} consoles within 2 s, none lost`,
      met: r.opened === r.clients && r.lostTotal === 0 && r.dropped === 0 && worst <= 2000,
      detail: `${r.opened} open, ${r.lostTotal} lost, ${r.dropped} dropped, slowest push → last console ${fmt(worst)} ms`,
    },
    {
      target: 'desk: workerd memory flat across rounds (last round ≤ first + 10 %)',
      met: last <= first * 1.1,
      detail: `after round 1 ${fmt(first)} MiB, after round ${r.rows.length} ${fmt(last)} MiB (${fmt(r.rss.connectedMiB)} with the consoles open, ${fmt(r.rss.idleMiB)} idle)`,
    },
  ]
}
