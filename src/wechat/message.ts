/**
 * WeChat push bodies: the envelope (XML or JSON, sniffed from the body) and the typed
 * message inside it. Shapes are declared with valibot; anything WeChat documents is parsed
 * into `InboundMessage`, anything it does not is `unknown` (logged and answered "success").
 */
import * as v from 'valibot'
import { badRequest } from './errors'
import { OPENID } from './openid'
import { cdata, parseXml, type XmlRecord } from './xml'

export type PushFormat = 'xml' | 'json'

export type Fields = Record<string, unknown>

/** What we write: a flat message (a passive reply, or a push built by the dev tools). */
export type FlatFields = Record<string, string | number>

interface MessageBase {
  /** The mini program's original id (gh_…). */
  toUserName: string
  /** The user's openid, trusted only once it came out of a verified (and decrypted) body. */
  fromUserName: string
  createTime: number
  /** 'kf' for a 微信客服 customer's message (wecom/inbound.ts); absent for the mini program's push. */
  channel?: 'kf'
}

export interface TextMessage extends MessageBase {
  type: 'text'
  msgId: string
  content: string
}
export interface ImageMessage extends MessageBase {
  type: 'image'
  msgId: string
  picUrl: string
  mediaId: string
}
export interface MiniProgramPageMessage extends MessageBase {
  type: 'miniprogrampage'
  msgId: string
  title: string
  appId: string
  pagePath: string
  thumbUrl: string
  thumbMediaId: string
}
export interface EnterSessionEvent extends MessageBase {
  type: 'user_enter_tempsession'
  sessionFrom: string
}
export interface SubscribePopupEvent extends MessageBase {
  type: 'subscribe_msg_popup_event'
  items: { templateId: string; status: string; popupScene: number }[]
}
export interface SubscribeChangeEvent extends MessageBase {
  type: 'subscribe_msg_change_event'
  items: { templateId: string; status: string }[]
}
export interface SubscribeSentEvent extends MessageBase {
  type: 'subscribe_msg_sent_event'
  items: { templateId: string; msgId: string; errorCode: number; errorStatus: string }[]
}
/**
 * The platform telling the mini program that a user revoked what they had authorized, or
 * closed their WeChat account (miniprogram/dev/server/event_push/platform/
 * authorized_user_information_changes). `fromUserName` is WeChat's push service, not a user:
 * the user is `openId`.
 */
export interface AuthorizationEvent extends MessageBase {
  type: 'user_authorization_revoke' | 'user_authorization_cancellation'
  openId: string
  /** The mini program's AppID as WeChat put it in the push ('' when absent). */
  appId: string
  /** user_authorization_revoke: what was revoked (14: images and videos the user chose); '' otherwise. */
  revokeInfo: string
}
export interface UnknownMessage extends MessageBase {
  type: 'unknown'
  msgType: string
  event?: string
}

export type UserMessage = TextMessage | ImageMessage | MiniProgramPageMessage
export type EventMessage = EnterSessionEvent | SubscribePopupEvent | SubscribeChangeEvent | SubscribeSentEvent
export type InboundMessage = UserMessage | EventMessage | AuthorizationEvent | UnknownMessage

export function isAuthorizationEvent(message: InboundMessage): message is AuthorizationEvent {
  return message.type === 'user_authorization_revoke' || message.type === 'user_authorization_cancellation'
}

export function isUserMessage(message: InboundMessage): message is UserMessage {
  return isUserMessageType(message.type)
}

/** By type alone, as the Conversation object records it. */
export function isUserMessageType(type: string): boolean {
  return (USER_MESSAGE_TYPES as readonly string[]).includes(type)
}

/** The types a user sends (the rest are events): the record counts them apart (record/write.ts). */
export const USER_MESSAGE_TYPES = ['text', 'image', 'miniprogrampage'] as const

/** XML and JSON push bodies start with `<` and `{`; the content type is not trusted. */
export function sniffFormat(body: string): PushFormat {
  const first = body.trimStart()[0]
  if (first === '<') return 'xml'
  if (first === '{') return 'json'
  throw badRequest('body is neither XML nor JSON')
}

