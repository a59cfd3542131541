/**
 * Starting a campaign, one way for every door: the admin API's
 * `POST /admin/api/subscribe/campaigns` and the console's campaign form. The message is
 * checked as a send to a stand-in user (the same rules, the same messages as one send), then
 * the campaign is written with the number of users it can reach and its first page task goes
 * to the CAMPAIGNS queue (campaign-queue.ts takes it from there). Also who each template can
 * reach now, as both show it.
 */
import { auditDone } from '../admin/audit'
import type { Operator } from '../auth/operators'
import type { Env } from '../settings/env'
import { log } from '../log'
import { isPlainObject, type Checked } from '../wechat/body-check'
import { parseSubscribeSend } from '../wechat/subscribe-data'
import { createCampaign, deleteCampaign, templateCounts, type CampaignMessage, type TemplateCount } from './campaign-store'
import { prepare } from '../record/sql'
import { longTermTemplates } from './grants'

/** The touser a campaign's message is checked with: a campaign goes to everyone it can reach. */
export const CAMPAIGN_STAND_IN = 'campaign'

/**
 * A campaign's message from a body shaped like a send without `touser` and `force`: every
 * problem as `path: sentence`, as parseSubscribeSend words them.
 */
export function parseCampaignMessage(body: unknown): Checked<CampaignMessage> {
  if (isPlainObject(body)) {
    const own = (['touser', 'force'] as const).filter((key) => key in body)
    if (own.length > 0)
      return { ok: false, problems: own.map((key) => `${key}: a campaign goes to every user who can be reached; leave it out`) }
  }
  const parsed = parseSubscribeSend(isPlainObject(body) ? { ...body, touser: CAMPAIGN_STAND_IN } : body)
  if (!parsed.ok) return parsed
  const { touser: _touser, force: _force, ...message } = parsed.value
  return { ok: true, value: message }
}

/** The CAMPAIGNS queue refused a campaign's first page: nothing started, and nothing is left of it; try again. */
export class CampaignQueueRefused extends Error {
  constructor() {
    super('the campaigns queue refused the first page')
  }
}

/**
 * Writes the campaign and queues its first page (none when it reaches no one); the audit log
 * records it as `actor`'s. When the queue refuses the page, the campaign is deleted again (it
 * would otherwise wait for pages that never run) and CampaignQueueRefused is thrown: the
 * caller answers 503, and a retry starts it afresh.
 */
export async function startCampaign(
  env: Env,
  appid: string,
  message: CampaignMessage,
  actor: Operator,
  now = Date.now(),
): Promise<{ id: string; total: number }> {
  const id = `c-${crypto.randomUUID()}`
  const longTerm = longTermTemplates(env.SUBSCRIBE_LONG_TERM_TEMPLATES).has(message.template_id)
  const total = await createCampaign(env.DB, { appid, id, message, longTerm, now })
  if (total > 0) {
    try {
      await env.CAMPAIGNS.send({ kind: 'page', appid, campaignId: id, after: '' })
    } catch (error) {
      log.error('campaign.enqueue_failed', { campaignId: id, reason: error instanceof Error ? error.message : String(error) })
      await prepare(env.DB, deleteCampaign(appid, id)).run()
      throw new CampaignQueueRefused()
    }
  }
  log.info('campaign.created', { campaignId: id, templateId: message.template_id, total })
  const summary = `template ${message.template_id}, ${total} users`
  await auditDone(env.DB, { appid, operator: actor, action: 'campaign_start', target: id, summary }, now)
  return { id, total }
}

/** A template's counts, whether SUBSCRIBE_LONG_TERM_TEMPLATES lists it, and how many users a campaign of it would reach now. */
export interface TemplateReach extends TemplateCount {
  longTerm: boolean
  /** Long-term: users whose status is accept; one-time: users holding a grant. */
  reachable: number
}

export async function templateReach(env: Env, appid: string): Promise<TemplateReach[]> {
  const longTerm = longTermTemplates(env.SUBSCRIBE_LONG_TERM_TEMPLATES)
  const counts = await templateCounts(env.DB, appid)
  return counts.map((count) => {
    const isLongTerm = longTerm.has(count.templateId)
    return { ...count, longTerm: isLongTerm, reachable: isLongTerm ? count.accepting : count.withGrants }
  })
}
