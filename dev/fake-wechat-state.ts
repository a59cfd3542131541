/**
 * What the fake WeChat API remembers, scoped by appid so test files running in parallel
 * against one fake never see each other: apps and their tokens, media, recorded calls,
 * queued faults and users' send allowances. Gates (held calls) are named by the test.
 */
import { randomBytes } from 'node:crypto'
import { FakeAllowances } from './fake-wechat-allowance'
import type { CallFilter, FakeAppState, FakeCall, FakeTokenState, FaultSpec } from './fake-wechat-types'

/** WeChat: an old token stays valid up to 5 minutes after a new one is issued. */
const OVERLAP_MS = 5 * 60 * 1000
const FORCE_SPACING_MS = 30 * 1000
const FORCE_PER_DAY = 20

interface Token extends FakeTokenState {
  appid: string
}

interface App {
  appid: string
  secret: string | null
  expiresIn: number
  current: Token | null
  forceRefreshes: number
  lastForceAt: number
  media: Map<string, { bytes: Buffer; contentType: string }>
}

export type TokenCheck = { ok: true; appid: string } | { ok: false; errcode: number; errmsg: string; appid: string | null }

export class FakeState {
  readonly #apps = new Map<string, App>()
  readonly #tokens = new Map<string, Token>()
  readonly #calls: FakeCall[] = []
  #faults: (FaultSpec & { times: number })[] = []
  #seq = 0
  readonly #gates = new Map<string, { opened: Promise<void>; open: () => void }>()
  readonly allowances: FakeAllowances

  constructor(
    readonly defaultExpiresIn: number,
    readonly now: () => number = Date.now,
  ) {
    this.allowances = new FakeAllowances(now)
  }

  /** Resolves once the gate is released (at once if it already was). */
  gate(name: string): Promise<void> {
    return this.#gateNamed(name).opened
  }

  release(name: string): void {
    this.#gateNamed(name).open()
  }

