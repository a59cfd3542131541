/**
 * The bill per message (issue 19): for each flow — a text reply, an image reply (media
 * uploaded, and cached), a duplicate push, a transfer, a subscribe event, a reply by hand —
 * what one push costs on Workers, counted from the running code: the Worker's own app and
 * Conversation object run under `wrangler dev` (bench/bill-worker) with every binding metered.
 * Priced with bench/prices.ts, per million messages.
 *
 * Each flow is measured on a user who already wrote once (a warm conversation, as most
 * messages are); a user's first message also creates their object, shown as its own flow.
 * Counts are deterministic but for the alarm the safety net may set; the median of RUNS users
 * is reported. CPU cannot be read inside workerd (its clocks stand still while code runs):
 * the push's request time as Node sees it, on loopback, is reported as an upper bound.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { unstable_splitSqlQuery } from 'wrangler'
import { buildPush, popupEvent, textMessage } from '../dev/push'
import { startFakeWechat, type FakeWechat } from '../dev/fake-wechat'
import { importCipher } from '../src/wechat/cipher'
import type { FlatFields } from '../src/wechat/message'
import { KEYS } from './fixtures'
import { PRICES } from './prices'
import { freePort, installCleanup, sleep, startWranglerDev, type Service, waitForHttp } from './processes'
import { median } from './timing'

const ROOT = resolve(import.meta.dirname, '..')
const CONFIG = join(ROOT, 'bench', 'bill-worker', 'wrangler.toml')
const MIGRATIONS = join(ROOT, 'migrations')
/** The bench's ADMIN_TOKEN (made up; the bill-worker never leaves loopback). */
export const ADMIN_TOKEN = 'bench-admin-token-0123456789'
const RUNS = 5

export type Counts = Record<string, number>

export interface BillRow {
  flow: string
  /** Median counts per push (Worker and object together). */
  counts: Counts
  /** The push's request as Node saw it, ms (median). */
  requestMs: number
  /** USD per million messages of this flow. */
  usdPerMillion: number
  /** Each priced item's share, USD per million. */
  items: Record<string, number>
}

export const FLOWS = [
  'first message',
  'text reply',
  'image reply (uploaded)',
  'image reply (cached)',
  'duplicate push',
  'transfer',
  'subscribe event',
  'reply by hand',
  'text reply, 20 users at once',
] as const

/** Users in the flow whose pushes arrive together: their copies to D1 share batches. */
const TOGETHER = 20
export type Flow = (typeof FLOWS)[number]

export class BillWorker {
  constructor(readonly base: string) {}
  async json<T>(path: string, init?: RequestInit): Promise<T> {
    const res = await fetch(`${this.base}${path}`, init)
    const text = await res.text()
    if (!res.ok) throw new Error(`bill-worker ${path}: ${res.status} ${text.slice(0, 500)}`)
    return JSON.parse(text) as T
  }
  /** The Worker's meter, the Recorders' and the users' objects'; with a 微信客服 account, its object's too. */
  meters(openids: string | readonly string[], take: boolean, kfAccount?: string): Promise<Counts[]> {
    const t = take ? '&take=1' : ''
    return Promise.all([
      this.json<Counts>(`/__meter?${t}`),
      this.json<Counts>(`/__meter/recorder?${t}`),
      ...(typeof openids === 'string' ? [openids] : openids).map((openid) =>
        this.json<Counts>(
          `/__meter/do?openid=${encodeURIComponent(openid)}${kfAccount === undefined ? '' : `&kf=${encodeURIComponent(kfAccount)}`}${t}`,
        ),
      ),
      ...(kfAccount === undefined ? [] : [this.json<Counts>(`/__meter/kf?open_kfid=${encodeURIComponent(kfAccount)}${t}`)]),
    ])
  }
}

/**
 * The bill-worker under `wrangler dev` in `dir`, set up as a deployment is: the local keys
 * and ADMIN_TOKEN, WECHAT_API_BASE at `wechatUrl`, `vars` beside them, `rules` in RULES and
 * every D1 migration applied. Each section (bill, ai, kf) plays its own stand-ins against it.
 */
