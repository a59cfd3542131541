/**
 * The owner's console pages: 成员 (`/admin/operators`: list, add, change, remove) and 审计
 * (`/admin/audit`). Both need the permission `operators`. The forms are checked with the
 * admin API's schemas (admin/requests.ts: OperatorBody, OperatorChangeBody) and act through
 * auth/operators.ts as `/admin/api/operators` does: a new member's token is shown once, on the
 * page that answers the form (never in a URL or a redirect); removing one ends their token and
 * sessions at once. Each change leaves an audit entry (appid '': the deployment's).
 */
import { describedOperator, operatorChanges } from '../admin/operator-summaries'
import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import { appidOf } from '../settings/env'
import { AUDIT_ACTIONS, type AuditAction, auditDone, decodeAuditCursor, listAudit } from '../admin/audit'
import { OPERATOR_MAX_BYTES, OperatorBody, OperatorIdParam } from '../admin/requests'
import {
  addOperator,
  changeOperator,
  listOperators,
  type NewOperator,
  type Operator,
  OWNER,
  operatorByEmail,
  operatorById,
  removeOperator,
} from '../auth/operators'
import { sessionsOf } from '../auth/sessions'
import { log } from '../log'
import { rootOf, servedAppids } from '../settings/mini-program-state'
import { back, guard, renderPage, type ConsoleContext, type ConsoleEnv } from './context'
import { type FormFields, readForm, textField } from './form'
import { langOf } from './lang'
import { AUDIT_PATH, AuditPage } from './pages/audit'
import { EMPTY_MEMBER, MEMBER_OUTCOMES, MemberPage, MembersPage, memberFormOf, OPERATORS_PATH, type MemberForm } from './pages/members'
import { outcomeOf } from './pages/parts'
import { permit } from './permit'

export const operatorPages = new Hono<ConsoleEnv>()

/** Entries a page of the audit log shows. */
const AUDIT_PAGE = 50

// ---------------------------------------------------------------- members

function membersPage(
  c: ConsoleContext,
  operators: Operator[],
  extra: { form?: MemberForm; problems?: string[]; created?: { name: string; token: string } } = {},
  status: 200 | 400 | 413 = 200,
) {
  return renderPage(
    c,
    <MembersPage
      lang={langOf(c)}
      operators={operators}
      served={servedAppids(rootOf(c.env))}
      form={extra.form ?? EMPTY_MEMBER}
      problems={extra.problems ?? []}
      outcome={outcomeOf((key) => c.req.query(key), MEMBER_OUTCOMES)}
      created={extra.created ?? null}
    />,
    status,
  )
}

operatorPages.get(OPERATORS_PATH, guard, async (c) => {
  const refused = permit(c, 'operators')
  if (refused) return refused
  return membersPage(c, await listOperators(c.env.DB))
})

operatorPages.post(OPERATORS_PATH, guard, async (c) => {
  const refused = permit(c, 'operators')
  if (refused) return refused
  const posted = await readForm(c.req.raw, OPERATOR_MAX_BYTES)
  if (posted === null) return membersPage(c, await listOperators(c.env.DB), { problems: ['too large'] }, 413)
  const form = memberFormFrom(c, posted.fields)
  const checked = await checkMember(c, form, null)
  if (!checked.ok) return membersPage(c, await listOperators(c.env.DB), { form, problems: checked.problems }, 400)
  const now = Date.now()
  const { operator, token } = await addOperator(c.env.DB, checked.input, now)
  await auditMember(c, 'operator_add', operator.id, describedOperator(operator), now)
  log.info('operator.added', { by: c.var.operator.id, operator: operator.id, role: operator.role, door: 'console' })
  // The token is in this answer only: no redirect, no URL, and no-store (app.tsx).
  return membersPage(c, await listOperators(c.env.DB), { created: { name: operator.name, token } })
})

operatorPages.get(`${OPERATORS_PATH}/:id`, guard, async (c) => {
  const refused = permit(c, 'operators')
  if (refused) return refused
  const operator = await memberOf(c)
  if (operator === null) return back(c, OPERATORS_PATH, { problem: 'no_operator' })
  return memberPage(c, operator, memberFormOf(operator), [])
})

operatorPages.post(`${OPERATORS_PATH}/:id`, guard, async (c) => {
  const refused = permit(c, 'operators')
  if (refused) return refused
  const before = await memberOf(c)
  if (before === null) return back(c, OPERATORS_PATH, { problem: 'no_operator' })
  const posted = await readForm(c.req.raw, OPERATOR_MAX_BYTES)
  if (posted === null) return memberPage(c, before, memberFormOf(before), ['too large'], 413)
  const form = memberFormFrom(c, posted.fields)
  const checked = await checkMember(c, form, before.id)
  if (!checked.ok) return memberPage(c, before, form, checked.problems, 400)
  const now = Date.now()
  const after = await changeOperator(c.env.DB, before.id, checked.input, now)
  if (after === null) return back(c, OPERATORS_PATH, { problem: 'no_operator' })
  await auditMember(c, 'operator_change', after.id, operatorChanges(before, after), now)
  log.info('operator.changed', { by: c.var.operator.id, operator: after.id, role: after.role, door: 'console' })
  return back(c, OPERATORS_PATH, { done: 'changed' })
})

