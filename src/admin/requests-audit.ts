/**
 * `GET /admin/api/audit`'s query as a valibot schema, in the style of requests.ts: the route
 * validates with it and `scripts/openapi/document.ts` documents it. Query values arrive as
 * strings; the cursor comes out decoded, the limit a number.
 */
import * as v from 'valibot'
import { AUDIT_ACTIONS } from './audit'
import { countParam, cursorParam, DEFAULT_LIMIT, MAX_LIMIT } from './requests'

export const AuditQuery = v.strictObject({
  cursor: cursorParam('audit'),
  operator: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^(?:owner|[A-Za-z0-9_-]{12})$/, 'is not an operator id'),
      v.description('Only what this operator did: their id (`owner` for ADMIN_TOKEN).'),
    ),
  ),
  action: v.optional(
    v.pipe(v.picklist(AUDIT_ACTIONS, `must be one of ${AUDIT_ACTIONS.join(', ')}`), v.description('Only entries of this action.')),
  ),
  limit: countParam(1, MAX_LIMIT, DEFAULT_LIMIT, 'Entries per page'),
})
