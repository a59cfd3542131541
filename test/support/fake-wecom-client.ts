/**
 * Driving the 微信客服 stand-in (dev/fake-wecom.ts) from tests inside workerd, through its
 * control API. Every test file shares one stand-in, so state is scoped by corp: a test makes
 * its own with `testCorp()` (or uses the Worker's, TEST_WECOM, with its own open_kfid).
 */
import { env } from 'cloudflare:workers'
import type {
  FakeCallback,
  FakeCorpConfig,
  FakeCustomerMessage,
  FakeCustomerState,
  FakeEnterSession,
  FakeKfCall,
  FakeKfFault,
  FakeSent,
} from '../../dev/fake-wecom-types'
import { KfClient, type KfClientOptions } from '../../src/wecom/client'
import { IsolateMemory } from '../../src/wechat/memory'
import { TEST_WECOM } from './settings'

export type { FakeCallback, FakeSent } from '../../dev/fake-wecom-types'

/** The stand-in's base URL: the WECOM_API_BASE vitest.config.ts gave the test Worker. */
export function fakeWecomBase(): string {
  const base = env.WECOM_API_BASE
  if (!base) throw new Error('WECOM_API_BASE is not set: is test/support/global-setup.ts running?')
  return base
}

async function control<T>(method: 'GET' | 'POST', action: string, query: Record<string, string> = {}, body?: unknown): Promise<T> {
  const init: RequestInit = { method }
  if (body !== undefined) init.body = JSON.stringify(body)
  const res = await fetch(`${fakeWecomBase()}/__fake/kf/${action}?${new URLSearchParams(query)}`, init)
  if (!res.ok) throw new Error(`fake-wecom control ${action}: HTTP ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

export const fakeWecom = {
  configure: (config: FakeCorpConfig) => control<{ ok: true }>('POST', 'corps', {}, config),
  account: (corpid: string, openKfId: string, servicers?: string[]) =>
    control<{ ok: true }>('POST', 'accounts', {}, { corpid, openKfId, ...(servicers ? { servicers } : {}) }),
  /** A customer writes (a text unless `msgtype`/`payload`); the callback comes back signed. */
  message: (input: FakeCustomerMessage) => control<{ msgid: string; callback?: FakeCallback }>('POST', 'messages', {}, input),
  enter: (input: FakeEnterSession) =>
    control<{ msgid: string; welcomeCode: string | null; callback: FakeCallback }>('POST', 'enter', {}, input),
  sendFail: (corpid: string, openKfId: string, msgid: string, failType = 0) =>
    control<{ msgid: string; callback: FakeCallback }>('POST', 'send-fail', {}, { corpid, openKfId, msgid, failType }),
  callback: (corpid: string, openKfId: string) => control<{ callback: FakeCallback }>('POST', 'callback', {}, { corpid, openKfId }),
  setState: (corpid: string, openKfId: string, externalUserid: string, state: FakeCustomerState['state'], servicerUserid?: string) =>
    control<{ ok: true }>('POST', 'state', {}, { corpid, openKfId, externalUserid, state, ...(servicerUserid ? { servicerUserid } : {}) }),
  customer: (corpid: string, openKfId: string, externalUserid: string) =>
    control<FakeCustomerState>('GET', 'customer', { corpid, openKfId, externalUserid }),
  sent: async (corpid: string, openKfId?: string) =>
    (await control<{ sent: FakeSent[] }>('GET', 'sent', { corpid, ...(openKfId ? { openKfId } : {}) })).sent,
  calls: async (corpid: string) => (await control<{ calls: FakeKfCall[] }>('GET', 'calls', { corpid })).calls,
  tokens: async (corpid: string) => (await control<{ tokens: string[] }>('GET', 'tokens', { corpid })).tokens,
  expireToken: (corpid: string) => control<{ ok: true }>('POST', 'expire-token', { corpid }),
  advance: (corpid: string, seconds: number) => control<{ ok: true }>('POST', 'advance', {}, { corpid, seconds }),
  fault: (...faults: FakeKfFault[]) => control<{ queued: number }>('POST', 'faults', {}, faults),
}

const hex = (bytes: number) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('')

/** A CorpID of the usual shape that no other test uses. */
export const uniqueCorpid = (): string => `ww${hex(8)}`
export const uniqueOpenKfId = (): string => `wk${hex(10)}`
export const uniqueExternalUserid = (): string => `wm${hex(12)}`

export interface TestCorp {
  corpid: string
  secret: string
  callbackToken: string
  aesKey: string
}

/** A fresh corp in the stand-in, with made-up keys. */
export async function testCorp(overrides: Partial<FakeCorpConfig> = {}): Promise<TestCorp> {
  const corp = {
    corpid: uniqueCorpid(),
    secret: `kf-secret-${hex(16)}`,
    callbackToken: `tok${hex(6)}`,
    // 32 random bytes in base64 without the trailing "=": an EncodingAESKey.
    aesKey: btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))).slice(0, 43),
    ...overrides,
  }
  await fakeWecom.configure(corp)
  return corp
}

/** The corp the test Worker is configured with (TEST_WECOM). */
export const workerCorp: TestCorp = {
  corpid: TEST_WECOM.WECOM_CORPID,
  secret: TEST_WECOM.WECOM_KF_SECRET,
  callbackToken: TEST_WECOM.WECOM_KF_TOKEN,
  aesKey: TEST_WECOM.WECOM_KF_ENCODING_AES_KEY,
}

/** A client of `corp` against the stand-in, with its own isolate memory unless one is given. */
export function kfClient(corp: TestCorp, options: Partial<KfClientOptions> = {}): { client: KfClient; memory: IsolateMemory } {
  const memory = options.memory ?? new IsolateMemory()
  const client = new KfClient({
    corpid: corp.corpid,
    secret: corp.secret,
    apiBase: fakeWecomBase(),
    cache: env.CACHE,
    timeoutMs: 2000,
    ...options,
    memory,
  })
  return { client, memory }
}
