/**
 * Counting what the running code uses, for the bill per message (bench/bill.ts): every
 * binding the Worker and its Conversation objects touch is wrapped so that each billable
 * operation adds to a meter — KV reads and writes, D1 queries with the rows D1 reports,
 * queue messages, SQLite rows read and written (as
 * each cursor reports them), alarm writes. Durable Object requests are counted by the object
 * itself (bill-worker/worker.ts). Bench only: never part of the deployed Worker.
 */
export type Counts = Record<string, number>

export class Meter {
  private counts: Counts = {}
  private cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = []

  add(name: string, by = 1): void {
    this.counts[name] = (this.counts[name] ?? 0) + by
  }

  track(cursor: SqlStorageCursor<Record<string, SqlStorageValue>>): void {
    this.cursors.push(cursor)
  }

  /** What was counted since the last take; `reset` starts over. */
  peek(): Counts {
    const counts = { ...this.counts }
    // A cursor's counts are final once its rows were read (the code reads every one it asks for).
    const rowsRead = this.cursors.reduce((n, c) => n + c.rowsRead, 0)
    const rowsWritten = this.cursors.reduce((n, c) => n + c.rowsWritten, 0)
    if (rowsRead > 0) counts['sqlite.rowsRead'] = rowsRead
    if (rowsWritten > 0) counts['sqlite.rowsWritten'] = rowsWritten
    return counts
  }

  take(): Counts {
    const counts = this.peek()
    this.counts = {}
    this.cursors = []
    return counts
  }
}

/** A method-forwarding proxy: `hook` may replace a method; everything else is the target's own. */
function wrap<T extends object>(
  target: T,
  hook: (name: string, original: (...args: never[]) => unknown) => ((...args: never[]) => unknown) | null,
): T {
  return new Proxy(target, {
    get(t, name, receiver) {
      const value: unknown = Reflect.get(t, name, receiver)
      if (typeof value !== 'function') return value
      const original = (value as (...args: never[]) => unknown).bind(t)
      return (typeof name === 'string' && hook(name, original)) || original
    },
  })
}

export function meteredKv(kv: KVNamespace, meter: Meter, binding: string): KVNamespace {
  const kinds: Record<string, string> = { get: 'reads', getWithMetadata: 'reads', put: 'writes', delete: 'deletes', list: 'lists' }
  return wrap(kv, (name, original) => {
    const kind = kinds[name]
    if (kind === undefined) return null
    return (...args) => {
      meter.add(`kv.${kind}`)
      meter.add(`kv.${binding}.${kind}`)
      return original(...args)
    }
  })
}

/** Statements keep their real selves for `batch`, which takes only D1's own objects. */
const realStatements = new WeakMap<object, D1PreparedStatement>()

export function meteredD1(db: D1Database, meter: Meter): D1Database {
  const rows = (result: D1Result<unknown> | D1Response) => {
    meter.add('d1.rowsRead', result.meta.rows_read)
    meter.add('d1.rowsWritten', result.meta.rows_written)
  }
  const statement = (real: D1PreparedStatement): D1PreparedStatement => {
    const proxy = wrap(real, (name, original) => {
      if (name === 'bind') return (...args) => statement(original(...args) as D1PreparedStatement)
      if (name === 'run' || name === 'all') {
        return async (...args) => {
          meter.add('d1.queries')
          const result = (await original(...args)) as D1Result<unknown>
          rows(result)
          return result
        }
      }
      // first() reports no rows read: asked as all(), which does.
      if (name === 'first') {
        return async (column?: string) => {
          meter.add('d1.queries')
          const result = await real.all<Record<string, unknown>>()
          rows(result)
          const row = result.results[0]
          return row === undefined ? null : column === undefined ? row : row[column]
        }
      }
      return null
    })
    realStatements.set(proxy, real)
    return proxy
  }
  return wrap(db, (name, original) => {
    if (name === 'prepare') return (...args) => statement(original(...args) as D1PreparedStatement)
    if (name === 'batch') {
      return async (statements: D1PreparedStatement[]) => {
        meter.add('d1.batches')
        meter.add('d1.queries', statements.length)
        const results = await db.batch(statements.map((s) => realStatements.get(s) ?? s))
        for (const result of results) rows(result)
        return results
      }
    }
    return null
  })
}

export function meteredQueue<T>(queue: Queue<T>, meter: Meter): Queue<T> {
  return wrap(queue, (name, original) => {
    if (name === 'send') {
      return (...args) => {
        meter.add('queue.messages')
        return original(...args)
      }
    }
    if (name === 'sendBatch') {
      return (messages: Iterable<MessageSendRequest<T>>, ...rest: never[]) => {
        const list = [...messages]
        meter.add('queue.messages', list.length)
        return original(list as never, ...rest)
      }
    }
    return null
  })
}

/** The object's storage: SQL cursors tracked, alarm writes counted. */
export function meteredState(state: DurableObjectState, meter: Meter): DurableObjectState {
  const sql = wrap(state.storage.sql, (name, original) => {
    if (name !== 'exec') return null
    return (...args) => {
      meter.add('sqlite.statements')
      const cursor = original(...args) as SqlStorageCursor<Record<string, SqlStorageValue>>
      meter.track(cursor)
      return cursor
    }
  })
  const storage = new Proxy(state.storage, {
    get(target, name, receiver) {
      if (name === 'sql') return sql
      const value: unknown = Reflect.get(target, name, receiver)
      if (typeof value !== 'function') return value
      const original = (value as (...args: never[]) => unknown).bind(target)
      if (name === 'setAlarm' || name === 'deleteAlarm') {
        return (...args: never[]) => {
          meter.add(`do.${name}`)
          return original(...args)
        }
      }
      return original
    },
  })
  return new Proxy(state, {
    get(target, name, receiver) {
      if (name === 'storage') return storage
      const value: unknown = Reflect.get(target, name, receiver)
      return typeof value === 'function' ? (value as (...args: never[]) => unknown).bind(target) : value
    },
  })
}
