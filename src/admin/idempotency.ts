/**
 * Operator sends made at most once: a reply by hand, a failed send retried, a subscribe or
 * uniform send, a campaign started. The admin API takes an `Idempotency-Key` header on each
 * (routes/idempotent.ts) and the console's forms carry one in a hidden field: the first
 * request with a key runs, and for 24 hours every repeat of it gets the first one's answer
 * and does nothing — a double submit or a client's retry after a lost answer sends nothing
 * twice.
 *
 * The key is claimed in D1 before the action runs (one upsert: of two at once, one claims),
 * the answer stored when it is known. An answer that says nothing was done — the request was
 * refused as malformed, or the Worker or WeChat failed — is not kept: the claim is released and
 * the same key may try again. A claim whose request died before its answer was stored is taken
 * over after ABANDONED_MS, so a key is never stuck.
 */
import { first, prepare, statement } from '../record/sql'
import { toHex, utf8 } from '../wechat/bytes'

/** How long a key's first answer is replayed. */
export const IDEMPOTENCY_MS = 24 * 60 * 60 * 1000
/** A claim this old without an answer belonged to a request that died. */
export const ABANDONED_MS = 2 * 60 * 1000
/** What a key may be: visible ASCII, as Stripe's and the IETF draft's keys are (UUIDs fit). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/

export type Claim =
  /** This request holds the key: run the action, then `settle` or `release`. */
  | { kind: 'new' }
  /** The key's first request finished: answer as it was answered. */
  | { kind: 'replay'; status: number; body: string }
  /** The key's first request is still running. */
  | { kind: 'in_progress' }
  /** The key was used for a different request. */
  | { kind: 'mismatch' }

export interface KeyOf {
  appid: string
  key: string
}

/** Claims `key` for the request whose fingerprint is given, or says what holds it. */
export async function claimKey(db: D1Database, { appid, key }: KeyOf, fingerprint: string, now: number): Promise<Claim> {
  const claimed = await prepare(
    db,
    statement(
      `INSERT INTO idempotency (appid, key, fingerprint, created_at) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (appid, key) DO UPDATE SET fingerprint = ?3, created_at = ?4, status = NULL, body = NULL
       WHERE idempotency.created_at <= ?5 OR (idempotency.status IS NULL AND idempotency.created_at <= ?6)`,
      [appid, key, fingerprint, now, now - IDEMPOTENCY_MS, now - ABANDONED_MS],
    ),
  ).run()
  if (claimed.meta.changes > 0) return { kind: 'new' }
  const row = await first<{ fingerprint: string; status: number | null; body: string | null }>(
    db,
    statement('SELECT fingerprint, status, body FROM idempotency WHERE appid = ? AND key = ?', [appid, key]),
  )
  // Deleted between the two statements (by the cron): it had expired, so this one may run.
  if (row === null) return claimKey(db, { appid, key }, fingerprint, now)
  if (row.fingerprint !== fingerprint) return { kind: 'mismatch' }
  if (row.status === null) return { kind: 'in_progress' }
  return { kind: 'replay', status: row.status, body: row.body ?? '' }
}

/** Keeps the answer of the request that claimed the key, for its repeats. */
export async function settleKey(db: D1Database, { appid, key }: KeyOf, status: number, body: string): Promise<void> {
  await prepare(db, statement('UPDATE idempotency SET status = ?, body = ? WHERE appid = ? AND key = ?', [status, body, appid, key])).run()
}

/** Gives the key up: nothing was done, and a repeat may try again. */
export async function releaseKey(db: D1Database, { appid, key }: KeyOf): Promise<void> {
  await prepare(db, statement('DELETE FROM idempotency WHERE appid = ? AND key = ? AND status IS NULL', [appid, key])).run()
}

/** The cron's part: keys past their 24 hours. */
export async function pruneKeys(db: D1Database, now: number): Promise<number> {
  const result = await prepare(db, statement('DELETE FROM idempotency WHERE created_at <= ?', [now - IDEMPOTENCY_MS])).run()
  return result.meta.changes
}

/** What makes two requests the same request: SHA-256 over its parts (method, path, body). */
export async function fingerprintOf(...parts: (string | Uint8Array)[]): Promise<string> {
  const chunks = parts.map((part) => (typeof part === 'string' ? utf8.encode(part) : part))
  const all = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.byteLength + 1, 0))
  let offset = 0
  for (const chunk of chunks) {
    all.set(chunk, offset)
    // A separator no UTF-8 text holds: ("ab", "c") and ("a", "bc") differ.
    all[offset + chunk.byteLength] = 0xff
    offset += chunk.byteLength + 1
  }
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', all)))
}

/**
 * Whether an answer means the action was done (or refused for what the user's state is), so
 * that a repeat must get it again: every 2xx and 409 and 404. A 400/413/415 (the request was
 * wrong and nothing ran), a 429 and a 5xx (it may succeed later) release the key.
 */
export function keepsAnswer(status: number): boolean {
  return (status >= 200 && status < 300) || status === 404 || status === 409
}
