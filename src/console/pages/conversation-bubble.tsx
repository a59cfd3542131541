/**
 * A message of a conversation as a chat bubble: in or out, its text (or, for a user's image,
 * the picture the archive kept), when, which rule or who answered, and what became of a send.
 */
import { imageState, userImagePath } from '../../media/archive-record'
import { dayOf } from '../../record/day'
import type { MessageView } from '../../record/views'
import { AI_FALLBACK_RULE_ID, AI_RULE_ID } from '../../replies'
import { formatTime, type Lang } from '../lang'
import type { ConversationText } from './conversation-strings'
import { KNOWLEDGE_PATH } from './knowledge'

/** What decides whether a user's image is still there: now, and RETENTION_DAYS. */
export interface ImageClock {
  now: number
  retentionDays: number
}

/**
 * An image the user sent: the picture the archive kept, or why there is none. Never the
 * PicUrl the record holds as its text: it dies with WeChat's copy and leads to WeChat's CDN.
 */
function UserImage(props: { t: ConversationText; openid: string; message: MessageView; clock: ImageClock }) {
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

export function Bubble(props: { lang: Lang; t: ConversationText; message: MessageView; openid: string; clock: ImageClock }) {
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
