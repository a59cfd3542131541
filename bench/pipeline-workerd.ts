/**
 * The pipeline micro-benchmark inside workerd: the same cases as bench/pipeline.ts (XML and
 * JSON, 10 B / 1 KB / 8 KB, the same pushes, keys and compiled rules/rules.json), run by the
 * bench Worker in bench/pipeline-worker/ under `wrangler dev`.
 *
 * Why: in Node each WebCrypto call is an async hop through the libuv thread pool (60–80 µs),
 * so the Node table mostly prices Node's WebCrypto glue; the deployed Worker runs on workerd,
 * where the same calls are synchronous BoringSSL. The floor here is node:crypto under
 * nodejs_compat — also BoringSSL, synchronous.
 *
 * Method: workerd's clocks stand still during pure CPU work (Spectre mitigation), so every
 * timing is the wall-clock time of a whole request, taken in Node. Per case and
 * implementation: validate (the Worker's checksum over the pool must equal the one computed
 * in Node), warm up for ~warmupMs, size K so that K ops take ~targetMs, then `reps` pairs of
 * requests with n=0 and n=K; µs/op of a pair = (t(n=K) − median t(n=0)) / K, and the
 * reported value is the median pair. The request overhead (Node's fetch, Wrangler's dev
 * proxy, workerd's HTTP) cancels out in the subtraction.
 */
