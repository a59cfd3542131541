/** Failed sends in the record, newest first: one search of the index of failed rows. */
import { encodeCursor, pageQuery, type Position } from './cursor'
import { sendFields, type MessageRow, type SendRow } from './message-row'
import { page } from './page'
import { all, type Statement } from './sql'
import type { FailedView, Page } from './views'

export interface FailedOptions {
  appid: string
  after?: Position
  limit: number
}

type FailedRow = SendRow & Pick<MessageRow, 'openid'>

export function failedQuery({ appid, after, limit }: FailedOptions): Statement {
  return pageQuery({
    select: `SELECT id, openid, kind, text, rule_id, inbound_key, part, manual, errcode, reason, pushed_at, updated_at
     FROM messages INDEXED BY messages_failed`,
    where: "appid = ?1 AND status = 'failed'",
    params: [appid],
    key: ['updated_at', 'id'],
    after,
    limit,
  })
}

export async function listFailed(db: D1Database, options: FailedOptions): Promise<Page<FailedView>> {
  const rows = await all<FailedRow>(db, failedQuery(options))
  return page(rows, options.limit, toFailed, (row) => encodeCursor('failed', { at: row.updated_at, id: row.id }))
}

function toFailed(row: FailedRow): FailedView {
  return { ...sendFields(row), openid: row.openid }
}
