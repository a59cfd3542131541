/**
 * The human desk in the console (issue 29): 队列 (`/admin/queue`), its forms — claim, release,
 * transfer, close, the agent's status — acting through admin/desk-actions.ts as the admin API
 * does; the mini program's canned answers, added and deleted by those who may change the rules
 * (as `/admin/api/canned`); the live channel (`/admin/queue/live`: a WebSocket to the mini program's Desk object,
 * behind the session like every page) and the script that listens to it (`/admin/desk.js`).
 */
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
import { CannedBody, CannedIdParam, DESK_MAX_BYTES, DESK_TEXT_MAX_BYTES, NoteBody } from '../admin/requests-desk'
import { listCanned } from '../desk/notes'
import { allows, listOperators, OWNER } from '../auth/operators'
import { can } from '../auth/roles'
import { appidOf } from '../settings/env'
import { deskOf, humanDesk } from '../settings/mini-program-state'
import { withViewer } from '../desk/viewers'
import * as v from 'valibot'
import { back, guard, renderPage, type ConsoleContext, type ConsoleEnv } from './context'
import { DESK_SCRIPT, DESK_SCRIPT_PATH } from './desk-script'
import { readForm, textField } from './form'
import { langOf } from './lang'
import { outcomeOf } from './pages/parts'
import { QUEUE_LIVE_PATH, QUEUE_OUTCOMES, QUEUE_PATH, QueuePage, type QueueProps, QueueTable, type QueueTableProps } from './pages/queue'
import { permit } from './permit'
import { sessionKeyOf } from './session'

export const deskPages = new Hono<ConsoleEnv>()

const FIGURE_DAYS = 14

deskPages.get(DESK_SCRIPT_PATH, (c) =>
  c.body(DESK_SCRIPT, 200, {
    'content-type': 'text/javascript; charset=utf-8',
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
  }),
)

deskPages.get(QUEUE_PATH, guard, async (c) => {
  const refused = permit(c, 'read')
  if (refused) return refused
  // The live channel's refresh: the queue alone, as the page renders it, without reading the
  // figures and canned answers it does not show (every open tab asks on every desk change).
  if (c.req.query('fragment') === '1') return c.html(String(await (<QueueTable {...(await queueTableProps(c))} />).toString()))
  const [table, rest] = await Promise.all([queueTableProps(c), queuePageProps(c)])
  return renderPage(c, <QueuePage {...table} {...rest} />)
})

deskPages.get(QUEUE_LIVE_PATH, guard, async (c) => {
  const refused = permit(c, 'read')
  if (refused) return refused
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return c.text('expected a WebSocket', 426)
  // SameSite=Strict already keeps another site's page from opening it with the session; a
  // browser says where a WebSocket comes from, and only the console's own pages may.
  const origin = c.req.header('origin')
  if (origin !== undefined && origin !== new URL(c.req.url).origin) return c.text('cross-origin WebSocket refused', 403)
  // Whose socket it is, and the session it came with: the Desk asks again while it is open.
  const operator = c.var.operator.id
  const session = await sessionKeyOf(c, operator, Date.now())
  return deskOf(c.env).fetch(withViewer(c.req.raw, { operator, session }))
})

deskPages.post(`${QUEUE_PATH}/status`, guard, async (c) => {
  const refused = permit(c, 'reply')
  if (refused) return refused
  const form = await readForm(c.req.raw, DESK_MAX_BYTES)
  const status = form === null ? '' : textField(form.fields, 'status')
  if (status !== 'online' && status !== 'away') return back(c, QUEUE_PATH, { problem: 'bad_input' })
  await setDeskStatus(c.env, c.var.operator, status)
  return back(c, QUEUE_PATH, { done: 'status' })
})

for (const move of ['claim', 'release', 'close', 'transfer'] as const) {
  deskPages.post(`${QUEUE_PATH}/:openid/${move}`, guard, async (c) => {
    const refused = permit(c, 'reply')
    if (refused) return refused
    const param = v.safeParse(OpenidParam, { openid: c.req.param('openid') })
    if (!param.success) return back(c, QUEUE_PATH, { problem: 'bad_input' })
    const { openid } = param.output
    let result: TransferResult
    if (move === 'transfer') {
      const form = await readForm(c.req.raw, DESK_MAX_BYTES)
      const to = form === null ? '' : textField(form.fields, 'to')
      if (to === '') return back(c, QUEUE_PATH, { problem: 'bad_input' })
      result = await transferAtDesk(c.env, c.var.operator, openid, to)
    } else result = await moveAtDesk(c.env, c.var.operator, move, openid)
    if (!result.ok) return back(c, QUEUE_PATH, { problem: result.reason })
    // Taken: straight to the conversation, to answer.
    if (move === 'claim') return c.redirect(`/admin/conversations/${encodeURIComponent(openid)}`, 303)
    return back(c, QUEUE_PATH, { done: move === 'transfer' ? 'transferred' : move === 'close' ? 'closed' : 'released' })
  })
}

