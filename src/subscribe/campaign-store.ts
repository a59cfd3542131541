/**
 * Campaigns in the D1 record (migrations/0002_subscribe.sql): who can be reached by a
 * template, a campaign's message, and each user's outcome. Statements as data, like
 * src/record/*; the queue consumer and the admin API run them.
 */
import { all, first, prepare, statement, type Statement } from '../record/sql'
import type { SubscribeMessage } from '../wechat/api'
import { PAGE_SIZE } from './campaign-task'

/** The message every user of a campaign gets: a subscribe send without its touser. */
export type CampaignMessage = Omit<SubscribeMessage, 'touser'>

export type TargetStatus = 'queued' | 'sent' | 'failed' | 'skipped'

/**
 * ?3 = 1 for a long-term template (an accept reaches the user), else a grant must be held. The
 * last term repeats the partial index's own condition: SQLite uses subscriptions_reachable only
 * for a WHERE that implies it in so many words.
 */
const REACHABLE = `appid = ?1 AND template_id = ?2 AND (grants > 0 OR (?3 = 1 AND status LIKE 'accept%'))
  AND (grants > 0 OR status LIKE 'accept%')`

export function reachableCount(appid: string, templateId: string, longTerm: boolean): Statement {
  return statement(
    `SELECT COUNT(*) AS n FROM subscriptions INDEXED BY subscriptions_reachable WHERE ${REACHABLE}`,
    [appid, templateId, longTerm ? 1 : 0],
  )
}

/** The next page of users who can be reached, in openid order after `after`. */
export function reachablePage(appid: string, templateId: string, longTerm: boolean, after: string): Statement {
  return statement(
    `SELECT openid FROM subscriptions INDEXED BY subscriptions_reachable
     WHERE ${REACHABLE} AND openid > ?4 ORDER BY openid LIMIT ?5`,
    [appid, templateId, longTerm ? 1 : 0, after, PAGE_SIZE],
  )
}

export interface CampaignRow {
  appid: string
  id: string
  template_id: string
  message: string
  long_term: number
  total: number
  created_at: number
}

export async function createCampaign(
  db: D1Database,
  campaign: { appid: string; id: string; message: CampaignMessage; longTerm: boolean; now: number },
): Promise<number> {
  const { appid, id, message, longTerm, now } = campaign
  const count = await first<{ n: number }>(db, reachableCount(appid, message.template_id, longTerm))
  const total = count?.n ?? 0
  await prepare(
    db,
    statement(
      'INSERT INTO campaigns (appid, id, template_id, message, long_term, total, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)',
      [appid, id, message.template_id, JSON.stringify(message), longTerm ? 1 : 0, total, now],
    ),
  ).run()
  return total
}

export function readCampaign(db: D1Database, appid: string, id: string): Promise<CampaignRow | null> {
  return first<CampaignRow>(db, statement('SELECT * FROM campaigns WHERE appid = ?1 AND id = ?2', [appid, id]))
}

/**
 * Queues a page's users as targets (once each) and returns those still waiting for their
 * send: all of them the first time; on a redelivered page task only those whose send has not
 * happened (the user's object refuses a campaign's second send, so queueing one again is safe).
 */
export async function queueTargets(db: D1Database, appid: string, campaignId: string, openids: readonly string[], now: number): Promise<string[]> {
  if (openids.length === 0) return []
  const inserts = openids.map((openid) =>
    statement(
      `INSERT INTO campaign_targets (appid, campaign_id, openid, status, updated_at) VALUES (?1, ?2, ?3, 'queued', ?4)
       ON CONFLICT (appid, campaign_id, openid) DO NOTHING`,
      [appid, campaignId, openid, now],
    ),
  )
  const waiting = statement(
    `SELECT openid FROM campaign_targets WHERE appid = ?1 AND campaign_id = ?2 AND openid >= ?3 AND openid <= ?4 AND status = 'queued' ORDER BY openid`,
    [appid, campaignId, openids[0]!, openids[openids.length - 1]!],
  )
  const results = await db.batch<{ openid: string }>([...inserts, waiting].map((s) => prepare(db, s)))
  return (results[results.length - 1]?.results ?? []).map((row) => row.openid)
}

