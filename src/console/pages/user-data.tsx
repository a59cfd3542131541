/**
 * A user's data from the conversation page (issue 31): the export (a JSON download) and the
 * deletion, behind a page that says what goes and asks for a tick before the button works.
 * Only for roles with `users` (owner, admin).
 */
import type { Forgotten } from '../../users/forget'
import { Layout, Notice } from '../layout'
import type { Lang, Strings } from '../lang'
import { CONVERSATIONS_PATH } from './conversations'
import { shortOpenid } from './parts'

export const userDataPath = (openid: string) => `/admin/conversations/${encodeURIComponent(openid)}`

const STRINGS: Strings<{
  section: string
  exportLink: string
  exportHint: string
  deleteLink: string
  title: (openid: string) => string
  what: string
  goes: string[]
  stays: string
  confirm: string
  submit: string
  cancel: string
  notConfirmed: string
  deleted: (f: Forgotten) => string
  toList: string
}> = {
  zh: {
    section: '用户数据',
    exportLink: '导出该用户的全部数据（JSON）',
    exportHint: '会话、消息记录、订阅、备注、用户发来的图片清单：用户依法要求查阅时使用。',
    deleteLink: '删除该用户的全部数据…',
    title: (openid) => `删除用户 ${openid} 的全部数据`,
    what: '删除后无法恢复。会删除：',
    goes: [
      '该用户的会话对象：发送窗口、待发送和已发送的回复、订阅授权',
      '消息记录和会话列表中的这一行、未匹配问题中只有该用户问过的问题',
      '人工队列中的该用户、客服写的备注、审计日志里该用户的 openid',
      '该用户发来并已保存的图片',
    ],
    stays:
      '保留：不含个人信息的统计（每天的消息数、规则命中数、回复时长）和一条不含用户信息的审计记录。用户之后再来消息，会作为新用户开始。',
    confirm: '我确认删除该用户的全部数据',
    submit: '删除',
    cancel: '返回会话',
    notConfirmed: '请先勾选确认。',
    deleted: (f) =>
      `已删除该用户的全部数据：会话对象${f.conversation ? '已删除' : '（没有）'}，人工队列${f.desk ? '已移出' : '（没有）'}，${f.rows} 行记录，${f.media} 张图片。`,
    toList: '返回会话列表',
  },
  en: {
    section: "User's data",
    exportLink: 'Export everything kept about this user (JSON)',
    exportHint: 'Conversation, record, subscriptions, notes, the list of images they sent: for a request to see their data.',
    deleteLink: "Delete this user's data…",
    title: (openid) => `Delete everything kept about ${openid}`,
    what: 'This cannot be undone. It deletes:',
    goes: [
      "the user's conversation object: their send window, pending and sent replies, subscribe grants",
      'their messages and their row in the conversation list, and unmatched questions only they asked',
      'their place at the human desk, agents’ notes on them, their openid in the audit log',
      'the images they sent that were kept',
    ],
    stays:
      'Kept: counts without a person (messages per day, rule hits, reply times) and one audit line that names no user. If they write again, they start as a new user.',
    confirm: "I confirm deleting this user's data",
    submit: 'Delete',
    cancel: 'Back to the conversation',
    notConfirmed: 'Tick the confirmation first.',
    deleted: (f) =>
      `Deleted everything kept about this user: conversation object ${f.conversation ? 'deleted' : '(none)'}, desk ${f.desk ? 'left' : '(none)'}, ${f.rows} rows, ${f.media} images.`,
    toList: 'Back to the conversations',
  },
}

/** The conversation page's section: export and delete, for roles that may. */
export function UserDataSection(props: { lang: Lang; openid: string }) {
  const t = STRINGS[props.lang]
  const path = userDataPath(props.openid)
  return (
    <div class="panel" data-user-data>
      <h2>{t.section}</h2>
      <p>
        <a href={`${path}/export`} data-user-export download>
          {t.exportLink}
        </a>
        <br />
        <span class="muted">{t.exportHint}</span>
      </p>
      <p>
        <a href={`${path}/delete`} class="bad" data-user-delete>
          {t.deleteLink}
        </a>
      </p>
    </div>
  )
}

export function DeleteUserPage(props: { lang: Lang; openid: string; notConfirmed?: boolean; deleted?: Forgotten }) {
  const t = STRINGS[props.lang]
  const path = userDataPath(props.openid)
  if (props.deleted) {
    return (
      <Layout lang={props.lang} section="conversations" title={t.title(shortOpenid(props.openid))}>
        <Notice kind="ok">{t.deleted(props.deleted)}</Notice>
        <p>
          <a href={CONVERSATIONS_PATH}>{t.toList}</a>
        </p>
      </Layout>
    )
  }
  return (
    <Layout lang={props.lang} section="conversations" title={t.title(shortOpenid(props.openid))}>
      <div class="panel" data-delete-user>
        <p>
          <b>{t.what}</b>
        </p>
        <ul>
          {t.goes.map((line) => (
            <li>{line}</li>
          ))}
        </ul>
        <p class="muted">{t.stays}</p>
        {props.notConfirmed && (
          <p class="field-error" role="alert">
            {t.notConfirmed}
          </p>
        )}
        <form method="post" action={`${path}/delete`}>
          <label class="check">
            <input type="checkbox" name="confirm" value="yes" required /> {t.confirm}
          </label>
          <p class="row">
            <button type="submit" class="danger">
              {t.submit}
            </button>
            <a href={path} class="button">
              {t.cancel}
            </a>
          </p>
        </form>
      </div>
    </Layout>
  )
}
