/**
 * The Conversation object's migrations, frozen: each entry is the script that brought an
 * object from one schema version to the next (storage.ts runs them). Storage outlives
 * deploys, so an entry is never edited: a change is a new entry at the end, and
 * `npm run schema` regenerates `CURRENT` from the replay.
 */
/**
 * The journal's triggers (schema 3 and 5; `journal.ts`): a row of the outbox, or of
 * subscriptions, that is written or changes names itself in `record_journal`, so no path
 * that changes a row can forget to tell the record. Schema 8 drops them with the tables it
 * rebuilds and creates them again, unchanged.
 */
const OUTBOX_JOURNAL_TRIGGERS = `
CREATE TRIGGER IF NOT EXISTS outbox_journal_insert AFTER INSERT ON outbox BEGIN
  INSERT OR REPLACE INTO record_journal (ref, seq, since)
    VALUES ('out:' || NEW.id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM record_journal), NEW.updated_at);
END;
CREATE TRIGGER IF NOT EXISTS outbox_journal_update AFTER UPDATE OF status, errcode, reason ON outbox BEGIN
  INSERT OR REPLACE INTO record_journal (ref, seq, since)
    VALUES ('out:' || NEW.id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM record_journal), NEW.updated_at);
END;
`
const SUBSCRIPTION_JOURNAL_TRIGGERS = `
CREATE TRIGGER IF NOT EXISTS subscriptions_journal_insert AFTER INSERT ON subscriptions BEGIN
  INSERT OR REPLACE INTO record_journal (ref, seq, since)
    VALUES ('sub:' || NEW.template_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM record_journal), NEW.updated_at);
END;
CREATE TRIGGER IF NOT EXISTS subscriptions_journal_update AFTER UPDATE ON subscriptions BEGIN
  INSERT OR REPLACE INTO record_journal (ref, seq, since)
    VALUES ('sub:' || NEW.template_id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM record_journal), NEW.updated_at);
END;
`

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

/**
 * 2: the send window becomes a log of events folded in WeChat's order (`window.ts`), and an
 * outbox row records when its attempt left, before it leaves (`attempt_started_at`, null when
 * no attempt is in flight). The window schema 1 kept is carried over as one event at its
 * opening (or 48 h before its end, when the opening was never stored). `send_window` itself
 * stays as it was: code from before schema 2 still finds it after a rollback.
 */
const V2 = `
CREATE TABLE IF NOT EXISTS window_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  remaining INTEGER,
  closes_at INTEGER
);
CREATE INDEX IF NOT EXISTS window_events_at ON window_events (at);
INSERT INTO window_events (at, kind, remaining, closes_at)
  SELECT MAX(opened_at, closes_at - 172800000), 'carried', remaining, closes_at FROM send_window WHERE id = 1;
ALTER TABLE outbox ADD COLUMN attempt_started_at INTEGER;
`

/**
 * 3: the D1 record. What the object writes is journaled in the same transaction and copied
 * to D1 afterwards (`journal.ts`): `record_journal` holds the inbound events not yet copied,
 * and names the outbox rows whose state changed since (a trigger, so no path that changes a
 * row can forget). `seen` keeps the rule-set version and when the user acted; outbox rows
 * can be an operator's reply (`manual`) or dropped by the operator (status `dropped`).
 */
const V3 = `
ALTER TABLE seen ADD COLUMN rules_version TEXT;
ALTER TABLE outbox ADD COLUMN manual INTEGER NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS record_journal (
  ref TEXT PRIMARY KEY,
  event TEXT,
  seq INTEGER NOT NULL,
  since INTEGER NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS record_journal_seq ON record_journal (seq);
${OUTBOX_JOURNAL_TRIGGERS}`

/**
 * 4: what the rules remember about the user (`rule-memory.ts`): texts unmatched in a row,
 * and when each once_per_hours rule last answered. Small integers under fixed keys.
 */
const V4 = `
CREATE TABLE IF NOT EXISTS rule_memory (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
`

/**
 * 5: subscribe messages (`subscriptions.ts`): per template the one-time grants the user gave
 * and has not been sent yet, the last status and the last send's outcome; journaled to D1 by
 * trigger like the outbox (`sub:<template id>`), so campaigns can find who can be reached.
 * `campaign_sends`: which campaigns this user has been sent, so a redelivered queue message
 * never sends twice.
 */
const V5 = `
CREATE TABLE IF NOT EXISTS subscriptions (
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
);
CREATE TABLE IF NOT EXISTS campaign_sends (
  campaign_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  errcode INTEGER,
  at INTEGER NOT NULL
);
${SUBSCRIPTION_JOURNAL_TRIGGERS}`

