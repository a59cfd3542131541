/**
 * The Conversation object's SQLite tables (one database per openid). STORAGE.md describes
 * them for operators; this is the schema, as a list of migrations: the object records how
 * many it has applied and runs the rest when it starts, before any request. Storage
 * outlives deploys, so a change is a new entry at the end, never an edit of an old one.
 */

const V1 = `
CREATE TABLE IF NOT EXISTS seen (
  key TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  summary TEXT NOT NULL,
  msg_id TEXT,
  rule_id TEXT,
  transfer INTEGER NOT NULL,
  received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS seen_received_at ON seen (received_at);
CREATE TABLE IF NOT EXISTS send_window (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  remaining INTEGER NOT NULL,
  closes_at INTEGER NOT NULL,
  opened_at INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  openid TEXT NOT NULL,
  msg_id TEXT,
  dedup_key TEXT NOT NULL,
  rule_id TEXT,
  part INTEGER NOT NULL,
  reply TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  errcode INTEGER,
  reason TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox (status, id);
`

const MIGRATIONS: readonly string[] = [V1]

/** Brings this object's database up to the current schema (synchronous: one transaction). */
export function migrate(sql: SqlStorage): void {
  sql.exec('CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)')
  const applied = sql.exec<{ version: number }>('SELECT version FROM schema_version WHERE id = 1').toArray()[0]?.version ?? 0
  for (let version = applied; version < MIGRATIONS.length; version++) sql.exec(MIGRATIONS[version]!)
  if (applied < MIGRATIONS.length) {
    sql.exec(
      'INSERT INTO schema_version (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version',
      MIGRATIONS.length,
    )
  }
}

export type OutboxStatus = 'pending' | 'sent' | 'failed'

export type OutboxRow = {
  id: number
  openid: string
  msg_id: string | null
  dedup_key: string
  rule_id: string | null
  part: number
  reply: string
  status: OutboxStatus
  attempts: number
  next_attempt_at: number
  errcode: number | null
  reason: string | null
  created_at: number
  updated_at: number
}

export type SeenRow = {
  key: string
  kind: string
  summary: string
  msg_id: string | null
  rule_id: string | null
  transfer: number
  received_at: number
}
