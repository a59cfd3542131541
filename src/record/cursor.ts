/**
 * Opaque page cursors: the sort key of the last row served, (time, id), tagged with the list
 * it belongs to. Pages are keyset pages: rows strictly after the cursor in the list's order,
 * so paging never serves a row twice nor skips one that stayed in place.
 */
import { statement, type SqlValue, type Statement } from './sql'

export type CursorList = 'conversations' | 'messages' | 'failed' | 'audit' | 'knowledge' | 'export'

export interface Position {
  /** The sort time of the last row served (epoch ms). */
  at: number
  /** Its id: the openid for conversations, the message id otherwise. */
  id: string
}

const TAGS: Record<CursorList, string> = { conversations: 'c', messages: 'm', failed: 'f', audit: 'a', knowledge: 'k', export: 'e' }

/** The longest cursor accepted: ids are at most a few hundred characters. */
export const MAX_CURSOR_CHARS = 512

export function encodeCursor(list: CursorList, { at, id }: Position): string {
  const bytes = new TextEncoder().encode(JSON.stringify([TAGS[list], at, id]))
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')
}

/** The position a cursor of `list` names, or null for anything this API did not hand out. */
export function decodeCursor(list: CursorList, cursor: string): Position | null {
  if (cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) return null
  try {
    const binary = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'))
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0))
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes))
    if (!Array.isArray(value) || value.length !== 3) return null
    const [tag, at, id] = value as unknown[]
    if (tag !== TAGS[list] || !Number.isSafeInteger(at) || typeof id !== 'string' || id === '') return null
    return { at: at as number, id }
  } catch {
    return null
  }
}

/** One keyset page of a list, newest first by its (time, id) sort key. */
export interface PageQuery {
  /** `SELECT <columns> FROM <table> INDEXED BY <index>`. */
  select: string
  /** The list's own conditions, with their values numbered `?1`… in `params`. */
  where: string
  params: SqlValue[]
  /** The sort key's columns: the time, then the id that breaks ties. */
  key: [at: string, id: string]
  /** From the previous page; absent for the first. */
  after?: Position
  limit: number
}

/**
 * The statement for a page: the rows strictly before `after` in the list's order, one row
 * more than the page (whether there is a next one, without counting: page.ts). The
 * row-value comparison is a range in the index whose last columns are the sort key.
 */
export function pageQuery({ select, where, params, key: [at, id], after, limit }: PageQuery): Statement {
  const values = [...params]
  let condition = where
  if (after) {
    values.push(after.at, after.id)
    condition += ` AND (${at}, ${id}) < (?${values.length - 1}, ?${values.length})`
  }
  values.push(limit + 1)
  return statement(`${select} WHERE ${condition} ORDER BY ${at} DESC, ${id} DESC LIMIT ?${values.length}`, values)
}
