/**
 * One conversation: the messages in and out as chat bubbles (oldest at the top of a page),
 * which rule answered, what became of each send, the send window, the user's subscribe
 * grants, and a reply by hand.
 */
import type { Grants } from '../permit'
import type { SubscriptionView } from '../../conversation/contract'
import { AI_FALLBACK_RULE_ID, AI_RULE_ID } from '../../replies'
import { MAX_TEXT_BYTES } from '../../rules/schema'
import type { ConversationDetail } from '../../record/conversations'
import type { MessageView } from '../../record/views'
import { Layout } from '../layout'
import { KNOWLEDGE_PATH } from './knowledge'
import { QUEUE_LIVE_PATH, QUEUE_PATH } from './queue'
import type { DeskItem } from '../../desk/view'
import { type Canned, MAX_NOTE_TEXT, type Note } from '../../desk/notes'
import { formatTime, type Lang, type Strings } from '../lang'
import { CONVERSATIONS_PATH } from './conversations'
import { hrefOf, OnceField, OutcomeNotice, Pager, shortOpenid, WindowState, type Outcome } from './parts'
import { SubscriptionsSection } from './subscriptions'
import { Fact, Facts } from './table'
import { UserDataSection } from './user-data'
import { imageState, userImagePath, type ImageState } from '../../media/archive-record'
import { dayOf } from '../../record/day'

/** What the reply form's action can come back with. */
export const REPLY_OUTCOMES = {
  done: ['sent', 'queued'],
  problem: ['window_closed', 'limit_reached', 'empty', 'too_long', 'invalid', 'send_failed'],
} as const

export type ReplyOutcome = (typeof REPLY_OUTCOMES)['done'][number] | (typeof REPLY_OUTCOMES)['problem'][number]

const STRINGS: Strings<{
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
  /** A user's image that is not shown, and why. */
  image: Record<Exclude<ImageState, 'shown'>, string>
  imageAlt: string
}> = {
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
    },
    image: { saving: '图片保存中…', failed: '图片保存失败', expired: '图片已过期' },
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
    },
    image: { saving: 'Saving the image…', failed: 'The image could not be saved', expired: 'The image has expired' },
    imageAlt: 'An image the user sent',
  },
}

type Text = (typeof STRINGS)['zh']

/** What decides whether a user's image is still there: now, and RETENTION_DAYS. */
export interface ImageClock {
  now: number
  retentionDays: number
}

/**
 * An image the user sent: the picture the archive kept, or why there is none. Never the
 * PicUrl the record holds as its text: it dies with WeChat's copy and leads to WeChat's CDN.
 */
function UserImage(props: { t: Text; openid: string; message: MessageView; clock: ImageClock }) {
  const { message: m, clock } = props
  const state = imageState(m.media, dayOf(m.at), m.at, clock.now, clock.retentionDays)
  if (state === 'shown') {
    const msgId = m.id.replace(/^msg:/, '')
    return (
      <img
        style="display:block;max-width:240px;max-height:240px"
        src={userImagePath(props.openid, msgId)}
        alt={props.t.imageAlt}
        loading="lazy"
        data-user-image={state}
      />
    )
  }
  return (
    <span
      class={state === 'failed' ? 'bad' : 'muted'}
      data-user-image={state}
      title={state === 'failed' ? (m.media ?? undefined) : undefined}
    >
      {props.t.image[state]}
    </span>
  )
}

