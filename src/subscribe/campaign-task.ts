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
