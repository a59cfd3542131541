/**
 * Secret hygiene for a whole test file: every console line the Worker and its Durable
 * Objects write, and every response body the file reads through `hygiene.fetch`, is kept
 * for the file's lifetime and scanned in afterAll for the app secret, the push token, the
 * AES key, the admin token and every access_token the fake WeChat API issued to the test
 * appid. A file that uses this cannot leak one of them without failing.
 *
 * Also counts what the file did, for the one-line summary `report()` prints (the numbers
 * the README's "Reliability" section quotes).
 */
import { exports } from 'cloudflare:workers'
import { afterAll, afterEach, beforeEach, expect, vi } from 'vitest'
import { fakeWechat } from './fake-wechat-client'
import { TEST_SETTINGS } from './settings'

export const APPID = TEST_SETTINGS.WECHAT_APPID
export const WORKER = 'https://kefu.example'

/** The secrets no log line and no answer may contain. */
export const STATIC_SECRETS = [
  TEST_SETTINGS.WECHAT_APPSECRET,
  TEST_SETTINGS.WECHAT_TOKEN,
  TEST_SETTINGS.WECHAT_ENCODING_AES_KEY,
  TEST_SETTINGS.ADMIN_TOKEN,
] as const

export interface Answer {
  status: number
  text: string
  headers: Headers
}

export interface Hygiene {
  /** Lines of the current test (cleared before each test). */
  lines: string[]
  /** Every line of the file so far. */
  all: string[]
  /** Every response body the file read. */
  bodies: string[]
  events(): Record<string, unknown>[]
  /** Calls the Worker and keeps its answer's body for the scan. */
  fetch(url: string, init?: RequestInit): Promise<Answer>
  /** Counters for the summary line. */
  counts: Record<string, number>
  count(name: string, by?: number): void
}

/** Which of `secrets` occur in `texts`, by position in the list (never the value). */
export function findSecrets(texts: readonly string[], secrets: readonly string[]): string[] {
  const haystack = texts.join('\n')
  return secrets.flatMap((secret, i) => (secret !== '' && haystack.includes(secret) ? [`secret #${i}`] : []))
}

/** The real console.log, for summaries printed while the console is being captured. */
const print = console.log.bind(console)

export function watchSecrets(file: string): Hygiene {
  const lines: string[] = []
  const all: string[] = []
  const bodies: string[] = []
  const counts: Record<string, number> = {}

  beforeEach(() => {
    lines.length = 0
    for (const method of ['log', 'warn', 'error', 'info', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        const line = args.map(String).join(' ')
        lines.push(line)
        all.push(line)
      })
    }
  })
  afterEach(() => {
    vi.restoreAllMocks()
  })
  afterAll(async () => {
    // A run filtered down to tests that did nothing has nothing to scan.
    if (all.length === 0 && bodies.length === 0) return
    const tokens = (await fakeWechat.app(APPID)).tokens.map((t) => t.token)
    const leaked = findSecrets([...all, ...bodies], [...STATIC_SECRETS, ...tokens])
    // Names the kind of value only: the failure message itself must not leak it.
    if (leaked.length > 0) throw new Error(`${file}: ${leaked.join(', ')} appear in a log line or an answer`)
    counts.scannedLines = all.length
    counts.scannedBodies = bodies.length
    counts.scannedTokens = tokens.length
    print(`[reliability] ${file}: ${JSON.stringify(counts)}`)
  })

  return {
    lines,
    all,
    bodies,
    counts,
    events: () =>
      lines.flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>]
        } catch {
          return []
        }
      }),
    count(name, by = 1) {
      counts[name] = (counts[name] ?? 0) + by
    },
    async fetch(url, init) {
      const res = await exports.default.fetch(url.startsWith('http') ? url : `${WORKER}${url}`, init)
      const text = await res.text()
      bodies.push(text)
      return { status: res.status, text, headers: res.headers }
    },
  }
}
