/**
 * The console's webhooks page: deliveries the queue gave up on, newest first, and the retry
 * button (the same delivery id, queued again). Admin and owner only (permission `campaigns`:
 * what reaches other systems, as a campaign reaches users); the page holds the events' data,
 * a received text included.
 */
import { Hono } from 'hono/tiny'
import { appidOf } from '../settings/env'
import { DELIVERY_ID } from '../webhooks/events'
import { retryDelivery } from '../webhooks/retry'
import { webhooksOn } from '../settings/webhooks'
import { listFailures } from '../webhooks/store'
import { back, guard, renderPage, type ConsoleContext, type ConsoleEnv } from './context'
import { readForm } from './form'
import { langOf } from './lang'
import { once, ONCE_FIELD } from './once'
import { outcomeOf, type Outcome } from './pages/parts'
import { WEBHOOKS_PATH, WebhooksPage } from './pages/webhooks'
import { WEBHOOK_OUTCOMES, type WebhookOutcome } from './pages/webhooks-strings'
import { permit } from './permit'

/** The newest failures shown: a receiver down for long makes many, and the newest say what is wrong. */
const SHOWN = 100
/** The retry posts only its once-key. */
const ACTION_MAX_BYTES = 4096

export const webhookPages = new Hono<ConsoleEnv>()

async function page(c: ConsoleContext, outcome: Outcome | null, status: 200 | 400 = 200): Promise<Response> {
  const failures = await listFailures(c.env.DB, appidOf(c.env), SHOWN)
  return renderPage(c, <WebhooksPage lang={langOf(c)} on={webhooksOn(c.env)} failures={failures} outcome={outcome} />, status)
}

webhookPages.get(WEBHOOKS_PATH, guard, async (c) => {
  const refused = permit(c, 'campaigns')
  if (refused) return refused
  return page(
    c,
    outcomeOf((key) => c.req.query(key), WEBHOOK_OUTCOMES),
  )
})

webhookPages.post(`${WEBHOOKS_PATH}/:id/retry`, guard, async (c) => {
  const refused = permit(c, 'campaigns')
  if (refused) return refused
  const form = await readForm(c.req.raw, ACTION_MAX_BYTES)
  if (form === null) return c.text('too large', 413)
  const id = c.req.param('id')
  if (!DELIVERY_ID.test(id)) return page(c, { kind: 'error', code: 'bad_id', errcode: null }, 400)
  // A repeat of this submission (double click, resubmitted page) shows the first one's outcome.
  const outcome = await once(c, form.fields[ONCE_FIELD], [], () => retried(c, id), {})
  return back(c, WEBHOOKS_PATH, outcome)
})

async function retried(c: ConsoleContext, id: string): Promise<Record<string, WebhookOutcome>> {
  const result = await retryDelivery(c.env, appidOf(c.env), id, c.var.operator)
  return result.ok ? { done: 'retried' } : { problem: result.problem }
}
