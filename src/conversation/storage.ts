/**
 * The Conversation object's SQLite tables (one database per openid). STORAGE.md describes
 * them for operators; this is the schema. Statements are idempotent: they run on every
 * start of the object, before any request.
 */
export const SCHEMA = `
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
