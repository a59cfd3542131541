/**
 * How the object records one push, in the transaction the caller runs it in: a repeat of a
 * push already seen changes nothing; a new one is remembered (`seen`, with its event for the
 * D1 record: journal.ts), applied to what the rules remember, the send window and the subscribe grants, and
 * its planned replies go into the outbox.
 */
import { RATING_RULE_ID, type ReplyPlan } from '../replies'
import type { Channel } from '../record/event'
import type { RecordInput, RecordResult } from './contract'
import { inboundEvent } from './journal'
import { atDesk } from './desk-flag'
import { takeRating } from './rating'
import { addReplies, pendingCount, type StoredReply } from './outbox'
import { refusal, retryDelay } from './policy'
import { applyMemory } from './rule-memory'
import { addSeen, findSeen } from './seen'
import { applySubscribeChanges } from './subscriptions'
import { readWindow, recordGrant, shownWindow } from './window-store'

export interface PushOptions {
  appid(): string
  /** How the user came, and for 微信客服 the account: their object's view says (settings/kf-view.ts). */
  channel: { channel: Channel; kfAccount?: string }
  now: number
  /**
   * Write the first reply's attempt already in flight (`receive`: the delivery follows at
   * once), unless WeChat would refuse it now: that one the pass fails, never attempts.
   */
  claimFirst: boolean
  /** Runs in the same transaction, after the push's writes. */
  prune(): void
}

/** The push's writes; `claimed` is the reply whose attempt they marked in flight. Synchronous: run it in one transaction. */
export function recordPush(sql: SqlStorage, pushed: RecordInput, options: PushOptions): { result: RecordResult; claimed?: number } {
  const { now } = options
  const seen = findSeen(sql, pushed.dedupKey)
  if (seen) {
    const transfer = seen.transfer === 1
    const desk = atDesk(sql)
    return {
      result: {
        duplicate: true,
        transfer,
        pending: pendingCount(sql),
        ruleId: seen.rule_id,
        atDesk: desk,
        ...windowIf(sql, transfer || desk, now),
      },
    }
  }
  // At the human desk a person answers: the bot stays quiet (no reply, no model, no hand-off
  // count), and only a transfer (asking for a person again) stands.
  const desk = atDesk(sql)
  // The answer to "rate our service": thanked, and told to the desk, instead of the rules' reply.
  const rating = desk ? null : takeRating(sql, pushed.kind, pushed.summary, now)
  const planned = desk
    ? { ...pushed, plan: quiet(pushed.plan) }
    : rating
      ? { ...pushed, plan: thanked(pushed.plan, rating.thanks) }
      : pushed
  // The plan as what the rules remember of this user changes it: a hand-off, a welcome already given.
  const input: RecordInput = { ...planned, plan: applyMemory(sql, planned, now) }
  addSeen(sql, input, now, inboundEvent(input, options.appid(), now, options.channel))
  // When the user acted, by WeChat's clock; a sender's clock ahead of ours never counts
  // a grant in the future.
  if (input.grant) recordGrant(sql, input.grant, Math.min(input.at, now))
  if (input.subscribe) applySubscribeChanges(sql, input.openid, input.subscribe, now)
  const attempt = options.claimFirst && refusal(readWindow(sql), now) === null ? { retryAt: now + retryDelay(1) } : undefined
  const ids = addReplies(
    sql,
    { openid: input.openid, msgId: input.msgId, dedupKey: input.dedupKey, ruleId: input.plan.ruleId, replies: repliesOf(input.plan) },
    now,
    attempt,
  )
  options.prune()
  return {
    result: {
      duplicate: false,
      transfer: input.plan.transfer,
      pending: pendingCount(sql),
      ruleId: input.plan.ruleId,
      atDesk: desk,
      ...windowIf(sql, input.plan.transfer || desk, now),
      ...(rating ? { rating: { score: rating.score, agent: rating.agent } } : {}),
    },
    claimed: attempt && ids[0],
  }
}

/** A plan for a user a person is answering: nothing sent by the bot. */
function quiet(plan: ReplyPlan): ReplyPlan {
  const { ai: _ai, handoff: _handoff, oncePerHours: _once, ...rest } = plan
  return { ...rest, sends: [] }
}

/** A rating's answer: the thanks, under the reserved rule id, and nothing the rules planned. */
function thanked(plan: ReplyPlan, thanks: string): ReplyPlan {
  return { ruleId: RATING_RULE_ID, ruleSetVersion: plan.ruleSetVersion, transfer: false, sends: [{ type: 'text', text: thanks }] }
}

/** The window as the desk shows it, when it needs it. */
function windowIf(sql: SqlStorage, needed: boolean, now: number): Pick<RecordResult, 'window'> {
  return needed ? { window: shownWindow(sql, now) } : {}
}

/** What goes into the outbox: the plan's sends, or the request to the model that will write them. */
function repliesOf(plan: ReplyPlan): StoredReply[] {
  return plan.ai === undefined ? plan.sends : [{ type: 'ai', request: plan.ai }]
}