/**
 * 64-bit ids (MsgId, and MsgID in subscribe events) exceed a double's precision. JSON.parse
 * would round them, so they are quoted first. The pattern cannot match inside a JSON string:
 * a quote there is escaped.
 */
const BIG_IDS = /("Msg(?:Id|ID)"\s*:\s*)(-?\d+)/g

export function parseFields(format: PushFormat, body: string): Fields {
  if (format === 'xml') return parseXml(body)
  let parsed: unknown
  try {
    parsed = JSON.parse(body.replace(BIG_IDS, '$1"$2"'))
  } catch {
    throw badRequest('malformed JSON')
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('JSON body is not an object')
  }
  return parsed as Fields
}

/** Writes flat fields as WeChat does: XML text in CDATA, numbers bare; or JSON. */
export function serializeFields(format: PushFormat, fields: FlatFields): string {
  if (format === 'json') return JSON.stringify(fields)
  let xml = '<xml>'
  for (const [name, value] of Object.entries(fields)) {
    xml += `<${name}>${typeof value === 'number' ? value : cdata(value)}</${name}>`
  }
  return `${xml}</xml>`
}

// Field shapes. XML gives every value as text and JSON gives numbers or text, so numeric
// fields accept both.
const Text = v.string()
const Id = v.pipe(v.union([v.string(), v.number()]), v.transform(String), v.regex(/^\d{1,20}$/, 'must be a decimal id'))
const Int = v.pipe(
  v.union([v.string(), v.number()]),
  v.transform(String),
  v.regex(/^-?\d{1,12}$/, 'must be an integer'),
  v.transform(Number),
)
const Common = {
  ToUserName: Text,
  // An openid names the user's Durable Object and every row it writes: keep it to its shape.
  FromUserName: v.pipe(Text, v.regex(OPENID, 'is not an openid')),
  CreateTime: Int,
}

const TextShape = v.object({ ...Common, Content: Text, MsgId: Id })
const ImageShape = v.object({ ...Common, PicUrl: Text, MediaId: Text, MsgId: Id })
const PageShape = v.object({
  ...Common,
  MsgId: Id,
  Title: v.optional(Text, ''),
  AppId: v.optional(Text, ''),
  PagePath: v.optional(Text, ''),
  ThumbUrl: v.optional(Text, ''),
  ThumbMediaId: v.optional(Text, ''),
})
const EnterShape = v.object({ ...Common, SessionFrom: v.optional(Text, '') })
const AuthorizationShape = v.object({
  ...Common,
  // The user whose data goes: it names their object and rows, so it keeps an openid's shape.
  OpenID: v.pipe(Text, v.regex(OPENID, 'is not an openid')),
  AppID: v.optional(Text, ''),
  RevokeInfo: v.optional(v.pipe(v.union([v.string(), v.number()]), v.transform(String)), ''),
})
const CommonShape = v.object({ ...Common, MsgType: Text, Event: v.optional(Text) })

/** A subscribe event's list: each item checked as WeChat writes it, then read into ours. */
const ListOf = <T extends v.GenericSchema, Item>(item: T, read: (item: v.InferOutput<T>) => Item) =>
  v.object({ ...Common, List: v.pipe(v.array(v.pipe(item, v.transform(read))), v.minLength(1, 'is empty')) })
const PopupShape = ListOf(v.object({ TemplateId: Text, SubscribeStatusString: Text, PopupScene: v.optional(Int, 0) }), (i) => ({
  templateId: i.TemplateId,
  status: i.SubscribeStatusString,
  popupScene: i.PopupScene,
}))
const ChangeShape = ListOf(v.object({ TemplateId: Text, SubscribeStatusString: Text }), (i) => ({
  templateId: i.TemplateId,
  status: i.SubscribeStatusString,
}))
const SentShape = ListOf(v.object({ TemplateId: Text, MsgID: Id, ErrorCode: Int, ErrorStatus: v.optional(Text, '') }), (i) => ({
  templateId: i.TemplateId,
  msgId: i.MsgID,
  errorCode: i.ErrorCode,
  errorStatus: i.ErrorStatus,
}))

