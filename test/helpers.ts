/** Driving the Worker as WeChat does, and watching what it logs. */
import { exports } from 'cloudflare:workers'
import { afterEach, beforeEach, expect, vi } from 'vitest'
import { buildPush, type PushMode, type PushOptions } from '../dev/push'
import { importCipher } from '../src/wechat/cipher'
import type { FlatFields, PushFormat } from '../src/wechat/message'
import { TEST_SETTINGS } from './settings'

export const BASE = 'https://kefu.example'

export function testCipher() {
  return importCipher(TEST_SETTINGS.WECHAT_ENCODING_AES_KEY, TEST_SETTINGS.WECHAT_APPID)
}

export async function pushOptions(
  mode: PushMode,
  format: PushFormat,
  extra: Partial<PushOptions> = {},
): Promise<PushOptions> {
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

export function post(query: URLSearchParams | string, body: BodyInit, headers?: HeadersInit) {
  return exports.default.fetch(`${BASE}/wechat?${query}`, { method: 'POST', body, headers })
}

/** Every console line the Worker writes during a test, parsed. */
export function captureLogs(): { lines: string[]; events: () => Record<string, unknown>[] } {
  const lines: string[] = []
  beforeEach(() => {
    lines.length = 0
    for (const method of ['log', 'warn', 'error', 'info', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(' '))
      })
    }
  })
  afterEach(() => {
    vi.restoreAllMocks()
  })
  return {
    lines,
    events: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  }
}

/** The error a promise rejects with, asserted to be of the given class. */
export async function rejection<E extends Error>(
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => E,
): Promise<E> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(type)
  return error as E
}
