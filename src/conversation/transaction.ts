/**
 * The object's synchronous transactions. What this instance keeps in memory of its tables
 * (the window's events, window-store.ts; the grants that may reach the user, subscriptions.ts)
 * is kept in step by the writes as they run; when a transaction rolls back, its writes are
 * undone and what was kept of them is forgotten.
 */
import { forgetSubscriptions } from './subscriptions'
import { forgetWindow } from './window-store'

export function transaction<T>(storage: DurableObjectStorage, run: () => T): T {
  try {
    return storage.transactionSync(run)
  } catch (error) {
    forgetKept(storage.sql)
    throw error
  }
}

/** What this instance keeps of its tables no longer describes them (a rollback, the storage deleted). */
export function forgetKept(sql: SqlStorage): void {
  forgetWindow(sql)
  forgetSubscriptions(sql)
}