export function settleTarget(
  appid: string,
  campaignId: string,
  openid: string,
  outcome: { status: TargetStatus; errcode: number | null; reason: string | null },
  now: number,
): Statement {
  return statement(
    `UPDATE campaign_targets SET status = ?4, errcode = ?5, reason = ?6, updated_at = ?7
     WHERE appid = ?1 AND campaign_id = ?2 AND openid = ?3`,
    [appid, campaignId, openid, outcome.status, outcome.errcode, outcome.reason, now],
  )
}

export interface CampaignView {
  id: string
  templateId: string
  message: CampaignMessage
  longTerm: boolean
  /** Users who could be reached when it started. */
  total: number
  createdAt: number
  /** Targets by status so far; a user not yet paged in counts in none. */
  counts: Record<TargetStatus, number>
  /** Every user has an outcome. */
  done: boolean
}

export interface TargetView {
  openid: string
  status: TargetStatus
  errcode: number | null
  reason: string | null
  updatedAt: number
}

export async function campaignView(db: D1Database, row: CampaignRow): Promise<CampaignView> {
  const rows = await all<{ status: TargetStatus; n: number }>(
    db,
    statement('SELECT status, COUNT(*) AS n FROM campaign_targets WHERE appid = ?1 AND campaign_id = ?2 GROUP BY status', [
      row.appid,
      row.id,
    ]),
  )
  const counts: Record<TargetStatus, number> = { queued: 0, sent: 0, failed: 0, skipped: 0 }
  for (const { status, n } of rows) counts[status] = n
  const finished = counts.sent + counts.failed + counts.skipped
  return {
    id: row.id,
    templateId: row.template_id,
    message: JSON.parse(row.message) as CampaignMessage,
    longTerm: row.long_term === 1,
    total: row.total,
    createdAt: row.created_at,
    counts,
    done: counts.queued === 0 && finished >= row.total,
  }
}

/** Per-user results in openid order, a page at a time. */
export function targetPage(db: D1Database, appid: string, campaignId: string, after: string, limit: number): Promise<TargetView[]> {
  return all<{ openid: string; status: TargetStatus; errcode: number | null; reason: string | null; updated_at: number }>(
    db,
    statement(
      `SELECT openid, status, errcode, reason, updated_at FROM campaign_targets
       WHERE appid = ?1 AND campaign_id = ?2 AND openid > ?3 ORDER BY openid LIMIT ?4`,
      [appid, campaignId, after, limit],
    ),
  ).then((rows) => rows.map((r) => ({ openid: r.openid, status: r.status, errcode: r.errcode, reason: r.reason, updatedAt: r.updated_at })))
}

export function campaignList(db: D1Database, appid: string, limit: number): Promise<CampaignRow[]> {
  return all<CampaignRow>(
    db,
    statement('SELECT * FROM campaigns INDEXED BY campaigns_newest WHERE appid = ?1 ORDER BY created_at DESC LIMIT ?2', [appid, limit]),
  )
}

/** Per template: users, how many hold one-time grants and how many accept, grants held, accepts and rejects. */
export interface TemplateCount {
  templateId: string
  users: number
  withGrants: number
  accepting: number
  grants: number
  accepted: number
  rejected: number
}

export function templateCounts(db: D1Database, appid: string): Promise<TemplateCount[]> {
  return all<TemplateCount>(
    db,
    statement(
      `SELECT template_id AS templateId, COUNT(*) AS users, SUM(grants > 0) AS withGrants,
         SUM(COALESCE(status LIKE 'accept%', 0)) AS accepting, SUM(grants) AS grants,
         SUM(accepted) AS accepted, SUM(rejected) AS rejected
       FROM subscriptions WHERE appid = ?1 GROUP BY template_id ORDER BY template_id LIMIT 500`,
      [appid],
    ),
  )
}
