/** Keyset pages: a query asks for one row more than the page, which says whether another follows. */
import type { Page } from './views'

/** The first `limit` rows, and a cursor after the last of them when more rows came back. */
export function page<Row, View>(rows: Row[], limit: number, view: (row: Row) => View, cursorOf: (row: Row) => string): Page<View> {
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  return { items: items.map(view), nextCursor: rows.length > limit && last ? cursorOf(last) : null }
}
