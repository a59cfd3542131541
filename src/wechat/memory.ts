/**
 * What one isolate remembers between requests: the access_token per appid (so a warm
 * isolate does not read KV on every send), the last force refresh it made, and the fetches
 * and uploads in flight (so concurrent cold requests share one). KV is the shared truth;
 * this is only a faster copy of it.
 */

export interface CachedToken {
  token: string
  /**
   * From when (ms since epoch) to look for its successor: the point a few minutes before
   * expiry from which stable_token hands out a new token.
   */
  refreshAt: number
  /** When WeChat expires it (ms since epoch); until then it still serves if no successor can be had. */
  expiresAt: number
}

export class IsolateMemory {
  readonly tokens = new Map<string, CachedToken>()
  /**
   * Where in the refresh spread this isolate asks for a successor (0..1), drawn once, so the
   * isolates that share a token in KV do not all ask WeChat in the same second.
   */
  refreshJitter = Math.random()
  readonly lastForceRefresh = new Map<string, number>()
  readonly inflight = new Map<string, Promise<unknown>>()

  /**
   * Runs `work` unless the same key is already running, in which case it shares that
   * result. The entry is dropped when it settles, so a failure is not remembered.
   */
  once<T>(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key)
    if (running) return running as Promise<T>
    const promise = work().finally(() => this.inflight.delete(key))
    this.inflight.set(key, promise)
    return promise
  }
}

/** The one every client in this isolate shares unless a test hands in a fresh one. */
export const isolateMemory = new IsolateMemory()
