-- One index on time instead of two for the record's clean-up (issue 33): every message row
-- written paid for both. `messages_at` serves retention's text clearing (rows older than
-- RETENTION_DAYS that still hold text: the scan also passes the rows already cleared between
-- that and the stats' days, once an hour, D1 rows read), retention's deletion of old rows (a
-- day is a range of times, src/record/day.ts) and the CSV export (by time, then rowid).
CREATE INDEX messages_at ON messages (appid, at);
DROP INDEX messages_day;
DROP INDEX messages_text;
-- A conversation's last text is cleared through conversations_recent (same key, every row):
-- the scan passes the conversations quiet between RETENTION_DAYS and the stats' days whose
-- text is already gone. No console page reads this index.
DROP INDEX conversations_text;
