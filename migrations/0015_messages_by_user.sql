-- Two D1 rows fewer per message and one per conversation update (issue 33: a text reply at
-- $20 per million).
--
-- The messages are keyed by their conversation: (appid, openid, at, id). The key is the
-- table (WITHOUT ROWID), so one conversation's messages, in order, are a range of it and the
-- index `messages_conversation` (written with every message) goes. A message's `at` is fixed
-- when it is made (a push's time; a reply's, its push's) and every copy of it carries both,
-- so an upsert still finds its row. What looked a message up by (appid, id) alone now names
-- its user: the record's writes and counts by their whole key, the image archive by
-- (appid, openid) and id, retention by the key `messages_at` holds.
--
-- `messages_at` is (appid, at, id), as the export reads it; its entries hold openid, the
-- rest of the key.
CREATE TABLE messages_by_user (
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
  PRIMARY KEY (appid, openid, at, id)
) WITHOUT ROWID;
INSERT INTO messages_by_user
  SELECT appid, id, openid, direction, kind, text, rule_id, rules_version, unmatched, inbound_key, part, manual, status,
    errcode, reason, at, pushed_at, updated_at, day, latency_ms, sources, tokens, refused, media
  FROM messages;
DROP TABLE messages;
ALTER TABLE messages_by_user RENAME TO messages;
CREATE INDEX messages_failed ON messages (appid, updated_at, id) WHERE status = 'failed';
CREATE INDEX messages_ai ON messages (appid, day) WHERE tokens IS NOT NULL;
CREATE INDEX messages_at ON messages (appid, at, id);

-- The open-window filter walks `conversations_recent` over the conversations of the last
-- window's length (a window closes at most 48 hours after the user's last message, which is
-- the row's last_at): most of the newest rows are the open ones. Its partial index moved with
-- every message while a window was open, which is every reply.
DROP INDEX conversations_open;
