/**
 * kefu-edge: WeChat Mini Program customer service as one Cloudflare Worker. HTTP goes to the
 * Hono app; the cron trigger prunes the D1 record; queue batches go to their consumers (queues.ts).
 */
import { app } from './app'
import type { Env } from './settings/env'
import { queue } from './queues'
import { scheduled } from './scheduled'

export { Conversation } from './conversation/conversation'
export { Sessions } from './auth/sessions'
export { RulePublisher } from './rules/publisher'
export { Desk } from './desk/desk'
export { KfAccount } from './wecom/account'
export { Recorder } from './record/recorder'

export default { fetch: app.fetch, scheduled, queue } satisfies ExportedHandler<Env, unknown>
