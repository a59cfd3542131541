/**
 * The desk's tables, in its Durable Object (one per mini program): the conversations handed to
 * a person, waiting or claimed, and the agents' status; a close moves the conversation to the
 * agents' figures (handled.ts). Every statement on them is here; each is synchronous, so a
 * claim reads and writes in one step of the object's single thread — two agents claiming at
 * once cannot both win.
 */
import type { DeskWindow } from '../conversation/contract'
import { HANDLED_SCHEMA, recordHandled } from './handled'

const DESK_SCHEMA = `
CREATE TABLE IF NOT EXISTS desk (
  openid TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  reason TEXT NOT NULL,
  assignee TEXT,
  assignee_name TEXT,
  queued_at INTEGER NOT NULL,
  claimed_at INTEGER,
  first_response_at INTEGER,
  closed_at INTEGER,
  last_text TEXT NOT NULL,
  last_at INTEGER NOT NULL,
  window_closes_at INTEGER NOT NULL,
  window_remaining INTEGER NOT NULL,
  alerted INTEGER NOT NULL DEFAULT 0,
  window_opened_at INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS desk_open ON desk (status, queued_at);
CREATE TABLE IF NOT EXISTS agents (id TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID;
`

/** Columns added since the desk's first build, for a desk created before them (a local state from an earlier build). */
const ADDED_COLUMNS: Record<string, string> = {
  window_opened_at: 'window_opened_at INTEGER NOT NULL DEFAULT 0',
}

/**
 * The tables, with every column a desk created by an earlier build lacks; the closed rows an
 * earlier build kept in `desk` (with their rating) move to `handled`.
 */
export function createDesk(sql: SqlStorage): void {
  sql.exec(DESK_SCHEMA)
  sql.exec(HANDLED_SCHEMA)
  const columns = new Set(
    sql
      .exec<{ name: string }>("SELECT name FROM pragma_table_info('desk')")
      .toArray()
      .map((c) => c.name),
  )
  for (const [name, definition] of Object.entries(ADDED_COLUMNS)) {
    if (!columns.has(name)) sql.exec(`ALTER TABLE desk ADD COLUMN ${definition}`)
  }
  if (!columns.has('rating')) return
  sql.exec(
    `INSERT OR IGNORE INTO handled (openid, closed_at, agent, agent_name, reason, queued_at, first_response_at, rating)
     SELECT openid, closed_at, assignee, COALESCE(assignee_name, ''), reason, queued_at, first_response_at, rating FROM desk
     WHERE status = 'closed' AND assignee IS NOT NULL AND closed_at IS NOT NULL`,
  )
  sql.exec("DELETE FROM desk WHERE status = 'closed'")
  sql.exec('ALTER TABLE desk DROP COLUMN rating')
}

/** Waiting for a person; taken by one; done. */
export type DeskStatus = 'waiting' | 'claimed' | 'closed'
/** Why the user is at the desk: a transfer rule or "转人工", the rule set's hand-off, the model giving up. */
export type DeskReason = 'transfer' | 'handoff' | 'ai'
export type AgentStatus = 'online' | 'away'

export type DeskRow = {
  openid: string
  status: DeskStatus
  reason: DeskReason
  assignee: string | null
  assignee_name: string | null
  queued_at: number
  claimed_at: number | null
  first_response_at: number | null
  closed_at: number | null
  last_text: string
  last_at: number
  window_closes_at: number
  window_remaining: number
  alerted: number
  /** The granting action the window counts from (epoch ms): a report of an older one is stale. */
  window_opened_at: number
}

/** What the desk is told about a user who asked for a person. */
export interface Arrival {
  openid: string
  reason: DeskReason
  text: string
  at: number
  /** The send window as the Conversation object has it: when it closes, sends left, and its grant. */
  window: DeskWindow
}

const TEXT_CHARS = 200

export function deskRow(sql: SqlStorage, openid: string): DeskRow | undefined {
  return sql.exec<DeskRow>('SELECT * FROM desk WHERE openid = ?', openid).toArray()[0]
}

/**
 * A user asks for a person: queued, waiting from now — unless already waiting or claimed, when
 * only the last message and the window change (WeChat's retry, a second "人工"). One whose
 * conversation was closed comes back as a new wait (the closed one is in `handled`).
 */
export function arrive(sql: SqlStorage, arrival: Arrival): { queued: boolean } {
  const text = Array.from(arrival.text).slice(0, TEXT_CHARS).join('')
  const held = deskRow(sql, arrival.openid)
  if (held && held.status !== 'closed') {
    noteMessage(sql, arrival.openid, text, arrival.at, arrival.window)
    return { queued: false }
  }
  sql.exec(
    `INSERT OR REPLACE INTO desk (openid, status, reason, assignee, assignee_name, queued_at, claimed_at, first_response_at, closed_at,
       last_text, last_at, window_closes_at, window_remaining, window_opened_at, alerted)
     VALUES (?, 'waiting', ?, NULL, NULL, ?, NULL, NULL, NULL, ?, ?, ?, ?, ?, 0)`,
    arrival.openid,
    arrival.reason,
    arrival.at,
    text,
    arrival.at,
    arrival.window.closesAt,
    arrival.window.remaining,
    arrival.window.openedAt,
  )
  return { queued: true }
}

