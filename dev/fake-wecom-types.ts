/**
 * The 微信客服 stand-in's control API shapes (dev/fake-wecom.ts), shared with the tests'
 * client (test/support/fake-wecom-client.ts).
 */

/** Where every control call lives. */
export const FAKE_KF_CONTROL_PREFIX = '/__fake/kf'

/** A corp the stand-in knows: its app's secret and its callback's keys. */
export interface FakeCorpConfig {
  corpid: string
  secret: string
  /** The callback Token and EncodingAESKey (设置API接收). */
  callbackToken: string
  aesKey: string
  /** Where notices are POSTed (the Worker's /wecom/kf); without it they are only returned. */
  callbackUrl?: string
  /** expires_in of new access tokens, seconds (default 7200). */
  expiresIn?: number
  /**
   * The stand-in's limit on sync_msg calls without a token, per account and minute (default
   * FAKE_KF_UNTOKENED_PER_MINUTE). WeChat Work publishes no number (protocol doc §3).
   */
  untokenedPerMinute?: number
}

/** A signed, encrypted callback as WeChat Work would POST it, for a test to post itself. */
export interface FakeCallback {
  /** The query string (msg_signature, timestamp, nonce), without `?`. */
  query: string
  body: string
  /** The sync_msg token the notice carries (valid 10 minutes). */
  token: string
  openKfId: string
  /** When callbackUrl is set: the Worker's HTTP status, or null when it could not be reached. */
  delivered?: number | null
}

export interface FakeCustomerMessage {
  corpid: string
  openKfId: string
  externalUserid: string
  /** Default a text. */
  msgtype?: 'text' | 'image' | 'location' | 'link' | 'business_card' | 'miniprogram'
  /** The text's content (text) or the msgtype's payload, in WeChat Work's field names. */
  content?: string
  payload?: Record<string, unknown>
  /** How long ago it was sent, seconds (default 0): past 3 days it is never pulled. */
  ageSeconds?: number
  /** Default true: a callback is made (and POSTed to callbackUrl when set). */
  notify?: boolean
}

export interface FakeEnterSession {
  corpid: string
  openKfId: string
  externalUserid: string
  scene?: string
  sceneParam?: string
  /** Default true when the customer has not written and got no welcome in 48 h (§4). */
  welcome?: boolean
}

export interface FakeSent {
  seq: number
  api: 'kf/send_msg' | 'kf/send_msg_on_event'
  openKfId: string
  /** The customer (send_msg's touser; the code's customer on send_msg_on_event). */
  externalUserid: string
  msgid: string
  msgtype: string
  /** The request body as sent, minus nothing: no secret travels in it. */
  body: Record<string, unknown>
  /** Stand-in clock, seconds. */
  at: number
  /** Wall clock when the stand-in took the call, ms (not the corp's clock): for timing notice → reply. */
  receivedAt: number
}

export interface FakeCustomerState {
  state: 0 | 1 | 2 | 3 | 4
  servicerUserid?: string
  /** Seconds; null when the customer never wrote. */
  lastCustomerMessageAt: number | null
  sendsInWindow: number
}

export interface FakeKfCall {
  seq: number
  path: string
  corpid: string | null
  errcode: number
  /** sync_msg: whether it carried a token. */
  withToken?: boolean
  openKfId?: string
}

/** A fault for the next calls of one corp on one path (e.g. `/cgi-bin/kf/send_msg`). */
export interface FakeKfFault {
  corpid: string
  path: string
  errcode: number
  errmsg?: string
  /** How many calls it answers (default 1). */
  times?: number
}
