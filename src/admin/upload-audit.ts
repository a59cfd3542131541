/**
 * The audit entry of an image an operator uploaded, whichever way it came in (the admin API's
 * `POST /admin/api/media`, the rules form's file inputs): who added which image, for what use.
 */
import type { Operator } from '../auth/operators'
import type { MediaUse } from '../media/uploads'
import { appidOf, type Env } from '../settings/env'
import { auditDone } from './audit'

export function auditUpload(env: Env, operator: Operator, upload: { name: string; use: MediaUse; bytes: number }): Promise<void> {
  return auditDone(env.DB, {
    appid: appidOf(env),
    operator,
    action: 'media_upload',
    target: upload.name,
    summary: `${upload.use}, ${upload.bytes} bytes`,
  })
}