export async function startBillWorker(options: {
  name: string
  dir: string
  wechatUrl: string
  rules: unknown
  vars?: Record<string, string>
}): Promise<{ worker: BillWorker; service: Service }> {
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  const service = await startWranglerDev({
    name: options.name,
    port,
    persistTo: join(options.dir, 'state'),
    logFile: join(options.dir, 'bill-worker.log'),
    config: CONFIG,
    vars: {
      WECHAT_API_BASE: options.wechatUrl,
      WECHAT_TOKEN: KEYS.token,
      WECHAT_ENCODING_AES_KEY: KEYS.encodingAesKey,
      WECHAT_APPSECRET: KEYS.secret,
      ADMIN_TOKEN,
      ...options.vars,
    },
  })
  try {
    await waitForHttp(`${base}/__meter`, service, 90_000)
    const worker = new BillWorker(base)
    await worker.json('/__setup', {
      method: 'POST',
      body: JSON.stringify({ rules: JSON.stringify(options.rules), statements: migrationStatements() }),
    })
    return { worker, service }
  } catch (error) {
    await service.stop()
    throw error
  }
}

let msgIds = 8_100_000_000_000_000_000n
let users = 0
const openidOf = () => `oBill${String(++users).padStart(10, '0')}user${Date.now() % 100000}`

export async function pushTo(worker: BillWorker, message: FlatFields | string): Promise<{ status: number; ms: number }> {
  const { query, body } = await buildPush(message, {
    token: KEYS.token,
    mode: 'safe',
    format: 'xml',
    cipher: await importCipher(KEYS.encodingAesKey, KEYS.appid),
  })
  const started = performance.now()
  const res = await fetch(`${worker.base}/wechat?${query}`, { method: 'POST', body })
  await res.text()
  return { status: res.status, ms: performance.now() - started }
}

const text = (openid: string, content: string) => textMessage(openid, content, String(++msgIds))

const popup = (openid: string) => popupEvent('xml', openid, [['tplBillTemplate01', 'accept']])

function image(openid: string): FlatFields {
  return {
    ToUserName: 'gh_bill',
    FromUserName: openid,
    CreateTime: Math.floor(Date.now() / 1000),
    MsgType: 'image',
    PicUrl: 'https://mmbiz.example/p.jpg',
    MediaId: 'm1',
    MsgId: String(++msgIds),
  }
}

/** Waits until nothing more happens for the users: the objects' meters stop moving. */
async function settle(worker: BillWorker, openid: string | readonly string[], kfAccount?: string): Promise<void> {
  let last = ''
  for (let quiet = 0; quiet < 3; ) {
    await sleep(120)
    const now = JSON.stringify(await worker.meters(openid, false, kfAccount))
    quiet = now === last ? quiet + 1 : 0
    last = now
  }
}

/**
 * What `act` costs, everything it set off included; `kfAccount` adds a 微信客服 account's
 * object (its pulls). With several users, per user: the sum divided by their number.
 */
export async function measure(
  worker: BillWorker,
  openid: string | readonly string[],
  act: () => Promise<number>,
  kfAccount?: string,
): Promise<{ counts: Counts; requestMs: number }> {
  await settle(worker, openid, kfAccount)
  await worker.meters(openid, true, kfAccount)
  const requestMs = await act()
  await settle(worker, openid, kfAccount)
  const parts = await worker.meters(openid, true, kfAccount)
  const users = typeof openid === 'string' ? 1 : openid.length
  const counts: Counts = {}
  for (const part of parts) for (const [name, n] of Object.entries(part)) counts[name] = (counts[name] ?? 0) + n / users
  return { counts, requestMs }
}

async function runFlow(worker: BillWorker, flow: Flow): Promise<{ counts: Counts; requestMs: number }> {
  const openid = openidOf()
  const push = async (message: FlatFields | string) => (await pushTo(worker, message)).ms
  if (flow === 'first message') return measure(worker, openid, () => push(text(openid, '1')))
  if (flow === 'text reply, 20 users at once') {
    const openids = Array.from({ length: TOGETHER }, openidOf)
    await Promise.all(openids.map((user) => push(text(user, 'warm-up'))))
    return measure(worker, openids, async () => median(await Promise.all(openids.map((user) => push(text(user, '1'))))))
  }
  await push(text(openid, 'warm-up'))
  switch (flow) {
    case 'text reply':
      return measure(worker, openid, () => push(text(openid, '1')))
    case 'image reply (uploaded)':
    case 'image reply (cached)':
      return measure(worker, openid, () => push(text(openid, '图')))
    case 'duplicate push': {
      const message = text(openid, '1')
      const { query, body } = await buildPush(message, {
        token: KEYS.token,
        mode: 'safe',
        format: 'xml',
        cipher: await importCipher(KEYS.encodingAesKey, KEYS.appid),
      })
      await fetch(`${worker.base}/wechat?${query}`, { method: 'POST', body }).then((r) => r.text())
      return measure(worker, openid, async () => {
        const started = performance.now()
        await fetch(`${worker.base}/wechat?${query}`, { method: 'POST', body }).then((r) => r.text())
        return performance.now() - started
      })
    }
    case 'transfer':
      return measure(worker, openid, () => push(image(openid)))
    case 'subscribe event':
      return measure(worker, openid, () => push(popup(openid)))
    case 'reply by hand':
      return measure(worker, openid, async () => {
        const started = performance.now()
        const res = await fetch(`${worker.base}/admin/api/conversations/${openid}/reply`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'text', text: '您好，我是客服' }),
        })
        await res.text()
        return performance.now() - started
      })
  }
}

