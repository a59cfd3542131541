/**
 * The operator's actions on a user's Conversation object — a reply by hand, a failed send
 * retried or dropped — shared by the admin API (routes/admin-api.ts, JSON) and the console
 * (console/routes-records.tsx, forms). Their inputs are checked first with the schemas of
 * requests.ts; each caller turns the result into its own answer.
 *
 * Each answers once the user's object has the change (and, for a send, WeChat's answer): the
 * object's copy to the D1 record follows the answer, as a push's does, so a page of the record
 * read at once may not show it yet, and D1 being down never fails the action.
 */
import type * as v from 'valibot'
import type { FailedActionResult, ManualReplyResult } from '../conversation/contract'
import type { Env } from '../settings/env'
import { toAction } from '../rules/compile'
import { conversationOf } from '../settings/mini-program-state'
import type { FailedIdParam, ManualReplyBody } from './requests'

/** A reply by hand, as ManualReplyBody checked it (the rule set's reply format). */
export type ManualReply = v.InferOutput<typeof ManualReplyBody>
/** A failed send's id, as FailedIdParam decoded it. */
export type FailedId = v.InferOutput<typeof FailedIdParam>['id']
export type FailedAction = 'retry' | 'drop'

/** `not_sendable`: the reply converts to no message (nothing was asked of the object). */
export type ReplyByHandResult = ManualReplyResult | { ok: false; refusal: 'not_sendable' }

/** Sends `reply` to `openid` through the user's object: queued, delivered and recorded as manual, or refused. */
export async function replyByHand(env: Env, openid: string, reply: ManualReply): Promise<ReplyByHandResult> {
  // The same conversion the rules' replies get: one source format, one message type.
  const message = toAction(reply).sends[0]
  if (!message) return { ok: false, refusal: 'not_sendable' }
  return conversationOf(env, openid).replyByHand(openid, message)
}

/** Retries or drops a failed send in its user's object. */
export async function actOnFailed(env: Env, action: FailedAction, { openid, row }: FailedId): Promise<FailedActionResult> {
  const conversation = conversationOf(env, openid)
  return action === 'retry' ? conversation.retryFailed(row) : conversation.dropFailed(row)
}
