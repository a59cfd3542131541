/**
 * 微信客服 as a channel (issue 32): what a customer's message costs and how long it takes from
 * WeChat Work having it to the reply reaching WeChat Work. The Worker's own app, Conversation
 * object and account object (the pulls) run under `wrangler dev` with every binding metered
 * (bench/bill-worker, as the bill section runs it); the strict 微信客服 stand-in
 * (dev/fake-wecom.ts) is WeChat Work, in this process.
 *
 * - The bill: a customer's first message and a text reply on a warm conversation — the notice
 *   the Worker answers, the account object's pull (gettoken cached, kf/sync_msg from the stored
 *   cursor), the customer's Conversation object and its kf/send_msg — counted and priced as
 *   bench/bill.ts prices a mini program's message (median of RUNS customers).
 * - Pull latency: `customers` new customers each write once; each message's notice is posted
 *   to /wecom/kf as WeChat Work would, `concurrency` customers at a time. Timed from the
 *   moment the stand-in holds the message (its notice goes out then) to the kf/send_msg
 *   arriving at the stand-in (`receivedAt`): notice, pull, answer and send together. Notices
 *   that arrive during a pull are coalesced into one more pull by the account object, so
 *   `pulls / message` below 1 is the coalescing at work.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type FakeWecom, startFakeWecom } from '../dev/fake-wecom'
import type { FakeCallback } from '../dev/fake-wecom-types'
import { type FakeWechat, startFakeWechat } from '../dev/fake-wechat'
import { type BillWorker, type Counts, measure, price, startBillWorker } from './bill'
import { awaitArrivals, installCleanup, type Service } from './processes'
import { median, percentile } from './timing'

const RUNS = 5
/** Made-up local WeCom keys (the shapes of .dev.vars.example); never production values. */
const CORP = {
  corpid: 'wwbench0123456789',
  secret: 'kf-bench-secret-0123456789abcdefghij',
  callbackToken: 'kfBenchToken',
  aesKey: 'vxtluN0bDtDiAa3AyzymJiFl+8YYsmP2K6N8lEkY27U',
} as const
const OPEN_KFID = 'wkBenchAccount0001'
const SEND_PATH = 'kf/send_msg'

export type KfFlow = 'kf first message' | 'kf text reply'

export interface KfBillRow {
  flow: KfFlow
  counts: Counts
  /** The notice's request as Node saw it, ms (median): the Worker answers before it pulls. */
  requestMs: number
  usdPerMillion: number
  items: Record<string, number>
}

export interface KfLatency {
  customers: number
  concurrency: number
  /** Notice → the Worker's answer at WeChat Work, ms. */
  noticeP50Ms: number
  noticeP99Ms: number
  /** The message at WeChat Work → the reply at WeChat Work (kf/send_msg), ms. */
  replyP50Ms: number
  replyP95Ms: number
  replyP99Ms: number
  replyMaxMs: number
  /** kf/sync_msg calls per message: below 1 when notices arriving during a pull are coalesced. */
  pullsPerMessage: number
  repliedOnce: number
  missing: number
  duplicated: number
}

export interface KfResult {
  bill: KfBillRow[]
  latency: KfLatency[]
}

export interface KfOptions {
  customers: number
  concurrency: number
}

let customers = 0
const customerOf = (tag: string) => `wmBench${tag}${String(++customers).padStart(7, '0')}x${Date.now() % 100000}`

class KfStandIn {
  constructor(readonly fake: FakeWecom) {}

  async control<T>(action: string, body: unknown): Promise<T> {
    const res = await fetch(`${this.fake.url}/__fake/kf/${action}`, { method: 'POST', body: JSON.stringify(body) })
    if (!res.ok) throw new Error(`fake-wecom ${action}: ${res.status} ${await res.text()}`)
    return (await res.json()) as T
  }

  /** A customer writes a text; the notice WeChat Work would post (not posted: the bench posts it, timed). */
  async write(externalUserid: string, content: string): Promise<FakeCallback> {
    const { callback } = await this.control<{ callback?: FakeCallback }>('messages', {
      corpid: CORP.corpid,
      openKfId: OPEN_KFID,
      externalUserid,
      content,
    })
    if (!callback) throw new Error('fake-wecom gave no callback')
    return callback
  }

  sends(): { externalUserid: string; receivedAt: number }[] {
    return this.fake.state.sent(CORP.corpid, OPEN_KFID).filter((s) => s.api === SEND_PATH)
  }

  pulls(): number {
    return this.fake.state.calls(CORP.corpid).filter((c) => c.path === '/cgi-bin/kf/sync_msg').length
  }
}

async function postNotice(worker: BillWorker, callback: FakeCallback): Promise<number> {
  const started = performance.now()
  const res = await fetch(`${worker.base}/wecom/kf?${callback.query}`, { method: 'POST', body: callback.body })
  const text = await res.text()
  if (!res.ok) throw new Error(`/wecom/kf: ${res.status} ${text.slice(0, 200)}`)
  return performance.now() - started
}

