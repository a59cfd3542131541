/**
 * Who watches the desk. Each console's WebSocket carries, as its attachment (kept through
 * hibernation), the operator it was opened for, their console session (the hash and token tag
 * the Sessions object keys it by; none behind Cloudflare Access) and when that was last
 * checked. A socket is checked once when it opens (the console's route), so before the desk
 * sends to sockets whose check is older than RECHECK_MS it asks again — the session still
 * open, the operator still there and still allowed to read this mini program — and closes
 * those that are not: a sign-out, a removed operator or one whose mini programs changed stops
 * receiving at the next change after RECHECK_MS, with one Sessions call and a D1 read per
 * operator for all of them, and nothing at all while the desk is idle.
 */
import { allows, operatorById, type Operator } from '../auth/operators'
import { sessionsOf } from '../auth/sessions'
import type { Env } from '../settings/env'

/** A socket's check is trusted this long. */
export const RECHECK_MS = 30_000

/** The console session a socket was opened with: what the Sessions object keys it by. */
export interface ViewerSession {
  idHash: string
  tokenTag: string
}

/** A socket's attachment. */
export interface Viewer {
  operator: string
  session: ViewerSession | null
  checkedAt: number
}

/** The header the console's live route sends the viewer in (the Worker's own request to the Desk: no browser sets it). */
export const VIEWER_HEADER = 'kefu-desk-viewer'

/** The viewer a live request names, or null when it names none of the right shape. */
export function viewerOf(request: Request, now: number): Viewer | null {
  const header = request.headers.get(VIEWER_HEADER)
  if (header === null) return null
  try {
    const { operator, session } = JSON.parse(header) as Partial<Viewer>
    if (typeof operator !== 'string' || operator === '') return null
    if (session === null || session === undefined) return { operator, session: null, checkedAt: now }
    if (typeof session.idHash !== 'string' || typeof session.tokenTag !== 'string') return null
    return { operator, session: { idHash: session.idHash, tokenTag: session.tokenTag }, checkedAt: now }
  } catch {
    return null
  }
}

/** The live request to the Desk, naming its viewer. */
export function withViewer(request: Request, viewer: Omit<Viewer, 'checkedAt'>): Request {
  const headers = new Headers(request.headers)
  headers.set(VIEWER_HEADER, JSON.stringify(viewer))
  return new Request(request.url, { method: request.method, headers })
}

/**
 * Of `viewers` whose check is older than RECHECK_MS, whether each may still watch `appid`'s
 * desk (by index; the fresh ones are not asked). A failure to ask keeps everyone: the next
 * change asks again.
 */
export async function recheck(env: Env, appid: string, viewers: readonly Viewer[], now: number): Promise<Map<number, boolean>> {
  const stale = [...viewers.entries()].filter(([, viewer]) => now - viewer.checkedAt >= RECHECK_MS)
  const answers = new Map<number, boolean>()
  if (stale.length === 0) return answers
  const sessions = stale.flatMap(([, viewer]) => (viewer.session ? [viewer.session] : []))
  const open: Record<string, string> = sessions.length === 0 ? {} : await sessionsOf(env).openSessions(sessions, now)
  const ids = [...new Set(stale.map(([, viewer]) => viewer.operator))]
  const operators = new Map<string, Operator | null>(
    await Promise.all(ids.map(async (id) => [id, await operatorById(env.DB, id)] as const)),
  )
  for (const [index, viewer] of stale) {
    const operator = operators.get(viewer.operator) ?? null
    const sessionOpen = viewer.session === null || open[viewer.session.idHash] === viewer.operator
    answers.set(index, sessionOpen && operator !== null && allows(operator, 'read', appid))
  }
  return answers
}