/**
 * 6: `meta`: which mini program the object belongs to (`scope`: '' for the first app, else the
 * appid), written when its storage is created, for calls that do not carry the object's name.
 */
const V6 = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`

/**
 * 7: fewer billed writes. An index costs a row written whenever a row it covers is written,
 * and SQLite rows written are what a Conversation object mostly costs (`npm run bench --
 * --only bill`); rows read cost a thousandth as much. One user's tables hold days of one
 * person's messages — tens of rows, hundreds at most — so scanning them costs less than
 * keeping these indexes on every push, delivery and journal copy.
 */
const V7 = `
DROP INDEX IF EXISTS seen_received_at;
DROP INDEX IF EXISTS window_events_at;
DROP INDEX IF EXISTS outbox_status;
DROP INDEX IF EXISTS record_journal_seq;
`

/**
 * 8: the tables keyed by text are WITHOUT ROWID: the key is the table itself rather than an
 * index beside it, so an insert writes one row where it wrote two (`npm run bench -- --only
 * bill`), and a new object's database has six fewer b-trees to create — which is most of
 * what a user's first message costs the object. `window_events` loses AUTOINCREMENT, whose
 * counter is one more row written per event: its ids only order events of the same instant,
 * and a new row's id is still above every row there is. Each table is rebuilt (one user's
 * rows, tens at most); the journal's triggers go with the tables they write and come back
 * unchanged.
 */
const V8 = `
DROP TRIGGER IF EXISTS outbox_journal_insert;
DROP TRIGGER IF EXISTS outbox_journal_update;
DROP TRIGGER IF EXISTS subscriptions_journal_insert;
DROP TRIGGER IF EXISTS subscriptions_journal_update;
CREATE TABLE seen_v8 (
  key TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  summary TEXT NOT NULL,
  msg_id TEXT,
  rule_id TEXT,
  transfer INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  rules_version TEXT
) WITHOUT ROWID;
INSERT INTO seen_v8 SELECT key, kind, summary, msg_id, rule_id, transfer, received_at, rules_version FROM seen;
DROP TABLE seen;
ALTER TABLE seen_v8 RENAME TO seen;
CREATE TABLE record_journal_v8 (
  ref TEXT PRIMARY KEY,
  event TEXT,
  seq INTEGER NOT NULL,
  since INTEGER NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO record_journal_v8 SELECT ref, event, seq, since, failures FROM record_journal;
DROP TABLE record_journal;
ALTER TABLE record_journal_v8 RENAME TO record_journal;
CREATE TABLE rule_memory_v8 (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO rule_memory_v8 SELECT key, value FROM rule_memory;
DROP TABLE rule_memory;
ALTER TABLE rule_memory_v8 RENAME TO rule_memory;
CREATE TABLE subscriptions_v8 (
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
) WITHOUT ROWID;
INSERT INTO subscriptions_v8 SELECT template_id, openid, grants, status, accepted, rejected, updated_at, last_send_at, last_errcode, last_msg_id FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_v8 RENAME TO subscriptions;
CREATE TABLE campaign_sends_v8 (
  campaign_id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  errcode INTEGER,
  at INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO campaign_sends_v8 SELECT campaign_id, status, errcode, at FROM campaign_sends;
DROP TABLE campaign_sends;
ALTER TABLE campaign_sends_v8 RENAME TO campaign_sends;
CREATE TABLE meta_v8 (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO meta_v8 SELECT key, value FROM meta;
DROP TABLE meta;
ALTER TABLE meta_v8 RENAME TO meta;
CREATE TABLE window_events_v8 (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  remaining INTEGER,
  closes_at INTEGER
);
INSERT INTO window_events_v8 SELECT id, at, kind, remaining, closes_at FROM window_events;
DROP TABLE window_events;
ALTER TABLE window_events_v8 RENAME TO window_events;
${OUTBOX_JOURNAL_TRIGGERS}${SUBSCRIPTION_JOURNAL_TRIGGERS}`

/**
 * 9: `outbox.retried_at`, when the operator last retried a failed send (null: never). The
 * retry keeps the row's `created_at` — the push it answers, from which the record measures
 * push-to-reply time — and REPLY_MAX_AGE_SECONDS counts from the retry instead, so a send
 * retried long after its push is not failed as `expired` at once. No index, no trigger: the
 * journal's triggers watch status, errcode and reason, which the retry writes too.
 */
const V9 = `
ALTER TABLE outbox ADD COLUMN retried_at INTEGER;
`

/**
 * 10: `outbox.ai`, for a reply the knowledge base's model was asked for (issue 27): JSON of
 * what it cost and came from — `{ model, sources, promptTokens, completionTokens, refused? }`
 * — once the model has answered (null for every other reply, and while it is being asked).
 * The journal's triggers need no change: the answer is written with a status change.
 */
const V10 = `
ALTER TABLE outbox ADD COLUMN ai TEXT;
`

/**
 * 11: fewer b-trees for every new user's object (issue 33). Creating them is most of what a
 * user's first message costs the object, and three tables held a handful of rows at most:
 * what the rules remember (`rule_memory`) and the campaigns sent (`campaign_sends`) become
 * rows of `meta` — keys `rule:<key>` (the number as text) and `campaign:<id>` (JSON:
 * status, errcode, at) — and schema 1's `send_window`, unread since schema 2 (rolling back
 * to code that old is not possible since schema 8's rebuild), goes.
 */
const V11 = `
INSERT INTO meta (key, value) SELECT 'rule:' || key, CAST(value AS TEXT) FROM rule_memory;
INSERT INTO meta (key, value)
  SELECT 'campaign:' || campaign_id, json_object('status', status, 'errcode', errcode, 'at', at) FROM campaign_sends;
DROP TABLE rule_memory;
DROP TABLE campaign_sends;
DROP TABLE send_window;
`

/**
 * 12: the outbox loses AUTOINCREMENT (issue 33), whose counter was one more row written for
 * every reply and one more b-tree in every new object. Its purpose stays: a send's id is never
 * one an earlier send of this user had, in this database or a deleted one before it, because
 * `addReplies` numbers a send from the time it is made (`outbox.ts`). The table is rebuilt (a
 * user's rows, tens at most); the journal's triggers go with it and come back unchanged.
 */
const V12 = `
DROP TRIGGER IF EXISTS outbox_journal_insert;
DROP TRIGGER IF EXISTS outbox_journal_update;
CREATE TABLE outbox_v12 (
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
);
INSERT INTO outbox_v12 SELECT id, openid, msg_id, dedup_key, rule_id, part, reply, status, attempts, next_attempt_at, errcode, reason,
  created_at, updated_at, attempt_started_at, manual, retried_at, ai FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v12 RENAME TO outbox;
DELETE FROM sqlite_sequence WHERE name = 'outbox';
${OUTBOX_JOURNAL_TRIGGERS}`

/**
 * 13: the journal without rows of its own (issue 33; journal.ts). Each change the record must
 * see was an entry in `record_journal`, written beside the change (by triggers for the outbox
 * and the subscriptions) and deleted once D1 had it: three to five rows written per reply. Now
 * the changed row carries the mark (`journal_seq`) and a push's `seen` row its inbound event
 * (`event`), and `meta` row `journal` holds the last mark of each table D1 has: one row per copy.
 * What the journal still held becomes the rows' marks, in its order (an inbound entry whose
 * `seen` row was pruned comes back as one); its most failed entry's count carries over.
 */
const V13 = `
DROP TRIGGER IF EXISTS outbox_journal_insert;
DROP TRIGGER IF EXISTS outbox_journal_update;
DROP TRIGGER IF EXISTS subscriptions_journal_insert;
DROP TRIGGER IF EXISTS subscriptions_journal_update;
ALTER TABLE seen ADD COLUMN event TEXT;
ALTER TABLE seen ADD COLUMN journal_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN journal_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN journal_seq INTEGER NOT NULL DEFAULT 0;
UPDATE seen SET event = j.event, journal_seq = j.seq FROM record_journal AS j WHERE j.ref = 'in:' || seen.key;
INSERT INTO seen (key, kind, summary, msg_id, rule_id, transfer, received_at, rules_version, event, journal_seq)
  SELECT substr(ref, 4), event ->> '$.kind', COALESCE(event ->> '$.text', ''), event ->> '$.msgId', event ->> '$.ruleId', 0, since,
    event ->> '$.rulesVersion', event, seq
  FROM record_journal WHERE ref LIKE 'in:%' AND event IS NOT NULL AND substr(ref, 4) NOT IN (SELECT key FROM seen);
UPDATE outbox SET journal_seq = j.seq FROM record_journal AS j WHERE j.ref = 'out:' || outbox.id;
UPDATE subscriptions SET journal_seq = j.seq FROM record_journal AS j WHERE j.ref = 'sub:' || subscriptions.template_id;
INSERT INTO meta (key, value)
  SELECT 'journal', json_object('seen', 0, 'outbox', 0, 'subscriptions', 0, 'failures', COALESCE(MAX(failures), 0)) FROM record_journal;
DROP TABLE record_journal;
`

export const MIGRATIONS: readonly string[] = [V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13]
