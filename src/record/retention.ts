/**
 * Retention of the record, run by the cron (src/scheduled.ts):
 *
 * - What users wrote and were sent (messages.text, conversations.last_text) is cleared
 *   RETENTION_DAYS after it was written. So are unmatched questions not asked for
 *   RETENTION_DAYS: their key is the user's text, so the row goes with it.
 * - Rows and counts stay while the stats can show them (MAX_STATS_DAYS, or RETENTION_DAYS
 *   when that is longer): message rows without text still count in the daily stats, and
 *   still stop a late retry of the same push from being counted twice.
 * - A user's subscriptions rows go once their Conversation object may have deleted its own
 *   (`subscriptionWindow`): nothing of theirs reaches them, and RETENTION_DAYS have passed
 *   since their last activity, with their window closed.
 * - A campaign's per-user outcomes (campaign_targets) go CAMPAIGN_TARGET_MIN_DAYS (or
 *   RETENTION_DAYS when longer) after its last page ran; its row keeps the counts.
 *
 * Every statement works through an index, in chunks, so a first run over a large backlog
 * never holds the database for long.
 */
import { log } from '../log'
import { dayOf, DAY_MS, startOfDay } from './day'
import { all, prepare, statement, type Statement } from './sql'
import { MAX_STATS_DAYS } from './stats'

/** Rows per statement; a chunk that comes back full is run again. */
export const PRUNE_CHUNK = 1000
/** At most this many chunks per statement and run: the next hourly run goes on. */
const MAX_CHUNKS = 100
/** Days beyond any real retention; keeps date arithmetic within range. */
const MAX_DAYS = 36_500
/**
 * What the D1 record's view of a user's last activity may lag behind the object's: a push is
 * recorded at its CreateTime, and the object received it up to PUSH_MAX_AGE_SECONDS later
 * (5 minutes unless set otherwise); an hour more than the object waits covers that.
 */
export const ACTIVITY_MARGIN_MS = 60 * 60 * 1000
/**
 * A campaign's per-user outcomes stay this long after its last page ran, or RETENTION_DAYS when
 * that is longer. Cloudflare Queues keep a message 14 days at most, so by then no task of the
 * campaign can still arrive (a redelivered page task would find the users its targets show
 * done); one that did would find the counts on the campaign's row and do nothing.
 */
export const CAMPAIGN_TARGET_MIN_DAYS = 14
/** Campaigns summarised per statement: each counts all its targets once. */
const CAMPAIGNS_PER_STATEMENT = 10

export interface PruneOptions {
  /** One app, or every app with rows in the record. */
  appid?: string
  now: number
  retentionDays: number
  /**
   * SUBSCRIBE_LONG_TERM_TEMPLATES: an accept of one of these reaches the user. Left out, every
   * accept counts as reaching the user, so no user a long-term template reaches is forgotten.
   */
  longTermTemplates?: ReadonlySet<string>
  /** Where the subscriptions sweep starts in openid order (it wraps around); random when left out. */
  sweepFrom?: string
}

export interface PruneCounts {
  textsCleared: number
  lastTextsCleared: number
  questionsForgotten: number
  messagesDeleted: number
  conversationsDeleted: number
  ruleDaysDeleted: number
  /** Rows of `daily` and `daily_latency`. */
  dayCountsDeleted: number
  /** Rows of `subscriptions` (every row of each user forgotten). */
  subscriptionsDeleted: number
  /** Campaigns whose counts were kept on their row, before their targets go. */
  campaignsSummarised: number
  campaignTargetsDeleted: number
}

/** The apps with rows, by a skip scan over each table's leading appid: one index seek per app. */
export function appidsQuery(): Statement {
  const skipScan = (name: string, table: string) => `
    ${name}(appid) AS (
      SELECT min(appid) FROM ${table}
      UNION ALL SELECT (SELECT min(appid) FROM ${table} WHERE appid > ${name}.appid) FROM ${name} WHERE ${name}.appid IS NOT NULL
    )`
  return statement(
    `WITH RECURSIVE ${skipScan('c', 'conversations')}, ${skipScan('m', 'messages')}, ${skipScan('u', 'unmatched')},
       ${skipScan('s', 'subscriptions')}, ${skipScan('k', 'campaigns')}
     SELECT appid FROM c WHERE appid IS NOT NULL
     UNION SELECT appid FROM m WHERE appid IS NOT NULL
     UNION SELECT appid FROM u WHERE appid IS NOT NULL
     UNION SELECT appid FROM s WHERE appid IS NOT NULL
     UNION SELECT appid FROM k WHERE appid IS NOT NULL`,
    [],
  )
}

