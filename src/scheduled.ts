/**
 * The cron trigger (`[triggers] crons` in wrangler.toml): retention of the D1 record. The
 * Conversation objects expire on their own alarms; this clears what they wrote to D1, and
 * the operators' idempotency keys past their 24 hours, and audit entries past
 * AUDIT_RETENTION_DAYS, and webhook deliveries given up on past RETENTION_DAYS.
 */
import { retentionDays } from './settings/conversation'
import type { Env } from './settings/env'
import { log } from './log'
import { pruneRecord } from './record/retention'
import { longTermTemplates } from './subscribe/grants'
import { pruneKeys } from './admin/idempotency'
import { auditRetentionDays, pruneAudit } from './admin/audit'
import { pruneNotes } from './desk/notes'
import { pruneFailures, run } from './webhooks/store'
import { pruneAllUserMedia } from './media/archive-retention'

export async function scheduled(_controller: ScheduledController, env: Env): Promise<void> {
  try {
    const now = Date.now()
    await pruneRecord(env.DB, {
      now,
      retentionDays: retentionDays(env),
      longTermTemplates: longTermTemplates(env.SUBSCRIBE_LONG_TERM_TEMPLATES),
    })
    await pruneKeys(env.DB, now)
    await pruneAudit(env.DB, now, auditRetentionDays(env))
    await pruneNotes(env.DB, now - retentionDays(env) * 86_400_000)
    // Webhook deliveries given up on may carry a user's text: kept as long as the record keeps text.
    await run(env.DB, pruneFailures(now - retentionDays(env) * 86_400_000))
    // Users' images in MEDIA, on the same rule as their text (media/archive-retention.ts).
    await pruneAllUserMedia((env as Partial<Env>).MEDIA, retentionDays(env), now)
  } catch (error) {
    // The next hourly run starts over; every step is idempotent.
    log.error('record.prune_failed', { error: (error as Error).message })
    throw error
  }
}
