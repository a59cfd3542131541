/**
 * A pulled 微信客服 item as the rules and the Conversation object read a push (pure): a
 * customer's text, image or mini-program card becomes the message of the same type, with the
 * customer (`external_userid`) as its sender and WeChat Work's `msgid` as its id — so the same
 * rules, knowledge answers, window and record serve both channels. What the mini program's push
 * has no word for (voice, video, a file, a location…) is an `unknown` message: recorded, and
 * answered by nothing.
 */
import type { InboundMessage } from '../wechat/message'
import { KfOrigin, type KfMessage } from './types'

/** What to do with a pulled item. */
export type PulledItem =
  | { kind: 'message'; message: InboundMessage }
  | { kind: 'welcome'; externalUserid: string; code: string; sceneParam: string; sendTime: number }
  | { kind: 'send_failed'; externalUserid: string; failMsgid: string; failType: number }
  | { kind: 'skip'; why: string }

export function pulledItemOf(item: KfMessage): PulledItem {
  if (item.msgtype === 'event') return eventOf(item)
  if (item.origin !== KfOrigin.customer) return { kind: 'skip', why: `origin ${item.origin}` }
  if (item.externalUserid === '' || item.msgid === '') return { kind: 'skip', why: 'no customer or msgid' }
  const base = {
    toUserName: item.openKfId,
    fromUserName: item.externalUserid,
    createTime: item.sendTime,
    msgId: item.msgid,
    channel: 'kf' as const,
  }
  switch (item.msgtype) {
    case 'text':
      return { kind: 'message', message: { ...base, type: 'text', content: item.text.content } }
    case 'image':
      return { kind: 'message', message: { ...base, type: 'image', picUrl: '', mediaId: item.image.mediaId } }
    case 'miniprogram':
      return {
        kind: 'message',
        message: {
          ...base,
          type: 'miniprogrampage',
          title: item.miniprogram.title,
          appId: item.miniprogram.appid,
          pagePath: item.miniprogram.pagepath,
          thumbUrl: '',
          thumbMediaId: item.miniprogram.thumbMediaId,
        },
      }
    default: {
      const { msgId: _id, ...rest } = base
      return {
        kind: 'message',
        message: { ...rest, type: 'unknown', msgType: item.msgtype === 'unknown' ? item.rawMsgtype : item.msgtype },
      }
    }
  }
}

function eventOf(item: Extract<KfMessage, { msgtype: 'event' }>): PulledItem {
  const { event } = item
  switch (event.eventType) {
    case 'enter_session':
      // Only with a welcome_code may the customer be greeted (they have not written yet).
      if (!event.welcomeCode || item.externalUserid === '') return { kind: 'skip', why: 'enter_session without welcome_code' }
      return {
        kind: 'welcome',
        externalUserid: item.externalUserid,
        code: event.welcomeCode,
        sceneParam: event.sceneParam ?? '',
        sendTime: item.sendTime,
      }
    case 'msg_send_fail':
      return { kind: 'send_failed', externalUserid: item.externalUserid, failMsgid: event.failMsgid, failType: event.failType }
    default:
      return { kind: 'skip', why: `event ${event.eventType}` }
  }
}
