/**
 * The USER_MEDIA queue's consumer: each image a user sent is fetched from WeChat's temporary
 * media (`media/get`, by its MediaId, which WeChat keeps three days), checked (an image by its
 * bytes, at most USER_IMAGE_MAX_BYTES) and kept in MEDIA (user-media.ts); the outcome goes on
 * the push's D1 row (`messages.media`, archive-record.ts). It runs after WeChat has its
 * "success": nothing here can delay or fail a reply.
 *
 * - A failure that may pass (network, HTTP 5xx, WeChat busy, a token problem, MEDIA or D1
 *   unreachable) is retried with a growing wait (archive-task.ts); on the last attempt it is
 *   recorded `failed: …`.
 * - One that cannot (40007: the media_id is unknown or expired; not an image; too large) is
 *   recorded at once.
 * - Nothing is fetched or stored before the push's D1 row is there. It may not be yet (the
 *   Conversation object copies the record on its own): the task waits and tries again. It may
 *   never be again (the user was deleted while the task waited): the last attempt gives up,
 *   having stored nothing. A row saying `deleted` (they revoked their images) is done at once.
 * - A deletion or revoke can also come while the image is being fetched and stored: the row is
 *   then gone or says `deleted` when the outcome is recorded, and what was stored is deleted
 *   again. (The deletion deletes D1 before MEDIA, and this stores before it records, so one of
 *   the two always sees the other.) A deleted user's image is never kept.
 * - A redelivered task finding its image stored does not fetch it twice.
 */
import { describe } from '../conversation/failure'
import { log } from '../log'
import { dayOf } from '../record/day'
import type { Env } from '../settings/env'
import { miniProgramEnv } from '../settings/mini-program-state'
import { explainErrcode, WechatApiError, WechatClient } from '../wechat/api'
import { mediaBucket } from './bucket'
import { MEDIA_DELETED, readMediaRow, recordMedia, type MediaOutcome } from './archive-record'
import { ARCHIVE_MAX_ATTEMPTS, archiveRetryDelay, isUserMediaTask, type UserMediaTask } from './archive-task'
import { findUserMedia, sniffUserImage, USER_IMAGE_MAX_BYTES, userMediaKey } from './user-media'

/** What the archive needs of the world; tests pass their own client. */
export interface ArchiveDeps {
  client: (app: Env) => Pick<WechatClient, 'getTempMedia'>
}

const defaultDeps: ArchiveDeps = { client: (app) => WechatClient.fromEnv(app) }

export async function consumeUserMedia(batch: MessageBatch<UserMediaTask>, env: Env, deps: ArchiveDeps = defaultDeps): Promise<void> {
  for (const message of batch.messages) await archiveOne(message, env, deps)
}

