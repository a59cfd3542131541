/**
 * The audit log: what each operator did, in D1 (`audit`, migrations/0005) — who, when, which
 * mini program ('' for what concerns the whole deployment: sign-ins, operators), the action,
 * what it acted on and a short summary of ids and outcomes (never message text beyond what the
 * record keeps, never a secret). Newest first, keyset-paged like the record's lists, filtered
 * by operator or action. Kept AUDIT_RETENTION_DAYS (default 365) by the hourly cron.
 */
import type { Operator } from '../auth/operators'
import { log } from '../log'
import { numberSetting, SettingError, type Env } from '../settings/env'
import { decodeCursor, encodeCursor, pageQuery, type Position } from '../record/cursor'
import { page } from '../record/page'
import { all, prepare, statement, type SqlValue, type Statement } from '../record/sql'
import type { Page } from '../record/views'

export const AUDIT_ACTIONS = [
  'sign_in',
  'sign_in_failed',
  'sign_out_everywhere',
  'publish',
  'rollback',
  'reply',
  'retry',
  'drop',
  'subscribe_send',
  'uniform_send',
  'campaign_start',
  'knowledge_change',
  'operator_add',
  'operator_change',
  'operator_remove',
  'desk_claim',
  'desk_release',
  'desk_transfer',
  'desk_close',
  'desk_status',
  'desk_note',
  'desk_canned',
  'media_upload',
  'user_export',
  'user_delete',
  'export',
  'webhook_retry',
] as const
export type AuditAction = (typeof AUDIT_ACTIONS)[number]

export const DEFAULT_AUDIT_RETENTION_DAYS = 365
/** A summary is a line, not a document. */
const MAX_SUMMARY = 200

export interface AuditEntry {
  /** The mini program acted on; '' for the deployment (sign-ins, operators). */
  appid: string
  /** Who: null for a failed sign-in (nobody was signed in). */
  operator: Pick<Operator, 'id' | 'name'> | null
  action: AuditAction
  target?: string | null
  summary?: string | null
}

export interface AuditView {
  id: string
  at: number
  appid: string
  operatorId: string
  operatorName: string
  action: AuditAction
  target: string | null
  summary: string | null
}

interface Row {
  appid: string
  at: number
  id: string
  operator_id: string
  operator_name: string
  action: AuditAction
  target: string | null
  summary: string | null
}

/** Records one entry. Called after the action is done, with what it came to. */
export async function audit(db: D1Database, entry: AuditEntry, now: number): Promise<void> {
  const summary = entry.summary ? entry.summary.slice(0, MAX_SUMMARY) : null
  await prepare(
    db,
    statement('INSERT INTO audit (appid, at, id, operator_id, operator_name, action, target, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      entry.appid,
      now,
      crypto.randomUUID(),
      entry.operator?.id ?? '',
      entry.operator?.name ?? '',
      entry.action,
      entry.target ?? null,
      summary,
    ]),
  ).run()
}

/**
 * Records one entry for an action that is done: a write that fails is logged
 * (`audit.write_failed`) and never fails or undoes the action. Never rejects.
 */
export async function auditDone(db: D1Database, entry: AuditEntry, now = Date.now()): Promise<void> {
  try {
    await audit(db, entry, now)
  } catch (error) {
    log.error('audit.write_failed', { action: entry.action, target: entry.target ?? null, error: (error as Error).message })
  }
}

export interface AuditQuery {
  /** The mini program's entries and the deployment's ('' ones). */
  appid: string
  limit: number
  after?: Position
  operator?: string
  action?: AuditAction
}

/** A page of entries, newest first. */
export async function listAudit(db: D1Database, query: AuditQuery): Promise<Page<AuditView>> {
  const where = ['appid IN (?1, ?2)']
  const params: SqlValue[] = [query.appid, '']
  if (query.operator !== undefined) {
    params.push(query.operator)
    where.push(`operator_id = ?${params.length}`)
  }
  if (query.action !== undefined) {
    params.push(query.action)
    where.push(`action = ?${params.length}`)
  }
  const rows = await all<Row>(
    db,
    pageQuery({
      select: 'SELECT appid, at, id, operator_id, operator_name, action, target, summary FROM audit',
      where: where.join(' AND '),
      params,
      key: ['at', 'id'],
      after: query.after,
      limit: query.limit,
    }),
  )
  return page(rows, query.limit, viewOf, (row) => encodeCursor('audit', { at: row.at, id: row.id }))
}

export function decodeAuditCursor(cursor: string): Position | null {
  return decodeCursor('audit', cursor)
}

/**
 * AUDIT_RETENTION_DAYS, or the default when unset. A malformed value is the operator's to fix
 * (/healthz names it): meanwhile the log is kept the default, never cleared early.
 */
export function auditRetentionDays(env: Env): number {
  try {
    return numberSetting(env, 'AUDIT_RETENTION_DAYS', DEFAULT_AUDIT_RETENTION_DAYS)
  } catch (error) {
    if (!(error instanceof SettingError)) throw error
    log.error('setting.malformed', { setting: 'AUDIT_RETENTION_DAYS', reason: error.reason, using: DEFAULT_AUDIT_RETENTION_DAYS })
    return DEFAULT_AUDIT_RETENTION_DAYS
  }
}

/** The cron's part: entries older than `retentionDays`. */
export async function pruneAudit(db: D1Database, now: number, retentionDays: number): Promise<number> {
  const result = await prepare(db, statement('DELETE FROM audit WHERE at < ?', [now - retentionDays * 24 * 60 * 60 * 1000])).run()
  return result.meta.changes
}

/** What stands for a deleted user in the log: their entries stay, without their openid. */
export const DELETED_USER = 'deleted-user'

/**
 * The user's openid out of every entry that names it — as the target, or inside a send id
 * (`out:<openid>:<n>`) — for their deletion: who did what stays, to whom goes.
 */
export function forgetUserStatement(appid: string, openid: string): Statement {
  const sendPrefix = `out:${openid}:`
  // substr, not LIKE: an openid's `_` would be LIKE's wildcard.
  return statement('UPDATE audit SET target = ?3 WHERE appid = ?1 AND (target = ?2 OR substr(target, 1, ?4) = ?5)', [
    appid,
    openid,
    DELETED_USER,
    sendPrefix.length,
    sendPrefix,
  ])
}

/** Whether a deletion with this key (a hash: no personal data) is in the log already. */
export function deletionLoggedQuery(appid: string, key: string): Statement {
  return statement(
    "SELECT 1 AS found FROM audit INDEXED BY audit_action WHERE appid = ?1 AND action = 'user_delete' AND target = ?2 LIMIT 1",
    [appid, key],
  )
}

function viewOf(row: Row): AuditView {
  return {
    id: row.id,
    at: row.at,
    appid: row.appid,
    operatorId: row.operator_id,
    operatorName: row.operator_name,
    action: row.action,
    target: row.target,
    summary: row.summary,
  }
}