export interface PruneStep {
  name: keyof PruneCounts
  statement: Statement
  /** Whether the statement works in chunks of PRUNE_CHUNK rows (run until one comes back short). */
  chunked: boolean
}

/** The statements of one app's pruning; ?1 appid, ?2 the cut-off, ?3 the chunk size. */
export function pruneSteps(appid: string, now: number, retentionDays: number): PruneStep[] {
  const textCutoff = now - Math.min(retentionDays, MAX_DAYS) * DAY_MS
  const rowDays = Math.min(Math.max(retentionDays, MAX_STATS_DAYS), MAX_DAYS)
  // Rows of days before this one go; counts of the last rowDays days stay.
  const firstKeptDay = dayOf(now - (rowDays - 1) * DAY_MS)
  const rowCutoff = now - rowDays * DAY_MS
  const chunked = (name: keyof PruneCounts, sql: string, cutoff: string | number): PruneStep => ({
    name,
    statement: statement(sql, [appid, cutoff, PRUNE_CHUNK]),
    chunked: true,
  })
  return [
    chunked(
      'textsCleared',
      `UPDATE messages SET text = NULL WHERE appid = ?1 AND (openid, at, id) IN (
         SELECT openid, at, id FROM messages INDEXED BY messages_at WHERE appid = ?1 AND at < ?2 AND text IS NOT NULL LIMIT ?3)`,
      textCutoff,
    ),
    chunked(
      'lastTextsCleared',
      `UPDATE conversations SET last_text = NULL WHERE appid = ?1 AND openid IN (
         SELECT openid FROM conversations INDEXED BY conversations_recent WHERE appid = ?1 AND last_at < ?2 AND last_text IS NOT NULL LIMIT ?3)`,
      textCutoff,
    ),
    chunked(
      'questionsForgotten',
      `DELETE FROM unmatched WHERE appid = ?1 AND text IN (
         SELECT text FROM unmatched INDEXED BY unmatched_seen WHERE appid = ?1 AND last_seen < ?2 LIMIT ?3)`,
      textCutoff,
    ),
    chunked(
      'messagesDeleted',
      `DELETE FROM messages WHERE appid = ?1 AND (openid, at, id) IN (
         SELECT openid, at, id FROM messages INDEXED BY messages_at WHERE appid = ?1 AND at < ?2 LIMIT ?3)`,
      startOfDay(firstKeptDay),
    ),
    chunked(
      'conversationsDeleted',
      `DELETE FROM conversations WHERE appid = ?1 AND openid IN (
         SELECT openid FROM conversations INDEXED BY conversations_recent WHERE appid = ?1 AND last_at < ?2 LIMIT ?3)`,
      rowCutoff,
    ),
    {
      name: 'ruleDaysDeleted',
      // Days times rules: small, one statement.
      statement: statement('DELETE FROM rule_daily WHERE appid = ?1 AND day < ?2', [appid, firstKeptDay]),
      chunked: false,
    },
    {
      name: 'dayCountsDeleted',
      statement: statement('DELETE FROM daily WHERE appid = ?1 AND day < ?2', [appid, firstKeptDay]),
      chunked: false,
    },
    {
      name: 'dayCountsDeleted',
      statement: statement('DELETE FROM daily_latency WHERE appid = ?1 AND day < ?2', [appid, firstKeptDay]),
      chunked: false,
    },
  ]
}

