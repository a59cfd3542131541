/**
 * A user's subscribe grants, per template (`subscriptions`, schema 5): recorded from the
 * popup, change and sent events in the push's transaction (a retried event counts once), and
 * spent by a send. Every change is marked for the journal (journal.ts) and copied to D1,
 * where campaigns look up who can be reached. And which campaigns the user has been sent (rows `campaign:<id>` of `meta`,
 * JSON; schema 5 to 10 had a table of their own), so a
 * redelivered queue message never sends twice. All of both tables' statements.
 */
import { isAccept, reachable, REFUSED_ERRCODE, type SubscribeChange } from '../subscribe/grants'
import type { SubscriptionView } from './contract'
import { nextMark } from './journal-mark'
import type { Tables } from './schema.generated'

export type SubscriptionRow = Tables['subscriptions']

/** The journal's mark (journal.ts), set by every statement that changes a subscription. */
const MARK = nextMark('subscriptions')

/**
 * What a send's outcome sets beyond the outcome itself: `grants` becomes `otherwise` unless
 * refused (parameters: the errcode, those of `otherwise`, the errcode again). WeChat's 43101
 * says the user refuses the template: the one-time grants end, and an accept turns into
 * `reject`, since a long-term template reaches whoever accepts (grants.ts: `reachable`).
 * Until the user accepts again in a popup or the settings page, no campaign and no unforced
 * send goes to them. `rejected` counts the user's own answers only and stays as it was.
 */
const refused = (otherwise: string) => `grants = CASE WHEN ? = ${REFUSED_ERRCODE} THEN 0 ELSE ${otherwise} END,
  status = CASE WHEN ? = ${REFUSED_ERRCODE} AND status LIKE 'accept%' THEN 'reject' ELSE status END`

export function applySubscribeChanges(sql: SqlStorage, openid: string, changes: readonly SubscribeChange[], now: number): void {
  for (const change of changes) {
    ensureRow(sql, openid, change.templateId, now)
    if (change.kind === 'sent') {
      // WeChat's report of a send: its outcome. A refusal ends the user's reach (`refused`); the send itself spent a grant already.
      write(
        sql,
        `UPDATE subscriptions SET last_send_at = ?, last_errcode = ?, last_msg_id = ?, updated_at = ?, journal_seq = ${MARK}, ${refused('grants')}
         WHERE template_id = ?`,
        now,
        change.errorCode,
        change.msgId,
        now,
        change.errorCode,
        change.errorCode,
        change.templateId,
      )
      continue
    }
    if (!isAccept(change.status)) {
      write(
        sql,
        `UPDATE subscriptions SET grants = 0, status = ?, rejected = rejected + 1, updated_at = ?, journal_seq = ${MARK} WHERE template_id = ?`,
        change.status,
        now,
        change.templateId,
      )
      continue
    }
    // The popup grants a send; a change in the settings page only says the user accepts again.
    const grant = change.kind === 'popup' ? 1 : 0
    write(
      sql,
      `UPDATE subscriptions SET grants = grants + ?, status = ?, accepted = accepted + ?, updated_at = ?, journal_seq = ${MARK} WHERE template_id = ?`,
      grant,
      change.status,
      grant,
      now,
      change.templateId,
    )
  }
}

function ensureRow(sql: SqlStorage, openid: string, templateId: string, now: number): void {
  write(
    sql,
    `INSERT INTO subscriptions (template_id, openid, updated_at, journal_seq) VALUES (?, ?, ?, ${MARK}) ON CONFLICT (template_id) DO NOTHING`,
    templateId,
    openid,
    now,
  )
}

/** What a send may do: spend a one-time grant, go on a long-term accept, or go because the operator forced it. */
export type Reservation = 'grant' | 'long_term' | 'forced'

/** Takes the grant a send needs, or null when the user holds none (and the send is not forced). */
export function reserveGrant(
  sql: SqlStorage,
  openid: string,
  templateId: string,
  longTerm: boolean,
  force: boolean,
  now: number,
): Reservation | null {
  const row = subscriptionRow(sql, templateId)
  const standing = { grants: row?.grants ?? 0, status: row?.status ?? null }
  if (reachable(standing, longTerm)) {
    if (longTerm) return 'long_term'
    write(sql, `UPDATE subscriptions SET grants = grants - 1, updated_at = ?, journal_seq = ${MARK} WHERE template_id = ?`, now, templateId)
    return 'grant'
  }
  if (!force) return null
  ensureRow(sql, openid, templateId, now)
  return 'forced'
}