/** The D1 record's tables, as a deployment has them: every migration's statements, in order. */
export function migrationStatements(): string[] {
  return readdirSync(MIGRATIONS)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .flatMap((file) => unstable_splitSqlQuery(readFileSync(join(MIGRATIONS, file), 'utf8')))
}

/** USD per million messages, item by item. */
export function price(counts: Counts, requestMs: number): { total: number; items: Record<string, number> } {
  const n = (name: string) => counts[name] ?? 0
  const million = 1e6
  const items: Record<string, number> = {
    'Worker requests': n('worker.requests') * PRICES.workerRequest.usd * million,
    'CPU (≤ request ms)': requestMs * PRICES.cpuMs.usd * million,
    'DO requests': (n('do.requests') + n('do.alarms')) * PRICES.doRequest.usd * million,
    'DO duration': (n('do.activeMs') / 1000) * 0.125 * PRICES.doGbSecond.usd * million,
    'SQLite rows read': n('sqlite.rowsRead') * PRICES.sqliteRowRead.usd * million,
    'SQLite rows written': (n('sqlite.rowsWritten') + n('do.setAlarm')) * PRICES.sqliteRowWritten.usd * million,
    'KV reads': n('kv.reads') * PRICES.kvRead.usd * million,
    'KV writes': (n('kv.writes') + n('kv.deletes')) * PRICES.kvWrite.usd * million,
    'D1 rows read': n('d1.rowsRead') * PRICES.d1RowRead.usd * million,
    'D1 rows written': n('d1.rowsWritten') * PRICES.d1RowWritten.usd * million,
    'Queue operations': n('queue.messages') * 3 * PRICES.queueOperation.usd * million,
  }
  return { total: Object.values(items).reduce((a, b) => a + b, 0), items }
}

export async function runBillBench(flows: readonly Flow[] = FLOWS): Promise<BillRow[]> {
  installCleanup()
  const dir = mkdtempSync(join(tmpdir(), 'kefu-bench-bill-'))
  let service: Service | null = null
  let fake: FakeWechat | null = null
  try {
    fake = await startFakeWechat()
    const imageUrl = `${fake.url}/__fake/images/bill/qr.png`
    const rules = {
      rules: [
        { id: 'text', when: { text: ['1'] }, reply: { type: 'text', text: '您好，回复 1 下载 App' } },
        { id: 'image', when: { text: ['图'] }, reply: { type: 'image', url: imageUrl } },
        { id: 'photo', when: { msgtype: 'image' }, reply: { type: 'transfer' } },
      ],
      default: { type: 'text', text: '您好，请问有什么可以帮您？' },
    }
    const started = await startBillWorker({ name: 'bill-worker', dir, wechatUrl: fake.url, rules })
    service = started.service
    const { worker } = started

    const rows: BillRow[] = []
    for (const flow of flows) {
      const samples: { counts: Counts; requestMs: number }[] = []
      for (let run = 0; run < RUNS; run++) {
        if (flow === 'image reply (uploaded)') await worker.json('/__forget-media', { method: 'POST' })
        samples.push(await runFlow(worker, flow))
      }
      const names = [...new Set(samples.flatMap((s) => Object.keys(s.counts)))].sort()
      const counts = Object.fromEntries(names.map((name) => [name, median(samples.map((s) => s.counts[name] ?? 0))]))
      const requestMs = median(samples.map((s) => s.requestMs))
      const { total, items } = price(counts, requestMs)
      rows.push({ flow, counts, requestMs, usdPerMillion: total, items })
    }
    return rows
  } finally {
    await fake?.close()
    await service?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
