/**
 * What an admin API route needs of who is asking (auth/roles.ts): a route without the right
 * answers 403 with the role that has it, or says the operator may not act on this mini
 * program, and nothing runs. Registered per route, after the token check and `?app=`.
 */
import type { MiddlewareHandler } from 'hono'
import { appidOf } from '../settings/env'
import { allows } from '../auth/operators'
import { can, roleNeeded, type Permission } from '../auth/roles'
import type { ApiEnv } from './admin-validation'

export function allow(permission: Permission): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const operator = c.var.operator
    if (allows(operator, permission, appidOf(c.env))) return next()
    if (!can(operator.role, permission)) return c.json({ error: 'forbidden', needs: roleNeeded(permission) }, 403)
    return c.json({ error: 'forbidden', reason: 'not a mini program this operator may act on' }, 403)
  }
}