/**
 * A send's outcome (errcode 0 when WeChat took it). 43101 ends the user's reach (`refused`). Any
 * other failure gives back the grant it took: WeChat spends one only for a message it accepted.
 */
export function settleSend(sql: SqlStorage, templateId: string, reservation: Reservation, errcode: number, now: number): void {
  const giveBack = errcode !== 0 && errcode !== REFUSED_ERRCODE && reservation === 'grant' ? 1 : 0
  write(
    sql,
    `UPDATE subscriptions SET last_send_at = ?, last_errcode = ?, updated_at = ?, journal_seq = ${MARK}, ${refused('grants + ?')}
     WHERE template_id = ?`,
    now,
    errcode,
    now,
    errcode,
    giveBack,
    errcode,
    templateId,
  )
}

export function subscriptionRow(sql: SqlStorage, templateId: string): SubscriptionRow | undefined {
  return sql.exec<SubscriptionRow>('SELECT * FROM subscriptions WHERE template_id = ?', templateId).toArray()[0]
}

export function subscriptionViews(sql: SqlStorage, longTerm: ReadonlySet<string>): SubscriptionView[] {
  return sql
    .exec<SubscriptionRow>('SELECT * FROM subscriptions ORDER BY updated_at DESC, template_id')
    .toArray()
    .map((row) => ({
      templateId: row.template_id,
      grants: row.grants,
      status: row.status,
      longTerm: longTerm.has(row.template_id),
      reachable: reachable(row, longTerm.has(row.template_id)),
      accepted: row.accepted,
      rejected: row.rejected,
      updatedAt: row.updated_at,
      lastSend: row.last_send_at === null ? null : { at: row.last_send_at, errcode: row.last_errcode, msgId: row.last_msg_id },
    }))
}

/** Whether the user can be reached by any template: the object keeps its grants past RETENTION_DAYS. */
export function holdsGrants(sql: SqlStorage, longTerm: ReadonlySet<string>): boolean {
  let rows = standing.get(sql)
  if (!rows) {
    rows = sql.exec<SubscriptionRow>('SELECT * FROM subscriptions WHERE grants > 0 OR status IS NOT NULL').toArray()
    standing.set(sql, rows)
  }
  return rows.some((row) => reachable(row, longTerm.has(row.template_id)))
}

/**
 * The rows that may reach the user, as last read: every push plans its alarm with them
 * (`holdsGrants`) and they change only with a subscribe event or send, through `write`.
 * Forgotten with the storage or a transaction rolled back (transaction.ts).
 */
const standing = new WeakMap<SqlStorage, SubscriptionRow[]>()

export function forgetSubscriptions(sql: SqlStorage): void {
  standing.delete(sql)
}

/** The subscriptions marked after `mark`, oldest mark first: what the record has not got yet. */
export function subscriptionsMarkedAfter(sql: SqlStorage, mark: number, limit: number): SubscriptionRow[] {
  return sql.exec<SubscriptionRow>('SELECT * FROM subscriptions WHERE journal_seq > ? ORDER BY journal_seq LIMIT ?', mark, limit).toArray()
}

/** Every change to `subscriptions`: the rows kept for `holdsGrants` are read again after it. */
function write(sql: SqlStorage, query: string, ...params: SqlStorageValue[]): void {
  sql.exec(query, ...params)
  standing.delete(sql)
}

/** A campaign's send to this user: `sending` while its request is out (or was, when a reset cut it short). */
export interface CampaignSend {
  status: 'sending' | 'sent' | 'failed'
  errcode: number | null
}

/** A campaign's row in `meta`. */
const campaignKey = (campaignId: string): string => `campaign:${campaignId}`

export function campaignSend(sql: SqlStorage, campaignId: string): CampaignSend | undefined {
  const value = sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', campaignKey(campaignId)).toArray()[0]?.value
  if (value === undefined) return undefined
  const { status, errcode } = JSON.parse(value) as CampaignSend
  return { status, errcode }
}

/** Written before the request leaves: a reset mid-request never sends the campaign twice (a second start throws). */
export function startCampaignSend(sql: SqlStorage, campaignId: string, at: number): void {
  sql.exec('INSERT INTO meta (key, value) VALUES (?, ?)', campaignKey(campaignId), JSON.stringify({ status: 'sending', errcode: null, at }))
}

export function settleCampaignSend(sql: SqlStorage, campaignId: string, errcode: number, at: number): void {
  const status: CampaignSend['status'] = errcode === 0 ? 'sent' : 'failed'
  sql.exec('UPDATE meta SET value = ? WHERE key = ?', JSON.stringify({ status, errcode, at }), campaignKey(campaignId))
}
