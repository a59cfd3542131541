/**
 * The human desk over the admin API (issue 29): the queue of users waiting for a person, and
 * an agent's claim, release, transfer and close of one of them, their status and the figures.
 * Reading needs `read`; acting needs `reply` (agents and up). Every action is decided by the
 * mini program's Desk object (desk/desk.ts) and audited (admin/desk-actions.ts). Canned answers
 * (read: any role; change: `rules`) and private notes on a conversation (write: `reply`) are
 * D1's (desk/notes.ts).
 */
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import {
  addCannedAnswer,
  addDeskNote,
  deleteCannedAnswer,
  moveAtDesk,
  setDeskStatus,
  transferAtDesk,
  type TransferResult,
} from '../admin/desk-actions'
import { OpenidParam } from '../admin/requests'
import { appidOf } from '../settings/env'
import {
  CannedBody,
  CannedIdParam,
  DESK_MAX_BYTES,
  DESK_TEXT_MAX_BYTES,
  FiguresQuery,
  NoteBody,
  StatusBody,
  TransferBody,
} from '../admin/requests-desk'
import { listCanned, listNotes } from '../desk/notes'
import { deskOf } from '../settings/mini-program-state'
import { jsonBody, params, type ApiEnv } from './admin-validation'
import { allow } from './allow'
import { idempotent } from './idempotent'

export const adminDesk = new Hono<ApiEnv>()

adminDesk.get('/admin/api/queue', allow('read'), async (c) => c.json(await deskOf(c.env).view()))

for (const move of ['claim', 'release', 'close'] as const) {
  adminDesk.post(`/admin/api/conversations/:openid/${move}`, allow('reply'), idempotent, params('param', OpenidParam), async (c) => {
    const result = await moveAtDesk(c.env, c.var.operator, move, c.req.valid('param').openid)
    return answer(c, result)
  })
}

adminDesk.post(
  '/admin/api/conversations/:openid/transfer',
  allow('reply'),
  idempotent,
  params('param', OpenidParam),
  jsonBody(TransferBody, DESK_MAX_BYTES),
  async (c) => answer(c, await transferAtDesk(c.env, c.var.operator, c.req.valid('param').openid, c.req.valid('json').to)),
)

adminDesk.put('/admin/api/desk/status', allow('reply'), jsonBody(StatusBody, DESK_MAX_BYTES), async (c) =>
  c.json({ agents: await setDeskStatus(c.env, c.var.operator, c.req.valid('json').status) }),
)

adminDesk.get('/admin/api/desk/figures', allow('read'), params('query', FiguresQuery), async (c) => {
  const { days } = c.req.valid('query')
  return c.json({ days, agents: await deskOf(c.env).figures(Date.now() - days * 86_400_000) })
})

/** Done: the item as it is now. Refused: 404 not at the desk, 409 held by someone else, 400 no such agent. */
function answer(c: Context<ApiEnv>, result: TransferResult) {
  if (result.ok) return c.json({ item: result.item })
  if (result.reason === 'not_at_desk') return c.json({ error: 'not_at_desk' }, 404)
  if (result.reason === 'no_such_agent') return c.json({ error: 'no_such_agent' }, 400)
  return c.json({ error: result.reason, holder: result.holder }, 409)
}

// ---------------------------------------------------------------- canned answers and notes

adminDesk.get('/admin/api/canned', allow('read'), async (c) => c.json({ items: await listCanned(c.env.DB, appidOf(c.env)) }))

adminDesk.post('/admin/api/canned', allow('rules'), jsonBody(CannedBody, DESK_TEXT_MAX_BYTES), async (c) => {
  const added = await addCannedAnswer(c.env, c.var.operator, c.req.valid('json'))
  if ('problem' in added) return c.json({ error: added.problem }, 409)
  return c.json(added, 201)
})

adminDesk.delete('/admin/api/canned/:id', allow('rules'), params('param', CannedIdParam), async (c) => {
  if (!(await deleteCannedAnswer(c.env, c.var.operator, c.req.valid('param').id))) return c.json({ error: 'not_found' }, 404)
  return c.body(null, 204)
})

adminDesk.get('/admin/api/conversations/:openid/notes', allow('read'), params('param', OpenidParam), async (c) =>
  c.json({ items: await listNotes(c.env.DB, appidOf(c.env), c.req.valid('param').openid) }),
)

adminDesk.post(
  '/admin/api/conversations/:openid/notes',
  allow('reply'),
  params('param', OpenidParam),
  jsonBody(NoteBody, DESK_TEXT_MAX_BYTES),
  async (c) => {
    const added = await addDeskNote(c.env, c.var.operator, c.req.valid('param').openid, c.req.valid('json').text)
    return c.json(added, 201)
  },
)
