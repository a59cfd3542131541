/**
 * The record bench Worker (see wrangler.toml). bench/record.ts posts JSON to it:
 *
 * - `POST /migrate` `{ statements }`: the migration's statements, in one batch;
 * - `POST /fill` `{ events }`: one `writeRecord` of many pushes' events (a fast fill: one D1
 *   batch per request, the same statements a push writes);
 * - `POST /write` `{ pushes }`: each push's batches written in turn (one `writeRecord` each),
 *   each push timed;
 * - `POST /time` `{ op, runs, now, appid, openid }`: an admin API query run `runs` times,
 *   each timed, after one untimed run (and, for deep pages, the pages before it, untimed).
 *
 * Why time inside the Worker: the same functions the routes call, against the binding the
 * routes use, with nothing of HTTP in the number. workerd's clocks stand still during CPU
 * work but move on at every I/O completion, and a D1 call is I/O (to the local D1 simulator),
 * so `performance.now()` around an awaited query reads its wall-clock time up to the answer;
 * only the JavaScript after the answer (turning rows into views: microseconds) is left out.
 */
import { getConversation, listConversations, type ConversationFilter } from '../../src/record/conversations'
import type { Position } from '../../src/record/cursor'
import type { RecordEvent } from '../../src/record/event'
import { listFailed } from '../../src/record/failed'
import { getStats } from '../../src/record/stats'
import { writeRecord } from '../../src/record/write'

interface Env {
  DB: D1Database
}

export const RECORD_OPS = [
  'list',
  'list-page-20',
  'list-failed',
  'list-unmatched',
  'list-open',
  'conversation',
  'failed',
  'stats-14',
  'stats-90',
] as const
export type RecordOp = (typeof RECORD_OPS)[number]

export interface TimeRequest {
  op: RecordOp
  runs: number
  /** The bench's "now", epoch ms (the open filter and the stats' days depend on it). */
  now: number
  appid: string
  /** For `conversation`: whose. */
  openid: string
  /** Items per page: the admin API's default. */
  limit: number
}

export interface TimeAnswer {
  /** One per timed run, ms (workerd's clock moves in whole milliseconds). */
  ms: number[]
  /** The whole timed loop over the runs, ms: finer than one run's whole milliseconds. */
  meanMs: number
  /** What one run returned: items on the page, or days and rules for stats. */
  items: number
  /** Rows D1 read for one run (its `rows_read`, summed over the run's statements): what D1 bills. */
  rowsRead: number
}

/**
 * A D1Database that adds up `rows_read` of everything run through it, for one untimed run:
 * how many rows a route makes D1 read does not depend on the machine, unlike its time.
 */
class CountingDb implements D1Database {
  rowsRead = 0
  readonly #inner = new WeakMap<D1PreparedStatement, D1PreparedStatement>()

  constructor(private readonly db: D1Database) {}

  prepare(query: string): D1PreparedStatement {
    return this.#wrap(this.db.prepare(query))
  }

  async batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    const results = await this.db.batch<T>(statements.map((s) => this.#inner.get(s) ?? s))
    for (const result of results) this.rowsRead += result.meta.rows_read
    return results
  }

  #wrap(statement: D1PreparedStatement): D1PreparedStatement {
    const all = async <T>(): Promise<D1Result<T>> => {
      const result = await statement.all<T>()
      this.rowsRead += result.meta.rows_read
      return result
    }
    const wrapped: D1PreparedStatement = {
      bind: (...values) => this.#wrap(statement.bind(...values)),
      all,
      run: all,
      // first() reports no meta: the same statement through all(), its first row.
      first: async <T>() => (await all<T>()).results[0] ?? null,
    }
    this.#inner.set(wrapped, statement)
    return wrapped
  }
}

export interface WriteAnswer {
  /** One per push, ms (whole milliseconds). */
  ms: number[]
  /** The whole loop over the pushes, per push, ms. */
  meanMs: number
}

export interface RecordCounts {
  messages: number
  conversations: number
  questions: number
  ruleDays: number
  /** The database file's size after the count (D1's `size_after`). */
  bytes: number
}

