/**
 * The desk API's requests (`/admin/api/queue`, `/admin/api/conversations/:openid/claim` …) as
 * valibot schemas, in the style of requests.ts: the routes validate with them and
 * `scripts/openapi/document.ts` documents them.
 */
import * as v from 'valibot'
import { countParam } from './requests'

/** A desk body: a status, or an operator's id. */
export const DESK_MAX_BYTES = 1024

export const TransferBody = v.strictObject({
  to: v.pipe(
    v.string(),
    v.regex(/^(?:owner|[A-Za-z0-9_-]{12})$/, 'is not an operator id'),
    v.description('The operator who takes it: their id (`owner` for ADMIN_TOKEN), one who may reply in this mini program.'),
  ),
})

export const StatusBody = v.strictObject({
  status: v.pipe(v.picklist(['online', 'away']), v.description('online: takes conversations (auto-assignment too); away: does not.')),
})

export const FiguresQuery = v.strictObject({
  days: countParam(1, 90, 14, 'Days of closed conversations counted'),
})
