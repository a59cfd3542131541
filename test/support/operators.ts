/** Operators for the tests, added as the owner would: through the admin API with ADMIN_TOKEN. */
import { expect } from 'vitest'
import type { Role } from '../../src/auth/roles'
import { BASE, keepAnswer, workerFetch } from './helpers'
import { TEST_SETTINGS } from './settings'

export const OWNER_AUTH = { authorization: `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}` }

export interface TestOperator {
  id: string
  token: string
  auth: { authorization: string }
}

/** POST /admin/api/operators as the owner; the operator's id, token and bearer header. */
export async function addTestOperator(
  role: Role,
  extra: { name?: string; apps?: string[] | null; email?: string } = {},
): Promise<TestOperator> {
  const res = await workerFetch('/admin/api/operators', {
    method: 'POST',
    headers: { ...OWNER_AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ name: extra.name ?? `${role} ${crypto.randomUUID().slice(0, 8)}`, role, ...extra }),
  })
  const text = await res.text()
  keepAnswer(text)
  expect(res.status, text).toBe(201)
  const { id, token } = JSON.parse(text) as { id: string; token: string }
  return { id, token, auth: { authorization: `Bearer ${token}` } }
}

/** A form post to the console, from the console's own origin. */
export function consoleForm(fields: Record<string, string>, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE, ...headers },
    body: new URLSearchParams(fields).toString(),
    redirect: 'manual',
  }
}

/** Signs in to the console with `token`; the Cookie header the browser would send back. */
export async function consoleSession(token: string): Promise<string> {
  const res = await workerFetch('/admin/login', consoleForm({ token }))
  expect(res.status).toBe(303)
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!
}
