/**
 * How an operator's addition or change reads in the audit log, written alike by the admin API
 * (routes/admin-operators.ts) and the console's members page: role, mini programs and name,
 * never a token or an email address.
 */
import type { Operator } from '../auth/operators'

const appsText = (apps: string[] | null) => (apps === null ? 'all' : apps.join(' '))

/** An operator as added (or removed): `role agent, apps all, name 小王`. */
export function describedOperator(operator: Operator): string {
  return `role ${operator.role}, apps ${appsText(operator.apps)}, name ${operator.name}`
}

/** What a change changed: `role agent → viewer, email set`, or `nothing changed`. */
export function operatorChanges(before: Operator, after: Operator): string {
  const parts: string[] = []
  if (before.role !== after.role) parts.push(`role ${before.role} → ${after.role}`)
  if (appsText(before.apps) !== appsText(after.apps)) parts.push(`apps ${appsText(before.apps)} → ${appsText(after.apps)}`)
  if (before.name !== after.name) parts.push(`name ${before.name} → ${after.name}`)
  if (before.email !== after.email) parts.push(after.email === null ? 'email removed' : 'email set')
  return parts.length > 0 ? parts.join(', ') : 'nothing changed'
}
