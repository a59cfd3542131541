/**
 * Pipeline micro-benchmark (Node): what opening one safe-mode text push costs — verify the
 * msg_signature, decrypt, parse, match against rules/rules.json — at 10 B, 1 KB and 8 KB of
 * message content, XML and JSON, side by side with:
 *
 * - floor: Node's native `crypto` doing only the SHA-1 over the sorted parts and the
 *   AES-256-CBC decryption (no padding handling) of the same Encrypt field;
 * - peer: what co-wechat 2.4.0 runs per push — xml2js parse of the envelope, formatMessage,
 *   wechat-crypto's getSignature and decrypt, xml2js parse of the inner message,
 *   formatMessage — then the naive in-order rule scan a hand-written handler does. For JSON
 *   (co-wechat has no JSON mode) the two xml2js parses are JSON.parse.
 *
 * Method: a pool of 64 distinct pushes per case, each implementation warmed up for 250 ms,
 * then 7 timed runs of ~150 ms (sequential awaited calls); ops/s is the median run.
 *
 * In Node each WebCrypto call is an async thread-pool hop (60–80 µs), three per push, so
 * "ours" here mostly prices Node's WebCrypto glue. bench/pipeline-workerd.ts runs the same
 * cases (benchRules, pipelinePool, encryptField below) inside workerd, where the Worker runs.
 */
import { createDecipheriv, createHash } from 'node:crypto'
import WXBizMsgCrypt from 'wechat-crypto'
import xml2js from 'xml2js'
import { toRuleSet } from '../src/rules/compile'
import { decide } from '../src/rules/match'
import type { RuleSetSource } from '../src/rules/schema'
import type { Cipher } from '../src/wechat/cipher'
import type { PushFormat } from '../src/wechat/message'
import { openPush } from '../src/wechat/push'
import { checkRulesFile, DEFAULT_RULES_PATH, type CheckedRules } from '../scripts/rules-file'
import { cipherFor, contentOfBytes, KEYS, signedPush, type SignedPush } from './fixtures'
import { naiveRules } from './rules'
import { median } from './timing'

export const PIPELINE_SIZES = [10, 1024, 8192] as const
export const PIPELINE_FORMATS: PushFormat[] = ['xml', 'json']
const POOL = 64

export interface Measure {
  opsPerSec: number
  usPerOp: number
  /** Spread of the timed runs: (max − min) / median, in %. */
  spreadPct: number
}

export interface PipelineRow {
  format: PushFormat
  bytes: number
  /** Size of the HTTP body WeChat sends (the encrypted envelope). */
  bodyBytes: number
  ours: Measure
  floor: Measure
  peer: Measure
  /** µs ours / µs floor: ≤ 2 meets the target. */
  oursOverFloor: number
  /** µs ours / µs peer: ≤ 1/3 meets the target. */
  oursOverPeer: number
}

export interface PipelineOptions {
  warmupMs?: number
  runMs?: number
  runs?: number
}

type Op = (push: SignedPush) => unknown

export async function runPipelineBench(options: PipelineOptions = {}): Promise<PipelineRow[]> {
  const warmupMs = options.warmupMs ?? 250
  const runMs = options.runMs ?? 150
  const runs = options.runs ?? 7
  const { checked, source } = await benchRules()
  const ruleSet = toRuleSet(checked.compiled)
  const naive = naiveRules(source)
  const cipher = await cipherFor()
  const now = Math.floor(Date.now() / 1000)

  const ours: Op = async (push) => {
    const opened = await openPush(push.query, push.body, {
      token: KEYS.token,
      mode: 'safe',
      cipher: () => Promise.resolve(cipher),
      maxAgeSeconds: 300,
      now,
    })
    return decide(ruleSet, opened.message, Date.now())
  }

  // The floor: the key and IV decoded once, as any server would keep them.
  const aesKey = Buffer.from(`${KEYS.encodingAesKey}=`, 'base64')
  const iv = aesKey.subarray(0, 16)
  const floorOp = (format: PushFormat): Op => {
    // Only the Encrypt field's bytes matter; pulling it out of the body is not floor work.
    const encryptOf = encryptField(format)
    return (push) => {
      const encrypt = encryptOf(push)
      const sha = createHash('sha1').update([KEYS.token, push.query.timestamp!, push.query.nonce!, encrypt].sort().join('')).digest('hex')
      const decipher = createDecipheriv('aes-256-cbc', aesKey, iv)
      decipher.setAutoPadding(false)
      const plain = Buffer.concat([decipher.update(Buffer.from(encrypt, 'base64')), decipher.final()])
      return sha.length + plain.length
    }
  }

  const cryptor = new WXBizMsgCrypt(KEYS.token, KEYS.encodingAesKey, KEYS.appid)
  const peerMatch = (content: unknown) => naive.match(typeof content === 'string' ? content : '')
  const peerXml: Op = async (push) => {
    const outer = formatMessage((await parseXml(push.body)).xml)
    const encrypt = String(outer.Encrypt)
    if (push.query.msg_signature !== cryptor.getSignature(push.query.timestamp!, push.query.nonce!, encrypt)) {
      throw new Error('peer: bad signature')
    }
    const inner = formatMessage((await parseXml(cryptor.decrypt(encrypt).message)).xml)
    return peerMatch(inner.Content)
  }
  const peerJson: Op = async (push) => {
    const outer = JSON.parse(push.body) as Record<string, unknown>
    const encrypt = String(outer.Encrypt)
    if (push.query.msg_signature !== cryptor.getSignature(push.query.timestamp!, push.query.nonce!, encrypt)) {
      throw new Error('peer: bad signature')
    }
    const inner = JSON.parse(cryptor.decrypt(encrypt).message) as Record<string, unknown>
    return peerMatch(inner.Content)
  }

  const rows: PipelineRow[] = []
  for (const format of PIPELINE_FORMATS) {
    for (const bytes of PIPELINE_SIZES) {
      const pool = await pipelinePool(format, bytes, cipher, now)
      // Every implementation must succeed on the pool before it is timed.
      for (const push of pool) {
        await ours(push)
        floorOp(format)(push)
        await (format === 'xml' ? peerXml : peerJson)(push)
      }
      const measure = (op: Op) => timeOp(op, pool, { warmupMs, runMs, runs })
      const oursM = await measure(ours)
      const floorM = await measure(floorOp(format))
      const peerM = await measure(format === 'xml' ? peerXml : peerJson)
      rows.push({
        format,
        bytes,
        bodyBytes: new TextEncoder().encode(pool[0]!.body).length,
        ours: oursM,
        floor: floorM,
        peer: peerM,
        oursOverFloor: oursM.usPerOp / floorM.usPerOp,
        oursOverPeer: oursM.usPerOp / peerM.usPerOp,
      })
    }
  }
  return rows
}

