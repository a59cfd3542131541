/**
 * A user's data from the console (issue 31): the export as a download, and the deletion behind
 * a confirmation — the same code as the admin API's (users/), the same role (`users`: owner,
 * admin), audited the same way.
 */
import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import { appidOf } from '../settings/env'
import { OpenidParam } from '../admin/requests'
import { exportRequested, forgetRequested } from '../users/requests'
import { back, guard, renderPage, type ConsoleContext, type ConsoleEnv } from './context'
import { readForm, textField } from './form'
import { langOf } from './lang'
import { CONVERSATIONS_PATH } from './pages/conversations'
import { DeleteUserPage } from './pages/user-data'
import { permit } from './permit'

export const userPages = new Hono<ConsoleEnv>()

/** The confirmation form holds one tick. */
const CONFIRM_MAX_BYTES = 1024

function openidOf(c: ConsoleContext): string | null {
  const param = v.safeParse(OpenidParam, { openid: c.req.param('openid') })
  return param.success ? param.output.openid : null
}

userPages.get(`${CONVERSATIONS_PATH}/:openid/export`, guard, async (c) => {
  const refused = permit(c, 'users')
  if (refused) return refused
  const openid = openidOf(c)
  if (openid === null) return back(c, CONVERSATIONS_PATH, { problem: 'bad_input' })
  const appid = appidOf(c.env)
  const document = await exportRequested(c.env, appid, c.var.operator, openid, 'console')
  c.header('content-disposition', `attachment; filename="kefu-user-${openid}.json"`)
  c.header('cache-control', 'no-store')
  return c.json(document)
})

userPages.get(`${CONVERSATIONS_PATH}/:openid/delete`, guard, async (c) => {
  const refused = permit(c, 'users')
  if (refused) return refused
  const openid = openidOf(c)
  if (openid === null) return back(c, CONVERSATIONS_PATH, { problem: 'bad_input' })
  return renderPage(c, <DeleteUserPage lang={langOf(c)} openid={openid} />)
})

userPages.post(`${CONVERSATIONS_PATH}/:openid/delete`, guard, async (c) => {
  const refused = permit(c, 'users')
  if (refused) return refused
  const openid = openidOf(c)
  if (openid === null) return back(c, CONVERSATIONS_PATH, { problem: 'bad_input' })
  const form = await readForm(c.req.raw, CONFIRM_MAX_BYTES)
  if (form === null || textField(form.fields, 'confirm') !== 'yes') {
    return renderPage(c, <DeleteUserPage lang={langOf(c)} openid={openid} notConfirmed />, 400)
  }
  const appid = appidOf(c.env)
  const forgotten = await forgetRequested(c.env, appid, c.var.operator, openid, 'console')
  // Shown, not redirected to: the conversation it came from is gone, and a repeat deletes nothing.
  return renderPage(c, <DeleteUserPage lang={langOf(c)} openid={openid} deleted={forgotten} />)
})
