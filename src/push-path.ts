/**
 * What WeChat, 微信客服 and the public reach — everything but the console and the admin API
 * (app.ts adds those) — and how an error becomes an answer. A file of its own so that a
 * Worker of these alone bundles none of the console (bench/push-only measures its cold start).
 *
 * Every Hono here is `hono/tiny`'s (PatternRouter): a few dozen routes match in microseconds
 * one by one, and the default's two routers (RegExpRouter and TrieRouter, behind SmartRouter)
 * would add 2 KiB gzipped to the bundle, which is cold-start time.
 */
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { Hono } from 'hono/tiny'
import { log } from './log'
import { health } from './routes/health'
import { publicMedia } from './routes/media'
import { wechat } from './routes/wechat'
import { wecom } from './routes/wecom'
import { SettingError, type Env } from './settings/env'
import { PushError } from './wechat/errors'

export const pushPath = new Hono<{ Bindings: Env }>()
pushPath.route('/', wechat)
// 微信客服's callback (issue 32): a notice to pull, answered at once.
pushPath.route('/', wecom)
pushPath.route('/', health)
// Uploaded link thumbnails, which WeChat's client fetches: public, and nothing else is.
pushPath.route('/', publicMedia)

export function notFound(c: Context): Response {
  return c.text('not found', 404)
}

/** Refusals say why; anything else is a bare 500, logged by the error's name. */
export function answerError(error: Error, c: Context): Response {
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
}
