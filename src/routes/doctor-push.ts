/**
 * `npm run doctor`'s test push: a message from the reserved openid DOCTOR_OPENID. By the time
 * the route sees it, it has passed everything any push passes — the push mode, the signature,
 * the timestamp, decryption and the appid, parsing — and it is recorded by its Conversation
 * object like any push, so the doctor can see it arrived (`/admin/api/conversations/<openid>/state`
 * and the D1 record). But no rule runs and nothing is planned: no send, no transfer, no window
 * granted, so nothing is ever sent to anyone. Logged as `push.doctor`. Nor is it a user's: the
 * record keeps its message and its conversation for the doctor to find, but the list of
 * conversations and the stats leave it out (record/write.ts, record/conversations.ts).
 *
 * An attacker gains nothing: the push still needs a valid signature (in safe mode, the AES key
 * too), and whoever can sign one can forge any push anyway. Real openids are 28 characters,
 * so none is the reserved one.
 */
import type { Context } from 'hono'
import type { RecordInput } from '../conversation/contract'
import { toRecordInput } from '../conversation/push-input'
import { DOCTOR_KIND, DOCTOR_OPENID } from '../doctor'
import type { Env } from '../settings/env'
import { log } from '../log'
import type { ReplyPlan } from '../replies'
import { msgIdOf, type InboundMessage } from '../wechat/message'
import type { OpenedPush } from '../wechat/push'
import { conversationOf } from '../settings/mini-program-state'

/** No rule set was consulted: nothing to send, nothing to hand over. */
const NO_REPLY: ReplyPlan = { ruleId: null, ruleSetVersion: 'none', transfer: false, sends: [] }

export function isDoctorPush(push: OpenedPush): boolean {
  return push.message.fromUserName === DOCTOR_OPENID
}

export function doctorRecordInput(message: InboundMessage): RecordInput {
  return { ...toRecordInput(message, NO_REPLY), kind: DOCTOR_KIND, grant: null }
}

/** Records the doctor's push and answers `success`; the D1 copy follows after the answer. */
export async function answerDoctorPush(c: Context<{ Bindings: Env }>, push: OpenedPush): Promise<Response> {
  const input = doctorRecordInput(push.message)
  const conversation = conversationOf(c.env, input.openid)
  // As any push: the object copies it to the D1 record on its own (its outbox stays empty).
  const recorded = await conversation.receive(input)
  log.info('push.doctor', {
    openid: input.openid,
    format: push.format,
    encrypted: push.encrypted,
    msgId: msgIdOf(push.message),
    duplicate: recorded.duplicate,
  })
  return c.text('success')
}
