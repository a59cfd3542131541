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
  return statement(`SELECT COUNT(*) AS n FROM subscriptions INDEXED BY subscriptions_reachable WHERE ${REACHABLE}`, [
    appid,
    templateId,
    longTerm ? 1 : 0,
  ])
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
  /** When its last page ran (every user it reaches has a target row); null while pages remain. */
  paged_at: number | null
  /** Counts by outcome, kept when retention deleted its targets (src/record/retention.ts); null before. */
  sent: number | null
  failed: number | null
  skipped: number | null
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
      // A campaign that reaches no one has no page to run: it is done as it starts.
      'INSERT INTO campaigns (appid, id, template_id, message, long_term, total, created_at, paged_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)',
      [appid, id, message.template_id, JSON.stringify(message), longTerm ? 1 : 0, total, now, total === 0 ? now : null],
    ),
  ).run()
  return total
}

/** A campaign whose first page the queue refused: it never started, so it leaves no trace to wait on. */
export function deleteCampaign(appid: string, campaignId: string): Statement {
  return statement('DELETE FROM campaigns WHERE appid = ?1 AND id = ?2', [appid, campaignId])
}

/** The campaign's last page ran: from now on it is done once no target is queued. The first time counts. */
export function pagesDone(appid: string, campaignId: string, now: number): Statement {
  return statement('UPDATE campaigns SET paged_at = COALESCE(paged_at, ?3) WHERE appid = ?1 AND id = ?2', [appid, campaignId, now])
}

export function readCampaign(db: D1Database, appid: string, id: string): Promise<CampaignRow | null> {
  return first<CampaignRow>(db, statement('SELECT * FROM campaigns WHERE appid = ?1 AND id = ?2', [appid, id]))
}

/**
 * Queues a page's users as targets (once each) and returns those still waiting for their
 * send: all of them the first time; on a redelivered page task only those whose send has not
 * happened (the user's object refuses a campaign's second send, so queueing one again is safe).
 */
export async function queueTargets(
  db: D1Database,
  appid: string,
  campaignId: string,
  openids: readonly string[],
  now: number,
): Promise<string[]> {
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

/**
 * A page whose sends will not happen: its users (`openids`, as the page finds them now) are
 * recorded as failed with the reason, and so is every target of its range still queued (one
 * an earlier attempt queued whose send task never went out). Outcomes already recorded stay;
 * a send task that does run records its own. The range ends at `until`, or has no end (null).
 */
export function failPage(
  appid: string,
  campaignId: string,
  page: { after: string; until: string | null; openids: readonly string[] },
  reason: string,
  now: number,
): Statement[] {
  const inserts = page.openids.map((openid) =>
    statement(
      `INSERT INTO campaign_targets (appid, campaign_id, openid, status, errcode, reason, updated_at) VALUES (?1, ?2, ?3, 'failed', NULL, ?4, ?5)
       ON CONFLICT (appid, campaign_id, openid) DO NOTHING`,
      [appid, campaignId, openid, reason, now],
    ),
  )
  const queued = statement(
    `UPDATE campaign_targets SET status = 'failed', errcode = NULL, reason = ?5, updated_at = ?6
     WHERE appid = ?1 AND campaign_id = ?2 AND openid > ?3 AND (?4 IS NULL OR openid <= ?4) AND status = 'queued'`,
    [appid, campaignId, page.after, page.until, reason, now],
  )
  return [...inserts, queued]
}

/** A user whose send task was given up on, as failed with the reason, unless an outcome is recorded already. */
export function failTarget(appid: string, campaignId: string, openid: string, reason: string, now: number): Statement {
  return statement(
    `UPDATE campaign_targets SET status = 'failed', errcode = NULL, reason = ?4, updated_at = ?5
     WHERE appid = ?1 AND campaign_id = ?2 AND openid = ?3 AND status = 'queued'`,
    [appid, campaignId, openid, reason, now],
  )
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
  /**
   * Targets by status so far; a user not yet paged in counts in none, nor does one who could
   * no longer be reached when their page ran (the counts may add up to less than `total`).
   */
  counts: Record<TargetStatus, number>
  /** Every page ran, and every user it queued has an outcome. */
  done: boolean
}

export interface TargetView {
  openid: string
  status: TargetStatus
  errcode: number | null
  reason: string | null
  updatedAt: number
}

/** The targets of one campaign by status. */
export function targetCounts(appid: string, campaignId: string): Statement {
  return statement('SELECT status, COUNT(*) AS n FROM campaign_targets WHERE appid = ?1 AND campaign_id = ?2 GROUP BY status', [
    appid,
    campaignId,
  ])
}

export async function campaignView(db: D1Database, row: CampaignRow): Promise<CampaignView> {
  const counts: Record<TargetStatus, number> = { queued: 0, sent: 0, failed: 0, skipped: 0 }
  if (row.sent !== null) {
    // Retention kept the counts and deleted the targets.
    Object.assign(counts, { sent: row.sent, failed: row.failed ?? 0, skipped: row.skipped ?? 0 })
  } else {
    for (const { status, n } of await all<{ status: TargetStatus; n: number }>(db, targetCounts(row.appid, row.id))) counts[status] = n
  }
  return {
    id: row.id,
    templateId: row.template_id,
    message: JSON.parse(row.message) as CampaignMessage,
    longTerm: row.long_term === 1,
    total: row.total,
    createdAt: row.created_at,
    counts,
    // Not `total` reached: users who could no longer be reached when their page ran have no target.
    done: row.paged_at !== null && counts.queued === 0,
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