import { createDecipheriv, createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { toRuleSet } from '../src/rules/compile'
import { decide } from '../src/rules/match'
import type { PushFormat } from '../src/wechat/message'
import { openPush } from '../src/wechat/push'
import { cipherFor, KEYS, type SignedPush } from './fixtures'
import { benchRules, encryptField, PIPELINE_FORMATS, PIPELINE_SIZES, pipelinePool } from './pipeline'
import type { BenchPush, PipelineSetup, RunAnswer } from './pipeline-worker/worker'
import { freePort, installCleanup, startWranglerDev, type Service, waitForHttp } from './processes'
import { median } from './timing'

const ROOT = resolve(import.meta.dirname, '..')
const CONFIG = join(ROOT, 'bench', 'pipeline-worker', 'wrangler.toml')

type OpName = 'ours' | 'floor'

export interface WorkerdMeasure {
  /** Median of the timed pairs. */
  usPerOp: number
  /** Best pair: contention from other processes only ever adds time. */
  minUsPerOp: number
  opsPerSec: number
  /** Spread of the timed pairs: (max − min) / median, in %. */
  spreadPct: number
  /** Ops per timed request. */
  k: number
  reps: number
  /** Median wall-clock of a request with n=0 (the overhead subtracted), ms. */
  emptyRequestMs: number
}

export interface WorkerdPipelineRow {
  format: PushFormat
  bytes: number
  bodyBytes: number
  ours: WorkerdMeasure
  floor: WorkerdMeasure
  /** µs ours / µs floor, both in workerd: ≤ 2 meets the target. */
  oursOverFloor: number
}

export interface WorkerdPipelineOptions {
  /** Wall-clock aimed at per timed request, ms. */
  targetMs?: number
  reps?: number
  warmupMs?: number
}

class NotSetUp extends Error {}

export async function runPipelineWorkerd(options: WorkerdPipelineOptions = {}): Promise<WorkerdPipelineRow[]> {
  installCleanup()
  const dir = mkdtempSync(join(tmpdir(), 'kefu-bench-pipeline-'))
  let service: Service | null = null
  try {
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    service = await startWranglerDev({
      name: 'pipeline-worker',
      port,
      persistTo: join(dir, 'state'),
      logFile: join(dir, 'pipeline-worker.log'),
      config: CONFIG,
    })
    await waitForHttp(base, service, 90_000)
    return await measureWorker(base, options)
  } finally {
    await service?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Every case against a bench Worker already listening at `base`. */
export async function measureWorker(base: string, options: WorkerdPipelineOptions = {}): Promise<WorkerdPipelineRow[]> {
  const targetMs = options.targetMs ?? 80
  const reps = options.reps ?? 15
  const warmupMs = options.warmupMs ?? 300
  const { checked } = await benchRules()
  const ruleSet = toRuleSet(checked.compiled)
  const cipher = await cipherFor()
  const now = Math.floor(Date.now() / 1000)
  const rows: WorkerdPipelineRow[] = []
  for (const format of PIPELINE_FORMATS) {
    const encryptOf = encryptField(format)
    for (const bytes of PIPELINE_SIZES) {
      const pool = await pipelinePool(format, bytes, cipher, now)
      const setup: PipelineSetup = {
        id: `${format}-${bytes}-${now}`,
        keys: { token: KEYS.token, encodingAesKey: KEYS.encodingAesKey, appid: KEYS.appid },
        now,
        compiled: checked.compiled,
        pushes: pool.map((push): BenchPush => ({ query: push.query, body: push.body, encrypt: encryptOf(push) })),
      }
      // What the Worker must answer for one pass over the pool: the same work, done in Node.
      const expected: Record<OpName, number> = { ours: 0, floor: 0 }
      for (const push of pool) {
        const opened = await openPush(push.query, push.body, {
          token: KEYS.token,
          mode: 'safe',
          cipher: () => Promise.resolve(cipher),
          maxAgeSeconds: 300,
          now,
        })
        const plan = decide(ruleSet, opened.message, Date.now())
        expected.ours += plan.sends.length + (plan.ruleId === null ? 0 : 1)
        expected.floor += floorChecksum(push, encryptOf(push))
      }
      const worker = new CaseClient(base, setup)
      await worker.setUp()
      const measure = async (op: OpName): Promise<WorkerdMeasure> => {
        const answer = await worker.run(op, pool.length)
        if (answer.checksum !== expected[op]) {
          throw new Error(`pipeline-worker ${op} ${format} ${bytes} B: checksum ${answer.checksum}, Node computed ${expected[op]}`)
        }
        return timeInWorkerd(worker, op, { targetMs, reps, warmupMs })
      }
      const ours = await measure('ours')
      const floor = await measure('floor')
      rows.push({
        format,
        bytes,
        bodyBytes: new TextEncoder().encode(pool[0]!.body).length,
        ours,
        floor,
        oursOverFloor: ours.usPerOp / floor.usPerOp,
      })
    }
  }
  return rows
}

function floorChecksum(push: SignedPush, encrypt: string): number {
  const aesKey = Buffer.from(`${KEYS.encodingAesKey}=`, 'base64')
  const sha = createHash('sha1').update([KEYS.token, push.query.timestamp!, push.query.nonce!, encrypt].sort().join('')).digest('hex')
  const decipher = createDecipheriv('aes-256-cbc', aesKey, aesKey.subarray(0, 16))
  decipher.setAutoPadding(false)
  return sha.length + Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()]).length
}

/** One case loaded into the bench Worker; posts it again if the isolate was restarted. */
class CaseClient {
  constructor(
    private readonly base: string,
    private readonly setup: PipelineSetup,
  ) {}

  async setUp(): Promise<void> {
    const response = await fetch(`${this.base}/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(this.setup),
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`pipeline-worker /setup: ${response.status} ${text}`)
  }

  /** One request; its wall-clock time in ms and the Worker's answer. */
  async timed(op: OpName, n: number): Promise<{ ms: number; answer: RunAnswer }> {
    const url = `${this.base}/${op}?case=${encodeURIComponent(this.setup.id)}&n=${n}`
    const start = performance.now()
    const response = await fetch(url, { method: 'POST' })
    const text = await response.text()
    const ms = performance.now() - start
    if (response.status === 409) throw new NotSetUp()
    if (!response.ok) throw new Error(`pipeline-worker ${op}?n=${n}: ${response.status} ${text}`)
    return { ms, answer: JSON.parse(text) as RunAnswer }
  }

  async run(op: OpName, n: number): Promise<RunAnswer> {
    return (await this.withSetup(() => this.timed(op, n))).answer
  }

  /** Runs `fn`; if the Worker lost the case (a new isolate), posts it again and retries once. */
  async withSetup<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      if (!(error instanceof NotSetUp)) throw error
      await this.setUp()
      return fn()
    }
  }
}

async function timeInWorkerd(
  worker: CaseClient,
  op: OpName,
  { targetMs, reps, warmupMs }: Required<WorkerdPipelineOptions>,
): Promise<WorkerdMeasure> {
  return worker.withSetup(async () => {
    // Warm-up (JIT, allocator) with requests doubling in size until each is ≥ 20 ms of work;
    // the last one sizes K.
    const warmStart = performance.now()
    let k = 16
    let perOpMs: number
    for (;;) {
      const empty = (await worker.timed(op, 0)).ms
      const work = (await worker.timed(op, k)).ms - empty
      if (work >= 20 && performance.now() - warmStart >= warmupMs) {
        perOpMs = work / k
        break
      }
      if (work < 20) k *= 2
    }
    const K = Math.max(64, Math.min(1_000_000, Math.round(targetMs / perOpMs)))
    const zeros: number[] = []
    const fulls: number[] = []
    for (let r = 0; r < reps; r++) {
      zeros.push((await worker.timed(op, 0)).ms)
      fulls.push((await worker.timed(op, K)).ms)
    }
    const empty = median(zeros)
    const perOpUs = fulls.map((ms) => ((ms - empty) * 1000) / K)
    const usPerOp = median(perOpUs)
    return {
      usPerOp,
      minUsPerOp: Math.min(...perOpUs),
      opsPerSec: 1e6 / usPerOp,
      spreadPct: ((Math.max(...perOpUs) - Math.min(...perOpUs)) / usPerOp) * 100,
      k: K,
      reps,
      emptyRequestMs: empty,
    }
  })
}
