/**
 * One conversation: the messages in and out as chat bubbles (oldest at the top of a page),
 * which rule answered, what became of each send, the send window, the user's subscribe
 * grants, and a reply by hand. A message's bubble is conversation-bubble.tsx; the desk's bar
 * and the notes conversation-desk.tsx; the words conversation-strings.ts.
 */
import type { Grants } from '../permit'
import type { SubscriptionView } from '../../conversation/contract'
import { MAX_TEXT_BYTES } from '../../rules/schema'
import type { ConversationDetail } from '../../record/conversations'
import { Layout } from '../layout'
import { QUEUE_LIVE_PATH } from './queue'
import type { DeskItem } from '../../desk/view'
import type { Canned, Note } from '../../desk/notes'
import { formatTime, type Lang } from '../lang'
import { Bubble, type ImageClock } from './conversation-bubble'
import { DeskBar, Notes } from './conversation-desk'
import { CONVERSATION_STRINGS, type ReplyOutcome } from './conversation-strings'
import { CONVERSATIONS_PATH } from './conversations'
import { hrefOf, OnceField, OutcomeNotice, Pager, shortOpenid, WindowState, type Outcome } from './parts'
import { SubscriptionsSection } from './subscriptions'
import { Fact, Facts } from './table'
import { UserDataSection } from './user-data'

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
  const t = CONVERSATION_STRINGS[props.lang]
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
        text={(o) =>
          // Held: who has the user, as the desk says now (never a name from the address).
          o.code === 'held' && props.desk?.assignee
            ? t.heldBy(props.desk.assignee.name)
            : t.outcomes[o.code as ReplyOutcome] + (o.errcode !== null ? ` (${t.errcode(o.errcode)})` : '')
        }
      />
      <script src="/admin/desk.js" defer />
      <span data-live={QUEUE_LIVE_PATH} data-live-openid={c.openid} hidden />
      {props.desk && (
        <DeskBar lang={props.lang} item={props.desk} me={props.me} canAct={props.grants.reply} canOverride={props.grants.rules} />
      )}
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
                  <option value={a.text} data-shortcut={a.shortcut ?? undefined}>
                    {a.shortcut ? `${a.shortcut} · ${a.title}` : a.title}
                  </option>
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
