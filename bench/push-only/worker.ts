/**
 * The push path as a Worker of its own, for `npm run bench -- --only cold-start`: src/index.ts
 * without the console and the admin API — what this Worker would ship if those two moved to a
 * second Worker behind a service binding (issue 33's bundle target). The same Durable Object
 * classes, queue consumers and cron, so only what the split would take out is missing.
 * Never deployed.
 */
import { Hono } from 'hono/tiny'
import { answerError, notFound, pushPath } from '../../src/push-path'
import { queue } from '../../src/queues'
import { scheduled } from '../../src/scheduled'
import type { Env } from '../../src/settings/env'

export { Conversation } from '../../src/conversation/conversation'
export { Sessions } from '../../src/auth/sessions'
export { RulePublisher } from '../../src/rules/publisher'
export { Desk } from '../../src/desk/desk'
export { KfAccount } from '../../src/wecom/account'
export { Recorder } from '../../src/record/recorder'

const app = new Hono<{ Bindings: Env }>()
app.route('/', pushPath)
app.notFound(notFound)
app.onError(answerError)

export default { fetch: app.fetch, scheduled, queue } satisfies ExportedHandler<Env, unknown>