/**
 * A window of the subscriptions sweep, as two statements for one batch (they see the same
 * rows): `until`, the last openid of the next PRUNE_CHUNK rows after `after` (null past the
 * last), and the deletion of every row of each user in (after, until] whose object may have
 * deleted its storage (src/conversation/conversation.ts, `idlePastRetention`), which D1 can
 * tell by:
 *
 * - nothing reaches them: no row holds a one-time grant, and none accepts a long-term template
 *   (as the object's `holdsGrants`; with no list given, no accepting user at all);
 * - RETENTION_DAYS (plus ACTIVITY_MARGIN_MS) have passed since their last activity: their last
 *   push (`conversations.last_at`) and the last outcome of a send to them (`messages`, whose
 *   `updated_at` the object's outbox row had), as the object's `lastActivityAt`; a send of a
 *   subscribe message is no activity there, so none here either;
 * - their window has closed (`window_closes_at` as last reported).
 *
 * A user with no `conversations` row (the record drops it 90 days after the last push) is past
 * every time but reach. Where D1 cannot tell exactly, it deletes later than the object, never
 * sooner: a batch with no push in it creates a missing `conversations` row as of its own time
 * (write.ts, WINDOW). A row copied after its deletion here (the object's journal was behind)
 * is written again as it is: an insert, as a new user's.
 */
export function subscriptionWindow(
  appid: string,
  after: string,
  { now, retentionDays, longTermTemplates }: { now: number; retentionDays: number; longTermTemplates?: ReadonlySet<string> },
): { until: Statement; forget: Statement } {
  const keepMs = Math.min(retentionDays, MAX_DAYS) * DAY_MS
  const cutoff = now - keepMs - ACTIVITY_MARGIN_MS
  // A send's outcome comes after its push: within the reply's age, or by hand while the object keeps the row (RETENTION_DAYS).
  const sendsFrom = cutoff - keepMs
  const longTerm = longTermTemplates === undefined ? null : JSON.stringify([...longTermTemplates])
  const windowEnd = `(SELECT MAX(openid) FROM (
      SELECT openid FROM subscriptions INDEXED BY subscriptions_user WHERE appid = ?1 AND openid > ?2 ORDER BY openid LIMIT ?3))`
  return {
    until: statement(`SELECT ${windowEnd} AS until`, [appid, after, PRUNE_CHUNK]),
    forget: statement(
      `DELETE FROM subscriptions INDEXED BY subscriptions_user WHERE appid = ?1 AND openid IN (
         SELECT s.openid FROM subscriptions AS s INDEXED BY subscriptions_user
         WHERE s.appid = ?1 AND s.openid > ?2 AND s.openid <= ${windowEnd}
         GROUP BY s.openid
         HAVING MAX(s.grants > 0 OR COALESCE(s.status LIKE 'accept%' AND (?5 IS NULL OR s.template_id IN (SELECT value FROM json_each(?5))), 0)) = 0
           AND NOT EXISTS (SELECT 1 FROM conversations AS c WHERE c.appid = ?1 AND c.openid = s.openid AND (c.last_at >= ?4 OR c.window_closes_at > ?6))
           AND NOT EXISTS (SELECT 1 FROM messages AS m
                           WHERE m.appid = ?1 AND m.openid = s.openid AND m.at >= ?7 AND m.updated_at >= ?4))`,
      [appid, after, PRUNE_CHUNK, cutoff, longTerm, now, sendsFrom],
    ),
  }
}

/**
 * The campaign steps; ?1 appid, ?2 the cut-off on `paged_at`, ?3 the chunk. A target still
 * queued that long after the last page had its task dropped unsettled: it counts as failed.
 */
export function campaignSteps(appid: string, now: number, retentionDays: number): PruneStep[] {
  const days = Math.min(Math.max(retentionDays, CAMPAIGN_TARGET_MIN_DAYS), MAX_DAYS)
  const cutoff = now - days * DAY_MS
  const counted = (where: string) =>
    `(SELECT COUNT(*) FROM campaign_targets AS t WHERE t.appid = ?1 AND t.campaign_id = campaigns.id AND ${where})`
  return [
    {
      name: 'campaignsSummarised',
      statement: statement(
        `UPDATE campaigns SET sent = ${counted("t.status = 'sent'")}, skipped = ${counted("t.status = 'skipped'")},
           failed = ${counted("t.status NOT IN ('sent', 'skipped')")}
         WHERE appid = ?1 AND id IN (
           SELECT id FROM campaigns INDEXED BY campaigns_newest WHERE appid = ?1 AND sent IS NULL AND paged_at < ?2 LIMIT ?3)`,
        [appid, cutoff, CAMPAIGNS_PER_STATEMENT],
      ),
      chunked: true,
    },
    {
      name: 'campaignTargetsDeleted',
      statement: statement(
        `DELETE FROM campaign_targets WHERE appid = ?1 AND (campaign_id, openid) IN (
           SELECT t.campaign_id, t.openid FROM campaigns AS c INDEXED BY campaigns_newest
           JOIN campaign_targets AS t ON t.appid = c.appid AND t.campaign_id = c.id
           WHERE c.appid = ?1 AND c.sent IS NOT NULL LIMIT ?2)`,
        [appid, PRUNE_CHUNK],
      ),
      chunked: true,
    },
  ]
}

