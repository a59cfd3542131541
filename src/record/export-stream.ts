/**
 * The export as a byte stream that reads D1 as the client reads: the header at once, then one
 * page of EXPORT_PAGE_ROWS messages per pull (the stream's high-water mark is one chunk), so
 * a slow client holds back the reads and memory stays one page whatever the range. It ends
 * after the range's last row, or at `stop` (the last row this response may hold). A D1
 * failure mid-way errors the stream: the client sees a cut-off download, never a file that
 * looks whole (`record.export_failed`).
 */
import { log } from '../log'
import { EXPORT_PAGE_ROWS, isAfter, readExportPage, type ExportPosition, type ExportRange } from './export'
import { exportHeader, exportLine } from './export-csv'

export interface ExportPlan {
  range: ExportRange
  /** Start after this row (the range's start, or a continuation's cursor). */
  after: ExportPosition
  /** The last row to serve; null: to the end of the range. */
  stop: ExportPosition | null
  /** Rows per D1 read (tests make it small). */
  pageRows?: number
}

export function exportStream(db: D1Database, plan: ExportPlan): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  const pageRows = plan.pageRows ?? EXPORT_PAGE_ROWS
  let after = plan.after
  let rows = 0
  let started = false
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!started) {
          started = true
          controller.enqueue(encoder.encode(exportHeader()))
          return
        }
        try {
          const page = await readExportPage(db, plan.range, after, pageRows)
          const { stop } = plan
          const served = stop === null ? page : page.filter((row) => !isAfter(row, stop))
          const last = page[page.length - 1]
          if (served.length > 0) {
            controller.enqueue(encoder.encode(served.map(exportLine).join('')))
            rows += served.length
          }
          const done = page.length < pageRows || served.length < page.length || last === undefined
          if (last) after = { at: last.at, id: last.id }
          if (done) {
            log.info('record.exported', { appid: plan.range.appid, from: plan.range.from, to: plan.range.to, rows })
            controller.close()
          }
        } catch (error) {
          log.error('record.export_failed', { appid: plan.range.appid, rows, error: (error as Error).message })
          controller.error(error)
        }
      },
    },
    { highWaterMark: 1 },
  )
}
