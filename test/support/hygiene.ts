/**
 * Secret hygiene for a whole test file: every console line the Worker and its Durable
 * Objects write, and every response body the file reads through `hygiene.fetch`, is kept
 * for the file's lifetime and scanned in afterAll for the app secret, the push token, the
 * AES key, the admin token and every access_token the fake WeChat API issued to the test
 * appid. A file that uses this cannot leak one of them without failing.
 *
 * Also counts what the file did, for the one-line summary `report()` prints (the numbers
 * docs/reliability.md quotes).
 */
import { captureLogs, keepAnswer, workerFetch } from './helpers'
import { TEST_SETTINGS } from './settings'

export const APPID = TEST_SETTINGS.WECHAT_APPID
export const WORKER = 'https://kefu.example'

export { findSecrets, STATIC_SECRETS } from './helpers'

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

/** The real console.log, for summaries printed while the console is being captured. */
const print = console.log.bind(console)

export function watchSecrets(file: string): Hygiene {
  const counts: Record<string, number> = {}
  const logs = captureLogs((scan) => {
    counts.scannedLines = scan.lines
    counts.scannedBodies = scan.answers
    counts.scannedTokens = scan.tokens
    print(`[reliability] ${file}: ${JSON.stringify(counts)}`)
  })

  return {
    lines: logs.lines,
    all: logs.all,
    bodies: logs.answers,
    counts,
    events: logs.events,
    count(name, by = 1) {
      counts[name] = (counts[name] ?? 0) + by
    },
    async fetch(url, init) {
      const res = await workerFetch(url.startsWith('http') ? url : `${WORKER}${url}`, init)
      const text = await res.text()
      keepAnswer(text)
      return { status: res.status, text, headers: res.headers }
    },
  }
}
