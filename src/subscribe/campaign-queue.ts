/**
 * The CAMPAIGNS queue's consumer: page tasks queue the sends of the next users who can be
 * reached (and the next page, or, from the last page, mark the campaign paged); send tasks go
 * through each user's Conversation object, which sends a campaign to a user at most once
 * however often the queue delivers the task (the object's `campaign:<id>` rows). Sends are paced to
 * CAMPAIGN_SENDS_PER_SECOND; the queue's max_concurrency = 1 keeps that the rate of the whole
 * campaign.
 *
 * A task that fails on our side is retried; on its last attempt (CAMPAIGN_MAX_RETRIES) it is
 * settled instead, so the campaign still finishes: a send task's user is recorded as failed
 * with the reason, a page task's users too, and its campaign goes on with the next page.
 */
import { miniProgramEnv, conversationOf } from '../settings/mini-program-state'
import { numberSetting, type Env } from '../settings/env'
import { log } from '../log'
import { all, prepare } from '../record/sql'
import { describe } from '../conversation/failure'
import {
  failPage,
  failTarget,
  pagesDone,
  queueTargets,
  readCampaign,
  reachablePage,
  settleTarget,
  type CampaignMessage,
  type CampaignRow,
  type TargetStatus,
} from './campaign-store'
import { CAMPAIGN_MAX_RETRIES, PAGE_SIZE, type CampaignTask } from './campaign-task'
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
      if (campaign.sent !== null) {
        // Retention deleted its targets, long after it finished: a late copy of a task has nothing left to do.
        log.warn('campaign.late_task', { campaignId: task.campaignId, kind: task.kind })
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
      const reason = describe(error)
      log.error('campaign.task_failed', { campaignId: task.campaignId, kind: task.kind, reason, attempts: message.attempts })
      if (message.attempts < CAMPAIGN_MAX_RETRIES) {
        message.retry({ delaySeconds: RETRY_DELAY_SECONDS })
        continue
      }
      try {
        await settleDropped(env, task, `the ${task.kind} task failed ${message.attempts} times (${reason})`)
        message.ack()
      } catch (again) {
        // D1 cannot take even that: one more try if the queue allows it, else the task is lost.
        log.error('campaign.task_lost', {
          campaignId: task.campaignId,
          kind: task.kind,
          reason: describe(again),
          attempts: message.attempts,
        })
        message.retry({ delaySeconds: RETRY_DELAY_SECONDS })
      }
    }
  }
}

/**
 * A task given up on. A send: its user failed, with the reason (the object may or may not
 * have sent it: a task can fail after the send, when D1 did not take its outcome). A page:
 * the users it would have queued failed, and the campaign goes on with the page after them,
 * or ends when none can be queued; either way every page has run and the campaign finishes.
 */
async function settleDropped(env: Env, task: CampaignTask, why: string): Promise<void> {
  const now = Date.now()
  if (task.kind === 'send') {
    await prepare(env.DB, failTarget(task.appid, task.campaignId, task.openid, `${why}: may or may not have been sent`, now)).run()
    log.warn('campaign.target', { campaignId: task.campaignId, openid: task.openid, status: 'failed', errcode: null, dropped: true })
    return
  }
  const campaign = await readCampaign(env.DB, task.appid, task.campaignId)
  if (campaign === null) return
  const rows = await all<{ openid: string }>(
    env.DB,
    reachablePage(campaign.appid, campaign.template_id, campaign.long_term === 1, task.after),
  )
  const openids = rows.map((row) => row.openid)
  const last = openids.length < PAGE_SIZE
  const page = { after: task.after, until: last ? null : openids[openids.length - 1]!, openids }
  await env.DB.batch(failPage(campaign.appid, campaign.id, page, `${why}: not sent`, now).map((s) => prepare(env.DB, s)))
  log.warn('campaign.page_dropped', { campaignId: campaign.id, after: task.after, users: openids.length })
  if (!last) {
    try {
      await env.CAMPAIGNS.send({ kind: 'page', appid: campaign.appid, campaignId: campaign.id, after: openids[openids.length - 1]! })
      return
    } catch (error) {
      // The queue takes nothing: the campaign ends here, its later users not tried.
      log.error('campaign.stopped', { campaignId: campaign.id, after: openids[openids.length - 1]!, reason: describe(error) })
    }
  }
  await prepare(env.DB, pagesDone(campaign.appid, campaign.id, now)).run()
}

/**
 * The next page of users: their rows, their send tasks, then the page after them; a page
 * short of PAGE_SIZE is the last, and marks the campaign paged once its sends are queued.
 * Whoever can be reached when their page runs is reached: a user who could when the campaign
 * started but no longer can has no target, and the campaign finishes without them.
 */
async function queuePage(env: Env, campaign: CampaignRow, after: string): Promise<void> {
  const rows = await all<{ openid: string }>(env.DB, reachablePage(campaign.appid, campaign.template_id, campaign.long_term === 1, after))
  log.info('campaign.page', { campaignId: campaign.id, after, users: rows.length })
  const openids = rows.map((row) => row.openid)
  const queued = await queueTargets(env.DB, campaign.appid, campaign.id, openids, Date.now())
  const tasks: MessageSendRequest<CampaignTask>[] = queued.map((openid) => ({
    body: { kind: 'send', appid: campaign.appid, campaignId: campaign.id, openid },
  }))
  const last = openids.length < PAGE_SIZE
  if (!last) tasks.push({ body: { kind: 'page', appid: campaign.appid, campaignId: campaign.id, after: openids[openids.length - 1]! } })
  if (tasks.length > 0) await env.CAMPAIGNS.sendBatch(tasks)
  // After the sends are queued: a page retried for a failure before this point finds its users still queued.
  if (last) await prepare(env.DB, pagesDone(campaign.appid, campaign.id, Date.now())).run()
}

async function sendOne(env: Env, campaign: CampaignRow, openid: string): Promise<void> {
  const message = JSON.parse(campaign.message) as CampaignMessage
  const app = miniProgramEnv(env, campaign.appid)
  if (app === null) {
    // The app left WECHAT_APPS after the campaign started: nothing of it may be sent.
    await prepare(
      env.DB,
      settleTarget(campaign.appid, campaign.id, openid, { status: 'skipped', errcode: null, reason: 'app no longer served' }, Date.now()),
    ).run()
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
      return {
        status: result.previous === 'sent' ? 'sent' : 'failed',
        errcode: result.errcode,
        reason: result.previous === 'sending' ? 'interrupted: may or may not have been sent' : null,
      }
    case 'refused':
    case 'failed':
      return { status: 'failed', errcode: result.errcode, reason: result.reason }
  }
}
