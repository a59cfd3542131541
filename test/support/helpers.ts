/** Driving the Worker as WeChat does, and watching what it logs. */
import { env, exports } from 'cloudflare:workers'
import { afterAll, afterEach, beforeEach, expect, vi } from 'vitest'
import { FAKE_LLM_API_KEY } from '../../dev/fake-llm-types'
import { buildPush, type PushMode, type PushOptions } from '../../dev/push'
import { app } from '../../src/app'
import { importCipher } from '../../src/wechat/cipher'
import type { FlatFields, PushFormat } from '../../src/wechat/message'
import { fakeWechat } from './fake-wechat-client'
import { SECOND_APP, TEST_SETTINGS } from './settings'

export const BASE = 'https://kefu.example'

export function testCipher() {
  return importCipher(TEST_SETTINGS.WECHAT_ENCODING_AES_KEY, TEST_SETTINGS.WECHAT_APPID)
}

export async function pushOptions(mode: PushMode, format: PushFormat, extra: Partial<PushOptions> = {}): Promise<PushOptions> {
  return { token: TEST_SETTINGS.WECHAT_TOKEN, mode, format, cipher: await testCipher(), ...extra }
}

/** POSTs a message to /wechat as WeChat would, in the given mode and format. */
export async function push(
  message: FlatFields | string,
  mode: PushMode = 'safe',
  format: PushFormat = 'xml',
  extra: Partial<PushOptions> = {},
): Promise<Response> {
  const { query, body } = await buildPush(message, await pushOptions(mode, format, extra))
  return post(query, body)
}

export async function post(query: URLSearchParams | string, body: BodyInit, headers?: HeadersInit) {
  const res = await workerFetch(`${BASE}/wechat?${query}`, { method: 'POST', body, headers })
  keepAnswer(await res.clone().text())
  return res
}

/**
 * The Worker as deployed for the push it is sent. The test settings hold an AES key, so the
 * default mode is safe and refuses plaintext pushes: a push without `encrypt_type` goes to
 * the same Worker with `WECHAT_PUSH_MODE=plaintext`, the deployment WeChat would send it to.
 * (Tests of the refusal itself call the Worker directly.)
 */
export async function workerFetch(url: string, init?: RequestInit): Promise<Response> {
  const target = new URL(url, BASE)
  const plaintextPush = init?.method === 'POST' && target.pathname === '/wechat' && !target.searchParams.has('encrypt_type')
  if (!plaintextPush) return exports.default.fetch(target.href, init)
  // Imported when needed: `cloudflare:test` costs seconds per test file to load (apply-migrations.ts).
  const { createExecutionContext } = await import('cloudflare:test')
  return app.fetch(new Request(target, init), { ...env, WECHAT_PUSH_MODE: 'plaintext' }, createExecutionContext())
}

/** The secrets no log line and no answer may contain (besides the access_tokens issued). */
export const STATIC_SECRETS = [
  TEST_SETTINGS.WECHAT_APPSECRET,
  TEST_SETTINGS.WECHAT_TOKEN,
  TEST_SETTINGS.WECHAT_ENCODING_AES_KEY,
  TEST_SETTINGS.ADMIN_TOKEN,
  TEST_SETTINGS.WEBHOOK_SECRET,
  TEST_SETTINGS.WECOM_KF_SECRET,
  TEST_SETTINGS.WECOM_KF_TOKEN,
  TEST_SETTINGS.WECOM_KF_ENCODING_AES_KEY,
  SECOND_APP.secret,
  SECOND_APP.token,
  SECOND_APP.aesKey,
  // The stand-in model's key (vitest.config.ts binds LLM_API_KEY to it).
  FAKE_LLM_API_KEY,
] as const

/** Which of `secrets` occur in `texts`, by position in the list (never the value). */
export function findSecrets(texts: readonly string[], secrets: readonly string[]): string[] {
  const haystack = texts.join('\n')
  return secrets.flatMap((secret, i) => (secret !== '' && haystack.includes(secret) ? [`secret #${i}`] : []))
}

/** Every answer body the file read through `post`/`push` (or `keepAnswer`), for the scan. */
const answers: string[] = []

export function keepAnswer(text: string): void {
  answers.push(text)
}

export interface CapturedLogs {
  /** Lines of the current test (cleared before each test). */
  lines: string[]
  /** Every line of the file so far. */
  all: string[]
  /** Every answer body kept so far. */
  answers: string[]
  events(): Record<string, unknown>[]
}

/** What a clean scan covered. */
export interface SecretScan {
  lines: number
  answers: number
  tokens: number
}

/**
 * Every console line the Worker writes during a test, parsed. In afterAll, every line and
 * every kept answer of the file is scanned for the app secret, the push token, the AES key,
 * the admin token and every access_token the fake issued to the test appid.
 */
export function captureLogs(onClean?: (scan: SecretScan) => void): CapturedLogs {
  const lines: string[] = []
  const all: string[] = []
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
    if (all.length === 0 && answers.length === 0) return
    const issued = (await fakeWechat.app(TEST_SETTINGS.WECHAT_APPID)).tokens.map((t) => t.token)
    const leaked = findSecrets([...all, ...answers], [...STATIC_SECRETS, ...issued])
    // Names the kind of value only: the failure message itself must not leak it.
    if (leaked.length > 0) throw new Error(`${leaked.join(', ')} appear in a log line or an answer`)
    onClean?.({ lines: all.length, answers: answers.length, tokens: issued.length })
  })
  return {
    lines,
    all,
    answers,
    events: () =>
      lines.flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>]
        } catch {
          return []
        }
      }),
  }
}

/** The error a promise rejects with, asserted to be of the given class. */
export async function rejection<E extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(type)
  return error as E
}
