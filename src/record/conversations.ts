/**
 * Conversations in the record: the list (newest first, by the user's last message) and one
 * conversation with its messages. Each query is one index search: the list and its filters
 * walk an index in (last_at, openid) order from the cursor and stop after a page.
 *
 * `npm run doctor`'s test pushes have a row (the doctor reads its conversation to see its
 * push arrived), but they are no user's: the list, with any filter, leaves it out.
 */
import { LONGEST_GRANT_MS } from '../conversation/policy'
import { DOCTOR_OPENID } from '../doctor'
import { encodeCursor, pageQuery, type Position } from './cursor'
import { sendFields, type MessageRow } from './message-row'
import { page } from './page'
import { all, prepare, statement, type SqlValue, type Statement } from './sql'
import type { Channel } from './event'
import type { ConversationView, MessageView, Page } from './views'

/** `kf`: the 微信客服 customers (issue 32). */
export const CONVERSATION_FILTERS = ['failed', 'unmatched', 'open', 'kf'] as const
export type ConversationFilter = (typeof CONVERSATION_FILTERS)[number]

export interface ListOptions {
  appid: string
  filter?: ConversationFilter
  /** From the previous page; absent for the first. */
  after?: Position
  limit: number
  /** For the open filter: windows still open at this instant. */
  now: number
}

const CONVERSATION_COLUMNS = 'openid, first_at, last_at, last_text, unmatched, window_remaining, window_closes_at, pending, failed, channel'

interface ConversationRow {
  openid: string
  first_at: number
  last_at: number
  last_text: string | null
  unmatched: number
  window_remaining: number
  window_closes_at: number
  pending: number
  failed: number
  channel: Channel
}

/**
 * Each list's index: the filters have partial indexes holding only their rows, but for open
 * windows. Theirs moved with every reply; the open list walks the recent one instead, only as
 * far back as a window can reach (OPEN_SINCE), where the newest rows are mostly the open ones.
 */
const LIST_INDEX: Record<ConversationFilter | 'all', string> = {
  all: 'conversations_recent',
  failed: 'conversations_failed',
  unmatched: 'conversations_unmatched',
  open: 'conversations_recent',
  kf: 'conversations_kf',
}

/**
 * How long before `now` an open window's conversation last moved, at most: a window closes
 * at most its longest grant after the user's message that opened it, and that message set
 * the row's last_at. An hour more for clocks: the push's time and the grant's are taken apart.
 */
const OPEN_SINCE_MS = LONGEST_GRANT_MS + 60 * 60 * 1000

/**
 * Each filter's condition, the same as its index's. (`INDEXED BY` in the queries: if a
 * schema change ever made an index unusable, the query fails instead of scanning the table.)
 */
function filterCondition(filter: ConversationFilter | undefined, params: SqlValue[], now: number): string {
  switch (filter) {
    case undefined:
      return ''
    case 'failed':
      return ' AND failed > 0'
    case 'unmatched':
      return ' AND unmatched > 0'
    case 'open':
      params.push(now, now - OPEN_SINCE_MS)
      return ` AND window_remaining > 0 AND window_closes_at > ?${params.length - 1} AND last_at > ?${params.length}`
    case 'kf':
      return " AND channel = 'kf'"
  }
}

/**
 * One row more than the page: whether there is a next page, without counting. The doctor's
 * row is skipped in the index (its openid is in it), so a page is still `limit` users.
 */
export function listConversationsQuery({ appid, filter, after, limit, now }: ListOptions): Statement {
  const params: SqlValue[] = [appid, DOCTOR_OPENID]
  const where = 'appid = ?1 AND openid <> ?2' + filterCondition(filter, params, now)
  return pageQuery({
    select: `SELECT ${CONVERSATION_COLUMNS} FROM conversations INDEXED BY ${LIST_INDEX[filter ?? 'all']}`,
    where,
    params,
    key: ['last_at', 'openid'],
    after,
    limit,
  })
}

export function conversationQuery(appid: string, openid: string): Statement {
  return statement(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE appid = ?1 AND openid = ?2`, [appid, openid])
}

export interface MessagesOptions {
  appid: string
  openid: string
  after?: Position
  limit: number
}

/** What a conversation shows of each message: all but what the conversation says already. */
type ConversationMessageRow = Omit<MessageRow, 'appid' | 'openid' | 'day' | 'latency_ms'>

/** A user's messages in and out, newest first (a reply sorts at the time of its push, after it). */
export function messagesQuery({ appid, openid, after, limit }: MessagesOptions): Statement {
  return pageQuery({
    select: `SELECT id, direction, kind, text, rule_id, rules_version, unmatched, inbound_key, part, manual, status, errcode, reason, at, pushed_at, updated_at,
       sources, tokens, refused, media
     FROM messages`,
    where: 'appid = ?1 AND openid = ?2',
    params: [appid, openid],
    key: ['at', 'id'],
    after,
    limit,
  })
}

export async function listConversations(db: D1Database, options: ListOptions): Promise<Page<ConversationView>> {
  const rows = await all<ConversationRow>(db, listConversationsQuery(options))
  return page(
    rows,
    options.limit,
    (row) => toConversation(row, options.now),
    (row) => encodeCursor('conversations', { at: row.last_at, id: row.openid }),
  )
}

export interface ConversationDetail {
  conversation: ConversationView
  messages: Page<MessageView>
}

/** One conversation and a page of its messages; null when the record has no such user. */
export async function getConversation(db: D1Database, options: MessagesOptions & { now: number }): Promise<ConversationDetail | null> {
  // One round trip for both reads.
  const [heads, messages] = await db.batch([
    prepare(db, conversationQuery(options.appid, options.openid)),
    prepare(db, messagesQuery(options)),
  ])
  const head = (heads?.results as ConversationRow[] | undefined)?.[0]
  if (!head) return null
  return {
    conversation: toConversation(head, options.now),
    messages: page((messages?.results ?? []) as ConversationMessageRow[], options.limit, toMessage, (row) =>
      encodeCursor('messages', { at: row.at, id: row.id }),
    ),
  }
}

function toConversation(row: ConversationRow, now: number): ConversationView {
  const open = row.window_remaining > 0 && row.window_closes_at > now
  return {
    openid: row.openid,
    firstAt: row.first_at,
    lastAt: row.last_at,
    lastText: row.last_text,
    channel: row.channel,
    unmatched: row.unmatched,
    window: { remaining: open ? row.window_remaining : 0, closesAt: row.window_closes_at, open },
    pending: row.pending,
    failed: row.failed,
  }
}

function toMessage(row: ConversationMessageRow): MessageView {
  return {
    ...sendFields(row),
    direction: row.direction,
    rulesVersion: row.rules_version,
    unmatched: row.unmatched === 1,
    status: row.status,
    at: row.at,
    ai: row.tokens === null ? null : { sources: sourcesOf(row.sources), tokens: row.tokens, refused: row.refused },
    media: row.media,
  }
}

/** The stored JSON array of entry ids; [] if it is anything else. */
function sourcesOf(json: string | null): string[] {
  try {
    const value: unknown = JSON.parse(json ?? '[]')
    return Array.isArray(value) ? value.filter((id): id is string => typeof id === 'string') : []
  } catch {
    return []
  }
}
