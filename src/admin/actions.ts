/**
 * The operator's actions on a user's Conversation object — a reply by hand, a failed send
 * retried or dropped — shared by the admin API (routes/admin-api.ts, JSON) and the console
 * (console/routes-records.tsx, forms). Their inputs are checked first with the schemas of
 * requests.ts; each caller turns the result into its own answer.
 *
 * Each answers once the user's object has the change (and, for a send, WeChat's answer): the
 * object's copy to the D1 record follows the answer, as a push's does, so a page of the record
 * read at once may not show it yet, and D1 being down never fails the action.
 *
 * Each done action is written to the audit log (audit.ts) as `actor`'s, with the outcome's
 * status: never the reply's text. A failed audit write is logged and the action stands.
 */
import type * as v from 'valibot'
import type { Operator } from '../auth/operators'
import type { FailedActionResult, ManualReplyResult } from '../conversation/contract'
import type { Agent } from '../desk/view'
import { appidOf, type Env } from '../settings/env'
import { toAction } from '../rules/compile'
import { conversationOf, deskOf } from '../settings/mini-program-state'
import { log } from '../log'
import { auditDone } from './audit'
import { heldByOther } from './desk-actions'
import type { FailedIdParam, ManualReplyBody } from './requests'
import { viewOfUser } from '../wecom/user-view'

/** A reply by hand, as ManualReplyBody checked it (the rule set's reply format). */
export type ManualReply = v.InferOutput<typeof ManualReplyBody>
/** A failed send's id, as FailedIdParam decoded it. */
export type FailedId = v.InferOutput<typeof FailedIdParam>['id']
export type FailedAction = 'retry' | 'drop'

/**
 * `not_sendable`: the reply converts to no message; `held`: a colleague holds the user at the
 * desk (desk-actions.ts `heldByOther`). Nothing was asked of the user's object for either.
 */
export type ReplyByHandResult = ManualReplyResult | { ok: false; refusal: 'not_sendable' } | { ok: false; refusal: 'held'; holder: Agent }

/**
 * Sends `reply` to `openid` through the user's object: queued, delivered and recorded as
 * manual, or refused — by the window, or because another agent has the user at the desk (two
 * agents never answer one user; an admin or the owner may).
 */
export async function replyByHand(env: Env, actor: Operator, openid: string, reply: ManualReply): Promise<ReplyByHandResult> {
  // The same conversion the rules' replies get: one source format, one message type.
  const message = toAction(reply).sends[0]
  if (!message) return { ok: false, refusal: 'not_sendable' }
  const holder = await heldByOther(env, actor, openid)
  if (holder) return { ok: false, refusal: 'held', holder }
  const result = await conversationOf(await viewOfUser(env, openid), openid).replyByHand(openid, message)
  if (result.ok) {
    await showReplyAtDesk(env, openid, message.type === 'text' ? message.text : `[${message.type}]`)
    const { status, errcode } = result.outcome
    await auditDone(env.DB, {
      appid: appidOf(env),
      operator: actor,
      action: 'reply',
      target: openid,
      summary: outcomeSummary(status, errcode),
    })
  }
  return result
}

/** An agent's reply: the desk counts the first one and shows it live; best effort, the record has it anyway. */
async function showReplyAtDesk(env: Env, openid: string, text: string): Promise<void> {
  try {
    const desk = deskOf(env)
    const now = Date.now()
    await desk.replied(openid, now)
    await desk.message(openid, { direction: 'out', text, at: now })
  } catch (error) {
    log.warn('desk.message_failed', { openid, error: error instanceof Error ? error.message : String(error) })
  }
}

/** Retries or drops a failed send in its user's object. */
export async function actOnFailed(env: Env, actor: Operator, action: FailedAction, id: FailedId): Promise<FailedActionResult> {
  const conversation = conversationOf(await viewOfUser(env, id.openid), id.openid)
  const result = await (action === 'retry' ? conversation.retryFailed(id.row) : conversation.dropFailed(id.row))
  if (result.ok) {
    const { recordId, status, errcode } = result.outcome
    await auditDone(env.DB, { appid: appidOf(env), operator: actor, action, target: recordId, summary: outcomeSummary(status, errcode) })
  }
  return result
}

/** What a send came to, for the audit log: its status, and WeChat's errcode when it failed. */
const outcomeSummary = (status: string, errcode: number | null) => (errcode === null ? status : `${status} (errcode ${errcode})`)