function Bubble(props: { lang: Lang; t: Text; message: MessageView; openid: string; clock: ImageClock }) {
  const { t, message: m } = props
  const out = m.direction === 'out'
  const who = out
    ? m.manual
      ? t.manual
      : m.ruleId === AI_RULE_ID
        ? t.ai
        : m.ruleId === AI_FALLBACK_RULE_ID
          ? t.aiFallback(m.ai?.refused ?? '–')
          : m.ruleId
            ? t.rule(m.ruleId)
            : null
    : m.unmatched
      ? t.unmatched
      : m.ruleId
        ? t.rule(m.ruleId)
        : t.noRule
  const kind = m.kind === 'text' ? null : (t.kinds[m.kind] ?? `[${m.kind}]`)
  const statusClass = m.status === 'failed' ? 'bad' : m.status === 'pending' ? 'warn' : m.status === 'dropped' ? 'muted' : undefined
  return (
    <div
      class={out ? 'bubble out' : 'bubble'}
      data-message-id={m.id}
      data-direction={m.direction}
      data-status={m.status}
      data-rule={m.ruleId ?? undefined}
      data-manual={m.manual ? 'true' : undefined}
      data-ai={m.ruleId === AI_RULE_ID ? 'answer' : m.ruleId === AI_FALLBACK_RULE_ID ? 'fallback' : undefined}
    >
      {kind && <span class="muted">{kind} </span>}
      {m.direction === 'in' && m.kind === 'image' ? (
        <UserImage t={t} openid={props.openid} message={m} clock={props.clock} />
      ) : m.text === null ? (
        <span class="muted">{t.noText}</span>
      ) : (
        m.text
      )}
      <span class="meta">
        {formatTime(m.at, props.lang, true)}
        {who && ` · ${who}`}
        {out && (
          <>
            {' · '}
            <span class={statusClass}>{t.status[m.status] ?? m.status}</span>
            {m.errcode !== null && ` · ${t.errcode(m.errcode)}`}
            {m.reason && ` · ${m.reason}`}
          </>
        )}
        {m.ai && (
          <span data-ai-sources>
            {m.ai.sources.length > 0 && (
              <>
                {` · ${t.aiFrom} `}
                {m.ai.sources.map((id, i) => (
                  <>
                    {i > 0 && ', '}
                    <a href={`${KNOWLEDGE_PATH}/${encodeURIComponent(id)}`}>{id}</a>
                  </>
                ))}
              </>
            )}
            {` · ${t.tokens(m.ai.tokens)}`}
          </span>
        )}
      </span>
    </div>
  )
}

/** The user is at the human desk: who has them, and the agent's buttons (to the queue's forms). */
function DeskBar(props: { lang: Lang; item: DeskItem; me: string; canAct: boolean }) {
  const { item } = props
  const zh = props.lang === 'zh'
  const action = (move: string) => `${QUEUE_PATH}/${encodeURIComponent(item.openid)}/${move}`
  const who = item.assignee
    ? item.assignee.id === props.me
      ? zh
        ? '由你接待'
        : 'yours'
      : `${zh ? '接待人：' : 'with '}${item.assignee.name}`
    : zh
      ? '等待接待'
      : 'waiting for an agent'
  return (
    <div class="panel row" data-desk={item.status} data-desk-assignee={item.assignee?.id ?? ''}>
      <span>
        <b>{zh ? '人工队列' : 'At the desk'}</b> · {who}
      </span>
      {props.canAct && item.assignee?.id !== props.me && (
        <form method="post" action={action('claim')} class="inline">
          <button type="submit" class="primary" data-claim>
            {zh ? '接待' : 'Take'}
          </button>
        </form>
      )}
      {props.canAct && (
        <form method="post" action={action('close')} class="inline">
          <button type="submit" data-close>
            {zh ? '结束会话' : 'Close'}
          </button>
        </form>
      )}
    </div>
  )
}

