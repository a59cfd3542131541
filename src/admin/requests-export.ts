/**
 * `GET /admin/api/export.csv`'s query as a valibot schema, in the style of requests.ts: the
 * route and the console validate with it and `scripts/openapi/document.ts` documents it. A
 * range of China days, both included, at most MAX_STATS_DAYS long (what the record keeps:
 * retention deletes older days' rows); a cursor only from the answer before, for that range.
 */
import * as v from 'valibot'
import { daysBetween, decodeExportCursor, EXPORT_MAX_ROWS, isDay, type ExportPosition } from '../record/export'
import { MAX_CURSOR_CHARS } from '../record/cursor'
import { MAX_STATS_DAYS } from '../record/stats'

const Day = (description: string) =>
  v.pipe(v.string('is required'), v.check(isDay, 'must be a day, YYYY-MM-DD'), v.description(`${description} (UTC+8), YYYY-MM-DD.`))

/** The parameters one by one (the OpenAPI document lists them); ExportQuery adds the checks across them. */
export const ExportParams = v.strictObject({
  from: Day('The first day exported'),
  to: Day(`The last day exported, included; at most ${MAX_STATS_DAYS} days from \`from\`, counting both`),
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(MAX_CURSOR_CHARS, 'is not a cursor of this export'),
      v.description('`X-Next-Cursor` of the previous answer for the same range; absent for the first file.'),
    ),
  ),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.description(`Rows in this file at most: 1 to ${EXPORT_MAX_ROWS}, default ${EXPORT_MAX_ROWS}.`),
      v.regex(/^[0-9]{1,6}$/, `must be an integer from 1 to ${EXPORT_MAX_ROWS}`),
      v.transform(Number),
      v.minValue(1, `must be an integer from 1 to ${EXPORT_MAX_ROWS}`),
      v.maxValue(EXPORT_MAX_ROWS, `must be an integer from 1 to ${EXPORT_MAX_ROWS}`),
    ),
    String(EXPORT_MAX_ROWS),
  ),
})

/** The refusal of a range longer than the record keeps (the console tells it apart). */
export const EXPORT_TOO_LONG = `must be at most ${MAX_STATS_DAYS} days after from, counting both`

export const ExportQuery = v.pipe(
  ExportParams,
  v.forward(
    v.check(({ from, to }) => to >= from, 'must not be before from'),
    ['to'],
  ),
  v.forward(
    v.check(({ from, to }) => daysBetween(from, to) <= MAX_STATS_DAYS, EXPORT_TOO_LONG),
    ['to'],
  ),
  v.forward(
    v.check(
      ({ from, to, cursor }) => cursor === undefined || decodeExportCursor(cursor, { from, to }) !== null,
      'is not a cursor of this export',
    ),
    ['cursor'],
  ),
)

export type ExportRequest = v.InferOutput<typeof ExportQuery>

/** The row a request continues after, if it carries a cursor (checked by ExportQuery). */
export const continuationOf = (query: ExportRequest): ExportPosition | null =>
  query.cursor === undefined ? null : decodeExportCursor(query.cursor, query)
