/**
 * kefu-edge: WeChat Mini Program customer service as one Cloudflare Worker. HTTP goes to the
 * Hono app; the cron trigger prunes the D1 record.
 */
import { app } from './app'
import type { Env } from './settings/env'
import { scheduled } from './scheduled'
import { consumeCampaigns } from './subscribe/campaign-queue'
import type { CampaignTask } from './subscribe/campaign-task'

export { Conversation } from './conversation/conversation'
export { Sessions } from './auth/sessions'
export { RulePublisher } from './rules/publisher'
export { Desk } from './desk/desk'

export default { fetch: app.fetch, scheduled, queue: consumeCampaigns } satisfies ExportedHandler<Env, CampaignTask>
