/**
 * The Worker's one queue handler: each batch goes to the consumer of the queue it came from
 * (`batch.queue`, the name in wrangler.toml's [[queues.consumers]]). A new queue is one line
 * here. A batch of a queue nobody consumes is retried, never acknowledged unread.
 */
import { log } from './log'
import type { Env } from './settings/env'
import { consumeCampaigns } from './subscribe/campaign-queue'
import { consumeWebhooks } from './webhooks/deliver'
import { consumeUserMedia } from './media/archive-queue'

// Each consumer knows its own message type; the dispatcher only routes by name.
type Consumer = (batch: MessageBatch<never>, env: Env) => Promise<void>

const CONSUMERS: Record<string, Consumer> = {
  'kefu-edge-campaigns': consumeCampaigns,
  'kefu-edge-webhooks': consumeWebhooks,
  'kefu-edge-user-media': consumeUserMedia,
}

export async function queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const consume = CONSUMERS[batch.queue]
  if (consume === undefined) {
    log.error('queue.unknown', { queue: batch.queue, messages: batch.messages.length })
    batch.retryAll()
    return
  }
  await consume(batch as MessageBatch<never>, env)
}
