/**
 * What the operator does through a user's Conversation object (the admin API and the
 * console call these through its RPC methods): a reply sent by hand, a failed send retried
 * or dropped, a subscribe message (alone or one of a campaign's). Each answers once the
 * object has its change, and a send's outcome; its copy to D1 follows the answer, as a
 * push's does (`answered`), never in its way.
 */
import { log } from '../log'
import { outboundId } from '../record/event'
import type { Env } from '../settings/env'
import type { ReplyMessage } from '../replies'
import { longTermTemplates, REFUSED_ERRCODE } from '../subscribe/grants'
import { errcodeAnswer } from '../subscribe/send'
import { explainErrcode, WechatClient } from '../wechat/api'
import { subscribeMessageOf, type SubscribeSendRequest } from '../wechat/subscribe-data'
import type { FailedActionResult, ManualReplyResult, OutboundOutcome, SubscribeSendResult } from './contract'
import { addReplies, markDropped, markRetriedByOperator, outboxRow, type OutboxRow } from './outbox'
import { refusal, SAFETY_ALARM_MS } from './policy'
import { campaignSend, reserveGrant, settleCampaignSend, settleSend, startCampaignSend } from './subscriptions'
import { readWindow } from './window-store'
import { transaction } from './transaction'

/** What an action uses of the object, read at each call (the bill bench meters storage and bindings after construction). */
export interface ActionHost {
  storage(): DurableObjectStorage
  /** The object-wide bindings (SUBSCRIBE_LONG_TERM_TEMPLATES). */
  env(): Env
  /** The object's mini program's view of the bindings, which sends go out with. */
  miniProgram(): Env
  /** Brings the database to the current schema; without `create`, only if it exists. */
  ready(create: boolean): boolean
  ensureAlarm(at: number): Promise<void>
  /** A delivery pass (or the one in progress). */
  deliver(): Promise<void>
  /** Answers with `result`; the copy to D1 follows. */
  answered<T>(result: T): T
}

/**
 * A reply the operator sends by hand: refused while WeChat would refuse it, else queued
 * and delivered like any reply (it uses up the window the same way) and recorded as manual.
 */
export async function replyByHand(object: ActionHost, openid: string, reply: ReplyMessage): Promise<ManualReplyResult> {
  // A user the object does not know has no window: nothing may be created for them here.
  if (!object.ready(false)) return { ok: false, refusal: 'window_closed' }
  const storage = object.storage()
  const now = Date.now()
  const blocked = refusal(readWindow(storage.sql), now)
  if (blocked) return { ok: false, refusal: blocked }
  const [id] = transaction(storage, () => {
    const key = `manual:${crypto.randomUUID()}`
    return addReplies(storage.sql, { openid, msgId: null, dedupKey: key, ruleId: null, replies: [reply], manual: true }, now)
  })
  await object.ensureAlarm(now + SAFETY_ALARM_MS)
  await object.deliver()
  return object.answered({ ok: true, outcome: outcome(storage.sql, id) })
}

/** A failed send goes out again, as a new attempt, if the window allows it now. */
export async function retryFailed(object: ActionHost, id: number): Promise<FailedActionResult> {
  const row = failedRow(object, id)
  if ('problem' in row) return { ok: false, problem: row.problem }
  const sql = object.storage().sql
  const now = Date.now()
  const blocked = refusal(readWindow(sql), now)
  if (blocked) return { ok: false, problem: blocked }
  markRetriedByOperator(sql, id, now)
  log.info('reply.retried_by_operator', { openid: row.openid, msgId: row.msg_id, ruleId: row.rule_id, part: row.part })
  await object.ensureAlarm(now + SAFETY_ALARM_MS)
  await object.deliver()
  return object.answered({ ok: true, outcome: outcome(sql, id) })
}

/** A failed send the operator gives up on: it leaves the failed lists, kept as dropped. */
export async function dropFailed(object: ActionHost, id: number): Promise<FailedActionResult> {
  const row = failedRow(object, id)
  if ('problem' in row) return { ok: false, problem: row.problem }
  const sql = object.storage().sql
  const now = Date.now()
  markDropped(sql, id, now)
  log.info('reply.dropped_by_operator', { openid: row.openid, msgId: row.msg_id, ruleId: row.rule_id, part: row.part })
  // The safety net for the copy that follows the answer, as a push sets one.
  await object.ensureAlarm(now + SAFETY_ALARM_MS)
  return object.answered({ ok: true, outcome: outcome(sql, id) })
}

/**
 * One subscribe message: takes the grant it needs (or refuses, with no API call), sends it,
 * and settles the grant by WeChat's answer. One at a time per user (the grant is taken in a
 * transaction before the request leaves), so two sends never spend one grant. With a
 * campaign id, the user gets that campaign at most once, however often it is asked.
 */
export async function sendSubscribe(
  object: ActionHost,
  request: SubscribeSendRequest,
  campaignId: string | null,
): Promise<SubscribeSendResult> {
  const longTerm = longTermTemplates(object.env().SUBSCRIBE_LONG_TERM_TEMPLATES).has(request.template_id)
  // A user the object does not know holds no grant: nothing is created unless forced.
  if (!object.ready(request.force)) return { ok: false, problem: 'no_grant' }
  const storage = object.storage()
  const sql = storage.sql
  const started = Date.now()
  const taken = transaction(storage, () => {
    if (campaignId !== null) {
      const sent = campaignSend(sql, campaignId)
      if (sent) return sent
    }
    const reservation = reserveGrant(sql, request.touser, request.template_id, longTerm, request.force, started)
    if (reservation === null) return 'no_grant' as const
    if (campaignId !== null) startCampaignSend(sql, campaignId, started)
    return reservation
  })
  if (taken === 'no_grant') return { ok: false, problem: taken }
  if (typeof taken === 'object') return { ok: false, problem: 'already_sent', previous: taken.status, errcode: taken.errcode }
  const errcode = await errcodeAnswer(() => WechatClient.fromEnv(object.miniProgram()).sendSubscribe(subscribeMessageOf(request)))
  const now = Date.now()
  transaction(storage, () => {
    settleSend(sql, request.template_id, taken, errcode, now)
    if (campaignId !== null) settleCampaignSend(sql, campaignId, errcode, now)
  })
  const fields = { openid: request.touser, templateId: request.template_id, spent: taken, campaignId, errcode }
  if (errcode === 0) log.info('subscribe.sent', fields)
  else log.warn('subscribe.failed', fields)
  await object.ensureAlarm(now + SAFETY_ALARM_MS)
  if (errcode === 0) return object.answered({ ok: true, spent: taken })
  const reason = explainErrcode(errcode) ?? `WeChat answered errcode ${errcode}`
  return object.answered({ ok: false, problem: errcode === REFUSED_ERRCODE ? 'refused' : 'failed', errcode, reason })
}

function failedRow(object: ActionHost, id: number): OutboxRow | { problem: 'not_found' | 'not_failed' } {
  if (!object.ready(false)) return { problem: 'not_found' }
  const row = outboxRow(object.storage().sql, id)
  if (!row) return { problem: 'not_found' }
  return row.status === 'failed' ? row : { problem: 'not_failed' }
}

/** The row as the action left it; it cannot be gone (only the alarm deletes, and only an idle object). */
function outcome(sql: SqlStorage, id: number | undefined): OutboundOutcome {
  const row = id === undefined ? undefined : outboxRow(sql, id)
  if (!row) throw new Error(`outbox row ${id} is gone`)
  return { id: row.id, recordId: outboundId(row.openid, row.id), status: row.status, errcode: row.errcode, reason: row.reason }
}
