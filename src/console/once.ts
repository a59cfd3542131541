/**
 * The console's forms that send or start something carry a key in a hidden field (OnceField),
 * fresh with each rendering of the form: a double click or a resubmitted page repeats the key,
 * and the action runs once (admin/idempotency.ts). A repeat waits for the first to finish and
 * shows what it came to; a repeat whose fields changed is a new request.
 */
import { appidOf } from '../settings/env'
import { claimKey, fingerprintOf, IDEMPOTENCY_KEY, releaseKey, settleKey } from '../admin/idempotency'
import { log } from '../log'
import type { ConsoleContext } from './context'

export { ONCE_FIELD } from './pages/parts'

/** How long a repeat waits for the first request's outcome (a send takes well under this). */
const WAIT_MS = 5000
const POLL_MS = 200

/**
 * Runs `action` unless a request with the same key and the same `parts` ran it: then its
 * outcome. `busy` is what a repeat gets when the first is still running after WAIT_MS.
 * Without a key (a form rendered before keys existed) the action simply runs.
 */
export async function once<T>(c: ConsoleContext, key: unknown, parts: string[], action: () => Promise<T>, busy: T): Promise<T> {
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) return action()
  const id = { appid: appidOf(c.env), key }
  const fingerprint = await fingerprintOf(c.req.method, c.req.path, ...parts)
  for (let waited = 0; ; waited += POLL_MS) {
    const claim = await claimKey(c.env.DB, id, fingerprint, Date.now())
    if (claim.kind === 'mismatch') return action()
    if (claim.kind === 'replay') {
      log.info('console.replayed', { path: c.req.path })
      return JSON.parse(claim.body) as T
    }
    if (claim.kind === 'new') break
    if (waited >= WAIT_MS) return busy
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
  let outcome: T
  try {
    outcome = await action()
  } catch (error) {
    await releaseKey(c.env.DB, id)
    throw error
  }
  await settleKey(c.env.DB, id, 303, JSON.stringify(outcome))
  return outcome
}