/** rules/rules.json, checked and compiled as `rules:push` would (shared with the workerd run). */
export async function benchRules(): Promise<{ checked: CheckedRules; source: RuleSetSource }> {
  const checked = await checkRulesFile(DEFAULT_RULES_PATH)
  if (!checked) throw new Error(`${DEFAULT_RULES_PATH} does not check`)
  const source = JSON.parse(new TextDecoder().decode(checked.bytes)) as RuleSetSource
  return { checked, source }
}

/** The pool of POOL distinct safe-mode text pushes of one case (shared with the workerd run). */
export async function pipelinePool(format: PushFormat, bytes: number, cipher: Cipher, now: number): Promise<SignedPush[]> {
  const pool: SignedPush[] = []
  for (let i = 0; i < POOL; i++) {
    pool.push(
      await signedPush({
        openid: `oBench${String(i).padStart(6, '0')}`,
        content: contentOfBytes(bytes, i),
        msgId: String(24000000000000000n + BigInt(i)),
        format,
        timestamp: now,
        nonce: String(100000 + i),
        cipher,
      }),
    )
  }
  return pool
}

export function encryptField(format: PushFormat): (push: SignedPush) => string {
  const cache = new Map<string, string>()
  return (push) => {
    let value = cache.get(push.body)
    if (value === undefined) {
      value =
        format === 'json'
          ? String((JSON.parse(push.body) as { Encrypt: string }).Encrypt)
          : (/<Encrypt><!\[CDATA\[([^\]]*)\]\]><\/Encrypt>/.exec(push.body)?.[1] ?? '')
      cache.set(push.body, value)
    }
    return value
  }
}

/**
 * Times `op` over the pool: warm-up, then `runs` runs of a fixed number of sequential calls
 * (sized from the warm-up to last about runMs). Sync results are not awaited, so the floor
 * carries no promise overhead.
 */
async function timeOp(op: Op, pool: readonly SignedPush[], { warmupMs, runMs, runs }: Required<PipelineOptions>): Promise<Measure> {
  let i = 0
  const call = () => op(pool[i++ % pool.length]!)
  const loop = async (n: number) => {
    for (let k = 0; k < n; k++) {
      const result = call()
      if (result instanceof Promise) await result
    }
  }
  const warmStart = performance.now()
  let warmCalls = 0
  while (performance.now() - warmStart < warmupMs) {
    await loop(16)
    warmCalls += 16
  }
  const perCallMs = (performance.now() - warmStart) / warmCalls
  const n = Math.max(16, Math.round(runMs / perCallMs))
  const opsPerSec: number[] = []
  for (let r = 0; r < runs; r++) {
    const start = performance.now()
    await loop(n)
    opsPerSec.push((n * 1000) / (performance.now() - start))
  }
  const mid = median(opsPerSec)
  return {
    opsPerSec: mid,
    usPerOp: 1e6 / mid,
    spreadPct: ((Math.max(...opsPerSec) - Math.min(...opsPerSec)) / mid) * 100,
  }
}

function parseXml(xml: string): Promise<{ xml: unknown }> {
  return new Promise((resolve, reject) => {
    xml2js.parseString(xml, { trim: true }, (error: Error | null, result: { xml: unknown }) => {
      if (error) reject(error)
      else resolve(result)
    })
  })
}

/** co-wechat 2.4.0's formatMessage (lib/wechat.js), unchanged apart from types. */
function formatMessage(result: unknown): Record<string, unknown> {
  const message: Record<string, unknown> = {}
  if (typeof result === 'object' && result !== null) {
    const record = result as Record<string, unknown>
    for (const key in record) {
      const value = record[key]
      if (!Array.isArray(value) || value.length === 0) continue
      if (value.length === 1) {
        const val: unknown = value[0]
        message[key] = typeof val === 'object' ? formatMessage(val) : String(val || '').trim()
      } else {
        message[key] = value.map((item: unknown) => formatMessage(item))
      }
    }
  }
  return message
}
