/**
 * `/admin/api/operators`: who may sign in, as what role, for which mini programs
 * (auth/operators.ts). Only a role with `operators` (the owner) reaches them. Adding one answers
 * their personal token, once; removing one stops that token on the next request and ends their
 * console sessions at once. `owner` — ADMIN_TOKEN itself — is no row: it cannot be changed or
 * removed here (rotate the secret). Each change leaves an audit entry (admin/audit.ts), written
 * after the change and never undoing it: a failed audit write is logged, the answer stands (a
 * new operator's token, shown once, is not lost to it).
 */
import { describedOperator, operatorChanges } from '../admin/operator-summaries'
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import type * as v from 'valibot'
import { auditDone } from '../admin/audit'
import { OPERATOR_MAX_BYTES, OperatorBody, OperatorChangeBody, OperatorIdParam } from '../admin/requests'
import {
  addOperator,
  changeOperator,
  listOperators,
  type NewOperator,
  OWNER,
  operatorByEmail,
  operatorById,
  removeOperator,
} from '../auth/operators'
import { sessionsOf } from '../auth/sessions'
import { log } from '../log'
import { rootOf, servedAppids } from '../settings/mini-program-state'
import { jsonBody, params, refuse, type ApiEnv } from './admin-validation'
import { allow } from './allow'

type ApiContext = Context<ApiEnv>

export const adminOperators = new Hono<ApiEnv>()

adminOperators.get('/admin/api/operators', allow('operators'), async (c) => c.json({ operators: await listOperators(c.env.DB) }))

adminOperators.post('/admin/api/operators', allow('operators'), jsonBody(OperatorBody, OPERATOR_MAX_BYTES), async (c) => {
  const body = c.req.valid('json')
  const input: NewOperator = { name: body.name, role: body.role, apps: body.apps ?? null, email: body.email ?? null }
  const refused = await refusal(c, input, null)
  if (refused) return refused
  const now = Date.now()
  const { operator, token } = await addOperator(c.env.DB, { ...input, apps: unique(input.apps) }, now)
  await auditDone(
    c.env.DB,
    { appid: '', operator: c.var.operator, action: 'operator_add', target: operator.id, summary: describedOperator(operator) },
    now,
  )
  log.info('operator.added', { by: c.var.operator.id, operator: operator.id, role: operator.role })
  return c.json({ id: operator.id, token }, 201)
})

adminOperators.patch(
  '/admin/api/operators/:id',
  allow('operators'),
  params('param', OperatorIdParam),
  jsonBody(OperatorChangeBody, OPERATOR_MAX_BYTES),
  async (c) => {
    const { id } = c.req.valid('param')
    if (id === OWNER.id) return isOwner(c)
    const before = await operatorById(c.env.DB, id)
    if (before === null) return refuse(c, 404, 'not_found')
    const change = changeOf(c.req.valid('json'))
    const refused = await refusal(c, change, id)
    if (refused) return refused
    const now = Date.now()
    const after = await changeOperator(c.env.DB, id, change, now)
    if (after === null) return refuse(c, 404, 'not_found')
    const summary = operatorChanges(before, after)
    await auditDone(c.env.DB, { appid: '', operator: c.var.operator, action: 'operator_change', target: id, summary }, now)
    log.info('operator.changed', { by: c.var.operator.id, operator: id, role: after.role })
    return c.json(after)
  },
)

adminOperators.delete('/admin/api/operators/:id', allow('operators'), params('param', OperatorIdParam), async (c) => {
  const { id } = c.req.valid('param')
  if (id === OWNER.id) return isOwner(c)
  const operator = await operatorById(c.env.DB, id)
  if (operator === null || !(await removeOperator(c.env.DB, id))) return refuse(c, 404, 'not_found')
  // The token stopped with the row; their open console sessions end now, not at their next page.
  const sessions = await sessionsOf(c.env).closeOperator(id)
  const now = Date.now()
  await auditDone(
    c.env.DB,
    { appid: '', operator: c.var.operator, action: 'operator_remove', target: id, summary: describedOperator(operator) },
    now,
  )
  log.info('operator.removed', { by: c.var.operator.id, operator: id, sessions })
  return c.body(null, 204)
})

// ---------------------------------------------------------------- checks the schemas cannot make

/** Only the fields the body gives: absent leaves a field as it is, null clears apps or email. */
function changeOf(body: v.InferOutput<typeof OperatorChangeBody>): Partial<NewOperator> {
  const change: Partial<NewOperator> = {}
  if (body.name !== undefined) change.name = body.name
  if (body.role !== undefined) change.role = body.role
  if (body.apps !== undefined) change.apps = unique(body.apps)
  if (body.email !== undefined) change.email = body.email
  return change
}

/** Apps this Worker does not serve, or an email another operator has: the answer, else null. */
async function refusal(c: ApiContext, input: Partial<NewOperator>, self: string | null): Promise<Response | null> {
  const served = servedAppids(rootOf(c.env))
  const stranger = input.apps?.find((appid) => !served.includes(appid))
  if (stranger !== undefined) return refuse(c, 400, `apps: ${stranger} is not an app this Worker serves`)
  if (input.email) {
    const holder = await operatorByEmail(c.env.DB, input.email)
    if (holder !== null && holder.id !== self) {
      return c.json({ error: 'email_taken', reason: 'another operator signs in with this email' }, 409)
    }
  }
  return null
}

const isOwner = (c: ApiContext) =>
  c.json({ error: 'is_owner', reason: 'owner is ADMIN_TOKEN itself: it is changed only by rotating the secret' }, 409)

function unique(apps: string[] | null | undefined): string[] | null {
  return apps ? [...new Set(apps)] : null
}
