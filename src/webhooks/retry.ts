/**
 * An operator's retry of a delivery the queue gave up on (the console's button): the same
 * task, the same delivery id, queued again for a fresh round of attempts, its row marked
 * `retrying` until the consumer delivers it (the row goes) or gives up again (`failed`,
 * the attempts added up). Audited as `webhook_retry`. A row already `retrying` is not queued
 * again: a double click or a client's retry would send the receiver the delivery twice.
 */
import type { Operator } from '../auth/operators'
import { auditDone } from '../admin/audit'
import { log } from '../log'
import type { Env } from '../settings/env'
import { markRetrying, readFailure, requeued, run } from './store'

export type RetryOutcome = { ok: true } | { ok: false; problem: 'not_found' | 'retrying' | 'queue_failed' }

export async function retryDelivery(env: Env, appid: string, id: string, operator: Operator): Promise<RetryOutcome> {
  const row = await readFailure(env.DB, appid, id)
  if (row === null) return { ok: false, problem: 'not_found' }
  if (row.status === 'retrying') return { ok: false, problem: 'retrying' }
  try {
    await env.WEBHOOKS.send(requeued(row))
  } catch (error) {
    log.error('webhook.enqueue_failed', {
      deliveryId: id,
      webhook: row.event,
      appid,
      reason: error instanceof Error ? error.message : String(error),
    })
    return { ok: false, problem: 'queue_failed' }
  }
  const now = Date.now()
  // Queued first: a D1 failure here leaves the row `failed`, and the delivery on its way regardless.
  await run(env.DB, markRetrying(appid, id, operator.id, now))
  log.info('webhook.retried', { deliveryId: id, webhook: row.event, operator: operator.id, attempts: row.attempts })
  await auditDone(
    env.DB,
    { appid, operator, action: 'webhook_retry', target: id, summary: `${row.event}, ${row.attempts} attempts before` },
    now,
  )
  return { ok: true }
}
