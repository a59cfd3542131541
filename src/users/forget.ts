/**
 * A user's data deleted everywhere kefu-edge keeps it (issue 31): on WeChat's word (the user
 * closed their account: users/authorization-events.ts) or an operator's request
 * (`DELETE /admin/api/users/:openid`, the console). STORAGE.md lists each store and what of
 * the user it holds; this is the one place that visits them all:
 *
 * 1. their Conversation object: its whole storage (it answers once a copy to D1 on its way
 *    has landed, so step 3 cannot be undone by it);
 * 2. the desk: out of the queue, a closed conversation kept for the agents' figures under a
 *    made-up name;
 * 3. the D1 record, in one batch: messages, the conversation, subscriptions, campaign targets,
 *    notes, the unmatched questions they alone asked, the webhook deliveries about them given
 *    up on (their events may carry their text), and their openid in the audit log;
 * 4. the images they sent, archived in MEDIA.
 *
 * 5. `user.deleted` to WEBHOOK_URL, so the team's other systems can delete them too: when
 *    something was found, or always for WeChat's word (the account is closed, whatever
 *    retention has left here). An operator's repeated deletion finds nothing and sends nothing.
 *
 * What stays: counts without a person (the day's messages, rule hits, latency, a campaign's
 * totals) and the audit line of the deletion, which names no user. Idempotent: a second run
 * finds nothing and deletes nothing.
 */
import { deskOf, conversationOf } from '../settings/mini-program-state'
import type { Env } from '../settings/env'
import { retentionDays } from '../settings/conversation'
import { forgetUserStatement } from '../admin/audit'
import { forgetNotesStatement } from '../desk/notes'
import { deleteUserMedia, keptDays } from '../media/user-media'
import { forgetRecordStatements, unmatchedTextsQuery } from '../record/user-data'
import { all, prepare } from '../record/sql'
import { log } from '../log'
import { emitUserDeleted } from '../webhooks/emit'
import { deleteUserFailures } from '../webhooks/store'
import { viewOfUser } from '../wecom/user-view'

/** What a deletion found and removed: counts only. */
export interface Forgotten {
  /** The Conversation object held storage. */
  conversation: boolean
  /** The user was at the desk (or had a closed conversation there). */
  desk: boolean
  /** D1 rows deleted or changed (messages, conversation, subscriptions, targets, notes, webhook failures, audit targets, unmatched counts). */
  rows: number
  /** Archived images deleted. */
  media: number
}

/**
 * When `user.deleted` goes out. `if-found`: a request that found nothing (a repeat, or a user
 * never seen) tells no one. `always`: WeChat's cancellation, done once per push, which the
 * other systems must hear even when retention has already emptied ours.
 */
export type Announce = 'if-found' | 'always'

export async function forgetUser(
  env: Env,
  appid: string,
  openid: string,
  now = Date.now(),
  announce: Announce = 'if-found',
): Promise<Forgotten> {
  // Before the record goes: it says whether they came through 微信客服, and to which account.
  const conversation = await conversationOf(await viewOfUser(env, openid), openid).forget()
  const desk = await deskOf(env).forget(openid)
  const texts = await all<{ text: string }>(env.DB, unmatchedTextsQuery(appid, openid))
  const statements = [
    ...forgetRecordStatements(
      appid,
      openid,
      texts.map((row) => row.text),
    ),
    forgetNotesStatement(appid, openid),
    deleteUserFailures(appid, openid),
    forgetUserStatement(appid, openid),
  ]
  const results = await env.DB.batch(statements.map((s) => prepare(env.DB, s)))
  const rows = results.reduce((sum, result) => sum + (result.meta.changes ?? 0), 0)
  const media = env.MEDIA ? await deleteUserMedia(env.MEDIA, appid, openid, keptDays(now, retentionDays(env))) : 0
  const forgotten = { conversation, desk, rows, media }
  // The openid is in this line and nowhere after it: logs are the operator's, kept by Cloudflare for days.
  log.info('user.deleted', { appid, openid, ...forgotten })
  // Other systems delete them too (WEBHOOK_URL): the event carries the openid, the last time it leaves.
  if (announce === 'always' || foundAnything(forgotten)) await emitUserDeleted(env, appid, { openid })
  return forgotten
}

export function foundAnything(forgotten: Forgotten): boolean {
  return forgotten.conversation || forgotten.desk || forgotten.rows > 0 || forgotten.media > 0
}

/** A line for the audit log: what went, as counts. */
export function forgottenSummary(forgotten: Forgotten, why: string): string {
  return `${why}: conversation ${forgotten.conversation ? 'deleted' : 'none'}, desk ${forgotten.desk ? 'deleted' : 'none'}, ${forgotten.rows} rows, ${forgotten.media} images`
}