export function noCounts(): PruneCounts {
  return {
    textsCleared: 0,
    lastTextsCleared: 0,
    questionsForgotten: 0,
    messagesDeleted: 0,
    conversationsDeleted: 0,
    ruleDaysDeleted: 0,
    dayCountsDeleted: 0,
    subscriptionsDeleted: 0,
    campaignsSummarised: 0,
    campaignTargetsDeleted: 0,
  }
}

/** Prunes the record of one app or of all; logs `record.pruned` per app with what it did. */
export async function pruneRecord(db: D1Database, options: PruneOptions): Promise<PruneCounts> {
  const { appid, now, retentionDays } = options
  const appids = appid !== undefined ? [appid] : (await all<{ appid: string }>(db, appidsQuery())).map((r) => r.appid)
  const total = noCounts()
  for (const app of appids) {
    const counts = noCounts()
    for (const step of [...pruneSteps(app, now, retentionDays), ...campaignSteps(app, now, retentionDays)]) {
      counts[step.name] += await run(db, step, step.name === 'campaignsSummarised' ? CAMPAIGNS_PER_STATEMENT : PRUNE_CHUNK)
    }
    counts.subscriptionsDeleted += await sweepSubscriptions(db, app, options)
    for (const name of Object.keys(counts) as (keyof PruneCounts)[]) total[name] += counts[name]
    log.info('record.pruned', { appid: app, retentionDays, ...counts })
  }
  return total
}

async function run(db: D1Database, step: PruneStep, chunk = PRUNE_CHUNK): Promise<number> {
  let changed = 0
  for (let n = 0; n < (step.chunked ? MAX_CHUNKS : 1); n++) {
    const { meta } = await prepare(db, step.statement).run()
    changed += meta.changes
    if (meta.changes < chunk) break
  }
  return changed
}

/**
 * Every user with subscriptions rows is looked at, a window of PRUNE_CHUNK rows per batch, at
 * most MAX_CHUNKS windows per run: from `sweepFrom` to the end, then from the start up to it.
 * A user's deletion depends on rows that stay (those of users still reached), so there is no
 * backlog to work down; an app with more rows than one run looks at is swept from a random
 * point each run, which reaches every user within a few runs. Returns the rows deleted.
 */
async function sweepSubscriptions(db: D1Database, appid: string, options: PruneOptions): Promise<number> {
  const from = options.sweepFrom ?? randomOpenidPoint()
  let deleted = 0
  let after = from
  let wrapped = false
  for (let n = 0; n < MAX_CHUNKS; n++) {
    const { until, forget } = subscriptionWindow(appid, after, options)
    const [end, done] = await db.batch([prepare(db, until), prepare(db, forget)])
    deleted += done?.meta.changes ?? 0
    const next = (end?.results[0] as { until: string | null } | undefined)?.until ?? null
    if (wrapped && (next === null || next >= from)) break
    if (next !== null) {
      after = next
      continue
    }
    if (from === '') break
    wrapped = true
    after = ''
  }
  return deleted
}

/** A point in openid order: WeChat's openids are `o` and base64url characters. */
function randomOpenidPoint(): string {
  const alphabet = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'
  const [a, b] = crypto.getRandomValues(new Uint8Array(2))
  return `o${alphabet[a! % alphabet.length]}${alphabet[b! % alphabet.length]}`
}
