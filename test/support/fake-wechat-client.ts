/**
 * Driving the fake WeChat API (dev/fake-wechat.ts) from tests inside workerd, through its
 * HTTP control API. Every test file shares one fake, so state is scoped by appid: a test
 * that counts calls or tokens makes its own appid with `uniqueAppid()`.
 */
import { env } from 'cloudflare:workers'
import type { CallFilter, FakeAppConfig, FakeAppState, FakeCall, FakeUserAction, FaultSpec } from '../../dev/fake-wechat-types'
import { IsolateMemory, WechatClient, type WechatClientOptions } from '../../src/wechat/api'

export type { FakeCall, FaultSpec } from '../../dev/fake-wechat-types'

/** The fake's base URL: the WECHAT_API_BASE vitest.config.ts gave the test Worker. */
export function fakeBase(): string {
  const base = env.WECHAT_API_BASE
  if (!base) throw new Error('WECHAT_API_BASE is not set: is test/support/global-setup.ts running?')
  return base
}

async function control<T>(method: 'GET' | 'POST', action: string, query: Record<string, string> = {}, body?: unknown): Promise<T> {
  const url = `${fakeBase()}/__fake/${action}?${new URLSearchParams(query)}`
  const init: RequestInit = { method }
  if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers = { 'content-type': 'application/json' }
  }
  const res = await fetch(url, init)
  if (!res.ok) throw new Error(`fake control ${action}: HTTP ${res.status} ${await res.text()}`)
  return (await res.json()) as T
}

/** A fault on a WeChat API path always names its appid, so it cannot hit another test. */
export type ApiFault = FaultSpec & { appid: string }

export const fakeWechat = {
  calls: async (filter: CallFilter): Promise<FakeCall[]> => {
    const query: Record<string, string> = {}
    if (filter.appid !== undefined) query.appid = filter.appid
    if (filter.touser !== undefined) query.touser = filter.touser
    if (filter.path !== undefined) query.path = filter.path
    return (await control<{ calls: FakeCall[] }>('GET', 'calls', query)).calls
  },
  fault: (...faults: ApiFault[]) => control<{ queued: number }>('POST', 'faults', {}, faults),
  /** Faults on an image URL's path (use a unique path prefix per test). */
  imageFault: (url: string, fault: Omit<FaultSpec, 'path'>) =>
    control<{ queued: number }>('POST', 'faults', {}, { ...fault, path: new URL(url).pathname }),
  expireTokens: (appid: string) => control<{ expired: number }>('POST', 'expire-token', { appid }),
  configureApp: (config: FakeAppConfig) => control<{ ok: true }>('POST', 'apps', {}, config),
  app: (appid: string) => control<FakeAppState>('GET', 'apps', { appid }),
  /**
   * A media_id the fake has "issued" to this appid (custom/send checks media_ids; media/get
   * serves its bytes): a small PNG, or `image` as the image server names it (`x.jpg`, `x.gif`,
   * `notimage.png`), or `huge.png`, over 10 MB.
   */
  mediaId: async (appid: string, image?: string) =>
    (await control<{ media_id: string }>('POST', 'media', { appid, ...(image ? { image } : {}) })).media_id,
  reset: (appid: string) => control<{ ok: true }>('POST', 'reset', { appid }),
  /** Tells the fake the user acted: custom/send to them is then held to WeChat's allowance. */
  userActions: (...actions: FakeUserAction[]) => control<{ ok: true }>('POST', 'user-actions', {}, actions),
  /** Answers the calls a fault with this `gate` is holding. */
  release: (gate: string) => control<{ ok: true }>('POST', 'release', { gate }),
  /**
   * A URL of the fake's image server. `name` picks the content: `x.png`, `x.jpg`, `x.gif`,
   * `toolarge.png`, `notimage.png`, `missing.png`; `prefix` keeps URLs (and so the media
   * cache keys) apart between tests.
   */
  imageUrl: (prefix: string, name: string, chunked = false) =>
    `${fakeBase()}/__fake/images/${encodeURIComponent(prefix)}/${name}${chunked ? '?chunked=1' : ''}`,
}

const hex = (bytes: number) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('')

/** An appid of WeChat's shape that no other test uses. */
export const uniqueAppid = (): string => `wx${hex(8)}`
/** An openid of WeChat's shape (28 characters). */
export const uniqueOpenid = (): string => `o${hex(8)}${hex(5).slice(0, 9)}tst`
/** A secret of WeChat's shape (32 hex characters). */
export const uniqueSecret = (): string => hex(16)

export interface TestClient {
  client: WechatClient
  appid: string
  secret: string
  memory: IsolateMemory
}

/**
 * A client for a fresh appid against the fake, with its own isolate memory. Pass `memory`
 * (and the same appid/secret) to play a second client in the same isolate; omit it to play
 * an isolate that just started.
 */
export function testClient(options: Partial<WechatClientOptions> = {}): TestClient {
  const appid = options.appid ?? uniqueAppid()
  const secret = options.secret ?? uniqueSecret()
  const memory = options.memory ?? new IsolateMemory()
  const client = new WechatClient({
    apiBase: fakeBase(),
    cache: env.CACHE,
    files: env.MEDIA,
    ...options,
    appid,
    secret,
    memory,
  })
  return { client, appid, secret, memory }
}
