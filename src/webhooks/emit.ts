/**
 * The producers' side: an event that happened goes onto the WEBHOOKS queue, one message per
 * event, and the queue's consumer (deliver.ts) posts it. A no-op without WEBHOOK_URL. Never
 * throws into the caller — a push, a delivery pass, a deletion goes on whatever the queue
 * does — a refused enqueue is logged (`webhook.enqueue_failed`, with the delivery ids).
 *
 * @example
 * await emitEvent(env, appid, 'handoff', { openid, msg_id, reason: 'transfer', desk: 'wechat', rule_id })
 */
import { log } from '../log'
import type { Env } from '../settings/env'
import { taskOf, type QueuedDelivery, type WebhookData, type WebhookEvent, type WebhookOccurrence } from './events'
import { webhooksOn } from '../settings/webhooks'

/** off: WEBHOOK_URL is not set, nothing was queued; failed: the queue refused (logged). */
export type EmitOutcome = 'off' | 'queued' | 'failed'

/** What a producer needs of the Env: the setting and the queue. */
export type EmitEnv = Pick<Env, 'WEBHOOK_URL' | 'WEBHOOKS'>

/** One event. */
export function emitEvent<E extends WebhookEvent>(env: EmitEnv, appid: string, event: E, data: WebhookData[E]): Promise<EmitOutcome> {
  return emitEvents(env, appid, [{ event, data } as WebhookOccurrence])
}

/** Several events of one invocation in one queue call (a delivery pass: one subrequest, however many replies). */
export async function emitEvents(env: EmitEnv, appid: string, occurrences: readonly WebhookOccurrence[]): Promise<EmitOutcome> {
  if (!webhooksOn(env)) return 'off'
  if (occurrences.length === 0) return 'queued'
  const now = Date.now()
  const messages: MessageSendRequest<QueuedDelivery>[] = occurrences.map((o) => ({ body: { task: taskOf(appid, o, now) } }))
  try {
    // The queue takes at most 100 messages a call; a pass or a push makes a handful.
    for (let i = 0; i < messages.length; i += 100) await env.WEBHOOKS.sendBatch(messages.slice(i, i + 100))
  } catch (error) {
    for (const { body } of messages) {
      log.error('webhook.enqueue_failed', {
        deliveryId: body.task.id,
        webhook: body.task.event,
        appid,
        openid: body.task.data.openid,
        reason: error instanceof Error ? error.message : String(error),
      })
    }
    return 'failed'
  }
  for (const { body } of messages)
    log.info('webhook.queued', { deliveryId: body.task.id, webhook: body.task.event, openid: body.task.data.openid })
  return 'queued'
}

/**
 * `user.deleted`, for the code that deletes a user's data: call it once the deletion is done.
 * It carries the openid, deliberately — the receiver needs it to delete the user in its own
 * systems, and after this kefu-edge keeps nothing else of them.
 */
export function emitUserDeleted(env: EmitEnv, appid: string, user: { openid: string }): Promise<EmitOutcome> {
  return emitEvent(env, appid, 'user.deleted', { openid: user.openid })
}
