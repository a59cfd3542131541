/** Failed sends in the record, newest first: one search of the index of failed rows. */
import { encodeCursor, type Position } from './cursor'
import { page } from './page'
import { all, statement, type SqlValue, type Statement } from './sql'
import type { FailedView, Page } from './views'

export interface FailedOptions {
  appid: string
  after?: Position
  limit: number
}

interface FailedRow {
  id: string
  openid: string
  kind: string
  text: string | null
  rule_id: string | null
  inbound_key: string | null
  part: number | null
  manual: number
  errcode: number | null
  reason: string | null
  pushed_at: number | null
  updated_at: number
}

export function failedQuery({ appid, after, limit }: FailedOptions): Statement {
  const params: SqlValue[] = [appid]
  let where = "appid = ?1 AND status = 'failed'"
  if (after) {
    params.push(after.at, after.id)
    where += ' AND (updated_at, id) < (?2, ?3)'
  }
  params.push(limit + 1)
  return statement(
    `SELECT id, openid, kind, text, rule_id, inbound_key, part, manual, errcode, reason, pushed_at, updated_at
     FROM messages INDEXED BY messages_failed WHERE ${where} ORDER BY updated_at DESC, id DESC LIMIT ?${params.length}`,
    params,
  )
}

export async function listFailed(db: D1Database, options: FailedOptions): Promise<Page<FailedView>> {
  const rows = await all<FailedRow>(db, failedQuery(options))
  return page(rows, options.limit, toFailed, (row) => encodeCursor('failed', { at: row.updated_at, id: row.id }))
}

function toFailed(row: FailedRow): FailedView {
  return {
    id: row.id,
    openid: row.openid,
    kind: row.kind,
    text: row.text,
    ruleId: row.rule_id,
    inboundKey: row.inbound_key,
    part: row.part,
    manual: row.manual === 1,
    errcode: row.errcode,
    reason: row.reason,
    pushedAt: row.pushed_at,
    updatedAt: row.updated_at,
  }
}
