/**
 * The admin API's answers about operators, and the 403 every route may answer, as valibot
 * schemas (answers.ts gathers every answer in ANSWERS). At the end, the check that fails
 * compilation when the operator answer and the Operator it describes drift apart.
 */
import * as v from 'valibot'
import type { Operator } from '../auth/operators'
import { ROLES } from '../auth/roles'
import type { Same } from './answers-subscribe'

/** What allow() (routes/allow.ts) answers: the role needed, or that the mini program is not theirs. */
export const ForbiddenAnswer = v.object({
  error: v.literal('forbidden'),
  needs: v.pipe(
    v.optional(v.picklist(ROLES)),
    v.description('The least role that may do this; absent when the role may, but not on this mini program.'),
  ),
  reason: v.pipe(v.optional(v.string()), v.description('Present when the operator may not act on this mini program (`?app=`).')),
})

export const OperatorAnswer = v.object({
  id: v.pipe(v.string(), v.description('The operator id (12 characters), as their personal token names it.')),
  name: v.string(),
  role: v.picklist(ROLES),
  apps: v.pipe(v.nullable(v.array(v.string())), v.description('The mini programs they may act on; null: every one.')),
  email: v.pipe(v.nullable(v.string()), v.description('The Cloudflare Access identity that signs in as them; null: none.')),
})

export const OperatorsAnswer = v.object({
  operators: v.pipe(
    v.array(OperatorAnswer),
    v.description('Every operator, by name. The owner ADMIN_TOKEN signs in as is no row, and is not listed.'),
  ),
})

export const OperatorCreatedAnswer = v.object({
  id: v.string(),
  token: v.pipe(
    v.string(),
    v.description(
      'Their personal token, `kfo.<id>.<secret>`: shown this once and kept only as its hash. A bearer token for the API and the console’s sign-in.',
    ),
  ),
})

export const OperatorConflictAnswer = v.object({
  error: v.pipe(
    v.picklist(['is_owner', 'email_taken']),
    v.description('is_owner: `owner` is ADMIN_TOKEN itself, changed only by rotating it; email_taken: another operator has that email.'),
  ),
  reason: v.string(),
})

// Fails to compile when the answer and the Operator it describes drift apart.
const drift: [Same<v.InferOutput<typeof OperatorAnswer>, Operator>] = [true]
void drift
