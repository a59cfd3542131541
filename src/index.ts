/**
 * kefu-edge: WeChat Mini Program customer service as one Cloudflare Worker. HTTP goes to the
 * Hono app; the cron trigger prunes the D1 record.
 */
import { app } from './app'
import type { Env } from './env'
import { scheduled } from './scheduled'

export { Conversation } from './conversation/conversation'

export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<Env>
