/**
 * The 微信客服 (WeCom customer service, `kf`) protocol's shapes, as the Worker sees them: the
 * callback's notice, the messages `kf/sync_msg` returns (camelCase, typed by msgtype) and the
 * messages `kf/send_msg` takes (WeChat Work's own snake_case, sent as written). Field names and
 * meanings: docs/wecom-kf-protocol.md (§2 notice, §3–4 pulled messages and events, §5 sends).
 */

/** The decrypted callback (§2): a wake-up with no message and no user — everything is pulled. */
export interface KfNotice {
  /** The sync_msg token, valid 10 minutes: a pull with it is not rate-limited. */
  token: string
  /** The customer-service account with news. */
  openKfId: string
  /** Seconds since the epoch. */
  createTime: number
}

/** `origin` (§3): who wrote a pulled message. Other values are kept as they come. */
export const KfOrigin = {
  customer: 3,
  system: 4,
  servicer: 5,
} as const

/** What every pulled item carries, whatever its type. */
export interface KfMessageBase {
  /** Unique per account; event items carry one too. Dedupe by it (§3). */
  msgid: string
  openKfId: string
  /** The customer; '' for an item that names none (servicer_status_change). */
  externalUserid: string
  /** Seconds since the epoch. */
  sendTime: number
  /** 3 customer, 4 system event, 5 servicer in the WeCom client (KfOrigin). */
  origin: number
  /** The servicer who wrote it (origin 5 only). */
  servicerUserid?: string
}

export interface KfMenuClick {
  type: 'click'
  click: { id?: string; content: string }
}
export interface KfMenuView {
  type: 'view'
  view: { url: string; content: string }
}
export interface KfMenuMiniprogram {
  type: 'miniprogram'
  miniprogram: { appid: string; pagepath: string; content: string }
}
/** One item of a `msgmenu` (§5), as WeChat Work writes it both ways. */
export type KfMenuItem = KfMenuClick | KfMenuView | KfMenuMiniprogram

/** A pulled item's content, keyed by `msgtype`. */
export type KfContent =
  | { msgtype: 'text'; text: { content: string; menuId?: string } }
  | { msgtype: 'image'; image: { mediaId: string } }
  | { msgtype: 'voice'; voice: { mediaId: string } }
  | { msgtype: 'video'; video: { mediaId: string } }
  | { msgtype: 'file'; file: { mediaId: string } }
  | { msgtype: 'location'; location: { latitude: number; longitude: number; name: string; address: string } }
  | { msgtype: 'link'; link: { title: string; desc: string; url: string; picUrl: string } }
  | { msgtype: 'business_card'; businessCard: { userid: string } }
  | { msgtype: 'miniprogram'; miniprogram: { title: string; appid: string; pagepath: string; thumbMediaId: string } }
  | { msgtype: 'msgmenu'; msgmenu: { headContent: string; list: unknown[]; tailContent: string } }
  | { msgtype: 'event'; event: KfEvent }
  /** Any other msgtype (channels_shop_product, merged_msg, …): kept raw, never dropped. */
  | { msgtype: 'unknown'; rawMsgtype: string; raw: Record<string, unknown> }

export type KfMessage = KfMessageBase & KfContent

/** The events of §4, keyed by `eventType`. */
export type KfEvent =
  | {
      eventType: 'enter_session'
      /** Only when the user got no welcome in 48 h and has not written: valid 20 s, once (§6). */
      welcomeCode?: string
      scene?: string
      sceneParam?: string
      wechatChannels?: { nickname?: string; shopNickname?: string; scene?: number }
    }
  | {
      eventType: 'msg_send_fail'
      /** The msgid send_msg answered: that send was not delivered after all. */
      failMsgid: string
      /** 0 unknown, 1 account deleted, 2 app closed, 4 session expired, 5 closed, 6 over 5, … (kept as sent). */
      failType: number
    }
  | { eventType: 'servicer_status_change'; servicerUserid: string; status: number; stopType?: number }
  | {
      eventType: 'session_status_change'
      /** 1 taken from the pool, 2 transferred, 3 ended, 4 re-opened. */
      changeType: number
      oldServicerUserid?: string
      newServicerUserid?: string
      /** For send_msg_on_event (change types 1 and 3). */
      msgCode?: string
    }
  | { eventType: 'user_recall_msg'; recallMsgid: string }
  | { eventType: 'servicer_recall_msg'; recallMsgid: string; servicerUserid: string }
  | { eventType: 'reject_customer_msg_switch_change'; servicerUserid: string; rejectSwitch: number }
  | { eventType: 'unknown'; rawEventType: string; raw: Record<string, unknown> }

/** A message for `kf/send_msg` or `send_msg_on_event`, in WeChat Work's own field names (§5). */
export type KfOutgoing =
  | { msgtype: 'text'; text: { content: string } }
  | { msgtype: 'image'; image: { media_id: string } }
  | { msgtype: 'link'; link: { title: string; desc?: string; url: string; thumb_media_id: string } }
  | { msgtype: 'miniprogram'; miniprogram: { appid: string; title?: string; thumb_media_id: string; pagepath: string } }
  | { msgtype: 'msgmenu'; msgmenu: { head_content?: string; list: KfMenuItem[]; tail_content?: string } }

/** 0 未处理, 1 智能助手, 2 排队, 3 人工, 4 已结束/未开始 (§7). */
export type KfServiceState = 0 | 1 | 2 | 3 | 4

export interface SyncMsgInput {
  /** The last `nextCursor`; omitted → the earliest message of the last 3 days. */
  cursor?: string
  /** The notice's token; omitted → a strictly rate-limited pull. */
  token?: string
  /** 1–1000 (the default and maximum). */
  limit?: number
  openKfId: string
}

export interface SyncMsgResult {
  nextCursor: string
  /** Follow while true, even when msgList is empty (§3). */
  hasMore: boolean
  msgList: KfMessage[]
}

export interface SendMsgInput {
  touser: string
  openKfId: string
  /** ≤ 32 of [0-9a-zA-Z_-], unique per account: a retried send with it fails instead of duplicating. */
  msgid?: string
  message: KfOutgoing
}

export interface SendMsgOnEventInput {
  /** welcome_code or msg_code: once, within its validity (§6). */
  code: string
  msgid?: string
  message: KfOutgoing
}

export interface TransStateInput {
  openKfId: string
  externalUserid: string
  state: KfServiceState
  /** Required for state 3. */
  servicerUserid?: string
}
