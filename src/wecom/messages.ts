/**
 * Reading `kf/sync_msg`'s `msg_list` items into KfMessage (pure). WeChat Work adds types and
 * fields without notice and SDKs that modelled them strictly broke (docs/wecom-kf-protocol.md
 * §10), so nothing here throws: a type or event we do not know, or a known one missing its
 * fields, comes back as `unknown` with the raw item, for the caller to record and skip.
 */
import type { KfContent, KfEvent, KfMessage, KfMessageBase } from './types'

type Raw = Record<string, unknown>

const isRaw = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value)
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined)
/** Only present fields: `exactOptionalPropertyTypes` keeps an absent field absent. */
const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }

/** One pulled item. Event items name their account and customer inside `event` (§3). */
export function toKfMessage(item: unknown): KfMessage {
  const raw = isRaw(item) ? item : {}
  const event = isRaw(raw.event) ? raw.event : null
  const where = raw.msgtype === 'event' && event ? event : raw
  const base: KfMessageBase = {
    msgid: str(raw.msgid) ?? '',
    openKfId: str(where.open_kfid) ?? str(raw.open_kfid) ?? '',
    externalUserid: str(where.external_userid) ?? str(raw.external_userid) ?? '',
    sendTime: num(raw.send_time) ?? 0,
    origin: num(raw.origin) ?? 0,
    ...optional('servicerUserid', str(raw.servicer_userid)),
  }
  return { ...base, ...(content(raw) ?? unknownContent(raw)) }
}

function unknownContent(raw: Raw): KfContent {
  return { msgtype: 'unknown', rawMsgtype: str(raw.msgtype) ?? '', raw }
}

function content(raw: Raw): KfContent | null {
  const type = str(raw.msgtype)
  const body = type === undefined ? undefined : raw[type]
  if (!type || !isRaw(body)) return null
  switch (type) {
    case 'text': {
      const text = str(body.content)
      return text === undefined ? null : { msgtype: 'text', text: { content: text, ...optional('menuId', str(body.menu_id)) } }
    }
    case 'image':
    case 'voice':
    case 'video':
    case 'file': {
      const mediaId = str(body.media_id)
      if (mediaId === undefined) return null
      // One case per type keeps the union's pairing of msgtype and key.
      if (type === 'image') return { msgtype: 'image', image: { mediaId } }
      if (type === 'voice') return { msgtype: 'voice', voice: { mediaId } }
      if (type === 'video') return { msgtype: 'video', video: { mediaId } }
      return { msgtype: 'file', file: { mediaId } }
    }
    case 'location': {
      const latitude = num(body.latitude)
      const longitude = num(body.longitude)
      if (latitude === undefined || longitude === undefined) return null
      return { msgtype: 'location', location: { latitude, longitude, name: str(body.name) ?? '', address: str(body.address) ?? '' } }
    }
    case 'link':
      return {
        msgtype: 'link',
        link: { title: str(body.title) ?? '', desc: str(body.desc) ?? '', url: str(body.url) ?? '', picUrl: str(body.pic_url) ?? '' },
      }
    case 'business_card': {
      const userid = str(body.userid)
      return userid === undefined ? null : { msgtype: 'business_card', businessCard: { userid } }
    }
    case 'miniprogram':
      return {
        msgtype: 'miniprogram',
        miniprogram: {
          title: str(body.title) ?? '',
          appid: str(body.appid) ?? '',
          pagepath: str(body.pagepath) ?? '',
          thumbMediaId: str(body.thumb_media_id) ?? '',
        },
      }
    case 'msgmenu':
      return {
        msgtype: 'msgmenu',
        msgmenu: {
          headContent: str(body.head_content) ?? '',
          list: Array.isArray(body.list) ? body.list : [],
          tailContent: str(body.tail_content) ?? '',
        },
      }
    case 'event':
      return { msgtype: 'event', event: toKfEvent(body) }
    default:
      return null
  }
}

/** An event's fields (§4); an unknown event type, or one without its key field, stays raw. */
export function toKfEvent(raw: Raw): KfEvent {
  const type = str(raw.event_type) ?? ''
  const unknown: KfEvent = { eventType: 'unknown', rawEventType: type, raw }
  switch (type) {
    case 'enter_session': {
      const channels = isRaw(raw.wechat_channels) ? raw.wechat_channels : null
      return {
        eventType: 'enter_session',
        ...optional('welcomeCode', str(raw.welcome_code) || undefined),
        ...optional('scene', str(raw.scene)),
        ...optional('sceneParam', str(raw.scene_param)),
        ...optional(
          'wechatChannels',
          channels
            ? {
                ...optional('nickname', str(channels.nickname)),
                ...optional('shopNickname', str(channels.shop_nickname)),
                ...optional('scene', num(channels.scene)),
              }
            : undefined,
        ),
      }
    }
    case 'msg_send_fail': {
      const failMsgid = str(raw.fail_msgid)
      return failMsgid === undefined ? unknown : { eventType: 'msg_send_fail', failMsgid, failType: num(raw.fail_type) ?? 0 }
    }
    case 'servicer_status_change':
      return {
        eventType: 'servicer_status_change',
        servicerUserid: str(raw.servicer_userid) ?? '',
        status: num(raw.status) ?? 0,
        ...optional('stopType', num(raw.stop_type)),
      }
    case 'session_status_change': {
      const changeType = num(raw.change_type)
      if (changeType === undefined) return unknown
      return {
        eventType: 'session_status_change',
        changeType,
        ...optional('oldServicerUserid', str(raw.old_servicer_userid)),
        ...optional('newServicerUserid', str(raw.new_servicer_userid)),
        ...optional('msgCode', str(raw.msg_code) || undefined),
      }
    }
    case 'user_recall_msg': {
      const recallMsgid = str(raw.recall_msgid)
      return recallMsgid === undefined ? unknown : { eventType: 'user_recall_msg', recallMsgid }
    }
    case 'servicer_recall_msg': {
      const recallMsgid = str(raw.recall_msgid)
      if (recallMsgid === undefined) return unknown
      return { eventType: 'servicer_recall_msg', recallMsgid, servicerUserid: str(raw.servicer_userid) ?? '' }
    }
    case 'reject_customer_msg_switch_change':
      return {
        eventType: 'reject_customer_msg_switch_change',
        servicerUserid: str(raw.servicer_userid) ?? '',
        rejectSwitch: num(raw.reject_switch) ?? 0,
      }
    default:
      return unknown
  }
}
