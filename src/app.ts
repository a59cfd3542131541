/**
 * The Hono app: the route groups, and how errors become answers.
 *
 * Every Hono here is `hono/tiny`'s (PatternRouter): a few dozen routes match in microseconds
 * one by one, and the default's two routers (RegExpRouter and TrieRouter, behind SmartRouter)
 * would add 2 KiB gzipped to the bundle, which is cold-start time.
 */
import { Hono } from 'hono/tiny'
import { HTTPException } from 'hono/http-exception'
import { consoleApp } from './console/app'
import { SettingError, type Env } from './settings/env'
import { log } from './log'
import { adminApi } from './routes/admin-api'
import { health } from './routes/health'
import { publicMedia } from './routes/media'
import { wechat } from './routes/wechat'
import { wecom } from './routes/wecom'
import { PushError } from './wechat/errors'

export const app = new Hono<{ Bindings: Env }>()

app.route('/', wechat)
// 微信客服's callback (issue 32): a notice to pull, answered at once.
app.route('/', wecom)
app.route('/', health)
// Uploaded link thumbnails, which WeChat's client fetches: public, and nothing else is.
app.route('/', publicMedia)
// The console before the bearer-token routes: it answers /admin pages without a token.
app.route('/', consoleApp)
app.route('/', adminApi)

app.notFound((c) => c.text('not found', 404))

app.onError((error, c) => {
  // Middleware refusals (bearer auth: 401/400) carry their own answer.
  if (error instanceof HTTPException) return error.getResponse()
  if (error instanceof PushError) {
    log.info('push.refused', { status: error.status, reason: error.message })
    return c.text(error.message, error.status)
  }
  if (error instanceof SettingError) {
    log.error('config.invalid', { setting: error.setting, reason: error.message })
    return c.text(`server misconfigured: ${error.message}`, 500)
  }
  // Only the error's name: messages of unexpected errors are not vetted for secrets.
  log.error('request.failed', { error: error.name, path: c.req.path })
  return c.text('internal error', 500)
})
