/**
 * The USER_MEDIA consumer, called with a batch as the queue would: an image fetched through
 * the WeChat stand-in's media/get ends in MEDIA and `archived` on its D1 row; a failing
 * media/get is retried with growing waits, then recorded; a refusal (40007), a body that is no
 * image and one too large are recorded at once; a row D1 has not got yet waits, fetching
 * nothing; a redelivered task does not fetch again; a user deleted, or who revoked their images
 * (RevokeInfo 14), while the task was pending or its fetch under way never has the image stored
 * again.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { consumeUserMedia, type ArchiveDeps } from '../../src/media/archive-queue'
import { ARCHIVE_MAX_ATTEMPTS, archiveRetryDelay, type UserMediaTask } from '../../src/media/archive-task'
import { readMediaRow } from '../../src/media/archive-record'
import { dayOf } from '../../src/record/day'
import { writeRecord } from '../../src/record/write'
import { userMediaKey } from '../../src/media/user-media'
import type { Env } from '../../src/settings/env'
import { actOnAuthorization } from '../../src/users/authorization-events'
import { forgetUser } from '../../src/users/forget'
import { WechatClient } from '../../src/wechat/api'
import { fakeWechat, uniqueAppid, uniqueOpenid, uniqueSecret } from '../support/fake-wechat-client'
import { recordSeed } from '../support/record-seed'

const seed = recordSeed(7_310_000_000_000_000_000n)
const MEDIA_GET = '/cgi-bin/media/get'

/** One app of its own (its own token and calls at the stand-in) as the Worker's only one. */
function appEnv(): { appid: string; env: Env } {
  const appid = uniqueAppid()
  return { appid, env: { ...env, WECHAT_APPID: appid, WECHAT_APPSECRET: uniqueSecret(), WECHAT_APPS: '' } }
}

interface Delivery {
  acked: boolean
  retried: { delaySeconds?: number } | null
}

/** Delivers the task once, as attempt `attempts`, and says what the consumer did with it. */
async function deliver(app: Env, task: UserMediaTask, attempts = 1, deps?: ArchiveDeps): Promise<Delivery> {
  const delivery: Delivery = { acked: false, retried: null }
  const message: Message<UserMediaTask> = {
    id: crypto.randomUUID(),
    timestamp: new Date(),
    body: task,
    attempts,
    ack: () => {
      delivery.acked = true
    },
    retry: (options) => {
      delivery.retried = options ?? {}
    },
  }
  const batch: MessageBatch<UserMediaTask> = {
    queue: 'kefu-edge-user-media',
    metadata: { metrics: { backlogCount: 1, backlogBytes: 0 } },
    messages: [message],
    ackAll: () => message.ack(),
    retryAll: (options) => message.retry(options),
  }
  await consumeUserMedia(batch, app, deps)
  return delivery
}

/** An image push in the record, and its task. */
async function imagePush(appid: string, mediaId: string, recorded = true): Promise<UserMediaTask> {
  const openid = uniqueOpenid()
  const at = Date.now() - 60_000
  const event = seed.inbound(appid, openid, at, { kind: 'image', text: 'https://mmbiz.qpic.cn/x', ruleId: null })
  if (recorded) await writeRecord(env.DB, [event])
  return { appid, openid, msgId: event.msgId!, mediaId, at }
}

const row = (task: UserMediaTask) => readMediaRow(env.DB, task.appid, task.openid, task.msgId)
/** Everything MEDIA holds of the task's user on its day. */
const stored = async (task: UserMediaTask) =>
  (await env.MEDIA.list({ prefix: `users/${task.appid}/${dayOf(task.at)}/${task.openid}/` })).objects.map((o) => o.key)

/** WeChat's revoke of 14 (the images the user chose) for the task's user, as the push route hands it over. */
function revokeImages(app: Env, task: UserMediaTask) {
  return actOnAuthorization(app, {
    type: 'user_authorization_revoke',
    toUserName: 'gh_97417a04a28d',
    fromUserName: 'owAqB1v0ahK_Xlc7GshIDdf2yf7E',
    createTime: Math.floor(Date.now() / 1000),
    openId: task.openid,
    appId: task.appid,
    revokeInfo: '14',
  })
}

