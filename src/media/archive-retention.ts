/**
 * Retention of users' images (the hourly cron, src/scheduled.ts): every app with images in
 * MEDIA — read from the bucket, so an app that left WECHAT_APPS is cleaned too — loses the
 * days older than RETENTION_DAYS, whole days by prefix, within one budget for the run.
 */
import { log } from '../log'
import { PRUNE_MEDIA_MAX_OBJECTS, pruneUserMedia, userMediaAppids } from './user-media'

export async function pruneAllUserMedia(bucket: R2Bucket | undefined, retentionDays: number, now: number): Promise<void> {
  // A deployment without MEDIA keeps no images to delete (health and the doctor report it).
  if (bucket === undefined) return
  let budget = PRUNE_MEDIA_MAX_OBJECTS
  for (const appid of await userMediaAppids(bucket)) {
    if (budget <= 0) break
    const counts = await pruneUserMedia(bucket, appid, retentionDays, now, budget)
    budget -= counts.objectsDeleted
    if (counts.objectsDeleted > 0 || counts.more) log.info('media.pruned', { appid, ...counts })
  }
}
