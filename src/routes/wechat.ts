/**
 * `/wechat`: WeChat's URL check (GET) and every push (POST). Client mistakes become a short
 * plain-text 4xx; a setting the operator has not configured becomes a 500 naming it.
 */
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { appidOf, pushMode, requireSetting, type Env } from '../settings/env'
import { miniProgramEnv } from '../settings/mini-program-state'
import { answerDoctorPush, isDoctorPush } from './doctor-push'
import { pushBodyLimit, pushFreshness } from './push-limits'
import { log } from '../log'
import { importCipher } from '../wechat/cipher'
import { unauthorized } from '../wechat/errors'
import { isAuthorizationEvent, serializeFields } from '../wechat/message'
import { actOnAuthorization } from '../users/authorization-events'
import { answerMessage } from '../inbound/answer'
import { checkFreshness, openPush, type OpenedPush } from '../wechat/push'
import { sealReply, transferReply } from '../wechat/reply'
import { verifySignature } from '../wechat/signature'

type AppContext = Context<{ Bindings: Env }>

export const wechat = new Hono<{ Bindings: Env }>()

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

/**
 * `/wechat/<appid>`: the same routes for an app of WECHAT_APPS, with that app's view of the
 * bindings; an appid this Worker does not serve is a 404 before anything is read.
 */
wechat.use('/wechat/:appid', async (c, next) => {
  const view = miniProgramEnv(c.env, c.req.param('appid'))
  // The first app's view is the Env itself: its pushes come to /wechat only.
  if (view === null || view === c.env) return c.text('no such app', 404)
  c.env = view
  await next()
})

wechat.get('/wechat/:appid?', async (c) => {
  const token = requireSetting(c.env, 'WECHAT_TOKEN')
  const { signature, timestamp, nonce, echostr } = c.req.query()
  if (!signature || !timestamp || !nonce || echostr === undefined) {
    return c.text('signature, timestamp, nonce and echostr are required', 400)
  }
  checkFreshness(timestamp, pushFreshness(c.env))
  // Nothing from the request is echoed unless the signature holds.
  if (!(await verifySignature(signature, [token, timestamp, nonce]))) {
    throw unauthorized('bad signature')
  }
  log.info('wechat.url_verified')
  return c.text(echostr)
})

wechat.post('/wechat/:appid?', pushBodyLimit, async (c) => {
  const push = await open(c)
  // `npm run doctor`'s test push: recorded, answered by nothing.
  if (isDoctorPush(push)) return answerDoctorPush(c, push)
  // WeChat's word about a user's data: acted on for the user it names, never answered by a rule.
  if (isAuthorizationEvent(push.message)) {
    await actOnAuthorization(c.env, push.message)
    return c.text('success')
  }
  const answered = await answerMessage(c.env, push.message, (work) => c.executionCtx.waitUntil(work), {
    format: push.format,
    encrypted: push.encrypted,
  })
  if (!answered.transfer) return c.text('success')
  return answerTransfer(c, push)
})

/** The passive reply that hands the user to the web customer-service tool. */
async function answerTransfer(c: AppContext, push: OpenedPush): Promise<Response> {
  const now = nowSeconds()
  const plaintext = serializeFields(push.format, transferReply(push.message, now))
  const body = push.encrypted
    ? await sealReply(await cipherOf(c.env), push.format, plaintext, {
        token: requireSetting(c.env, 'WECHAT_TOKEN'),
        timestamp: now,
        nonce: c.req.query('nonce') ?? '',
      })
    : plaintext
  const type = push.format === 'json' ? 'application/json' : 'application/xml'
  return c.body(body, 200, { 'content-type': `${type}; charset=utf-8` })
}

function cipherOf(env: Env) {
  return importCipher(requireSetting(env, 'WECHAT_ENCODING_AES_KEY'), appidOf(env))
}

async function open(c: AppContext): Promise<OpenedPush> {
  const env = c.env
  const token = requireSetting(env, 'WECHAT_TOKEN')
  const mode = pushMode(env)
  return openPush(c.req.query(), await c.req.text(), {
    token,
    mode,
    cipher: () => cipherOf(env),
    ...pushFreshness(env),
  })
}