  #gateNamed(name: string) {
    let gate = this.#gates.get(name)
    if (!gate) {
      let open!: () => void
      const opened = new Promise<void>((resolve) => (open = resolve))
      gate = { opened, open }
      this.#gates.set(name, gate)
    }
    return gate
  }

  app(appid: string): App {
    let app = this.#apps.get(appid)
    if (!app) {
      app = {
        appid,
        secret: null,
        expiresIn: this.defaultExpiresIn,
        current: null,
        forceRefreshes: 0,
        lastForceAt: 0,
        media: new Map(),
      }
      this.#apps.set(appid, app)
    }
    return app
  }

  configure(appid: string, secret?: string, expiresIn?: number): void {
    const app = this.app(appid)
    if (secret !== undefined) app.secret = secret
    if (expiresIn !== undefined) app.expiresIn = expiresIn
  }

  /** The first secret an appid is used with becomes its secret (or the configured one). */
  secretMatches(appid: string, secret: string): boolean {
    const app = this.app(appid)
    app.secret ??= secret
    return app.secret === secret
  }

  /**
   * stable_token: the same token while it has more than 5 minutes left; force_refresh
   * replaces it and the old one stops working at once.
   */
  stableToken(appid: string, force: boolean): { token: Token } | { errcode: number; errmsg: string } {
    const app = this.app(appid)
    const now = this.now()
    if (force) {
      if (now - app.lastForceAt < FORCE_SPACING_MS) {
        return { errcode: 45011, errmsg: 'api minute-quota reach limit, force_refresh at least 30s apart' }
      }
      if (app.forceRefreshes >= FORCE_PER_DAY) return { errcode: 45009, errmsg: 'reach max api daily quota limit' }
      app.forceRefreshes++
      app.lastForceAt = now
      if (app.current) app.current.status = 'replaced'
      return { token: this.#issue(app, 'stable_token force') }
    }
    const current = app.current
    if (current && current.status === 'valid' && current.expiresAt - now > OVERLAP_MS) return { token: current }
    return { token: this.#issue(app, 'stable_token') }
  }

  /** /cgi-bin/token: a new token every call; the previous one lives 5 more minutes at most. */
  plainToken(appid: string): Token {
    const app = this.app(appid)
    const previous = app.current
    if (previous) previous.expiresAt = Math.min(previous.expiresAt, this.now() + OVERLAP_MS)
    return this.#issue(app, 'token')
  }

  #issue(app: App, via: Token['via']): Token {
    // An old, still valid token keeps working until its (possibly shortened) expiry.
    const token: Token = {
      appid: app.appid,
      token: `FAKE_${app.appid}_${randomBytes(24).toString('base64url')}`,
      expiresAt: this.now() + app.expiresIn * 1000,
      status: 'valid',
      via,
    }
    this.#tokens.set(token.token, token)
    app.current = token
    return token
  }

  checkToken(token: string | null): TokenCheck {
    if (token === null || token === '') return { ok: false, errcode: 41001, errmsg: 'access_token missing', appid: null }
    const known = this.#tokens.get(token)
    if (!known) {
      return { ok: false, errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest', appid: null }
    }
    if (known.status === 'replaced') {
      return { ok: false, errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest', appid: known.appid }
    }
    if (known.status === 'expired' || known.expiresAt <= this.now()) {
      known.status = 'expired'
      return { ok: false, errcode: 42001, errmsg: 'access_token expired', appid: known.appid }
    }
    return { ok: true, appid: known.appid }
  }

  /** Every token of the app expires now: the next call with one gets 42001. */
  expireTokens(appid: string): number {
    let count = 0
    for (const token of this.#tokens.values()) {
      if (token.appid !== appid || token.status !== 'valid') continue
      token.status = 'expired'
      count++
    }
    return count
  }

  addMedia(appid: string, bytes: Buffer, contentType: string): string {
    const mediaId = `FAKE_MEDIA_${randomBytes(18).toString('base64url')}`
    this.app(appid).media.set(mediaId, { bytes, contentType })
    return mediaId
  }

  media(appid: string, mediaId: string) {
    return this.#apps.get(appid)?.media.get(mediaId) ?? null
  }

  /** `receivedAt` defaults to now (wall clock); the server passes the request's arrival. */
  record(call: Omit<FakeCall, 'seq' | 'receivedAt'> & { receivedAt?: number }): FakeCall {
    const recorded: FakeCall = { seq: ++this.#seq, ...call, receivedAt: call.receivedAt ?? wallClockMs() }
    this.#calls.push(recorded)
    return recorded
  }

  calls(filter: CallFilter = {}): FakeCall[] {
    return this.#calls.filter(
      (call) =>
        (filter.appid === undefined || call.appid === filter.appid) &&
        (filter.touser === undefined || call.touser === filter.touser) &&
        (filter.path === undefined || call.path === filter.path),
    )
  }

  addFault(fault: FaultSpec): void {
    this.#faults.push({ ...fault, times: fault.times ?? 1 })
  }

  /** The first queued fault for this call, counted down (and dropped when used up). */
  takeFault(path: string, appid: string | null, touser: string | null): FaultSpec | null {
    const index = this.#faults.findIndex(
      (fault) =>
        fault.path === path &&
        (fault.appid === undefined || fault.appid === appid) &&
        (fault.touser === undefined || fault.touser === touser),
    )
    const fault = this.#faults[index]
    if (!fault) return null
    fault.times--
    if (fault.times <= 0) this.#faults.splice(index, 1)
    return fault
  }

  appState(appid: string): FakeAppState {
    const app = this.app(appid)
    const now = this.now()
    return {
      appid,
      tokens: [...this.#tokens.values()]
        .filter((token) => token.appid === appid)
        .map(({ token, expiresAt, status, via }) => ({
          token,
          expiresAt,
          status: status === 'valid' && expiresAt <= now ? 'expired' : status,
          via,
        })),
      forceRefreshes: app.forceRefreshes,
      mediaIds: [...app.media.keys()],
    }
  }

  /** Forgets one app (or everything): its tokens, media, calls and faults. */
  reset(appid?: string): void {
    if (appid === undefined) {
      this.#apps.clear()
      this.#tokens.clear()
      this.#calls.length = 0
      this.#faults = []
      this.allowances.forget()
      return
    }
    this.allowances.forget(appid)
    this.#apps.delete(appid)
    for (const [key, token] of this.#tokens) if (token.appid === appid) this.#tokens.delete(key)
    const kept = this.#calls.filter((call) => call.appid !== appid)
    this.#calls.length = 0
    this.#calls.push(...kept)
    this.#faults = this.#faults.filter((fault) => fault.appid !== appid)
  }
}

/** Wall-clock ms since the epoch, sub-ms precision, comparable across processes. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now()
}
