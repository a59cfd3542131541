/**
 * Generated from the migrations in storage.ts (schema 13) by `npm run schema`: do not edit.
 * What SQLite holds once they have run: the script a new Conversation object creates its
 * tables with, and the row of each table as a query returns it.
 */
export const CURRENT_VERSION = 13

export const CURRENT = `
CREATE TABLE "meta" (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE "outbox" (
  id INTEGER PRIMARY KEY,
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
  updated_at INTEGER NOT NULL,
  attempt_started_at INTEGER,
  manual INTEGER NOT NULL DEFAULT 0,
  retried_at INTEGER,
  ai TEXT
, journal_seq INTEGER NOT NULL DEFAULT 0);
CREATE TABLE "seen" (
  key TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  summary TEXT NOT NULL,
  msg_id TEXT,
  rule_id TEXT,
  transfer INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  rules_version TEXT
, event TEXT, journal_seq INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE "subscriptions" (
  template_id TEXT PRIMARY KEY,
  openid TEXT NOT NULL,
  grants INTEGER NOT NULL DEFAULT 0,
  status TEXT,
  accepted INTEGER NOT NULL DEFAULT 0,
  rejected INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL,
  last_send_at INTEGER,
  last_errcode INTEGER,
  last_msg_id TEXT
, journal_seq INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE "window_events" (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  remaining INTEGER,
  closes_at INTEGER
);
`

export interface Tables {
  meta: {
    key: string
    value: string
  }
  outbox: {
    id: number
    openid: string
    msg_id: string | null
    dedup_key: string
    rule_id: string | null
    part: number
    reply: string
    status: string
    attempts: number
    next_attempt_at: number
    errcode: number | null
    reason: string | null
    created_at: number
    updated_at: number
    attempt_started_at: number | null
    manual: number
    retried_at: number | null
    ai: string | null
    journal_seq: number
  }
  seen: {
    key: string
    kind: string
    summary: string
    msg_id: string | null
    rule_id: string | null
    transfer: number
    received_at: number
    rules_version: string | null
    event: string | null
    journal_seq: number
  }
  subscriptions: {
    template_id: string
    openid: string
    grants: number
    status: string | null
    accepted: number
    rejected: number
    updated_at: number
    last_send_at: number | null
    last_errcode: number | null
    last_msg_id: string | null
    journal_seq: number
  }
  window_events: {
    id: number
    at: number
    kind: string
    remaining: number | null
    closes_at: number | null
  }
}
