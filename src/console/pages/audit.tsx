/**
 * 审计 / Audit (owner only): what each operator did, newest first, in this mini program and
 * across the deployment (sign-ins, members), filtered by operator or action with a GET form.
 */
import { AUDIT_ACTIONS, type AuditAction, type AuditView } from '../../admin/audit'
import type { Operator } from '../../auth/operators'
import type { Page } from '../../record/views'
import { Layout } from '../layout'
import { formatTime, type Lang, type Strings } from '../lang'
import { hrefOf, Pager } from './parts'
import { ACTION_NAMES } from './role-names'
import { Table } from './table'

export const AUDIT_PATH = '/admin/audit'

const STRINGS: Strings<{
  title: string
  intro: string
  operator: string
  action: string
  anyone: string
  anything: string
  filter: string
  clear: string
  none: string
  time: string
  who: string
  app: string
  target: string
  summary: string
  deployment: string
  nobody: string
}> = {
  zh: {
    title: '审计',
    intro: '谁在什么时候做了什么：这个小程序的操作，和整个部署的（登录、成员）。最新的在前。',
    operator: '成员',
    action: '操作',
    anyone: '所有人',
    anything: '所有操作',
    filter: '筛选',
    clear: '清除筛选',
    none: '没有记录。',
    time: '时间',
    who: '谁',
    app: '小程序',
    target: '对象',
    summary: '摘要',
    deployment: '整个部署',
    nobody: '（未登录）',
  },
  en: {
    title: 'Audit',
    intro: 'Who did what, and when: in this mini program, and across the deployment (sign-ins, members). Newest first.',
    operator: 'Member',
    action: 'Action',
    anyone: 'Anyone',
    anything: 'Any action',
    filter: 'Filter',
    clear: 'Clear the filters',
    none: 'Nothing recorded.',
    time: 'Time',
    who: 'Who',
    app: 'Mini program',
    target: 'Target',
    summary: 'Summary',
    deployment: 'Deployment',
    nobody: '(not signed in)',
  },
}

export interface AuditFilters {
  operator: string | null
  action: AuditAction | null
}

export function AuditPage(props: {
  lang: Lang
  page: Page<AuditView>
  filters: AuditFilters
  /** The filter's choices: the members, and the owner of ADMIN_TOKEN. */
  operators: Pick<Operator, 'id' | 'name'>[]
  paged: boolean
}) {
  const t = STRINGS[props.lang]
  const actions = ACTION_NAMES[props.lang]
  const { filters } = props
  const listed = props.operators.some((o) => o.id === filters.operator)
  const choices =
    filters.operator !== null && !listed ? [...props.operators, { id: filters.operator, name: filters.operator }] : props.operators
  const filtered = filters.operator !== null || filters.action !== null
  const query = { operator: filters.operator, action: filters.action }
  return (
    <Layout lang={props.lang} section="audit" title={t.title}>
      <p class="muted">{t.intro}</p>
      <form method="get" action={AUDIT_PATH} class="row panel" data-audit-filters>
        <div>
          <label for="audit-operator">{t.operator}</label>
          <select id="audit-operator" name="operator">
            <option value="">{t.anyone}</option>
            {choices.map((o) => (
              <option value={o.id} selected={o.id === filters.operator}>
                {o.name}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="audit-action">{t.action}</label>
          <select id="audit-action" name="action">
            <option value="">{t.anything}</option>
            {AUDIT_ACTIONS.map((a) => (
              <option value={a} selected={a === filters.action}>
                {actions[a]}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t.filter}</button>
        {filtered && <a href={AUDIT_PATH}>{t.clear}</a>}
      </form>
      <div class="panel">
        <Table
          items={props.page.items}
          empty={t.none}
          emptyMark="data-no-audit"
          class="stack"
          head={[t.time, t.who, t.action, t.app, t.target, t.summary]}
          row={(e) => (
            <tr data-audit={e.id} data-action={e.action} data-operator={e.operatorId}>
              <td class="nowrap muted">{formatTime(e.at, props.lang, true)}</td>
              <td>{e.operatorId === '' ? <span class="muted">{t.nobody}</span> : e.operatorName}</td>
              <td class={e.action === 'sign_in_failed' ? 'bad nowrap' : 'nowrap'}>{actions[e.action] ?? e.action}</td>
              <td class="nowrap">{e.appid === '' ? <span class="muted">{t.deployment}</span> : <code>{e.appid}</code>}</td>
              <td class="id">{e.target ? <code>{e.target}</code> : '–'}</td>
              <td class="id muted">{e.summary ?? ''}</td>
            </tr>
          )}
        />
      </div>
      <Pager
        lang={props.lang}
        next={props.page.nextCursor ? hrefOf(AUDIT_PATH, { ...query, cursor: props.page.nextCursor }) : null}
        first={props.paged ? hrefOf(AUDIT_PATH, query) : null}
      />
    </Layout>
  )
}
