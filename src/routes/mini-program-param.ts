/**
 * `?app=<appid>` on the admin API: the request acts on that mini program (settings/mini-program-state.ts), with its
 * view of the bindings; without it, on the first one. An appid this Worker does not serve is
 * a 404 before anything is read.
 */
import type { MiddlewareHandler } from 'hono'
import { miniProgramEnv } from '../settings/mini-program-state'
import type { Env } from '../settings/env'

/** The query parameter that names the mini program (`app`, as the API has always called it). */
export const MINI_PROGRAM_PARAM = 'app'

export const miniProgramParam: MiddlewareHandler<{ Bindings: Env }> = async (c, next) => {
  const appid = c.req.query(MINI_PROGRAM_PARAM)
  if (appid === undefined || appid === '') return next()
  const view = miniProgramEnv(c.env, appid)
  if (view === null) return c.json({ error: `${MINI_PROGRAM_PARAM}: not an app this Worker serves` }, 404)
  c.env = view
  await next()
}