/** The real client, with `during` run while WeChat hands the image over: a deletion racing the fetch. */
function racing(during: () => Promise<unknown>): ArchiveDeps {
  return {
    client: (app) => ({
      getTempMedia: async (mediaId, maxBytes) => {
        const media = await WechatClient.fromEnv(app).getTempMedia(mediaId, maxBytes)
        await during()
        return media
      },
    }),
  }
}
const mediaGets = async (appid: string) => (await fakeWechat.calls({ appid, path: MEDIA_GET })).length

describe('consumeUserMedia', () => {
  it('keeps the image in MEDIA under its key, with its type, and records it archived', async () => {
    const { appid, env: app } = appEnv()
    const task = await imagePush(appid, await fakeWechat.mediaId(appid, 'photo.jpg'))
    expect(await deliver(app, task)).toEqual({ acked: true, retried: null })

    const object = await env.MEDIA.get(userMediaKey(appid, dayOf(task.at), task.openid, task.msgId, 'image/jpeg'))
    expect(object).not.toBeNull()
    expect(object!.httpMetadata?.contentType).toBe('image/jpeg')
    expect(object!.customMetadata).toEqual({ msgId: task.msgId, at: String(task.at) })
    const bytes = new Uint8Array(await object!.arrayBuffer())
    expect([...bytes.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff])
    expect(await row(task)).toEqual({ day: dayOf(task.at), media: 'archived' })
  })

  it('keeps a GIF as a GIF', async () => {
    const { appid, env: app } = appEnv()
    const task = await imagePush(appid, await fakeWechat.mediaId(appid, 'sticker.gif'))
    await deliver(app, task)
    expect(await env.MEDIA.head(userMediaKey(appid, dayOf(task.at), task.openid, task.msgId, 'image/gif'))).not.toBeNull()
  })

  it('a redelivered task finds the image stored and only records', async () => {
    const { appid, env: app } = appEnv()
    const task = await imagePush(appid, await fakeWechat.mediaId(appid))
    await deliver(app, task)
    expect(await deliver(app, task, 2)).toEqual({ acked: true, retried: null })
    expect(await mediaGets(appid)).toBe(1)
    expect((await row(task))?.media).toBe('archived')
  })

  it('retries a failing media/get with growing waits, then archives', async () => {
    const { appid, env: app } = appEnv()
    const task = await imagePush(appid, await fakeWechat.mediaId(appid))
    await fakeWechat.fault({ path: MEDIA_GET, appid, kind: 'http500' }, { path: MEDIA_GET, appid, kind: 'errcode', errcode: -1 })
    expect(await deliver(app, task, 1)).toEqual({ acked: false, retried: { delaySeconds: archiveRetryDelay(1) } })
    expect(await deliver(app, task, 2)).toEqual({ acked: false, retried: { delaySeconds: archiveRetryDelay(2) } })
    expect(archiveRetryDelay(2)).toBeGreaterThan(archiveRetryDelay(1))
    expect((await row(task))?.media).toBeNull()
    expect(await deliver(app, task, 3)).toEqual({ acked: true, retried: null })
    expect((await row(task))?.media).toBe('archived')
    expect(await mediaGets(appid)).toBe(3)
  })

  it('records the last attempt of one that keeps failing as failed, with why', async () => {
    const { appid, env: app } = appEnv()
    const task = await imagePush(appid, await fakeWechat.mediaId(appid))
    await fakeWechat.fault({ path: MEDIA_GET, appid, kind: 'http500' })
    expect(await deliver(app, task, ARCHIVE_MAX_ATTEMPTS)).toEqual({ acked: true, retried: null })
    expect((await row(task))?.media).toMatch(/^failed: 8 attempts, the last: wechat: .*HTTP 500/)
  })

  it('records 40007 (an unknown or expired media_id) at once, without retrying', async () => {
    const { appid, env: app } = appEnv()
    const task = await imagePush(appid, 'EXPIRED_MEDIA_ID')
    expect(await deliver(app, task)).toEqual({ acked: true, retried: null })
    expect((await row(task))?.media).toMatch(/^failed: 40007 invalid media_id: the media_id is unknown or expired/)
  })

  it('refuses and records a body that is no image, and one over 10 MB, storing nothing', async () => {
    const { appid, env: app } = appEnv()
    const notImage = await imagePush(appid, await fakeWechat.mediaId(appid, 'notimage.png'))
    const huge = await imagePush(appid, await fakeWechat.mediaId(appid, 'huge.png'))
    expect(await deliver(app, notImage)).toEqual({ acked: true, retried: null })
    expect(await deliver(app, huge)).toEqual({ acked: true, retried: null })
    expect((await row(notImage))?.media).toBe('failed: not an image (JPEG, PNG, GIF or WEBP)')
    expect((await row(huge))?.media).toBe('failed: -1103 larger than 10485760 bytes')
    for (const task of [notImage, huge]) {
      const listed = await env.MEDIA.list({ prefix: `users/${appid}/${dayOf(task.at)}/${task.openid}/` })
      expect(listed.objects).toEqual([])
    }
  })

  it('waits for a row D1 has not got yet, fetching and storing nothing until it is there', async () => {
    const { appid, env: app } = appEnv()
    const task = await imagePush(appid, await fakeWechat.mediaId(appid), false)
    expect(await deliver(app, task, 1)).toEqual({ acked: false, retried: { delaySeconds: archiveRetryDelay(1) } })
    expect(await stored(task)).toEqual([])
    expect(await mediaGets(appid)).toBe(0)
    await writeRecord(env.DB, [
      seed.inbound(appid, task.openid, task.at, { key: `msg:${task.msgId}`, msgId: task.msgId, kind: 'image', text: 'x', ruleId: null }),
    ])
    expect(await deliver(app, task, 2)).toEqual({ acked: true, retried: null })
    expect((await row(task))?.media).toBe('archived')
    expect(await mediaGets(appid)).toBe(1)
  })

  it('gives up on a row that never comes, having stored nothing', async () => {
    const { appid, env: app } = appEnv()
    const task = await imagePush(appid, await fakeWechat.mediaId(appid), false)
    expect(await deliver(app, task, ARCHIVE_MAX_ATTEMPTS)).toEqual({ acked: true, retried: null })
    expect(await stored(task)).toEqual([])
  })

  it('stores nothing for a user deleted while the task was pending', async () => {
    const { appid, env: app } = appEnv()
    const task = await imagePush(appid, await fakeWechat.mediaId(appid))
    await forgetUser(app, appid, task.openid)
    expect(await deliver(app, task, 1)).toEqual({ acked: false, retried: { delaySeconds: archiveRetryDelay(1) } })
    expect(await deliver(app, task, ARCHIVE_MAX_ATTEMPTS)).toEqual({ acked: true, retried: null })
    expect(await stored(task)).toEqual([])
    expect(await mediaGets(appid)).toBe(0)
  })

  it('deletes the image again when the user is deleted while it is being fetched', async () => {
    const { appid, env: app } = appEnv()
    const task = await imagePush(appid, await fakeWechat.mediaId(appid))
    expect(
      await deliver(
        app,
        task,
        1,
        racing(() => forgetUser(app, appid, task.openid)),
      ),
    ).toEqual({ acked: true, retried: null })
    expect(await stored(task)).toEqual([])
    expect(await row(task)).toBeNull()
  })

  it('stores nothing for a user who revoked their images (14) while the task was pending, or its fetch under way', async () => {
    const { appid, env: app } = appEnv()
    const pending = await imagePush(appid, await fakeWechat.mediaId(appid))
    expect(await revokeImages(app, pending)).toBe('media_deleted')
    expect(await deliver(app, pending)).toEqual({ acked: true, retried: null })
    expect(await stored(pending)).toEqual([])
    expect((await row(pending))?.media).toBe('deleted')
    expect(await mediaGets(appid)).toBe(0)

    const fetching = await imagePush(appid, await fakeWechat.mediaId(appid))
    expect(
      await deliver(
        app,
        fetching,
        1,
        racing(() => revokeImages(app, fetching)),
      ),
    ).toEqual({ acked: true, retried: null })
    expect(await stored(fetching)).toEqual([])
    expect((await row(fetching))?.media).toBe('deleted')
  })

  it('acknowledges a task of an app no longer served, fetching nothing', async () => {
    const { appid, env: app } = appEnv()
    const task = { ...(await imagePush(appid, 'X')), appid: uniqueAppid() }
    expect(await deliver(app, task)).toEqual({ acked: true, retried: null })
    expect(await mediaGets(task.appid)).toBe(0)
  })
})
