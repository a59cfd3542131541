/**
 * The hourly cron deletes users' images of days past RETENTION_DAYS (whole days by prefix, for
 * every app with images in MEDIA) and keeps the days still within it.
 */
import { createScheduledController } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { expect, it } from 'vitest'
import worker from '../../src/index'
import { userMediaKey } from '../../src/media/user-media'
import { dayOf, DAY_MS } from '../../src/record/day'
import { retentionDays } from '../../src/settings/conversation'
import { uniqueAppid, uniqueOpenid } from '../support/fake-wechat-client'

it('deletes an old day’s images and keeps the recent ones, for an app no longer served too', async () => {
  const appid = uniqueAppid()
  const openid = uniqueOpenid()
  const now = Date.now()
  const old = userMediaKey(appid, dayOf(now - (retentionDays(env) + 2) * DAY_MS), openid, '1', 'image/jpeg')
  const recent = userMediaKey(appid, dayOf(now - DAY_MS), openid, '2', 'image/jpeg')
  for (const key of [old, recent]) await env.MEDIA.put(key, new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))

  await worker.scheduled(createScheduledController({ cron: '17 * * * *' }), env)

  expect(await env.MEDIA.head(old)).toBeNull()
  expect(await env.MEDIA.head(recent)).not.toBeNull()
})
