/**
 * Operators as people, in D1 (`operators`, migrations/0005): who may sign in, as what role, for
 * which mini programs. `ADMIN_TOKEN` stays outside the table: it signs in as OWNER, the
 * deployment's break-glass key. A personal token (`kfo.<id>.<secret>`) is shown once when the
 * operator is added and kept only as its SHA-256; removing the operator stops it at once, and
 * the Sessions object forgets the operator's sessions.
 */
import { first, prepare, statement } from '../record/sql'
import { toBase64, toHex, utf8 } from '../wechat/bytes'
import { isRole, type Permission, type Role, can } from './roles'

/** Who is asking: an operator from the table, or the owner's ADMIN_TOKEN. */
export interface Operator {
  id: string
  name: string
  role: Role
  /** The mini programs they may act on; null: every one the Worker serves. */
  apps: string[] | null
  email: string | null
}

/** ADMIN_TOKEN's operator: everything, every mini program. */
export const OWNER: Operator = { id: 'owner', name: 'owner (ADMIN_TOKEN)', role: 'owner', apps: null, email: null }

export const TOKEN_PREFIX = 'kfo.'
const TOKEN = /^kfo\.([A-Za-z0-9_-]{12})\.[A-Za-z0-9_-]{43}$/

/** Whether `operator` may do `permission` on the mini program `appid`. */
export function allows(operator: Operator, permission: Permission, appid: string): boolean {
  return can(operator.role, permission) && (operator.apps === null || operator.apps.includes(appid))
}

/** The operator id a personal token names (for counting failures per operator), or null. */
export function tokenOperatorId(token: string): string | null {
  return TOKEN.exec(token)?.[1] ?? null
}

export async function tokenHash(token: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8.encode(token))))
}

interface Row {
  id: string
  name: string
  role: string
  apps: string | null
  email: string | null
}

const COLUMNS = 'id, name, role, apps, email'

function operatorOf(row: Row | null): Operator | null {
  if (row === null || !isRole(row.role)) return null
  const apps = row.apps === null ? null : (JSON.parse(row.apps) as string[])
  return { id: row.id, name: row.name, role: row.role, apps, email: row.email }
}

/** The operator a personal token belongs to, or null (unknown, removed, or not a token of ours). */
export async function operatorByToken(db: D1Database, token: string): Promise<Operator | null> {
  if (tokenOperatorId(token) === null) return null
  const hash = await tokenHash(token)
  return operatorOf(await first<Row>(db, statement(`SELECT ${COLUMNS} FROM operators WHERE token_hash = ?`, [hash])))
}

export async function operatorById(db: D1Database, id: string): Promise<Operator | null> {
  if (id === OWNER.id) return OWNER
  return operatorOf(await first<Row>(db, statement(`SELECT ${COLUMNS} FROM operators WHERE id = ?`, [id])))
}

export async function operatorByEmail(db: D1Database, email: string): Promise<Operator | null> {
  return operatorOf(await first<Row>(db, statement(`SELECT ${COLUMNS} FROM operators WHERE email = ?`, [email.toLowerCase()])))
}

/** Every operator, by name. */
export async function listOperators(db: D1Database): Promise<Operator[]> {
  const { results } = await prepare(db, statement(`SELECT ${COLUMNS} FROM operators ORDER BY name, id`, [])).all<Row>()
  return results.flatMap((row) => operatorOf(row) ?? [])
}

export interface NewOperator {
  name: string
  role: Role
  apps: string[] | null
  email: string | null
}

/** Adds an operator; their personal token, which nothing keeps, is returned once. */
export async function addOperator(db: D1Database, input: NewOperator, now: number): Promise<{ operator: Operator; token: string }> {
  const id = randomText(9)
  const token = `${TOKEN_PREFIX}${id}.${randomText(32)}`
  const operator: Operator = { id, ...input, email: input.email?.toLowerCase() ?? null }
  await prepare(
    db,
    statement('INSERT INTO operators (id, name, role, apps, email, token_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      id,
      operator.name,
      operator.role,
      operator.apps === null ? null : JSON.stringify(operator.apps),
      operator.email,
      await tokenHash(token),
      now,
      now,
    ]),
  ).run()
  return { operator, token }
}

/** Changes what is given; the updated operator, or null when there is none of that id. */
export async function changeOperator(db: D1Database, id: string, change: Partial<NewOperator>, now: number): Promise<Operator | null> {
  const current = await operatorById(db, id)
  if (current === null || id === OWNER.id) return null
  const next: Operator = {
    ...current,
    ...change,
    email: change.email === undefined ? current.email : (change.email?.toLowerCase() ?? null),
  }
  await prepare(
    db,
    statement('UPDATE operators SET name = ?, role = ?, apps = ?, email = ?, updated_at = ? WHERE id = ?', [
      next.name,
      next.role,
      next.apps === null ? null : JSON.stringify(next.apps),
      next.email,
      now,
      id,
    ]),
  ).run()
  return next
}

/** Removes an operator: their token stops working at once. False when there was none. */
export async function removeOperator(db: D1Database, id: string): Promise<boolean> {
  const result = await prepare(db, statement('DELETE FROM operators WHERE id = ?', [id])).run()
  return result.meta.changes > 0
}

/** `bytes` random bytes as base64url, without padding. */
function randomText(bytes: number): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(bytes)))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '')
}
