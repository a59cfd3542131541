-- Operator sends made at most once: the first result of each Idempotency-Key (the admin API's
-- header, the console forms' hidden field) for 24 hours (src/admin/idempotency.ts). The cron
-- deletes older rows. STORAGE.md describes the table.
CREATE TABLE idempotency (
  appid TEXT NOT NULL,
  key TEXT NOT NULL,
  -- SHA-256 of the method, path and body: the same key for another request is refused.
  fingerprint TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- NULL while the first request runs; then its answer, replayed to every repeat.
  status INTEGER,
  body TEXT,
  PRIMARY KEY (appid, key)
) WITHOUT ROWID;
