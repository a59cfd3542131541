/**
 * Cloudflare's Workers Paid list prices, per unit beyond what the plan includes each month
 * (the $5 monthly base fee covers the included amounts). Read 2026-12-02 from the pricing
 * pages' dated copies named below; check the pages before relying on a number.
 */
export interface Price {
  /** USD per unit. */
  usd: number
  unit: string
  source: string
  /** The "Last updated" date of the page read. */
  asOf: string
}

const WORKERS = 'https://developers.cloudflare.com/workers/platform/pricing/'
const DO = 'https://developers.cloudflare.com/durable-objects/platform/pricing/'
const KV = 'https://developers.cloudflare.com/kv/platform/pricing/'
const D1 = 'https://developers.cloudflare.com/d1/platform/pricing/'
const QUEUES = 'https://developers.cloudflare.com/queues/platform/pricing/'

export const PRICES = {
  workerRequest: { usd: 0.3 / 1e6, unit: 'request', source: WORKERS, asOf: '2026-07-07' },
  cpuMs: { usd: 0.02 / 1e6, unit: 'CPU ms', source: WORKERS, asOf: '2026-07-07' },
  /** RPC method calls and alarm invocations alike. */
  doRequest: { usd: 0.15 / 1e6, unit: 'request', source: DO, asOf: '2026-06-19' },
  /** Billed for 128 MB whatever is used: one active second is 0.125 GB-s. */
  doGbSecond: { usd: 12.5 / 1e6, unit: 'GB-s', source: DO, asOf: '2026-06-19' },
  sqliteRowRead: { usd: 0.001 / 1e6, unit: 'row', source: DO, asOf: '2026-06-19' },
  /** Each setAlarm() is billed as a row written. */
  sqliteRowWritten: { usd: 1 / 1e6, unit: 'row', source: DO, asOf: '2026-06-19' },
  kvRead: { usd: 0.5 / 1e6, unit: 'key read', source: KV, asOf: '2026-04-21' },
  kvWrite: { usd: 5 / 1e6, unit: 'key written', source: KV, asOf: '2026-04-21' },
  kvDelete: { usd: 5 / 1e6, unit: 'key deleted', source: KV, asOf: '2026-04-21' },
  kvList: { usd: 5 / 1e6, unit: 'list', source: KV, asOf: '2026-04-21' },
  d1RowRead: { usd: 0.001 / 1e6, unit: 'row', source: D1, asOf: '2026-04-21' },
  d1RowWritten: { usd: 1 / 1e6, unit: 'row', source: D1, asOf: '2026-04-21' },
  /** A message under 64 KB: a write, a read and a delete. */
  queueOperation: { usd: 0.4 / 1e6, unit: 'operation', source: QUEUES, asOf: '2026-04-21' },
} satisfies Record<string, Price>

/** Subrequests are not billed ("Cloudflare does not bill for subrequests you make from your Worker", the Workers page). */
export const SUBREQUESTS_BILLED = false

/**
 * What the model's tokens cost: an assumption, not a bill. DeepSeek's list price for
 * `deepseek-flash` (DeepSeek-V4.1-Flash, its OpenAI-compatible chat model, the successor of
 * `deepseek-chat`) at the PEAK rate, cache-miss input — the dearest case; off-peak is half, and
 * a prompt prefix the cache hits (the system prompt) is about 2 % of it. Read 2026-12-07 from
 * the stored copy of https://api-docs.deepseek.com/quick_start/pricing naming
 * DeepSeek-V4.1-Flash-1017 (a copy dated 2026-10-27 elsewhere lists the same rates); check the
 * page before relying on a number. The tokens priced are the stand-in's (dev/fake-llm.ts: one
 * per CJK character, one per 4 other characters), not DeepSeek's tokenizer, whose counts for
 * Chinese run lower; the prompt is the Worker's real one.
 */
export const MODEL_PRICES = {
  model: 'deepseek-flash (peak, cache miss)',
  input: { usd: 0.3 / 1e6, unit: 'input token', source: 'https://api-docs.deepseek.com/quick_start/pricing', asOf: '2026-10-27' },
  output: { usd: 1.2 / 1e6, unit: 'output token', source: 'https://api-docs.deepseek.com/quick_start/pricing', asOf: '2026-10-27' },
} as const satisfies { model: string; input: Price; output: Price }
