/**
 * The WEBHOOKS queue's consumer: each message is one event, posted to WEBHOOK_URL as JSON,
 * signed (sign.ts), with its delivery id in the body and `X-Kefu-Delivery`. A 2xx answer
 * delivers it. Anything else — another status, a time-out, no answer, a setting missing — is
 * retried by the queue with a growing delay (10 s, 30 s, 90 s … at most an hour), the same id
 * each time, so the receiver sees an event at least once and drops the ids it has seen. After
 * WEBHOOK_ATTEMPTS attempts the delivery is recorded in `webhook_failures` with its last
 * status and reason, for the console's retry button; it is never just dropped.
 */
import { describe } from '../conversation/failure'
import { log } from '../log'
import { SettingError, type Env } from '../settings/env'
import { bodyOf, isTask, type QueuedDelivery, type WebhookTask } from './events'
import { signatureHeader } from './sign'
import { webhookTarget } from '../settings/webhooks'
import { deleteFailure, recordFailure, run, type LastAttempt } from './store'

/** Attempts per round; equal to the consumer's max_retries in wrangler.toml (the last one records instead of retrying). */
export const WEBHOOK_ATTEMPTS = 8
/** How long a receiver has to answer one attempt. */
export const WEBHOOK_TIMEOUT_MS = 10_000
const FIRST_DELAY_SECONDS = 10
const MAX_DELAY_SECONDS = 3600

/** The delay before attempt `attempts + 1`: 10 s, tripled each time, an hour at most. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 3 ** Math.max(0, attempts - 1))
}

export async function consumeWebhooks(batch: MessageBatch<QueuedDelivery>, env: Env): Promise<void> {
  // One receiver for the whole batch: its attempts go out together.
  await Promise.all(batch.messages.map((message) => handle(message, env)))
}

async function handle(message: Message<QueuedDelivery>, env: Env): Promise<void> {
  const queued = message.body
  if (!isTask(queued?.task)) {
    // A body no build of this Worker wrote: nothing to post, nowhere to record it.
    log.error('webhook.unreadable', { messageId: message.id })
    message.ack()
    return
  }
  const task = queued.task
  const last = await attempt(env, task)
  const attempts = (queued.before ?? 0) + message.attempts
  const fields = { deliveryId: task.id, webhook: task.event, appid: task.appid, attempts }
  if (last === null) {
    log.info('webhook.delivered', fields)
    if (queued.before !== undefined) await settled(env, task, message)
    else message.ack()
    return
  }
  if (message.attempts < WEBHOOK_ATTEMPTS) {
    const delaySeconds = retryDelaySeconds(message.attempts)
    log.warn('webhook.retry', { ...fields, status: last.status, reason: last.reason, retryInSeconds: delaySeconds })
    message.retry({ delaySeconds })
    return
  }
  try {
    await run(env.DB, recordFailure(task, attempts, last, Date.now()))
    log.error('webhook.failed', { ...fields, status: last.status, reason: last.reason })
    message.ack()
  } catch (error) {
    // D1 cannot take it: one more round from the queue rather than a delivery lost unseen.
    log.error('webhook.record_failed', { ...fields, reason: describe(error) })
    message.retry({ delaySeconds: MAX_DELAY_SECONDS })
  }
}

/** A retried delivery got through: its row goes. If D1 fails, the row stays (shown as retrying); the event was delivered. */
async function settled(env: Env, task: WebhookTask, message: Message<QueuedDelivery>): Promise<void> {
  try {
    await run(env.DB, deleteFailure(task.appid, task.id))
  } catch (error) {
    log.warn('webhook.settle_failed', { deliveryId: task.id, reason: describe(error) })
  }
  message.ack()
}

/** One POST; null when the receiver took it, else what went wrong (never the secret or the signature). */
async function attempt(env: Env, task: WebhookTask): Promise<LastAttempt | null> {
  let target: { url: string; secret: string }
  try {
    target = webhookTarget(env)
  } catch (error) {
    if (error instanceof SettingError) return { status: null, reason: error.message }
    throw error
  }
  const body = bodyOf(task, Date.now())
  try {
    const response = await fetch(target.url, {
      method: 'POST',
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'kefu-edge-webhooks',
        'x-kefu-event': task.event,
        'x-kefu-delivery': task.id,
        'x-kefu-signature': await signatureHeader(target.secret, body),
      },
    })
    // Only the status matters; the body is read and dropped so the connection is freed.
    await response.body?.cancel()
    if (response.status >= 200 && response.status < 300) return null
    return { status: response.status, reason: `the receiver answered HTTP ${response.status}` }
  } catch (error) {
    return { status: null, reason: unanswered(error) }
  }
}

/** Why no answer came: a time-out, or the runtime's words for the connection (DNS, TLS, refused). */
function unanswered(error: unknown): string {
  if (!(error instanceof Error)) return 'no answer'
  if (error.name === 'TimeoutError') return `no answer within ${WEBHOOK_TIMEOUT_MS / 1000} s`
  return `no answer: ${error.message}`
}