deskPages.post(`${QUEUE_PATH}/canned`, guard, async (c) => {
  const refused = permit(c, 'rules')
  if (refused) return refused
  const form = await readForm(c.req.raw, DESK_TEXT_MAX_BYTES)
  if (form === null) return back(c, QUEUE_PATH, { problem: 'canned_invalid' })
  const shortcut = textField(form.fields, 'shortcut').trim()
  // Checked as the API checks a body: a blank shortcut is none.
  const body = v.safeParse(CannedBody, {
    title: textField(form.fields, 'title'),
    text: textField(form.fields, 'text').replace(/\r\n?/g, '\n'),
    ...(shortcut === '' ? {} : { shortcut }),
  })
  if (!body.success) return back(c, QUEUE_PATH, { problem: 'canned_invalid' })
  const added = await addCannedAnswer(c.env, c.var.operator, body.output)
  if ('problem' in added) return back(c, QUEUE_PATH, { problem: added.problem === 'full' ? 'canned_full' : 'shortcut_taken' })
  return back(c, QUEUE_PATH, { done: 'canned_added' })
})

deskPages.post(`${QUEUE_PATH}/canned/:id/delete`, guard, async (c) => {
  const refused = permit(c, 'rules')
  if (refused) return refused
  const param = v.safeParse(CannedIdParam, { id: c.req.param('id') })
  if (!param.success || !(await deleteCannedAnswer(c.env, c.var.operator, param.output.id)))
    return back(c, QUEUE_PATH, { problem: 'no_canned' })
  return back(c, QUEUE_PATH, { done: 'canned_deleted' })
})

deskPages.post('/admin/conversations/:openid/notes', guard, async (c) => {
  const refused = permit(c, 'reply')
  if (refused) return refused
  const param = v.safeParse(OpenidParam, { openid: c.req.param('openid') })
  if (!param.success) return back(c, QUEUE_PATH, { problem: 'bad_input' })
  const { openid } = param.output
  const path = `/admin/conversations/${encodeURIComponent(openid)}`
  const form = await readForm(c.req.raw, DESK_TEXT_MAX_BYTES)
  const body = v.safeParse(NoteBody, { text: form === null ? '' : textField(form.fields, 'text') })
  if (!body.success) return back(c, path, { problem: 'note_invalid' })
  await addDeskNote(c.env, c.var.operator, openid, body.output.text)
  return back(c, path, { done: 'noted' })
})

/** What the queue itself shows: the live fragment's props, and the page's first part. */
async function queueTableProps(c: ConsoleContext): Promise<QueueTableProps> {
  const operator = c.var.operator
  const appid = appidOf(c.env)
  const [queue, operators] = await Promise.all([
    deskOf(c.env).view(),
    can(operator.role, 'reply') ? listOperators(c.env.DB) : Promise.resolve([]),
  ])
  const colleagues = [OWNER, ...operators].filter((o) => allows(o, 'reply', appid)).map((o) => ({ id: o.id, name: o.name }))
  return {
    lang: langOf(c),
    queue,
    me: {
      id: operator.id,
      canAct: allows(operator, 'reply', appid),
      canOverride: allows(operator, 'rules', appid),
      canEditCanned: allows(operator, 'rules', appid),
    },
    colleagues,
  }
}

/** The rest of the page: the figures, the canned answers, the desk's mode and the outcome. */
async function queuePageProps(c: ConsoleContext): Promise<Omit<QueueProps, keyof QueueTableProps>> {
  const [figures, canned] = await Promise.all([
    deskOf(c.env).figures(Date.now() - FIGURE_DAYS * 86_400_000),
    listCanned(c.env.DB, appidOf(c.env)),
  ])
  return { figures, canned, deskMode: humanDesk(c.env), outcome: outcomeOf((key) => c.req.query(key), QUEUE_OUTCOMES) }
}
