/**
 * What an answer by the model costs (issue 27), next to an FAQ answer: the Worker's own app
 * and Conversation object under `wrangler dev` with every binding metered (bench/bill-worker,
 * as the bill section runs it), the example knowledge base (knowledge/) loaded through the
 * admin API, `"ai": { "enabled": true }`, the stand-in model (dev/fake-llm.ts) as
 * LLM_API_BASE and the strict fake WeChat (dev/fake-wechat.ts), both in this process.
 *
 * Two texts, checked first with `POST /admin/api/knowledge/ask`: one the FAQ answers and one
 * only the model answers (its passages from the returns-policy document). For each:
 *
 * - the bill: rows read and written, requests, subrequests, for one push on a warm
 *   conversation (median of RUNS users), priced as bench/bill.ts prices a message; and for the
 *   AI answer the model's tokens — prompt and completion as the stand-in counted them for its
 *   `usage` (dev/fake-llm-answer.ts, from the requests `/__fake/calls` recorded), checked
 *   against the total the Worker wrote to D1 (`messages.tokens`, through the admin API) — and
 *   their price at MODEL_PRICES (an assumption: bench/prices.ts);
 * - the time from push to the reply arriving at the fake WeChat (custom/send, `receivedAt`):
 *   `pushes` distinct users each sending the text once, `concurrency` at a time, pushes signed
 *   before the clock starts; p50/p99/max, and every reply counted (exactly once, with or
 *   without WeChat's AI label `aimsgcontext.is_ai_msg`).
 *
 * The stand-in answers in well under a millisecond: the AI figures are the Worker's own share.
 * A real model adds its own latency (typically 0.5–3 s for a short answer) on top.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { FAKE_LLM_API_KEY, FAKE_LLM_MODEL, type FakeLlm, startFakeLlm } from '../dev/fake-llm'
import { type ChatMessage, countTokens, promptTokens } from '../dev/fake-llm-answer'
import { type FakeWechat, startFakeWechat } from '../dev/fake-wechat'
import { buildPush, textMessage } from '../dev/push'
import { loadKnowledge, readExampleKnowledge } from '../scripts/kb-example'
import { importCipher } from '../src/wechat/cipher'
import { ADMIN_TOKEN, type BillWorker, type Counts, measure, price, pushTo, startBillWorker } from './bill'
import { KEYS } from './fixtures'
import { MODEL_PRICES } from './prices'
import { awaitArrivals, installCleanup, sleep, type Service } from './processes'
import { median, percentile } from './timing'

const ROOT = resolve(import.meta.dirname, '..')
const SEND_PATH = '/cgi-bin/message/custom/send'
const RUNS = 5

/** The texts, each the first of its list `/ask` answers from the expected source. */
const FAQ_TEXTS = ['发票抬头写错了怎么办', '退款多久到账']
const AI_TEXTS = [
  '派送的时候能当面拒收吗',
  '质量问题寄回可以用到付吗',
  '换货的话新商品寄给我要付运费吗',
  '还没收到货可以直接退款吗，不用寄回吧',
]

export type AiFlow = 'FAQ answer' | 'AI answer'

export interface AiRow {
  flow: AiFlow
  text: string
  /** Median counts per push (Worker and object together), as the bill counts them. */
  counts: Counts
  requestMs: number
  /** Workers, USD per million messages of this flow (bench/bill.ts `price`). */
  workersUsdPerMillion: number
  items: Record<string, number>
  /** The model's tokens per answer (median of the bill's users): prompt and completion as the stand-in counted them, and the total in D1. */
  promptTokens: number
  completionTokens: number
  d1Tokens: number | null
  /** The model's calls per answer. */
  modelCalls: number
  /** Tokens at MODEL_PRICES, USD per million answers. */
  modelUsdPerMillion: number
  /** Push → reply at the fake WeChat, over `pushes` users. */
  pushes: number
  concurrency: number
  successP50Ms: number
  successP99Ms: number
  replyP50Ms: number
  replyP99Ms: number
  replyMaxMs: number
  repliedOnce: number
  missing: number
  duplicated: number
  /** Replies carrying WeChat's AI label (`aimsgcontext.is_ai_msg: 1`). */
  labelled: number
}

export interface AiResult {
  model: string
  usdPerMillionInputTokens: number
  usdPerMillionOutputTokens: number
  rows: AiRow[]
}

export interface AiOptions {
  /** Pushes timed per flow (distinct users). */
  pushes: number
  concurrency: number
}

let msgIds = 8_300_000_000_000_000_000n
let users = 0
const openidOf = (tag: string) => `oAi${tag}${String(++users).padStart(8, '0')}x${Date.now() % 100000}`
const text = (openid: string, content: string) => textMessage(openid, content, String(++msgIds))