/** In XML the subscribe events wrap their `<List>`s in an element named for the event. */
const SUBSCRIBE_WRAPPERS: Record<string, string> = {
  subscribe_msg_popup_event: 'SubscribeMsgPopupEvent',
  subscribe_msg_change_event: 'SubscribeMsgChangeEvent',
  subscribe_msg_sent_event: 'SubscribeMsgSentEvent',
}

function check<T extends v.GenericSchema>(schema: T, fields: Fields): v.InferOutput<T> {
  const result = v.safeParse(schema, fields)
  if (result.success) return result.output
  const issue = result.issues[0]
  const path = v.getDotPath(issue) ?? 'body'
  // A wrong type says what was expected; a failed check says what is wrong.
  const reason = issue.kind === 'schema' && issue.expected ? `expected ${issue.expected}` : issue.message
  throw badRequest(`${path}: ${reason}`)
}

/** One `List` item becomes a list of one, wherever the format put it. */
function subscribeList(fields: Fields, event: string): unknown[] {
  const wrapperName = SUBSCRIBE_WRAPPERS[event]
  const wrapper = wrapperName ? fields[wrapperName] : undefined
  const list = wrapper && typeof wrapper === 'object' && !Array.isArray(wrapper) ? (wrapper as XmlRecord).List : fields.List
  if (list === undefined) return []
  return Array.isArray(list) ? list : [list]
}

/** Reads a verified, decrypted body into an InboundMessage; a PushError(400) if malformed. */
export function toInboundMessage(fields: Fields): InboundMessage {
  const common = check(CommonShape, fields)
  const base: MessageBase = {
    toUserName: common.ToUserName,
    fromUserName: common.FromUserName,
    createTime: common.CreateTime,
  }
  switch (common.MsgType) {
    case 'text': {
      const m = check(TextShape, fields)
      return { ...base, type: 'text', msgId: m.MsgId, content: m.Content }
    }
    case 'image': {
      const m = check(ImageShape, fields)
      return { ...base, type: 'image', msgId: m.MsgId, picUrl: m.PicUrl, mediaId: m.MediaId }
    }
    case 'miniprogrampage': {
      const m = check(PageShape, fields)
      return {
        ...base,
        type: 'miniprogrampage',
        msgId: m.MsgId,
        title: m.Title,
        appId: m.AppId,
        pagePath: m.PagePath,
        thumbUrl: m.ThumbUrl,
        thumbMediaId: m.ThumbMediaId,
      }
    }
    case 'event':
      return toEvent(base, common.Event ?? '', fields)
    default:
      return { ...base, type: 'unknown', msgType: common.MsgType }
  }
}

function toEvent(base: MessageBase, event: string, fields: Fields): InboundMessage {
  switch (event) {
    case 'user_enter_tempsession':
      return { ...base, type: event, sessionFrom: check(EnterShape, fields).SessionFrom }
    case 'subscribe_msg_popup_event':
      return { ...base, type: event, items: check(PopupShape, { ...fields, List: subscribeList(fields, event) }).List }
    case 'subscribe_msg_change_event':
      return { ...base, type: event, items: check(ChangeShape, { ...fields, List: subscribeList(fields, event) }).List }
    case 'subscribe_msg_sent_event':
      return { ...base, type: event, items: check(SentShape, { ...fields, List: subscribeList(fields, event) }).List }
    case 'user_authorization_revoke':
    case 'user_authorization_cancellation': {
      const m = check(AuthorizationShape, fields)
      return { ...base, type: event, openId: m.OpenID, appId: m.AppID, revokeInfo: m.RevokeInfo }
    }
    default:
      return { ...base, type: 'unknown', msgType: 'event', event }
  }
}

/** The MsgId of a user message; events have none. */
export function msgIdOf(message: InboundMessage): string | null {
  return 'msgId' in message ? message.msgId : null
}

/** Messages dedup by MsgId; events by who, when and which (WeChat gives them no id). */
export function dedupKey(message: InboundMessage): string {
  const msgId = msgIdOf(message)
  if (msgId !== null) return `msg:${msgId}`
  const event = message.type === 'unknown' ? (message.event ?? message.msgType) : message.type
  return `event:${message.fromUserName}:${message.createTime}:${event}`
}
