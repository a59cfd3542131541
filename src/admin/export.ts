/**
 * The export's answer, one function for the admin API (`GET /admin/api/export.csv`) and the
 * console's download: a checked range in, a streamed CSV out, audited. The caller has checked
 * the role (`export`) and the query (ExportQuery).
 *
 * Bounded per response: before the body starts (a streamed answer cannot change its status
 * later), one index-only read finds where `limit` rows end. When more follow, the answer says
 * so in its headers — `X-Next-Cursor: <cursor>` and `Link: <…&cursor=…>; rel="next"` — and the
 * next request with `?cursor=` carries on after the last row of this one. The file itself is
 * always whole CSV.
 */
import type { Operator } from '../auth/operators'
import { encodeExportCursor, exportBound, startOf, type ExportRange } from '../record/export'
import { type ExportPlan, exportStream } from '../record/export-stream'
import { audit } from './audit'
import { continuationOf, type ExportRequest } from './requests-export'

export const EXPORT_PATH = '/admin/api/export.csv'

export interface ExportAsk {
  db: D1Database
  appid: string
  operator: Operator
  query: ExportRequest
  /** The URL asked (the continuation link keeps its other parameters). */
  url: string
  /** Rows per D1 read (tests make it small). */
  pageRows?: number
}

/** The attachment's name: the mini program and the days, nothing of a user's. */
export const exportFilename = ({ appid, from, to }: ExportRange): string => `kefu-${appid}-${from}-${to}.csv`

/** Where the response starts and ends: one read, before anything is sent. */
export async function planExport(ask: Pick<ExportAsk, 'db' | 'appid' | 'query'>): Promise<ExportPlan> {
  const { query } = ask
  const range: ExportRange = { appid: ask.appid, from: query.from, to: query.to }
  const after = continuationOf(query) ?? startOf(range)
  return { range, after, stop: await exportBound(ask.db, range, after, query.limit) }
}

/**
 * The CSV answer of `plan`, audited before a byte leaves (an export that cannot be recorded is
 * not served). The admin API's route and the console's download both answer with it.
 */
export async function exportAnswer(ask: ExportAsk, plan: ExportPlan): Promise<Response> {
  const { query } = ask
  const { range, after, stop } = plan
  const headers = new Headers({
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="${exportFilename(range)}"`,
    // Users' messages: no shared cache keeps them.
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  })
  if (stop !== null) {
    const cursor = encodeExportCursor(stop)
    const next = new URL(ask.url)
    next.searchParams.set('cursor', cursor)
    headers.set('x-next-cursor', cursor)
    headers.set('link', `<${next.pathname}${next.search}>; rel="next"`)
  }
  await audit(
    ask.db,
    {
      appid: ask.appid,
      operator: ask.operator,
      action: 'export',
      target: `${range.from}..${range.to}`,
      summary: `CSV of ${range.from} to ${range.to}${query.cursor ? `, after ${query.cursor}` : ''}; ${stop === null ? 'to the end' : `${query.limit} rows, more follow`}`,
    },
    Date.now(),
  )
  const stream = exportStream(ask.db, { range, after, stop, ...(ask.pageRows ? { pageRows: ask.pageRows } : {}) })
  return new Response(stream, { status: 200, headers })
}
