/** The webhooks API's answers (routes/admin-webhooks.ts), for validation in tests and the OpenAPI document. */
import * as v from 'valibot'
import { WEBHOOK_EVENTS } from '../webhooks/events'
import type { FailureView } from '../webhooks/store'
import type { Same } from './answers-subscribe'

const FailureAnswer = v.object({
  id: v.pipe(v.string(), v.description('The delivery id (wh-<uuid>), the same on every attempt.')),
  event: v.picklist(WEBHOOK_EVENTS),
  openid: v.pipe(v.nullable(v.string()), v.description('The user the event is about.')),
  status: v.pipe(v.picklist(['failed', 'retrying']), v.description('retrying: queued again by an operator, not delivered yet.')),
  attempts: v.pipe(v.number(), v.description('Attempts so far, over every round.')),
  lastStatus: v.pipe(v.nullable(v.number()), v.description("The receiver's HTTP status at the last attempt; null when no answer came.")),
  lastReason: v.nullable(v.string()),
  occurredAt: v.number(),
  failedAt: v.pipe(v.number(), v.description('When the queue last gave up on it.')),
  retriedAt: v.nullable(v.number()),
})

export const WebhookFailuresAnswer = v.object({
  items: v.pipe(v.array(FailureAnswer), v.description('Newest first, at most 100; kept RETENTION_DAYS.')),
})

export const WebhookRetryAnswer = v.object({ id: v.string(), status: v.literal('retrying') })

const drift: [Same<v.InferOutput<typeof FailureAnswer>, FailureView>] = [true]
void drift

export const WEBHOOK_ANSWERS = { WebhookFailuresAnswer, WebhookRetryAnswer }
