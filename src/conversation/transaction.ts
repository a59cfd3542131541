/**
 * The object's synchronous transactions. What this instance keeps in memory of its tables
 * (the window's events, window-store.ts) is kept in step by the writes as they run; when a
 * transaction rolls back, its writes are undone and what was kept of them is forgotten.
 */
import { forgetWindow } from './window-store'

export function transaction<T>(storage: DurableObjectStorage, run: () => T): T {
  try {
    return storage.transactionSync(run)
  } catch (error) {
    forgetWindow(storage.sql)
    throw error
  }
}
