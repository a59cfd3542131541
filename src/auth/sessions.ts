/**
 * The one Durable Object (named `console`) behind every door that takes the admin token:
 * console sessions, so that signing out ends a session on the server and not only in the
 * browser, and failed attempts per address, so that guessing the token is slow.
 *
 * A session is a random id the browser holds in a signed cookie (console/session.ts); the
 * object keeps only its SHA-256, so nothing it stores can be replayed as a cookie. Expired
 * sessions and stale failure counts are pruned whenever a session is opened: a team signs in
 * a few times a day, so the tables stay a few rows long.
 *
 * A failed attempt is counted before anything else is answered, and while an address is
 * locked every attempt from it is refused unchecked — a right token included, or the lock
 * would still tell a guesser when they were right. The lock lasts at most LOCK_MS after the
 * first failure of the run: an operator who mistyped is back within minutes.
 */
import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../settings/env'

/** Failed attempts an address may make before it is locked. */
export const MAX_FAILURES = 5
/** How long a run of failures is remembered, and so the longest lock. */
export const LOCK_MS = 10 * 60 * 1000

/** What became of one attempt at a door. */
export type Attempt =
  | { outcome: 'ok' }
  | { outcome: 'wrong' }
  /** Refused unchecked: the address failed MAX_FAILURES times within LOCK_MS. */
  | { outcome: 'locked'; retryAfterSeconds: number }

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (id_hash TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS failures (address TEXT PRIMARY KEY, count INTEGER NOT NULL, first_at INTEGER NOT NULL) WITHOUT ROWID;
`

export class Sessions extends DurableObject<Env> {
  private readonly sql: SqlStorage

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    this.sql.exec(SCHEMA)
  }

  /**
   * Settles one attempt: `tokenOk` is the Worker's own check of what was sent. A failure is
   * counted; a success clears the address's count.
   */
  attempt(address: string, tokenOk: boolean, now: number): Attempt {
    const row = this.sql
      .exec<{ count: number; first_at: number }>('SELECT count, first_at FROM failures WHERE address = ?', address)
      .toArray()[0]
    const run = row && now - row.first_at < LOCK_MS ? row : null
    if (run && run.count >= MAX_FAILURES) {
      return { outcome: 'locked', retryAfterSeconds: Math.max(1, Math.ceil((run.first_at + LOCK_MS - now) / 1000)) }
    }
    if (tokenOk) {
      if (row) this.sql.exec('DELETE FROM failures WHERE address = ?', address)
      return { outcome: 'ok' }
    }
    if (run) this.sql.exec('UPDATE failures SET count = count + 1 WHERE address = ?', address)
    else this.sql.exec('INSERT OR REPLACE INTO failures (address, count, first_at) VALUES (?, 1, ?)', address, now)
    return { outcome: 'wrong' }
  }

  /** Remembers a new session until `expiresAt`; prunes what has run out. */
  open(idHash: string, expiresAt: number, now: number): void {
    this.sql.exec('DELETE FROM sessions WHERE expires_at <= ?', now)
    this.sql.exec('DELETE FROM failures WHERE first_at <= ?', now - LOCK_MS)
    this.sql.exec('INSERT INTO sessions (id_hash, expires_at) VALUES (?, ?)', idHash, expiresAt)
  }

  /** Whether the session is open: signed in, not signed out, not expired. */
  isOpen(idHash: string, now: number): boolean {
    return this.sql.exec('SELECT 1 FROM sessions WHERE id_hash = ? AND expires_at > ?', idHash, now).toArray().length > 0
  }

  /** Sign-out: this session ends. */
  close(idHash: string): void {
    this.sql.exec('DELETE FROM sessions WHERE id_hash = ?', idHash)
  }

  /** Sign-out everywhere: every session ends, this one included. Returns how many there were. */
  closeAll(now: number): number {
    const open = this.sql.exec('SELECT 1 FROM sessions WHERE expires_at > ?', now).toArray().length
    this.sql.exec('DELETE FROM sessions')
    return open
  }
}

/** The deployment's one Sessions object. */
export function sessionsOf(env: Env) {
  return env.SESSIONS.getByName('console')
}
