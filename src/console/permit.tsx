/**
 * What the signed-in operator's role lets them do in the console (auth/roles.ts): every
 * console POST route asks `permit` before it reads its form, and the pages hide what the role
 * cannot do (`grantsOf`). Which mini programs they may act on is the session guard's part
 * (context.tsx): a page only ever runs for one of theirs.
 */
import type { Permission } from '../auth/roles'
import { can, PERMISSIONS } from '../auth/roles'
import type { ConsoleContext } from './context'
import { ForbiddenPage } from './pages/forbidden'
import { langOf } from './lang'
import { renderPage } from './context'

/** What a page may offer: per permission, whether the operator has it. */
export type Grants = Readonly<Record<Permission, boolean>>

/** Everything: what tests and pages without a session assume nothing about. */
export const ALL_GRANTS: Grants = Object.fromEntries(PERMISSIONS.map((p) => [p, true])) as Record<Permission, boolean>

/** The operator's grants; none without an operator (the guard always sets one). */
export function grantsOf(c: ConsoleContext): Grants {
  const operator = c.get('operator') as ConsoleContext['var']['operator'] | undefined
  return Object.fromEntries(PERMISSIONS.map((p) => [p, operator !== undefined && can(operator.role, p)])) as Record<Permission, boolean>
}

/**
 * Null when the operator may do `permission`; else the 403 page naming the role it needs, and
 * the route returns it with nothing done.
 *
 * @example
 * const refused = permit(c, 'reply')
 * if (refused) return refused
 */
export function permit(c: ConsoleContext, permission: Permission): Promise<Response> | null {
  if (grantsOf(c)[permission]) return null
  return forbidden(c, { permission })
}

/** The 403 page: a permission the role lacks, or a mini program the operator may not act on. */
export function forbidden(c: ConsoleContext, why: { permission: Permission } | { appid: string }): Promise<Response> {
  const operator = c.get('operator') as ConsoleContext['var']['operator'] | undefined
  return renderPage(c, <ForbiddenPage lang={langOf(c)} role={operator?.role ?? null} why={why} />, 403)
}
