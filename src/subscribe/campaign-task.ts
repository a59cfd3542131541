/**
 * The CAMPAIGNS queue's messages. A campaign starts as one `page` task; each page task
 * queues the sends for the next PAGE_SIZE users who can be reached and then the next page,
 * so a campaign to any number of users never does more than one page's work in one request.
 */
export type CampaignTask =
  | { kind: 'page'; appid: string; campaignId: string; after: string }
  | { kind: 'send'; appid: string; campaignId: string; openid: string }

/** Users per page task: one sendBatch (its limit is 100 messages). */
export const PAGE_SIZE = 99

/**
 * `max_retries` of the CAMPAIGNS consumer in wrangler.toml (a test holds the two equal). A task
 * still failing on this attempt is settled instead of retried (campaign-queue.ts): the queue
 * drops a message once its retries are spent, and a campaign finishes only when each of its
 * tasks has an outcome. Cloudflare counts max_retries after the first delivery (up to
 * max_retries + 1 attempts); settling on attempt max_retries holds whichever way it counts, at
 * the cost of one retry.
 */
export const CAMPAIGN_MAX_RETRIES = 10
