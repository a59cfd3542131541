/**
 * The pipeline bench Worker (see wrangler.toml). bench/pipeline-workerd.ts posts one case —
 * a pool of pushes pre-built in Node (bench/fixtures.ts → dev/push.ts `buildPush`), the
 * compiled rules/rules.json and the local keys — to `POST /setup`, then times
 * `POST /ours?n=K` and `POST /floor?n=K` from outside: workerd's clocks do not advance
 * during pure CPU work (Spectre mitigation), so the request's wall-clock time with n=K minus
 * that with n=0, over K, is the cost per push.
 *
 * - ours: `openPush` + `decide`, exactly as bench/pipeline.ts runs them in Node (the cipher
 *   imported once, as a warm isolate keeps it);
 * - floor: node:crypto SHA-1 over the sorted token/timestamp/nonce/Encrypt and AES-256-CBC
 *   decryption without padding handling of the same Encrypt field (extracted in Node, as the
 *   Node floor caches it: pulling it out of the body is not floor work).
 *
 * Every answer carries a checksum of the work so nothing is optimised away, and a case id so
 * the driver notices a restarted isolate (409) and posts the case again.
 */
import { Buffer } from 'node:buffer'
import { createDecipheriv, createHash } from 'node:crypto'
import { toRuleSet, type CompiledRules } from '../../src/rules/compile'
import { decide } from '../../src/rules/match'
import type { RuleSet } from '../../src/rules/rule-set'
import { importCipher, type Cipher } from '../../src/wechat/cipher'
import { openPush, type PushKeys } from '../../src/wechat/push'

export interface BenchPush {
  query: Record<string, string>
  body: string
  /** The Encrypt field of `body`, for the floor. */
  encrypt: string
}

export interface PipelineSetup {
  id: string
  keys: { token: string; encodingAesKey: string; appid: string }
  /** Seconds; the pushes' timestamps are within the freshness window of this. */
  now: number
  compiled: CompiledRules
  pushes: BenchPush[]
}

export interface RunAnswer {
  id: string
  n: number
  checksum: number
}

interface Loaded {
  id: string
  pushes: BenchPush[]
  ruleSet: RuleSet
  keys: PushKeys
  token: string
  aesKey: Buffer
  iv: Buffer
}

let loaded: Loaded | null = null

async function setup(input: PipelineSetup): Promise<Loaded> {
  const cipher: Cipher = await importCipher(input.keys.encodingAesKey, input.keys.appid)
  const aesKey = Buffer.from(`${input.keys.encodingAesKey}=`, 'base64')
  return {
    id: input.id,
    pushes: input.pushes,
    ruleSet: toRuleSet(input.compiled),
    keys: {
      token: input.keys.token,
      mode: 'safe',
      cipher: () => Promise.resolve(cipher),
      maxAgeSeconds: 300,
      now: input.now,
    },
    token: input.keys.token,
    aesKey,
    iv: aesKey.subarray(0, 16),
  }
}

async function ours(state: Loaded, n: number): Promise<number> {
  const { pushes, ruleSet, keys } = state
  let checksum = 0
  for (let i = 0; i < n; i++) {
    const push = pushes[i % pushes.length]!
    const opened = await openPush(push.query, push.body, keys)
    const plan = decide(ruleSet, opened.message, Date.now())
    checksum += plan.sends.length + (plan.ruleId === null ? 0 : 1)
  }
  return checksum
}

function floor(state: Loaded, n: number): number {
  const { pushes, token, aesKey, iv } = state
  let checksum = 0
  for (let i = 0; i < n; i++) {
    const push = pushes[i % pushes.length]!
    const sha = createHash('sha1').update([token, push.query.timestamp!, push.query.nonce!, push.encrypt].sort().join('')).digest('hex')
    const decipher = createDecipheriv('aes-256-cbc', aesKey, iv)
    decipher.setAutoPadding(false)
    const plain = Buffer.concat([decipher.update(Buffer.from(push.encrypt, 'base64')), decipher.final()])
    checksum += sha.length + plain.length
  }
  return checksum
}

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url)
    if (request.method !== 'POST') return new Response('pipeline bench')
    if (url.pathname === '/setup') {
      loaded = await setup((await request.json()) as PipelineSetup)
      return Response.json({ id: loaded.id })
    }
    const op = url.pathname === '/ours' ? ours : url.pathname === '/floor' ? floor : null
    if (!op) return new Response('not found', { status: 404 })
    const id = url.searchParams.get('case') ?? ''
    if (!loaded || loaded.id !== id) return new Response('not set up', { status: 409 })
    const n = Number(url.searchParams.get('n') ?? '0')
    if (!Number.isInteger(n) || n < 0) return new Response('bad n', { status: 400 })
    try {
      const checksum = await op(loaded, n)
      return Response.json({ id, n, checksum } satisfies RunAnswer)
    } catch (error) {
      return new Response(String(error instanceof Error ? (error.stack ?? error.message) : error), { status: 500 })
    }
  },
}