/** One query of the admin API, as its route runs it; resolves to a size to check. */
type Query = () => Promise<number>

async function queryFor(db: D1Database, t: TimeRequest): Promise<Query> {
  const { appid, now, limit } = t
  const list = (filter?: ConversationFilter, after?: Position) => async () =>
    (await listConversations(db, { appid, limit, now, ...(filter ? { filter } : {}), ...(after ? { after } : {}) })).items.length
  switch (t.op) {
    case 'list':
      return list()
    case 'list-page-20': {
      // Walk to the 20th page untimed: its cursor is what a client would hold.
      let after: Position | undefined
      for (let page = 1; page < 20; page++) {
        const result = await listConversations(db, { appid, limit, now, ...(after ? { after } : {}) })
        const last = result.items[result.items.length - 1]
        if (!result.nextCursor || !last) throw new Error(`the list has only ${page} pages`)
        after = { at: last.lastAt, id: last.openid }
      }
      return list(undefined, after)
    }
    case 'list-failed':
      return list('failed')
    case 'list-unmatched':
      return list('unmatched')
    case 'list-open':
      return list('open')
    case 'conversation':
      return async () => {
        const detail = await getConversation(db, { appid, openid: t.openid, limit, now })
        if (!detail) throw new Error(`no conversation ${t.openid}`)
        return detail.messages.items.length
      }
    case 'failed':
      return async () => (await listFailed(db, { appid, limit })).items.length
    case 'stats-14':
    case 'stats-90':
      return async () => {
        const stats = await getStats(db, appid, now, t.op === 'stats-14' ? 14 : 90)
        return stats.daily.length + stats.rules.length + stats.unmatched.length
      }
  }
}

async function time(db: D1Database, t: TimeRequest): Promise<TimeAnswer> {
  const counting = new CountingDb(db)
  const counted = await queryFor(counting, t)
  // Not the pages walked to reach a deep cursor: only the query itself.
  counting.rowsRead = 0
  const items = await counted()
  const query = await queryFor(db, t)
  const ms: number[] = []
  const loopStart = performance.now()
  for (let i = 0; i < t.runs; i++) {
    const start = performance.now()
    await query()
    ms.push(performance.now() - start)
  }
  const meanMs = (performance.now() - loopStart) / t.runs
  return { ms, meanMs, items, rowsRead: counting.rowsRead }
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    if (request.method !== 'POST') return new Response('record bench')
    const path = new URL(request.url).pathname
    try {
      switch (path) {
        case '/migrate': {
          const { statements } = (await request.json()) as { statements: string[] }
          await env.DB.batch(statements.map((sql) => env.DB.prepare(sql)))
          return Response.json({ ok: true })
        }
        case '/fill': {
          const { events } = (await request.json()) as { events: RecordEvent[] }
          await writeRecord(env.DB, events)
          return Response.json({ ok: true })
        }
        case '/write': {
          const { pushes } = (await request.json()) as { pushes: RecordEvent[][][] }
          const ms: number[] = []
          const loopStart = performance.now()
          for (const batches of pushes) {
            const start = performance.now()
            for (const events of batches) await writeRecord(env.DB, events)
            ms.push(performance.now() - start)
          }
          return Response.json({ ms, meanMs: (performance.now() - loopStart) / pushes.length } satisfies WriteAnswer)
        }
        case '/time':
          return Response.json(await time(env.DB, (await request.json()) as TimeRequest))
        case '/count': {
          const { results, meta } = await env.DB.prepare(
            'SELECT (SELECT count(*) FROM messages) AS messages, (SELECT count(*) FROM conversations) AS conversations, ' +
              '(SELECT count(*) FROM unmatched) AS questions, (SELECT count(*) FROM rule_daily) AS ruleDays',
          ).all<Omit<RecordCounts, 'bytes'>>()
          const counts = results[0]
          if (!counts) throw new Error('no counts')
          return Response.json({ ...counts, bytes: meta.size_after } satisfies RecordCounts)
        }
        default:
          return new Response('not found', { status: 404 })
      }
    } catch (error) {
      return new Response(String(error instanceof Error ? (error.stack ?? error.message) : error), { status: 500 })
    }
  },
}
