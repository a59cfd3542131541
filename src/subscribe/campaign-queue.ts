/**
 * The CAMPAIGNS queue's consumer: page tasks queue the sends of the next users who can be
 * reached (and the next page); send tasks go through each user's Conversation object, which
 * sends a campaign to a user at most once however often the queue delivers the task
 * (`campaign_sends`). Sends are paced to CAMPAIGN_SENDS_PER_SECOND; the queue's
 * max_concurrency = 1 keeps that the rate of the whole campaign.
 */
import { appEnv, conversationOf } from '../apps'
import { numberSetting, type Env } from '../env'
import { log } from '../log'
import { all, prepare } from '../record/sql'
import { describe } from '../conversation/failure'
import { queueTargets, readCampaign, reachablePage, settleTarget, type CampaignMessage, type CampaignRow, type TargetStatus } from './campaign-store'
import type { CampaignTask } from './campaign-task'
import type { SubscribeSendResult } from '../conversation/contract'

export const DEFAULT_SENDS_PER_SECOND = 20
/** A task that failed for our side (D1, the object unreachable) is tried again after this. */
const RETRY_DELAY_SECONDS = 10

export async function consumeCampaigns(batch: MessageBatch<CampaignTask>, env: Env): Promise<void> {
  const gapMs = 1000 / Math.max(1, numberSetting(env, 'CAMPAIGN_SENDS_PER_SECOND', DEFAULT_SENDS_PER_SECOND))
  const campaigns = new Map<string, CampaignRow | null>()
  let lastSendAt = 0
  for (const message of batch.messages) {
    const task = message.body
    try {
      const key = `${task.appid}\u0000${task.campaignId}`
      if (!campaigns.has(key)) campaigns.set(key, await readCampaign(env.DB, task.appid, task.campaignId))
      const campaign = campaigns.get(key) ?? null
      if (campaign === null) {
        log.warn('campaign.unknown', { campaignId: task.campaignId })
        message.ack()
        continue
      }
      if (task.kind === 'page') {
        await queuePage(env, campaign, task.after)
      } else {
        const wait = lastSendAt + gapMs - Date.now()
        if (wait > 0) await scheduler.wait(wait)
        lastSendAt = Date.now()
        await sendOne(env, campaign, task.openid)
      }
      message.ack()
    } catch (error) {
      log.error('campaign.task_failed', { campaignId: task.campaignId, kind: task.kind, reason: describe(error) })
      message.retry({ delaySeconds: RETRY_DELAY_SECONDS })
    }
  }
}

/** The next page of users: their rows, their send tasks, then the page after them. */
async function queuePage(env: Env, campaign: CampaignRow, after: string): Promise<void> {
  const rows = await all<{ openid: string }>(env.DB, reachablePage(campaign.appid, campaign.template_id, campaign.long_term === 1, after))
  log.info('campaign.page', { campaignId: campaign.id, after, users: rows.length })
  if (rows.length === 0) return
  const openids = rows.map((row) => row.openid)
  const queued = await queueTargets(env.DB, campaign.appid, campaign.id, openids, Date.now())
  const tasks: MessageSendRequest<CampaignTask>[] = queued.map((openid) => ({
    body: { kind: 'send', appid: campaign.appid, campaignId: campaign.id, openid },
  }))
  tasks.push({ body: { kind: 'page', appid: campaign.appid, campaignId: campaign.id, after: openids[openids.length - 1]! } })
  await env.CAMPAIGNS.sendBatch(tasks)
}

async function sendOne(env: Env, campaign: CampaignRow, openid: string): Promise<void> {
  const message = JSON.parse(campaign.message) as CampaignMessage
  const app = appEnv(env, campaign.appid)
  if (app === null) {
    // The app left WECHAT_APPS after the campaign started: nothing of it may be sent.
    await prepare(env.DB, settleTarget(campaign.appid, campaign.id, openid, { status: 'skipped', errcode: null, reason: 'app no longer served' }, Date.now())).run()
    return
  }
  const result = await conversationOf(app, openid).sendSubscribe({ ...message, touser: openid, force: false }, campaign.id)
  const outcome = targetOutcome(result)
  // A redelivered task whose send happened before: D1 gets the outcome the object kept.
  await prepare(env.DB, settleTarget(campaign.appid, campaign.id, openid, outcome, Date.now())).run()
  log.info('campaign.target', { campaignId: campaign.id, openid, status: outcome.status, errcode: outcome.errcode })
}

function targetOutcome(result: SubscribeSendResult): { status: TargetStatus; errcode: number | null; reason: string | null } {
  if (result.ok) return { status: 'sent', errcode: 0, reason: null }
  switch (result.problem) {
    case 'no_grant':
      return { status: 'skipped', errcode: null, reason: 'no grant any more' }
    case 'already_sent':
      return { status: result.previous === 'sent' ? 'sent' : 'failed', errcode: result.errcode, reason: result.previous === 'sending' ? 'interrupted: may or may not have been sent' : null }
    case 'refused':
    case 'failed':
      return { status: 'failed', errcode: result.errcode, reason: result.reason }
  }
}
