/**
 * The conversation page's words (pages/conversation.tsx, conversation-bubble.tsx), in Chinese
 * and English, and what its reply form can come back with.
 */
import type { ImageState } from '../../media/archive-record'
import { MAX_TEXT_BYTES } from '../../rules/schema'
import type { Strings } from '../lang'

/** What the reply form's action can come back with. */
export const REPLY_OUTCOMES = {
  done: ['sent', 'queued'],
  problem: ['window_closed', 'limit_reached', 'empty', 'too_long', 'invalid', 'send_failed', 'held'],
} as const

export type ReplyOutcome = (typeof REPLY_OUTCOMES)['done'][number] | (typeof REPLY_OUTCOMES)['problem'][number]

export type ConversationText = {
  title: (openid: string) => string
  kf: string
  window: string
  pending: string
  failed: string
  seeFailed: string
  firstAt: string
  older: string
  none: string
  noText: string
  status: Record<string, string>
  rule: (id: string) => string
  unmatched: string
  noRule: string
  manual: string
  /** A reply the model wrote (sent with WeChat's AI label), or its fallback. */
  ai: string
  aiFallback: (why: string) => string
  aiFrom: string
  tokens: (n: number) => string
  kinds: Record<string, string>
  errcode: (errcode: number) => string
  reply: string
  send: string
  replyHint: string
  closedHint: string
  outcomes: Record<ReplyOutcome, string>
  /** `held`, naming the colleague the desk says has the user now. */
  heldBy: (name: string) => string
  /** A user's image that is not shown, and why. */
  image: Record<Exclude<ImageState, 'shown'>, string>
  imageAlt: string
}

export const CONVERSATION_STRINGS: Strings<ConversationText> = {
  zh: {
    title: (openid) => `会话 ${openid}`,
    kf: '微信客服：这位用户从微信客服来（openid 为其 external_userid），回复经企业微信发送',
    window: '发送窗口',
    pending: '待发送',
    failed: '发送失败',
    seeFailed: '去处理',
    firstAt: '第一次来',
    older: '更早的消息',
    none: '记录里还没有消息。',
    noText: '（内容已过保留期）',
    status: { received: '已收到', pending: '待发送', sent: '已发送', failed: '发送失败', dropped: '已放弃' },
    rule: (id) => `规则 ${id}`,
    unmatched: '未匹配，默认回复',
    noRule: '没有规则回复',
    manual: '人工回复',
    ai: 'AI 回答',
    aiFallback: (why) => `AI 未答（${why}），兜底回复`,
    aiFrom: '依据',
    tokens: (n) => `${n} tokens`,
    kinds: {
      image: '[图片]',
      miniprogrampage: '[小程序卡片]',
      link: '[图文链接]',
      user_enter_tempsession: '[进入会话]',
      event: '[事件]',
      subscribe_msg_popup_event: '[订阅消息弹窗]',
      subscribe_msg_change_event: '[订阅设置变更]',
      subscribe_msg_sent_event: '[订阅消息发送结果]',
    },
    errcode: (errcode) => `错误码 ${errcode}`,
    reply: '人工回复',
    send: '发送',
    replyHint: `文字，最多 ${MAX_TEXT_BYTES} 字节（约 680 个汉字）。发送会用掉窗口里的一条。`,
    closedHint: '发送窗口已关闭，现在不能回复：要等用户再发来消息。',
    outcomes: {
      sent: '已发送。',
      queued: '已排队，稍后发送。',
      window_closed: '没有发送：发送窗口已关闭，要等用户再发来消息。',
      limit_reached: '没有发送：这个窗口能发的条数已用完，要等用户再发来消息。',
      empty: '没有发送：回复是空的。',
      too_long: `没有发送：回复太长（最多 ${MAX_TEXT_BYTES} 字节）。`,
      invalid: '没有发送：这不是一条能发送的文字回复。',
      send_failed: '发送失败：微信拒绝了这条回复，原因见下方消息。',
      held: '没有发送：同事正在接待这位用户，只有接待人（或管理员）能回复。',
    },
    heldBy: (name) => `没有发送：${name} 正在接待这位用户，只有接待人（或管理员）能回复。`,
    image: { saving: '图片保存中…', failed: '图片保存失败', expired: '图片已过期', deleted: '图片已删除' },
    imageAlt: '用户发来的图片',
  },
  en: {
    title: (openid) => `Conversation ${openid}`,
    kf: '微信客服: this user came through WeCom customer service (the openid is their external_userid); replies go out through WeCom',
    window: 'Send window',
    pending: 'Pending',
    failed: 'Failed',
    seeFailed: 'Deal with them',
    firstAt: 'First seen',
    older: 'Older messages',
    none: 'No messages in the record yet.',
    noText: '(past the retention period)',
    status: { received: 'received', pending: 'pending', sent: 'sent', failed: 'failed', dropped: 'dropped' },
    rule: (id) => `rule ${id}`,
    unmatched: 'unmatched, default reply',
    noRule: 'no rule answered',
    manual: 'reply by hand',
    ai: 'answered by AI',
    aiFallback: (why) => `AI did not answer (${why}): the fallback`,
    aiFrom: 'from',
    tokens: (n) => `${n} tokens`,
    kinds: {
      image: '[image]',
      miniprogrampage: '[mini program card]',
      link: '[link]',
      user_enter_tempsession: '[entered the chat]',
      event: '[event]',
      subscribe_msg_popup_event: '[subscribe popup]',
      subscribe_msg_change_event: '[subscribe settings changed]',
      subscribe_msg_sent_event: '[subscribe message sent]',
    },
    errcode: (errcode) => `errcode ${errcode}`,
    reply: 'Reply by hand',
    send: 'Send',
    replyHint: `Text, at most ${MAX_TEXT_BYTES} bytes. Sending uses one of the window's sends.`,
    closedHint: 'The send window is closed: a reply is possible once the user writes again.',
    outcomes: {
      sent: 'Sent.',
      queued: 'Queued: it goes out shortly.',
      window_closed: 'Not sent: the send window is closed until the user writes again.',
      limit_reached: 'Not sent: this window has no sends left until the user writes again.',
      empty: 'Not sent: the reply is empty.',
      too_long: `Not sent: the reply is too long (at most ${MAX_TEXT_BYTES} bytes).`,
      invalid: 'Not sent: that is not a text reply that can be sent.',
      send_failed: 'Failed: WeChat refused the reply; the message below says why.',
      held: 'Not sent: a colleague has this user at the desk; only they (or an admin) may reply.',
    },
    heldBy: (name) => `Not sent: ${name} has this user at the desk; only they (or an admin) may reply.`,
    image: {
      saving: 'Saving the image…',
      failed: 'The image could not be saved',
      expired: 'The image has expired',
      deleted: 'The image was deleted',
    },
    imageAlt: 'An image the user sent',
  },
}
