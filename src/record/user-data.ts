/**
 * One user's rows in the D1 record (issue 31): what their export shows, and what their
 * deletion removes. The record's own tables only — conversations, messages, unmatched,
 * subscriptions, campaign_targets; the desk's notes and the audit log have their own homes
 * (desk/notes.ts, admin/audit.ts), and users/ puts the pieces together.
 *
 * What stays after a deletion is counts without a person: `daily`, `daily_latency`,
 * `rule_daily`, a campaign's totals. An unmatched question the user asked counts one less,
 * and goes when nobody else asked it.
 */
import { statement, type Statement } from './sql'
import { unmatchedKey } from './write'

/** More messages than a user can have within the record's 90 days is not an export but a fault: the export says it was cut. */
export const EXPORT_MAX_MESSAGES = 20_000

/** Every column kept (`SELECT *`): an export holds what the record holds, including columns added later. */
export function userRecordQueries(appid: string, openid: string) {
  return {
    conversation: statement('SELECT * FROM conversations WHERE appid = ?1 AND openid = ?2', [appid, openid]),
    messages: statement('SELECT * FROM messages WHERE appid = ?1 AND openid = ?2 ORDER BY at, id LIMIT ?3', [
      appid,
      openid,
      EXPORT_MAX_MESSAGES + 1,
    ]),
    subscriptions: statement('SELECT * FROM subscriptions INDEXED BY subscriptions_user WHERE appid = ?1 AND openid = ?2', [appid, openid]),
    campaignTargets: statement(
      'SELECT * FROM campaign_targets WHERE appid = ?1 AND openid = ?2 AND campaign_id IN (SELECT id FROM campaigns WHERE appid = ?1)',
      [appid, openid],
    ),
  }
}

/** The texts of the user's messages only the default answered: each counted once in `unmatched`. */
export function unmatchedTextsQuery(appid: string, openid: string): Statement {
  return statement(
    "SELECT text FROM messages WHERE appid = ?1 AND openid = ?2 AND direction = 'in' AND unmatched = 1 AND text IS NOT NULL",
    [appid, openid],
  )
}

/** The statements that delete the user's record, in one batch (all or nothing). */
export function forgetRecordStatements(appid: string, openid: string, unmatchedTexts: readonly string[]): Statement[] {
  const counts = new Map<string, number>()
  for (const text of unmatchedTexts) {
    const key = unmatchedKey(text)
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  const statements: Statement[] = []
  for (const [key, n] of counts) {
    statements.push(statement('UPDATE unmatched SET count = count - ?3 WHERE appid = ?1 AND text = ?2', [appid, key, n]))
  }
  statements.push(statement('DELETE FROM unmatched WHERE appid = ?1 AND count <= 0', [appid]))
  statements.push(statement('DELETE FROM messages WHERE appid = ?1 AND openid = ?2', [appid, openid]))
  statements.push(statement('DELETE FROM conversations WHERE appid = ?1 AND openid = ?2', [appid, openid]))
  statements.push(statement('DELETE FROM subscriptions WHERE appid = ?1 AND openid = ?2', [appid, openid]))
  statements.push(
    statement(
      'DELETE FROM campaign_targets WHERE appid = ?1 AND openid = ?2 AND campaign_id IN (SELECT id FROM campaigns WHERE appid = ?1)',
      [appid, openid],
    ),
  )
  return statements
}
