-- The human desk's shared words and notes (issue 29, src/desk/): canned answers an agent puts
-- into a reply, and private notes on a conversation (never sent). The queue itself is the Desk
-- Durable Object's (STORAGE.md). Times are epoch ms.

-- Canned answers per mini program: a title, the text, an optional shortcut (like /退货).
CREATE TABLE desk_canned (
  appid TEXT NOT NULL,
  -- c-<uuid>
  id TEXT NOT NULL,
  title TEXT NOT NULL,
  text TEXT NOT NULL,
  shortcut TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (appid, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX desk_canned_shortcut ON desk_canned (appid, shortcut) WHERE shortcut IS NOT NULL;

-- Private notes on a user's conversation: shown to agents, never sent to the user.
CREATE TABLE desk_notes (
  appid TEXT NOT NULL,
  openid TEXT NOT NULL,
  -- n-<uuid>
  id TEXT NOT NULL,
  operator_id TEXT NOT NULL,
  operator_name TEXT NOT NULL,
  -- What the agent wrote (≤ 1000 characters; may hold personal data: kept RETENTION_DAYS).
  text TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (appid, openid, id)
) WITHOUT ROWID;
-- Retention: notes go RETENTION_DAYS after they were written (the cron).
CREATE INDEX desk_notes_at ON desk_notes (at);
