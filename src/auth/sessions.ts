/**
 * The one Durable Object (named `console`) behind every door that takes the admin token:
 * console sessions, so that signing out ends a session on the server and not only in the
 * browser, and failed attempts per address, so that guessing the token is slow.
 *
 * A session is a random id the browser holds in a cookie (console/session.ts); the object
 * keeps only its SHA-256, whose it is (an operator's id, `owner` for ADMIN_TOKEN) and the tag
 * of the ADMIN_TOKEN it was opened under, so nothing it stores can be replayed as a cookie.
 * Expired sessions are pruned whenever a session is opened, stale failure counts at every
 * attempt: a team signs in a few times a day, so the tables stay a few rows long.
 *
 * The sessions table is versioned by its own definition: an object made by an older version
 * (before operators, or before token tags) has its table made again — the sessions in it end,
 * and everyone signs in once more — rather than every sign-in failing on a missing column.
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

/** The column only today's sessions table has: a table without it is an older one's. */
const NEWEST_COLUMN = 'token_tag'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (
  id_hash TEXT PRIMARY KEY, operator_id TEXT NOT NULL, ${NEWEST_COLUMN} TEXT NOT NULL, expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS failures (address TEXT PRIMARY KEY, count INTEGER NOT NULL, first_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS assertions (id_hash TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
`

export class Sessions extends DurableObject<Env> {
  private readonly sql: SqlStorage

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    const table = this.sql.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sessions'").toArray()[0]
    if (table && !table.sql.includes(NEWEST_COLUMN)) this.sql.exec('DROP TABLE sessions')
    this.sql.exec(SCHEMA)
  }

  /**
   * Settles one attempt: `tokenOk` is the Worker's own check of what was sent; `keys` are what
   * failures are counted by (the address, and the operator a personal token names). Any key
   * locked refuses the attempt unchecked; a failure counts for every key; a success clears them.
   */
  attempt(keys: string[], tokenOk: boolean, now: number): Attempt {
    this.sql.exec('DELETE FROM failures WHERE first_at <= ?', now - LOCK_MS)
    const runs = keys.map((key) => {
      const row = this.sql
        .exec<{ count: number; first_at: number }>('SELECT count, first_at FROM failures WHERE address = ?', key)
        .toArray()[0]
      return { key, row, run: row && now - row.first_at < LOCK_MS ? row : null }
    })
    const locked = runs.filter(({ run }) => run && run.count >= MAX_FAILURES)
    if (locked.length > 0) {
      const until = Math.max(...locked.map(({ run }) => (run?.first_at ?? now) + LOCK_MS))
      return { outcome: 'locked', retryAfterSeconds: Math.max(1, Math.ceil((until - now) / 1000)) }
    }
    for (const { key, row, run } of runs) {
      if (tokenOk) {
        if (row) this.sql.exec('DELETE FROM failures WHERE address = ?', key)
      } else if (run) this.sql.exec('UPDATE failures SET count = count + 1 WHERE address = ?', key)
      else this.sql.exec('INSERT OR REPLACE INTO failures (address, count, first_at) VALUES (?, 1, ?)', key, now)
    }
    return { outcome: tokenOk ? 'ok' : 'wrong' }
  }

  /** Remembers a new session of `operatorId`, opened under the token tagged `tokenTag`, until `expiresAt`; prunes what has run out. */
  open(idHash: string, operatorId: string, tokenTag: string, expiresAt: number, now: number): void {
    this.sql.exec('DELETE FROM sessions WHERE expires_at <= ?', now)
    this.sql.exec(
      'INSERT INTO sessions (id_hash, operator_id, token_tag, expires_at) VALUES (?, ?, ?, ?)',
      idHash,
      operatorId,
      tokenTag,
      expiresAt,
    )
  }

  /** Whose the session is, while it is open (signed in under this token, not signed out, not expired); else null. */
  operatorOf(idHash: string, tokenTag: string, now: number): string | null {
    const row = this.sql
      .exec<{ operator_id: string }>(
        'SELECT operator_id FROM sessions WHERE id_hash = ? AND token_tag = ? AND expires_at > ?',
        idHash,
        tokenTag,
        now,
      )
      .toArray()[0]
    return row?.operator_id ?? null
  }

  /**
   * Of these sessions (by hash, and the tag of the token each was opened under), the open ones
   * and whose they are: the desk's live channels, checked again (desk/viewers.ts).
   */
  openSessions(sessions: { idHash: string; tokenTag: string }[], now: number): Record<string, string> {
    const open: Record<string, string> = {}
    for (const { idHash, tokenTag } of sessions) {
      const operator = this.operatorOf(idHash, tokenTag, now)
      if (operator !== null) open[idHash] = operator
    }
    return open
  }

  /** An operator removed or changed: their sessions end. Returns how many there were. */
  closeOperator(operatorId: string): number {
    return this.sql.exec('DELETE FROM sessions WHERE operator_id = ?', operatorId).rowsWritten
  }

  /**
   * Whether this Cloudflare Access token (by the hash of its signature) is seen for the first
   * time: Access signs a person in once and the token then comes with every request, so its
   * first sight is the sign-in the audit log records. Kept until the token expires.
   */
  firstSight(idHash: string, expiresAt: number, now: number): boolean {
    this.sql.exec('DELETE FROM assertions WHERE expires_at <= ?', now)
    return this.sql.exec('INSERT OR IGNORE INTO assertions (id_hash, expires_at) VALUES (?, ?)', idHash, expiresAt).rowsWritten > 0
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
