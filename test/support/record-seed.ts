/**
 * Record events for tests that write the D1 record directly (the admin API's and the
 * console's): a push, a send answering it, a window report. Each file starts its own message
 * ids so files running side by side never share one.
 */
import type { InboundEvent, OutboundEvent, WindowEvent } from '../../src/record/event'

export function recordSeed(firstMsgId: bigint) {
  let msgIds = firstMsgId
  return {
    /** A MsgId no other event of this file has (for pushes sent as WeChat does too). */
    nextMsgId(): string {
      return String(++msgIds)
    },

    inbound(appid: string, openid: string, at: number, extra: Partial<InboundEvent> = {}): InboundEvent {
      const msgId = String(++msgIds)
      return {
        type: 'inbound',
        appid,
        openid,
        key: `msg:${msgId}`,
        msgId,
        kind: 'text',
        text: `text ${msgId}`,
        ruleId: 'hi',
        rulesVersion: 'v1',
        unmatched: false,
        at,
        ...extra,
      }
    },

    /** Send `id` answering `push`, sent 50 ms × id after it (so sends of one push differ in time). */
    outbound(appid: string, openid: string, id: number, push: InboundEvent, extra: Partial<OutboundEvent> = {}): OutboundEvent {
      return {
        type: 'outbound',
        appid,
        openid,
        id,
        inboundKey: push.key,
        ruleId: push.ruleId,
        part: 0,
        replyType: 'text',
        text: `reply ${id}`,
        status: 'sent',
        errcode: null,
        reason: null,
        pushedAt: push.at,
        updatedAt: push.at + 50 * id,
        manual: false,
        ...extra,
      }
    },

    windowOf(appid: string, openid: string, at: number, extra: Partial<WindowEvent> = {}): WindowEvent {
      return { type: 'window', appid, openid, remaining: 0, closesAt: at, pending: 0, failed: 0, at, ...extra }
    },
  }
}
