/**
 * 成员 / Members (owner only): who may sign in, as what role, for which mini programs; adding
 * one shows their personal token once, on the page that answers the form, and never again.
 */
import type { Operator } from '../../auth/operators'
import { ROLES } from '../../auth/roles'
import { Layout, Notice } from '../layout'
import type { Lang, Strings } from '../lang'
import { OutcomeNotice, type Outcome } from './parts'
import { ROLE_HINTS, ROLE_NAMES } from './role-names'
import { Table } from './table'

export const OPERATORS_PATH = '/admin/operators'

export const MEMBER_OUTCOMES = { done: ['changed', 'removed'], problem: ['no_operator'] } as const

/** What the add or change form held, to show it again with its problems. */
export interface MemberForm {
  name: string
  /** As posted: OperatorBody checks it is a role. */
  role: string
  /** null: every mini program. */
  apps: string[] | null
  email: string
}

export const EMPTY_MEMBER: MemberForm = { name: '', role: 'agent', apps: null, email: '' }

export const memberFormOf = (operator: Operator): MemberForm => ({ ...operator, email: operator.email ?? '' })

const STRINGS: Strings<{
  title: string
  intro: string
  none: string
  name: string
  role: string
  apps: string
  email: string
  allApps: string
  edit: string
  addTitle: string
  add: string
  emailHint: string
  appsHint: string
  roles: string
  problems: string
  created: (name: string) => string
  tokenWarning: string
  tokenUse: string
  editTitle: (name: string) => string
  save: string
  removeTitle: string
  removeHint: string
  remove: string
  back: string
  outcomes: Record<string, string>
}> = {
  zh: {
    title: '成员',
    intro: '每个人用自己的令牌登录，只能做角色允许的事。ADMIN_TOKEN 是所有者的备用钥匙，不在这个列表里。',
    none: '还没有成员：现在只有 ADMIN_TOKEN 能登录。',
    name: '名字',
    role: '角色',
    apps: '小程序',
    email: '邮箱',
    allApps: '全部',
    edit: '修改',
    addTitle: '添加成员',
    add: '添加并生成令牌',
    emailHint: 'Cloudflare Access 登录用的邮箱（可不填）',
    appsHint: '不勾「全部」时，只能查看和操作勾选的小程序。',
    roles: '角色说明',
    problems: '没有保存：',
    created: (name) => `已添加「${name}」。这是他的个人令牌：`,
    tokenWarning: '现在就复制并交给他：令牌只显示这一次，离开或刷新这个页面后无法再查看（服务器只保存它的哈希）。',
    tokenUse: '他在登录页输入这个令牌登录；也可以作为 API 的 Bearer 令牌。',
    editTitle: (name) => `修改成员：${name}`,
    save: '保存',
    removeTitle: '移除',
    removeHint: '移除后，他的令牌和所有登录会话立即失效。',
    remove: '移除这个成员',
    back: '返回成员列表',
    outcomes: { changed: '已保存。', removed: '已移除：他的令牌和会话已失效。', no_operator: '没有这个成员（可能已被移除）。' },
  },
  en: {
    title: 'Members',
    intro:
      'Each person signs in with their own token and can do what their role allows. ADMIN_TOKEN is the owner’s break-glass key and is not listed.',
    none: 'No members yet: only ADMIN_TOKEN signs in.',
    name: 'Name',
    role: 'Role',
    apps: 'Mini programs',
    email: 'Email',
    allApps: 'All',
    edit: 'Change',
    addTitle: 'Add a member',
    add: 'Add and make a token',
    emailHint: 'The email they sign in with through Cloudflare Access (optional)',
    appsHint: 'Without “All”, they see and act on the ticked mini programs only.',
    roles: 'What each role may do',
    problems: 'Not saved:',
    created: (name) => `${name} was added. Their personal token:`,
    tokenWarning:
      'Copy it now and hand it to them: it is shown this once, and cannot be seen again once you leave or reload this page (only its hash is kept).',
    tokenUse: 'They type it on the sign-in page; it is also their bearer token for the API.',
    editTitle: (name) => `Change member: ${name}`,
    save: 'Save',
    removeTitle: 'Remove',
    removeHint: 'Once removed, their token and every session of theirs stop working at once.',
    remove: 'Remove this member',
    back: 'Back to the members',
    outcomes: {
      changed: 'Saved.',
      removed: 'Removed: their token and sessions no longer work.',
      no_operator: 'No such member (they may have been removed).',
    },
  },
}

