/**
 * The push route's half of the archive: a new image push becomes a USER_MEDIA task
 * (archive-queue.ts fetches it). Run under `waitUntil` after the push is recorded, so WeChat's
 * answer never waits for it; a queue that refuses is logged, and the console shows the image
 * as never saved.
 */
import { describe } from '../conversation/failure'
import { log } from '../log'
import type { Env } from '../settings/env'
import type { ImageMessage } from '../wechat/message'
import type { UserMediaTask } from './archive-task'

export async function enqueueUserImage(env: Env, appid: string, message: ImageMessage): Promise<void> {
  const task: UserMediaTask = {
    appid,
    openid: message.fromUserName,
    msgId: message.msgId,
    mediaId: message.mediaId,
    at: message.createTime * 1000,
  }
  try {
    await env.USER_MEDIA.send(task, { contentType: 'json' })
  } catch (error) {
    log.error('media.archive_enqueue_failed', { appid, openid: task.openid, msgId: task.msgId, reason: describe(error) })
  }
}