/** One attempt at one image: it ends acknowledged (archived, or failed and recorded) or retried. */
async function archiveOne(message: Message<UserMediaTask>, env: Env, deps: ArchiveDeps): Promise<void> {
  const task: unknown = message.body
  if (!isUserMediaTask(task)) {
    log.error('media.archive_invalid_task', { id: message.id })
    message.ack()
    return
  }
  const fields = { appid: task.appid, openid: task.openid, msgId: task.msgId, attempts: message.attempts }
  const app = miniProgramEnv(env, task.appid)
  if (app === null) {
    // The app left WECHAT_APPS since the push: its token is gone, and so is its console.
    log.warn('media.archive_skipped', { ...fields, reason: 'app no longer served' })
    message.ack()
    return
  }
  const retry = (reason: string): void => {
    const delaySeconds = archiveRetryDelay(message.attempts)
    log.warn('media.archive_retry', { ...fields, reason, delaySeconds })
    message.retry({ delaySeconds })
  }

  let outcome: ArchiveStep
  try {
    outcome = await archive(app, task, deps)
  } catch (error) {
    // Ours or upstream, and it may pass: again later, until the last attempt records it.
    const reason = describe(error)
    if (message.attempts < ARCHIVE_MAX_ATTEMPTS) return retry(reason)
    outcome = { kind: 'failed', reason: `${message.attempts} attempts, the last: ${reason}` }
  }
  if (outcome.kind === 'no_row') {
    // Not copied to D1 yet, or the user was deleted meanwhile: nothing was fetched or kept.
    if (message.attempts < ARCHIVE_MAX_ATTEMPTS) return retry('no record row yet')
    log.error('media.archive_unrecorded', { ...fields, reason: 'the record never got the push (or the user was deleted)' })
    message.ack()
    return
  }
  if (outcome.kind === 'withdrawn') {
    log.info('media.archive_skipped', { ...fields, reason: 'the user revoked their images' })
    message.ack()
    return
  }
  if (outcome.kind === 'failed') log.error('media.archive_failed', { ...fields, reason: outcome.reason })

  try {
    const recorded = await recordMedia(env.DB, task.appid, task.openid, task.msgId, outcome)
    if (recorded) {
      if (outcome.kind === 'archived') log.info('media.archived', fields)
      message.ack()
      return
    }
    // The row was there before the fetch and is gone or says `deleted` now: the user was
    // deleted or revoked their images meanwhile. What this task stored goes too.
    await deleteStored(app, task)
    log.info('media.archive_skipped', { ...fields, reason: 'the user was deleted or revoked their images during the fetch' })
    message.ack()
  } catch (error) {
    if (message.attempts < ARCHIVE_MAX_ATTEMPTS) return retry(describe(error))
    log.error('media.archive_unrecorded', { ...fields, outcome: outcome.kind, reason: describe(error) })
    message.ack()
  }
}

/** What one attempt came to: an outcome to record, or a row that says not to (yet). */
type ArchiveStep = MediaOutcome | { kind: 'no_row' } | { kind: 'withdrawn' }

/**
 * Fetches and stores the image, or says why it never will be. Throws for what may pass.
 * Nothing happens without the push's D1 row; already stored (a redelivered task): nothing is
 * fetched.
 */
async function archive(app: Env, task: UserMediaTask, deps: ArchiveDeps): Promise<ArchiveStep> {
  const bucket = mediaBucket(app)
  if (bucket === null) throw new Error('MEDIA is not bound')
  const row = await readMediaRow(app.DB, task.appid, task.openid, task.msgId)
  if (row === null) {
    // An image kept by an earlier attempt whose recording failed, its user deleted since: never kept without its row.
    await deleteStored(app, task)
    return { kind: 'no_row' }
  }
  if (row.media === MEDIA_DELETED) return { kind: 'withdrawn' }
  const day = dayOf(task.at)
  if ((await findUserMedia(bucket, task.appid, day, task.openid, task.msgId)) !== null) return { kind: 'archived' }

  let bytes: Uint8Array<ArrayBuffer>
  try {
    ;({ bytes } = await deps.client(app).getTempMedia(task.mediaId, USER_IMAGE_MAX_BYTES))
  } catch (error) {
    if (error instanceof WechatApiError && error.kind === 'permanent') return { kind: 'failed', reason: refusalReason(error) }
    throw error
  }
  const type = sniffUserImage(bytes)
  if (type === null) return { kind: 'failed', reason: 'not an image (JPEG, PNG, GIF or WEBP)' }
  await bucket.put(userMediaKey(task.appid, day, task.openid, task.msgId, type), bytes, {
    httpMetadata: { contentType: type },
    customMetadata: { msgId: task.msgId, at: String(task.at) },
  })
  return { kind: 'archived' }
}

/** Deletes the task's image if it was stored. */
async function deleteStored(app: Env, task: UserMediaTask): Promise<void> {
  const bucket = mediaBucket(app)
  if (bucket === null) return
  const key = await findUserMedia(bucket, task.appid, dayOf(task.at), task.openid, task.msgId)
  if (key !== null) await bucket.delete(key)
}

/** `40007 invalid media_id: the media_id is unknown or expired …`: WeChat's code and what it means. */
function refusalReason(error: WechatApiError): string {
  const meaning = explainErrcode(error.errcode)
  return `${error.errcode} ${error.errmsg}${meaning ? `: ${meaning}` : ''}`.trim()
}