export function MembersPage(props: {
  lang: Lang
  operators: Operator[]
  /** The mini programs the Worker serves: the add form's choices. */
  served: string[]
  form: MemberForm
  problems: string[]
  outcome: Outcome | null
  /** Just added: their name and token, shown this once. */
  created: { name: string; token: string } | null
}) {
  const t = STRINGS[props.lang]
  const roles = ROLE_NAMES[props.lang]
  return (
    <Layout lang={props.lang} section="operators" title={t.title}>
      <OutcomeNotice outcome={props.outcome} text={(o) => t.outcomes[o.code] ?? ''} />
      {props.created && (
        <div class="panel token-once" data-new-token>
          <Notice kind="ok">{t.created(props.created.name)}</Notice>
          <p>
            <code class="id token" data-token>
              {props.created.token}
            </code>
          </p>
          <p class="bad" role="alert">
            <b>{t.tokenWarning}</b>
          </p>
          <p class="muted">{t.tokenUse}</p>
        </div>
      )}
      <p class="muted">{t.intro}</p>
      <div class="panel">
        <Table
          items={props.operators}
          empty={t.none}
          emptyMark="data-no-members"
          head={[
            { label: t.name, class: 'nowrap' },
            { label: t.role, class: 'nowrap' },
            { label: t.apps, class: 'nowrap' },
            { label: t.email, class: 'nowrap' },
            '',
          ]}
          row={(o) => (
            <tr data-member={o.id} data-role={o.role}>
              <td>{o.name}</td>
              <td class="nowrap">{roles[o.role]}</td>
              <td class="id">{o.apps === null ? <span class="muted">{t.allApps}</span> : o.apps.join(', ')}</td>
              <td class="id">{o.email ?? '–'}</td>
              <td>
                <a class="button nowrap" href={`${OPERATORS_PATH}/${o.id}`} data-edit={o.id}>
                  {t.edit}
                </a>
              </td>
            </tr>
          )}
        />
      </div>
      <h2 id="add">{t.addTitle}</h2>
      <Problems t={t} problems={props.problems} />
      <form method="post" action={OPERATORS_PATH} class="panel" data-add-member>
        <MemberFields lang={props.lang} form={props.form} served={props.served} />
        <p>
          <button type="submit" class="primary">
            {t.add}
          </button>
        </p>
      </form>
      <RoleLegend lang={props.lang} />
    </Layout>
  )
}

export function MemberPage(props: { lang: Lang; operator: Operator; served: string[]; form: MemberForm; problems: string[] }) {
  const t = STRINGS[props.lang]
  const path = `${OPERATORS_PATH}/${props.operator.id}`
  return (
    <Layout lang={props.lang} section="operators" title={t.editTitle(props.operator.name)}>
      <p>
        <a href={OPERATORS_PATH}>← {t.back}</a>
      </p>
      <Problems t={t} problems={props.problems} />
      <form method="post" action={path} class="panel" data-change-member={props.operator.id}>
        <MemberFields lang={props.lang} form={props.form} served={props.served} />
        <p>
          <button type="submit" class="primary">
            {t.save}
          </button>
        </p>
      </form>
      <h2>{t.removeTitle}</h2>
      <form method="post" action={`${path}/remove`} class="panel" data-remove-member={props.operator.id}>
        <p class="muted">{t.removeHint}</p>
        <button type="submit" class="danger">
          {t.remove}
        </button>
      </form>
      <RoleLegend lang={props.lang} />
    </Layout>
  )
}

function Problems(props: { t: (typeof STRINGS)[Lang]; problems: string[] }) {
  if (props.problems.length === 0) return null
  return (
    <div class="notice error" role="alert" data-problems>
      {props.t.problems}
      <ul>
        {props.problems.map((p) => (
          <li>{p}</li>
        ))}
      </ul>
    </div>
  )
}

/** The fields the add and change forms share: name, role, mini programs, email. */
function MemberFields(props: { lang: Lang; form: MemberForm; served: string[] }) {
  const t = STRINGS[props.lang]
  const { form } = props
  return (
    <>
      <div class="row">
        <div>
          <label for="member-name">{t.name}</label>
          <input id="member-name" name="name" value={form.name} maxlength={64} required />
        </div>
        <div>
          <label for="member-role">{t.role}</label>
          <select id="member-role" name="role">
            {ROLES.map((role) => (
              <option value={role} selected={role === form.role}>
                {ROLE_NAMES[props.lang][role]}
              </option>
            ))}
          </select>
        </div>
        <div style="flex:1;min-width:14em">
          <label for="member-email">{t.email}</label>
          <input id="member-email" name="email" type="email" value={form.email} placeholder={t.emailHint} style="width:100%" />
        </div>
      </div>
      <fieldset data-apps>
        <legend>{t.apps}</legend>
        <label class="check">
          <input type="checkbox" name="apps_all" value="1" checked={form.apps === null} /> {t.allApps}
        </label>
        {props.served.map((appid) => (
          <label class="check">
            <input type="checkbox" name={`app:${appid}`} value="1" checked={form.apps?.includes(appid) ?? false} /> <code>{appid}</code>
          </label>
        ))}
        <p class="muted">{t.appsHint}</p>
      </fieldset>
    </>
  )
}

function RoleLegend(props: { lang: Lang }) {
  const t = STRINGS[props.lang]
  return (
    <details>
      <summary>{t.roles}</summary>
      <ul>
        {ROLES.map((role) => (
          <li>
            <b>{ROLE_NAMES[props.lang][role]}</b> ({role}): {ROLE_HINTS[props.lang][role]}
          </li>
        ))}
      </ul>
    </details>
  )
}