/** A message from a user at the desk: the queue shows it, and its window as it now is (when the report has it). */
export function noteMessage(sql: SqlStorage, openid: string, text: string, at: number, window?: DeskWindow): boolean {
  const cut = Array.from(text).slice(0, TEXT_CHARS).join('')
  const noted =
    sql.exec("UPDATE desk SET last_text = ?, last_at = ? WHERE openid = ? AND status != 'closed'", cut, at, openid).rowsWritten > 0
  if (window) noteWindow(sql, openid, window)
  return noted
}

/**
 * The window as a report says it, unless the desk already has a newer one: reports of one
 * user's window (their message, a delivery pass) may arrive out of order. A later grant is
 * newer; under the same grant, sends and refusals only ever lower what is left.
 */
export function noteWindow(sql: SqlStorage, openid: string, window: DeskWindow): boolean {
  return (
    sql.exec(
      `UPDATE desk SET window_closes_at = ?1, window_remaining = ?2, window_opened_at = ?3
       WHERE openid = ?4 AND status != 'closed'
         AND (?3 > window_opened_at OR (?3 = window_opened_at AND (?2 < window_remaining OR ?1 < window_closes_at)))`,
      window.closesAt,
      window.remaining,
      window.openedAt,
      openid,
    ).rowsWritten > 0
  )
}

export function claimRow(sql: SqlStorage, openid: string, agent: { id: string; name: string }, now: number): void {
  sql.exec(
    "UPDATE desk SET status = 'claimed', assignee = ?, assignee_name = ?, claimed_at = COALESCE(claimed_at, ?) WHERE openid = ?",
    agent.id,
    agent.name,
    now,
    openid,
  )
}

/** Back to waiting, for anyone; the wait keeps counting from when the user asked. */
export function releaseRow(sql: SqlStorage, openid: string): void {
  sql.exec("UPDATE desk SET status = 'waiting', assignee = NULL, assignee_name = NULL WHERE openid = ?", openid)
}

/**
 * Done: the conversation leaves the queue for the agents' figures, as its holder's — or, when
 * nobody held it, as `closer`'s, who handled it by closing it. The row as it closed; undefined
 * when the user is not at the desk.
 */
export function closeRow(sql: SqlStorage, openid: string, closer: { id: string; name: string }, now: number): DeskRow | undefined {
  const row = deskRow(sql, openid)
  if (!row || row.status === 'closed') return undefined
  const agent = row.assignee === null ? closer : { id: row.assignee, name: row.assignee_name ?? '' }
  recordHandled(sql, {
    openid,
    closed_at: now,
    agent: agent.id,
    agent_name: agent.name,
    reason: row.reason,
    queued_at: row.queued_at,
    first_response_at: row.first_response_at,
  })
  sql.exec('DELETE FROM desk WHERE openid = ?', openid)
  return { ...row, status: 'closed', closed_at: now, assignee: agent.id, assignee_name: agent.name }
}

/** An agent's first reply to a user at the desk: the first-response time counts to it. */
export function noteReply(sql: SqlStorage, openid: string, now: number): void {
  sql.exec("UPDATE desk SET first_response_at = COALESCE(first_response_at, ?) WHERE openid = ? AND status != 'closed'", now, openid)
}

/** Who is waiting or being served, oldest wait first. */
export function openRows(sql: SqlStorage): DeskRow[] {
  return sql.exec<DeskRow>("SELECT * FROM desk WHERE status != 'closed' ORDER BY queued_at, openid").toArray()
}

/** Waiting since before `before` and not yet announced. */
export function overdueRows(sql: SqlStorage, before: number): DeskRow[] {
  return sql
    .exec<DeskRow>("SELECT * FROM desk WHERE status = 'waiting' AND alerted = 0 AND queued_at <= ? ORDER BY queued_at", before)
    .toArray()
}

export function markAlerted(sql: SqlStorage, openid: string): void {
  sql.exec('UPDATE desk SET alerted = 1 WHERE openid = ?', openid)
}

/** The oldest wait not yet announced, for the alarm. */
export function oldestUnalerted(sql: SqlStorage): number | null {
  return sql.exec<{ at: number | null }>("SELECT MIN(queued_at) AS at FROM desk WHERE status = 'waiting' AND alerted = 0").one().at
}

export type AgentRow = {
  id: string
  name: string
  status: AgentStatus
  updated_at: number
}

export function setAgent(sql: SqlStorage, agent: { id: string; name: string }, status: AgentStatus, now: number): void {
  sql.exec(
    'INSERT INTO agents (id, name, status, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, status = excluded.status, updated_at = excluded.updated_at',
    agent.id,
    agent.name,
    status,
    now,
  )
}

export function agentRows(sql: SqlStorage): AgentRow[] {
  return sql.exec<AgentRow>('SELECT * FROM agents ORDER BY name, id').toArray()
}

/** The online agent with the fewest conversations claimed, for auto-assignment; null when none is online. */
export function leastBusyOnline(sql: SqlStorage): AgentRow | null {
  return (
    sql
      .exec<AgentRow>(
        `SELECT a.* FROM agents a WHERE a.status = 'online'
         ORDER BY (SELECT COUNT(*) FROM desk d WHERE d.status = 'claimed' AND d.assignee = a.id), a.updated_at, a.id LIMIT 1`,
      )
      .toArray()[0] ?? null
  )
}

/** A user's data deleted: waiting or taken, they leave the queue (their closed conversations: handled.ts). */
export function forgetRow(sql: SqlStorage, openid: string): boolean {
  return sql.exec('DELETE FROM desk WHERE openid = ?', openid).rowsWritten > 0
}
