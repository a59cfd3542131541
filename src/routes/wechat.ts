/**
 * `/wechat`: WeChat's URL check (GET) and every push (POST). Client mistakes become a short
 * plain-text 4xx; a setting the operator has not configured becomes a 500 naming it.
 */
import { Hono, type Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import {
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_MAX_BYTES,
  numberSetting,
  requireSetting,
  type Env,
} from '../env'
import { log } from '../log'
import { importCipher } from '../wechat/cipher'
import { unauthorized } from '../wechat/errors'
import { checkFreshness, openPush, type OpenedPush } from '../wechat/push'
import { verifySignature } from '../wechat/signature'

type AppContext = Context<{ Bindings: Env }>

export const wechat = new Hono<{ Bindings: Env }>()

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

function freshness(env: Env) {
  return {
    maxAgeSeconds: numberSetting(env, 'PUSH_MAX_AGE_SECONDS', DEFAULT_MAX_AGE_SECONDS),
    now: nowSeconds(),
  }
}

wechat.get('/wechat', async (c) => {
  const token = requireSetting(c.env, 'WECHAT_TOKEN')
  const { signature, timestamp, nonce, echostr } = c.req.query()
  if (!signature || !timestamp || !nonce || echostr === undefined) {
    return c.text('signature, timestamp, nonce and echostr are required', 400)
  }
  checkFreshness(timestamp, freshness(c.env))
  // Nothing from the request is echoed unless the signature holds.
  if (!(await verifySignature(signature, [token, timestamp, nonce]))) {
    throw unauthorized('bad signature')
  }
  log.info('wechat.url_verified')
  return c.text(echostr)
})

wechat.post(
  '/wechat',
  (c, next) =>
    bodyLimit({
      maxSize: numberSetting(c.env, 'PUSH_MAX_BYTES', DEFAULT_MAX_BYTES),
      onError: (c) => c.text('body too large', 413),
    })(c, next),
  async (c) => {
    const push = await open(c)
    logPush(push)
    return c.text('success')
  },
)

async function open(c: AppContext): Promise<OpenedPush> {
  const env = c.env
  const token = requireSetting(env, 'WECHAT_TOKEN')
  return openPush(c.req.query(), await c.req.text(), {
    token,
    cipher: () =>
      importCipher(
        requireSetting(env, 'WECHAT_ENCODING_AES_KEY'),
        requireSetting(env, 'WECHAT_APPID'),
      ),
    ...freshness(env),
  })
}

function logPush({ message, format, encrypted }: OpenedPush): void {
  const fields = {
    openid: message.fromUserName,
    format,
    encrypted,
    msgId: 'msgId' in message ? message.msgId : undefined,
  }
  if (message.type === 'unknown') {
    log.warn('push.unknown', { ...fields, msgType: message.msgType, pushEvent: message.event })
    return
  }
  log.info('push.received', { ...fields, msgType: message.type })
}
