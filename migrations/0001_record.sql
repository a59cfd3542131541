-- The operator's record: what every user said and was sent, across users, for the admin API.
-- Written by src/record/write.ts after each Conversation object has stored its own state
-- (the object stays the source of truth); read by src/routes/admin-api*.ts; pruned by the
-- cron (src/record/retention.ts). Every row carries the appid, so several mini programs can
-- share one database. Times are epoch ms; `day` is a calendar day in China Standard Time
-- (UTC+8), 'YYYY-MM-DD'. STORAGE.md describes each table; a change is a new migration file,
-- never an edit of this one.

-- One row per user: the list of the admin API.
CREATE TABLE conversations (
  appid TEXT NOT NULL,
  openid TEXT NOT NULL,
  -- The user's first and last message or event we recorded.
  first_at INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  -- The last inbound message's text or summary (at most 200 characters); NULL after retention.
  last_text TEXT,
  -- How many of the user's messages no rule but the default answered.
  unmatched INTEGER NOT NULL DEFAULT 0,
  -- The send window and outbox counts as the Conversation object last reported them, at
  -- window_at; an older report never overwrites a newer one.
  window_remaining INTEGER NOT NULL DEFAULT 0,
  window_closes_at INTEGER NOT NULL DEFAULT 0,
  pending INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  window_at INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (appid, openid)
) WITHOUT ROWID;

-- Newest first, and the same order restricted to each filter of the list (partial indexes
-- hold only the rows of their filter, so a filtered page reads only matching rows).
CREATE INDEX conversations_recent ON conversations (appid, last_at, openid);
CREATE INDEX conversations_failed ON conversations (appid, last_at, openid) WHERE failed > 0;
CREATE INDEX conversations_unmatched ON conversations (appid, last_at, openid) WHERE unmatched > 0;
-- Windows with sends left; the cron zeroes the ones that have closed, so this stays small.
CREATE INDEX conversations_open ON conversations (appid, last_at, openid) WHERE window_remaining > 0;
-- Retention: the rows whose last text is still kept.
CREATE INDEX conversations_text ON conversations (appid, last_at) WHERE last_text IS NOT NULL;

-- One row per push in and per send out.
CREATE TABLE messages (
  appid TEXT NOT NULL,
  -- In: the Conversation object's dedup key (msg:<MsgId> or event:<openid>:<CreateTime>:<Event>).
  -- Out: out:<openid>:<outbox row id>.
  id TEXT NOT NULL,
  openid TEXT NOT NULL,
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  -- In: the message or event type. Out: the reply type (text, image, link, miniprogrampage).
  kind TEXT NOT NULL,
  -- What was said or sent, at most 200 characters; NULL after RETENTION_DAYS.
  text TEXT,
  rule_id TEXT,
  rules_version TEXT,
  -- In: 1 when only the default reply answered a text.
  unmatched INTEGER NOT NULL DEFAULT 0,
  -- Out: the push answered (its dedup key), the part of the reply, 1 for an operator's reply.
  inbound_key TEXT,
  part INTEGER,
  manual INTEGER NOT NULL DEFAULT 0,
  -- In: 'received'. Out: 'pending', 'sent', 'failed' or 'dropped'; the newest updated_at wins.
  status TEXT NOT NULL,
  errcode INTEGER,
  reason TEXT,
  -- In: when the user acted. Out: when the push it answers was received (pushed_at).
  at INTEGER NOT NULL,
  pushed_at INTEGER,
  updated_at INTEGER NOT NULL,
  day TEXT NOT NULL,
  -- Out, sent, not manual: updated_at - pushed_at (push to reply); counted in daily_latency.
  latency_ms INTEGER,
  PRIMARY KEY (appid, id)
);

-- One conversation's messages, newest first.
CREATE INDEX messages_conversation ON messages (appid, openid, at, id);
-- Retention: the rows of days past the stats.
CREATE INDEX messages_day ON messages (appid, day);
-- Failed sends, newest first.
CREATE INDEX messages_failed ON messages (appid, updated_at, id) WHERE status = 'failed';
-- Retention: the rows whose text is still kept.
CREATE INDEX messages_text ON messages (appid, at) WHERE text IS NOT NULL;

-- Counts per day, raised and moved by the same batches that write messages (an outbound row's
-- count moves from its old status to its new one when an event replaces it), so the stats
-- read one row per day whatever the number of messages. Sends are counted on the day of the
-- push they answer.
CREATE TABLE daily (
  appid TEXT NOT NULL,
  day TEXT NOT NULL,
  -- In: user messages (text, image, card) and events.
  messages INTEGER NOT NULL DEFAULT 0,
  events INTEGER NOT NULL DEFAULT 0,
  -- In: user texts only the default reply (or nothing) answered.
  unmatched INTEGER NOT NULL DEFAULT 0,
  -- Out, by status now.
  replies_pending INTEGER NOT NULL DEFAULT 0,
  replies_sent INTEGER NOT NULL DEFAULT 0,
  replies_failed INTEGER NOT NULL DEFAULT 0,
  replies_dropped INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (appid, day)
) WITHOUT ROWID;

-- Push-to-reply times of the replies rules sent, per day, as a histogram: bucket b holds the
-- times up to LATENCY_BUCKETS_MS[b] (src/record/latency.ts). Median and p95 come from it.
CREATE TABLE daily_latency (
  appid TEXT NOT NULL,
  day TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (appid, day, bucket)
) WITHOUT ROWID;

-- Hits per rule per day (the default reply counts as rule 'default').
CREATE TABLE rule_daily (
  appid TEXT NOT NULL,
  day TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  hits INTEGER NOT NULL,
  PRIMARY KEY (appid, day, rule_id)
) WITHOUT ROWID;

-- Texts no rule but the default answered, folded as rules see them (trim, NFKC, case).
CREATE TABLE unmatched (
  appid TEXT NOT NULL,
  text TEXT NOT NULL,
  count INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  PRIMARY KEY (appid, text)
) WITHOUT ROWID;

-- The most asked first; retention drops questions not asked for RETENTION_DAYS.
CREATE INDEX unmatched_top ON unmatched (appid, count);
CREATE INDEX unmatched_seen ON unmatched (appid, last_seen);