export async function runKfBench(options: KfOptions): Promise<KfResult> {
  installCleanup()
  const dir = mkdtempSync(join(tmpdir(), 'kefu-bench-kf-'))
  let service: Service | null = null
  let wechat: FakeWechat | null = null
  let fake: FakeWecom | null = null
  try {
    wechat = await startFakeWechat()
    fake = await startFakeWecom({ corps: [{ ...CORP }] })
    fake.state.account(CORP.corpid, OPEN_KFID)
    const rules = {
      rules: [{ id: 'text', when: { text: ['1'] }, reply: { type: 'text', text: '您好，回复 1 下载 App' } }],
      default: { type: 'text', text: '您好，请问有什么可以帮您？' },
    }
    const started = await startBillWorker({
      name: 'bill-worker (kf)',
      dir,
      wechatUrl: wechat.url,
      rules,
      vars: {
        WECOM_API_BASE: fake.url,
        WECOM_CORPID: CORP.corpid,
        WECOM_KF_SECRET: CORP.secret,
        WECOM_KF_TOKEN: CORP.callbackToken,
        WECOM_KF_ENCODING_AES_KEY: CORP.aesKey,
      },
    })
    service = started.service
    const { worker } = started
    const kf = new KfStandIn(fake)

    const bill: KfBillRow[] = []
    for (const flow of ['kf first message', 'kf text reply'] as const) {
      const samples: { counts: Counts; requestMs: number }[] = []
      for (let run = 0; run < RUNS; run++) {
        const customer = customerOf('Bill')
        if (flow === 'kf text reply') {
          await postNotice(worker, await kf.write(customer, 'warm-up'))
          await awaitSends(kf, new Set([customer]))
        }
        const callback = await kf.write(customer, '1')
        samples.push(await measure(worker, customer, () => postNotice(worker, callback), OPEN_KFID))
      }
      const names = [...new Set(samples.flatMap((s) => Object.keys(s.counts)))].sort()
      const counts = Object.fromEntries(names.map((name) => [name, median(samples.map((s) => s.counts[name] ?? 0))]))
      const requestMs = median(samples.map((s) => s.requestMs))
      const { total, items } = price(counts, requestMs)
      bill.push({ flow, counts, requestMs, usdPerMillion: total, items })
    }

    const latency: KfLatency[] = []
    const lanes = [...new Set([1, options.concurrency])]
    for (const concurrency of lanes) latency.push(await timeReplies(worker, kf, options.customers, concurrency))
    return { bill, latency }
  } catch (error) {
    if (service) console.error(`see ${service.logFile} (kept: BENCH_KEEP=1)`)
    throw error
  } finally {
    await wechat?.close()
    await fake?.close()
    await service?.stop()
    if (process.env.BENCH_KEEP) console.log(`kept ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

/** `count` new customers write once each, `concurrency` at a time; each notice posted, each reply timed. */
async function timeReplies(worker: BillWorker, kf: KfStandIn, count: number, concurrency: number): Promise<KfLatency> {
  // Warm-up: isolates, the access token, the account object.
  const warm = Array.from({ length: Math.min(20, count) }, () => customerOf('Warm'))
  await run(warm)
  await awaitSends(kf, new Set(warm))

  const pool = Array.from({ length: count }, () => customerOf(`L${concurrency}x`))
  const pullsBefore = kf.pulls()
  const { writtenAt, noticeMs } = await run(pool)
  const replies = await awaitSends(kf, new Set(pool))
  const replyMs: number[] = []
  let repliedOnce = 0
  let duplicated = 0
  for (const [customer, at] of writtenAt) {
    const got = replies.get(customer)
    if (!got) continue
    if (got.length === 1) repliedOnce++
    else duplicated++
    replyMs.push(Math.min(...got) - at)
  }
  return {
    customers: count,
    concurrency,
    noticeP50Ms: percentile(noticeMs, 50),
    noticeP99Ms: percentile(noticeMs, 99),
    replyP50Ms: percentile(replyMs, 50),
    replyP95Ms: percentile(replyMs, 95),
    replyP99Ms: percentile(replyMs, 99),
    replyMaxMs: replyMs.length ? Math.max(...replyMs) : Number.NaN,
    pullsPerMessage: (kf.pulls() - pullsBefore) / count,
    repliedOnce,
    missing: count - replies.size,
    duplicated,
  }

  async function run(customers: string[]) {
    const writtenAt = new Map<string, number>()
    const noticeMs: number[] = []
    let next = 0
    const lane = async () => {
      for (;;) {
        const customer = customers[next++]
        if (customer === undefined) return
        const callback = await kf.write(customer, '1')
        writtenAt.set(customer, performance.timeOrigin + performance.now())
        noticeMs.push(await postNotice(worker, callback))
      }
    }
    await Promise.all(Array.from({ length: concurrency }, lane))
    return { writtenAt, noticeMs }
  }
}

/** The kf/send_msg calls to these customers, by customer (arrival times); waits until all have one, or nothing changes for 5 s. */
function awaitSends(kf: KfStandIn, wanted: ReadonlySet<string>): Promise<Map<string, number[]>> {
  const read = () => {
    const replies = new Map<string, number[]>()
    for (const sent of kf.sends()) {
      if (!wanted.has(sent.externalUserid)) continue
      replies.set(sent.externalUserid, [...(replies.get(sent.externalUserid) ?? []), sent.receivedAt])
    }
    return replies
  }
  return awaitArrivals(read, wanted.size, { intervalMs: 20, quietMs: 300 })
}
