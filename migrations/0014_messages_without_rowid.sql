-- The record's messages keyed by their primary key (issue 33): a rowid table kept (appid, id)
-- in an index beside the table, one more row written for every message in and out. WITHOUT
-- ROWID, the key is the table; its indexes hold (appid, id) where they held the rowid. The
-- CSV export pages by (at, id) where it paged by (at, rowid), and retention deletes by key.
-- The table is copied once: each row is written again, with its indexes.
CREATE TABLE messages_keyed (
  appid TEXT NOT NULL,
  id TEXT NOT NULL,
  openid TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  kind TEXT NOT NULL,
  text TEXT,
  rule_id TEXT,
  rules_version TEXT,
  unmatched INTEGER NOT NULL DEFAULT 0,
  inbound_key TEXT,
  part INTEGER,
  manual INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  errcode INTEGER,
  reason TEXT,
  at INTEGER NOT NULL,
  pushed_at INTEGER,
  updated_at INTEGER NOT NULL,
  day TEXT NOT NULL,
  latency_ms INTEGER,
  sources TEXT,
  tokens INTEGER,
  refused TEXT,
  media TEXT,
  PRIMARY KEY (appid, id)
) WITHOUT ROWID;
INSERT INTO messages_keyed
  SELECT appid, id, openid, direction, kind, text, rule_id, rules_version, unmatched, inbound_key, part, manual, status,
    errcode, reason, at, pushed_at, updated_at, day, latency_ms, sources, tokens, refused, media
  FROM messages;
DROP TABLE messages;
ALTER TABLE messages_keyed RENAME TO messages;
-- The same indexes as before.
CREATE INDEX messages_conversation ON messages (appid, openid, at, id);
CREATE INDEX messages_failed ON messages (appid, updated_at, id) WHERE status = 'failed';
CREATE INDEX messages_ai ON messages (appid, day) WHERE tokens IS NOT NULL;
CREATE INDEX messages_at ON messages (appid, at);
