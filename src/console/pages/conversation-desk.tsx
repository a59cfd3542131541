/**
 * The human desk on a conversation page: who has the user, with the agent's buttons (posted
 * to the queue's forms), and the colleagues' private notes, never sent to the user.
 */
import { MAX_NOTE_TEXT, type Note } from '../../desk/notes'
import type { DeskItem } from '../../desk/view'
import { formatTime, type Lang } from '../lang'
import { QUEUE_PATH } from './queue'

/**
 * The user is at the human desk: who has them, and the buttons the operator may use (to the
 * queue's forms) — take while nobody has them; close while nobody has them, when they are the
 * operator's, or for whoever may undo a colleague's hold (`canOverride`: admin and up).
 */
export function DeskBar(props: { lang: Lang; item: DeskItem; me: string; canAct: boolean; canOverride: boolean }) {
  const { item } = props
  const free = item.assignee === null
  const mine = item.assignee?.id === props.me
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
      {props.canAct && free && (
        <form method="post" action={action('claim')} class="inline">
          <button type="submit" class="primary" data-claim>
            {zh ? '接待' : 'Take'}
          </button>
        </form>
      )}
      {props.canAct && (free || mine || props.canOverride) && (
        <form method="post" action={action('close')} class="inline">
          <button type="submit" data-close>
            {zh ? '结束会话' : 'Close'}
          </button>
        </form>
      )}
    </div>
  )
}

/** Private notes on the conversation: for agents, never sent. */
export function Notes(props: { lang: Lang; path: string; notes: Note[]; canWrite: boolean }) {
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
