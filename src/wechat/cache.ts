/**
 * Writes to the CACHE namespace are an optimisation, never a reason to fail: KV allows one
 * write per second per key, so cold isolates refreshing together can be refused (429). The
 * token or media_id in hand is still good; the next isolate just fetches its own.
 */
import { log } from '../log'

export async function cachePut(
  cache: KVNamespace,
  key: string,
  value: string,
  expirationTtl: number,
  what: 'token' | 'force_refresh' | 'media',
): Promise<void> {
  try {
    await cache.put(key, value, { expirationTtl })
  } catch (error) {
    log.warn('wechat.cache.write_failed', { what, error: error instanceof Error ? error.name : 'error' })
  }
}
