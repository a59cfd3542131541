/**
 * The bounds every push is held to, on both channels (`/wechat`, `/wecom/kf`): its body within
 * PUSH_MAX_BYTES, refused while it is read, and its timestamp within PUSH_MAX_AGE_SECONDS of now.
 */
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { DEFAULT_MAX_AGE_SECONDS, DEFAULT_MAX_BYTES, numberSetting, type Env } from '../settings/env'
import type { PushKeys } from '../wechat/push'

/** A body past PUSH_MAX_BYTES is a 413 before the rest of it is read. */
export const pushBodyLimit: MiddlewareHandler<{ Bindings: Env }> = (c, next) =>
  bodyLimit({
    maxSize: numberSetting(c.env, 'PUSH_MAX_BYTES', DEFAULT_MAX_BYTES),
    onError: (c) => c.text('body too large', 413),
  })(c, next)

/** What a push's timestamp is checked against: the allowed age and now, in seconds. */
export function pushFreshness(env: Env): Pick<PushKeys, 'maxAgeSeconds' | 'now'> {
  return {
    maxAgeSeconds: numberSetting(env, 'PUSH_MAX_AGE_SECONDS', DEFAULT_MAX_AGE_SECONDS),
    now: Math.floor(Date.now() / 1000),
  }
}