operatorPages.post(`${OPERATORS_PATH}/:id/remove`, guard, async (c) => {
  const refused = permit(c, 'operators')
  if (refused) return refused
  const operator = await memberOf(c)
  if (operator === null || !(await removeOperator(c.env.DB, operator.id))) return back(c, OPERATORS_PATH, { problem: 'no_operator' })
  // The token stopped with the row; their open console sessions end now.
  const sessions = await sessionsOf(c.env).closeOperator(operator.id)
  await auditMember(c, 'operator_remove', operator.id, describedOperator(operator), Date.now())
  log.info('operator.removed', { by: c.var.operator.id, operator: operator.id, sessions, door: 'console' })
  return back(c, OPERATORS_PATH, { done: 'removed' })
})

const memberPage = (c: ConsoleContext, operator: Operator, form: MemberForm, problems: string[], status: 200 | 400 | 413 = 200) =>
  renderPage(
    c,
    <MemberPage lang={langOf(c)} operator={operator} served={servedAppids(rootOf(c.env))} form={form} problems={problems} />,
    status,
  )

/** The operator the path names (never `owner`: ADMIN_TOKEN is no member), or null. */
async function memberOf(c: ConsoleContext): Promise<Operator | null> {
  const param = v.safeParse(OperatorIdParam, { id: c.req.param('id') })
  if (!param.success || param.output.id === OWNER.id) return null
  return operatorById(c.env.DB, param.output.id)
}

/** The form as typed: `apps_all`, or the served mini programs ticked (`app:<appid>`). */
function memberFormFrom(c: ConsoleContext, fields: FormFields): MemberForm {
  const all = textField(fields, 'apps_all') === '1'
  return {
    name: textField(fields, 'name'),
    role: textField(fields, 'role'),
    apps: all ? null : servedAppids(rootOf(c.env)).filter((appid) => textField(fields, `app:${appid}`) === '1'),
    email: textField(fields, 'email'),
  }
}

/** The form checked as the API checks a body, and the email no other member has. */
async function checkMember(
  c: ConsoleContext,
  form: MemberForm,
  self: string | null,
): Promise<{ ok: true; input: NewOperator } | { ok: false; problems: string[] }> {
  const parsed = v.safeParse(OperatorBody, {
    name: form.name,
    role: form.role,
    apps: form.apps,
    email: form.email.trim() === '' ? null : form.email,
  })
  if (!parsed.success) return { ok: false, problems: parsed.issues.map((issue) => `${v.getDotPath(issue) ?? ''}: ${issue.message}`) }
  const { name, apps, email } = parsed.output
  const input: NewOperator = { name, role: parsed.output.role, apps: apps ?? null, email: email ?? null }
  if (input.email !== null) {
    const holder = await operatorByEmail(c.env.DB, input.email)
    if (holder !== null && holder.id !== self) return { ok: false, problems: [`email: ${EMAIL_TAKEN[langOf(c)]}`] }
  }
  return { ok: true, input }
}

const EMAIL_TAKEN = { zh: '另一个成员已经用这个邮箱登录', en: 'another member signs in with this email' }

/** A member change in the audit log, as the deployment's (appid ''); a failed write is logged, the change stands. */
const auditMember = (
  c: ConsoleContext,
  action: 'operator_add' | 'operator_change' | 'operator_remove',
  id: string,
  summary: string,
  now: number,
) => auditDone(c.env.DB, { appid: '', operator: c.var.operator, action, target: id, summary }, now)

// ---------------------------------------------------------------- audit

const OPERATOR_FILTER = /^(?:owner|[A-Za-z0-9_-]{12})$/

operatorPages.get(AUDIT_PATH, guard, async (c) => {
  const refused = permit(c, 'operators')
  if (refused) return refused
  const operatorQuery = c.req.query('operator') ?? ''
  const actionQuery = c.req.query('action') ?? ''
  const operator = OPERATOR_FILTER.test(operatorQuery) ? operatorQuery : null
  const action = (AUDIT_ACTIONS as readonly string[]).includes(actionQuery) ? (actionQuery as AuditAction) : null
  const cursor = c.req.query('cursor') ?? ''
  const after = cursor === '' ? null : decodeAuditCursor(cursor)
  const [page, members] = await Promise.all([
    listAudit(c.env.DB, {
      appid: appidOf(c.env),
      limit: AUDIT_PAGE,
      ...(operator === null ? {} : { operator }),
      ...(action === null ? {} : { action }),
      ...(after === null ? {} : { after }),
    }),
    listOperators(c.env.DB),
  ])
  return renderPage(
    c,
    <AuditPage
      lang={langOf(c)}
      page={page}
      filters={{ operator, action }}
      operators={[{ id: OWNER.id, name: OWNER.name }, ...members]}
      paged={after !== null}
    />,
  )
})
