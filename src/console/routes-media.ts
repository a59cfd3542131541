/** `GET /admin/media/:name`: an uploaded image as the console shows it, behind its sign-in (any role). */
import { Hono } from 'hono/tiny'
import { CONSOLE_MEDIA_CACHE, serveUpload } from '../routes/media'
import { guard, type ConsoleEnv } from './context'

export const consoleMedia = new Hono<ConsoleEnv>()

consoleMedia.get('/admin/media/:name', guard, async (c) => {
  const answer = await serveUpload(c.env, c.req.param('name'), { publicOnly: false, cache: CONSOLE_MEDIA_CACHE })
  return answer ?? c.text('not found', 404)
})
