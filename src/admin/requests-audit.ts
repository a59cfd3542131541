/**
 * `GET /admin/api/audit`'s query as a valibot schema, in the style of requests.ts: the route
 * validates with it and `scripts/openapi/document.ts` documents it. Query values arrive as
 * strings; the cursor comes out decoded, the limit a number.
 */
import * as v from 'valibot'
import { MAX_CURSOR_CHARS, type Position } from '../record/cursor'
import { AUDIT_ACTIONS, decodeAuditCursor } from './audit'
import { DEFAULT_LIMIT, MAX_LIMIT } from './requests'

const LIMIT_PROBLEM = `must be an integer from 1 to ${MAX_LIMIT}`

export const AuditQuery = v.strictObject({
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.maxLength(MAX_CURSOR_CHARS, 'is not a cursor of this list'),
      v.regex(/^[A-Za-z0-9_-]+$/, 'is not a cursor of this list'),
      v.description('`nextCursor` of the previous page; absent for the first page.'),
      v.rawTransform(({ dataset, addIssue, NEVER }): Position => {
        const position = decodeAuditCursor(dataset.value)
        if (position) return position
        addIssue({ message: 'is not a cursor of this list' })
        return NEVER
      }),
    ),
  ),
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
  limit: v.optional(
    v.pipe(
      v.string(),
      v.description(`Entries per page: 1 to ${MAX_LIMIT}, default ${DEFAULT_LIMIT}.`),
      v.regex(/^[0-9]{1,4}$/, LIMIT_PROBLEM),
      v.transform(Number),
      v.minValue(1, LIMIT_PROBLEM),
      v.maxValue(MAX_LIMIT, LIMIT_PROBLEM),
    ),
    String(DEFAULT_LIMIT),
  ),
})