export async function runAiBench(options: AiOptions): Promise<AiResult> {
  installCleanup()
  const dir = mkdtempSync(join(tmpdir(), 'kefu-bench-ai-'))
  let service: Service | null = null
  let wechat: FakeWechat | null = null
  let llm: FakeLlm | null = null
  try {
    wechat = await startFakeWechat()
    llm = await startFakeLlm()
    const rules = { rules: [], default: { type: 'text', text: '您好，请问有什么可以帮您？' }, ai: { enabled: true } }
    const started = await startBillWorker({
      name: 'bill-worker (ai)',
      dir,
      wechatUrl: wechat.url,
      rules,
      vars: { LLM_API_BASE: llm.url, LLM_MODEL: FAKE_LLM_MODEL, LLM_API_KEY: FAKE_LLM_API_KEY },
    })
    service = started.service
    const { worker } = started
    const base = worker.base
    const api = { url: base, token: ADMIN_TOKEN }
    await loadKnowledge(api, readExampleKnowledge(join(ROOT, 'knowledge')))

    const faqText = await pick(base, FAQ_TEXTS, 'faq')
    const aiText = await pick(base, AI_TEXTS, 'ai')
    const rows: AiRow[] = []
    for (const [flow, content] of [
      ['FAQ answer', faqText],
      ['AI answer', aiText],
    ] as const) {
      const bill = await billOf(worker, llm, flow, content)
      const timing = await timeReplies(worker, wechat, flow, content, options)
      const { total, items } = price(bill.counts, bill.requestMs)
      const modelUsd = bill.promptTokens * MODEL_PRICES.input.usd + bill.completionTokens * MODEL_PRICES.output.usd
      rows.push({
        flow,
        text: content,
        ...bill,
        workersUsdPerMillion: total,
        items,
        modelUsdPerMillion: modelUsd * 1e6,
        ...timing,
      })
    }
    return {
      model: MODEL_PRICES.model,
      usdPerMillionInputTokens: MODEL_PRICES.input.usd * 1e6,
      usdPerMillionOutputTokens: MODEL_PRICES.output.usd * 1e6,
      rows,
    }
  } catch (error) {
    if (service) console.error(`see ${service.logFile} (kept: BENCH_KEEP=1)`)
    throw error
  } finally {
    await wechat?.close()
    await llm?.close()
    await service?.stop()
    if (process.env.BENCH_KEEP) console.log(`kept ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

/** The first text `/ask` answers from `source`; throws when none does (the knowledge base or the order changed). */
async function pick(base: string, texts: readonly string[], source: 'faq' | 'ai'): Promise<string> {
  const said: string[] = []
  for (const candidate of texts) {
    const res = await fetch(`${base}/admin/api/knowledge/ask`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: candidate }),
    })
    const answer = (await res.json()) as { source?: string; refused?: string }
    if (answer.source === source) return candidate
    said.push(`${candidate}: ${answer.source}${answer.refused ? ` (refused: ${answer.refused})` : ''}`)
  }
  throw new Error(`no text the ${source} answers: ${said.join('; ')}`)
}

interface Bill {
  counts: Counts
  requestMs: number
  promptTokens: number
  completionTokens: number
  d1Tokens: number | null
  modelCalls: number
}

/** RUNS users, each warm (one push before), one push of `content` measured; medians. */
async function billOf(worker: BillWorker, llm: FakeLlm, flow: AiFlow, content: string): Promise<Bill> {
  const samples: Bill[] = []
  for (let run = 0; run < RUNS; run++) {
    const openid = openidOf(flow === 'AI answer' ? 'Bill' : 'Faq')
    await pushTo(worker, text(openid, FAQ_TEXTS[0] ?? ''))
    const before = llm.calls().length
    const { counts, requestMs } = await measure(worker, openid, async () => (await pushTo(worker, text(openid, content))).ms)
    const calls = llm.calls().slice(before)
    let prompt = 0
    let completion = 0
    for (const call of calls) {
      const messages = (call.body as { messages?: ChatMessage[] } | null)?.messages
      if (Array.isArray(messages)) prompt += promptTokens(messages)
      if (call.answer !== null) completion += countTokens(call.answer)
    }
    samples.push({
      counts,
      requestMs,
      promptTokens: prompt,
      completionTokens: completion,
      d1Tokens: flow === 'AI answer' ? await d1Tokens(worker, openid) : null,
      modelCalls: calls.length,
    })
  }
  const names = [...new Set(samples.flatMap((s) => Object.keys(s.counts)))].sort()
  const d1 = samples.map((s) => s.d1Tokens).filter((n): n is number => n !== null)
  return {
    counts: Object.fromEntries(names.map((name) => [name, median(samples.map((s) => s.counts[name] ?? 0))])),
    requestMs: median(samples.map((s) => s.requestMs)),
    promptTokens: median(samples.map((s) => s.promptTokens)),
    completionTokens: median(samples.map((s) => s.completionTokens)),
    d1Tokens: d1.length === 0 ? null : median(d1),
    modelCalls: median(samples.map((s) => s.modelCalls)),
  }
}

/** The tokens the Worker recorded in D1 for the user's answers by the model (messages.tokens), summed; null when none. */
async function d1Tokens(worker: BillWorker, openid: string): Promise<number | null> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const detail = await worker.json<{ messages?: { items?: { ai?: { tokens?: number } | null }[] } }>(
      `/admin/api/conversations/${openid}`,
      {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      },
    )
    const tokens = (detail.messages?.items ?? []).flatMap((m) => (typeof m.ai?.tokens === 'number' ? [m.ai.tokens] : []))
    if (tokens.length > 0) return tokens.reduce((a, b) => a + b, 0)
    // The record is written after delivery (waitUntil): give it a moment before saying none.
    await sleep(100)
  }
  return null
}

type Timing = Pick<
  AiRow,
  | 'pushes'
  | 'concurrency'
  | 'successP50Ms'
  | 'successP99Ms'
  | 'replyP50Ms'
  | 'replyP99Ms'
  | 'replyMaxMs'
  | 'repliedOnce'
  | 'missing'
  | 'duplicated'
  | 'labelled'
>

/** `pushes` new users send `content` once each, `concurrency` at a time; their replies at the fake, timed. */
async function timeReplies(worker: BillWorker, wechat: FakeWechat, flow: AiFlow, content: string, options: AiOptions): Promise<Timing> {
  const cipher = await importCipher(KEYS.encodingAesKey, KEYS.appid)
  const tag = flow === 'AI answer' ? 'Lat' : 'Faql'
  const build = async (count: number) => {
    const built: { openid: string; query: URLSearchParams; body: string }[] = []
    for (let i = 0; i < count; i++) {
      const openid = openidOf(tag)
      const { query, body } = await buildPush(text(openid, content), { token: KEYS.token, mode: 'safe', format: 'xml', cipher })
      built.push({ openid, query, body })
    }
    return built
  }
  const send = async (pool: Awaited<ReturnType<typeof build>>, concurrency: number) => {
    const sentAt = new Map<string, number>()
    const successMs: number[] = []
    let next = 0
    const lane = async () => {
      for (;;) {
        const push = pool[next++]
        if (push === undefined) return
        const at = performance.timeOrigin + performance.now()
        sentAt.set(push.openid, at)
        const res = await fetch(`${worker.base}/wechat?${push.query}`, { method: 'POST', body: push.body })
        await res.text()
        successMs.push(performance.timeOrigin + performance.now() - at)
      }
    }
    await Promise.all(Array.from({ length: concurrency }, lane))
    return { sentAt, successMs }
  }
  // Warm-up: isolates, the access token, the model's connection.
  const warm = await build(Math.min(20, options.pushes))
  await send(warm, options.concurrency)
  await awaitReplies(wechat, new Set(warm.map((p) => p.openid)))
  const pool = await build(options.pushes)
  const { sentAt, successMs } = await send(pool, options.concurrency)
  const replies = await awaitReplies(wechat, new Set(pool.map((p) => p.openid)))
  const replyMs: number[] = []
  let repliedOnce = 0
  let duplicated = 0
  let labelled = 0
  for (const [openid, at] of sentAt) {
    const got = replies.get(openid)
    if (!got) continue
    if (got.length === 1) repliedOnce++
    else duplicated++
    if (got.some((r) => r.labelled)) labelled++
    replyMs.push(Math.min(...got.map((r) => r.at)) - at)
  }
  return {
    pushes: options.pushes,
    concurrency: options.concurrency,
    successP50Ms: percentile(successMs, 50),
    successP99Ms: percentile(successMs, 99),
    replyP50Ms: percentile(replyMs, 50),
    replyP99Ms: percentile(replyMs, 99),
    replyMaxMs: replyMs.length ? Math.max(...replyMs) : Number.NaN,
    repliedOnce,
    missing: options.pushes - replies.size,
    duplicated,
    labelled,
  }
}

/** The custom/send calls to these users, by user; waits until all have one, or nothing changes for 5 s. */
function awaitReplies(wechat: FakeWechat, openids: ReadonlySet<string>): Promise<Map<string, { at: number; labelled: boolean }[]>> {
  const read = () => {
    const replies = new Map<string, { at: number; labelled: boolean }[]>()
    for (const call of wechat.calls({ path: SEND_PATH })) {
      const body = call.body as { touser?: unknown; aimsgcontext?: { is_ai_msg?: unknown } } | null
      if (typeof body?.touser !== 'string' || !openids.has(body.touser) || call.errcode !== 0) continue
      const list = replies.get(body.touser) ?? []
      list.push({ at: call.receivedAt, labelled: body.aimsgcontext?.is_ai_msg === 1 })
      replies.set(body.touser, list)
    }
    return replies
  }
  return awaitArrivals(read, openids.size, { intervalMs: 100 })
}
