/**
 * What each operator's role may do. Pure: the admin API, the console and their tests read the
 * same table. `owner` is also who ADMIN_TOKEN signs in as (the break-glass key).
 */

export const ROLES = ['owner', 'admin', 'agent', 'viewer'] as const
export type Role = (typeof ROLES)[number]

/**
 * - `read`: conversations, failed sends, stats, rules, campaigns, history
 * - `reply`: reply by hand, retry or drop a failed send
 * - `rules`: publish, roll back and preview rules (the knowledge base too)
 * - `campaigns`: subscribe and uniform sends, campaigns
 * - `operators`: add, change and remove operators; read the audit log; sign everyone out
 * - `users`: export everything kept about a user, and delete it (their data, on request); and
 *   the CSV export of every user's messages for a range of days (admin/export.ts): users' texts in bulk
 */
export const PERMISSIONS = ['read', 'reply', 'rules', 'campaigns', 'operators', 'users'] as const
export type Permission = (typeof PERMISSIONS)[number]

const GRANTS: Record<Role, readonly Permission[]> = {
  owner: PERMISSIONS,
  admin: ['read', 'reply', 'rules', 'campaigns', 'users'],
  agent: ['read', 'reply'],
  viewer: ['read'],
}

export function can(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission)
}

/** The least role that may do it: what a 403 tells the operator to ask for. */
export function roleNeeded(permission: Permission): Role {
  return [...ROLES].reverse().find((role) => can(role, permission)) ?? 'owner'
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value)
}