export function ConversationPage(props: {
  lang: Lang
  detail: ConversationDetail
  /** The user's grants per template (none: no section). */
  subscriptions: SubscriptionView[]
  outcome: Outcome | null
  paged: boolean
  /** No reply form without `reply` (a viewer). */
  grants: Grants
  /** Where the user is at the human desk; null when they are not. */
  desk: DeskItem | null
  /** The signed-in operator's id. */
  me: string
  /** The mini program's canned answers, for the reply box. */
  canned: Canned[]
  /** Private notes on this conversation, newest first. */
  notes: Note[]
  /** Whether users' images are still kept (media/archive-record.ts imageState). */
  clock: ImageClock
}) {
  const t = STRINGS[props.lang]
  const { conversation: c, messages } = props.detail
  const path = `${CONVERSATIONS_PATH}/${c.openid}`
  // The record serves newest first; a chat reads down to the newest.
  const chronological = [...messages.items].reverse()
  return (
    <Layout lang={props.lang} section="conversations" title={t.title(shortOpenid(c.openid))}>
      {c.channel === 'kf' && (
        <p data-channel="kf">
          <span class="badge">微信客服</span> <span class="muted">{t.kf}</span>
        </p>
      )}
      <OutcomeNotice
        outcome={props.outcome}
        text={(o) => t.outcomes[o.code as ReplyOutcome] + (o.errcode !== null ? ` (${t.errcode(o.errcode)})` : '')}
      />
      <script src="/admin/desk.js" defer />
      <span data-live={QUEUE_LIVE_PATH} data-live-openid={c.openid} hidden />
      {props.desk && <DeskBar lang={props.lang} item={props.desk} me={props.me} canAct={props.grants.reply} />}
      <div class="panel" data-openid={c.openid}>
        <Facts>
          <Fact name="openid">
            <code>{c.openid}</code>
          </Fact>
          <Fact name={t.window}>
            <WindowState lang={props.lang} window={c.window} />
          </Fact>
          <Fact
            name={
              <>
                {t.pending} / {t.failed}
              </>
            }
          >
            <span class={c.pending > 0 ? 'warn' : undefined} data-pending={String(c.pending)}>
              {c.pending}
            </span>
            {' / '}
            <span class={c.failed > 0 ? 'bad' : undefined} data-failed={String(c.failed)}>
              {c.failed}
            </span>
            {c.failed > 0 && (
              <>
                {' '}
                <a href="/admin/failed">{t.seeFailed}</a>
              </>
            )}
          </Fact>
          <Fact name={t.firstAt} class="muted">
            {formatTime(c.firstAt, props.lang)}
          </Fact>
        </Facts>
      </div>
      <SubscriptionsSection lang={props.lang} subscriptions={props.subscriptions} />
      <Pager
        lang={props.lang}
        next={messages.nextCursor ? hrefOf(path, { cursor: messages.nextCursor }) : null}
        first={props.paged ? path : null}
        nextLabel={t.older}
      />
      <div class="chat">
        {chronological.length === 0 ? (
          <p class="muted">{t.none}</p>
        ) : (
          chronological.map((m) => <Bubble lang={props.lang} t={t} message={m} openid={c.openid} clock={props.clock} />)
        )}
      </div>
      {props.grants.reply && <h2>{t.reply}</h2>}
      {!props.grants.reply ? null : c.window.open ? (
        <form method="post" action={`${path}/reply`} data-reply="open">
          <OnceField />
          <label for="reply-text">{t.replyHint}</label>
          {props.canned.length > 0 && (
            <p>
              <select data-canned aria-label={props.lang === 'zh' ? '快捷回复' : 'Canned answers'}>
                <option value="">{props.lang === 'zh' ? '插入快捷回复…' : 'Insert a canned answer…'}</option>
                {props.canned.map((a) => (
                  <option value={a.text}>{a.shortcut ? `${a.shortcut} · ${a.title}` : a.title}</option>
                ))}
              </select>
            </p>
          )}
          <textarea id="reply-text" name="text" rows={3} maxlength={MAX_TEXT_BYTES} required></textarea>
          <p>
            <button class="primary" type="submit">
              {t.send}
            </button>
          </p>
        </form>
      ) : (
        <p class="muted" data-reply="closed">
          {t.closedHint}
        </p>
      )}
      <Notes lang={props.lang} path={path} notes={props.notes} canWrite={props.grants.reply} />
      {props.grants.users && <UserDataSection lang={props.lang} openid={c.openid} />}
    </Layout>
  )
}

/** Private notes on the conversation: for agents, never sent. */
function Notes(props: { lang: Lang; path: string; notes: Note[]; canWrite: boolean }) {
  const zh = props.lang === 'zh'
  return (
    <section data-notes>
      <h2>{zh ? '备注（只给同事看，不会发给用户）' : 'Notes (for colleagues; never sent)'}</h2>
      {props.notes.length === 0 ? (
        <p class="muted">{zh ? '还没有备注。' : 'No notes yet.'}</p>
      ) : (
        <ul class="items">
          {props.notes.map((n) => (
            <li data-note={n.id}>
              <span class="muted">
                {formatTime(n.at, props.lang, true)} · {n.operator.name}
              </span>
              <div style="white-space:pre-wrap">{n.text}</div>
            </li>
          ))}
        </ul>
      )}
      {props.canWrite && (
        <form method="post" action={`${props.path}/notes`} data-note-form>
          <textarea name="text" rows={2} maxlength={MAX_NOTE_TEXT} required aria-label={zh ? '备注' : 'Note'}></textarea>
          <p>
            <button type="submit">{zh ? '添加备注' : 'Add a note'}</button>
          </p>
        </form>
      )}
    </section>
  )
}
