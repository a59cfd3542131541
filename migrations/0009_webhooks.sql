-- Webhook deliveries that kept failing (issue 31, src/webhooks/): one row per delivery the
-- WEBHOOKS queue gave up on after its last attempt, shown in the console with a retry button.
-- Deliveries that succeed are not recorded. Times are epoch ms.
CREATE TABLE webhook_failures (
  appid TEXT NOT NULL,
  -- The delivery id (wh-<uuid>): the same on every attempt and every retry.
  id TEXT NOT NULL,
  -- message.received, reply.sent, reply.failed, handoff, subscribe.changed, user.deleted
  event TEXT NOT NULL,
  -- The user the event is about (NULL for none): a user's deletion deletes their rows.
  openid TEXT,
  -- The delivery as queued (JSON: id, event, appid, occurred_at, data), re-queued as it is by a
  -- retry. message.received may carry the user's text (≤ 200 characters): personal data.
  task TEXT NOT NULL,
  -- failed (the queue gave up) or retrying (an operator re-queued it).
  status TEXT NOT NULL,
  -- Attempts so far, over every round of the queue's retries.
  attempts INTEGER NOT NULL,
  -- The receiver's HTTP status at the last attempt; NULL when no answer came (time-out, DNS, TLS).
  last_status INTEGER,
  -- Why the last attempt failed, ≤ 200 characters (never the secret or the signature).
  last_reason TEXT,
  occurred_at INTEGER NOT NULL,
  -- When the queue last gave up on it.
  failed_at INTEGER NOT NULL,
  -- When an operator last retried it; NULL if never.
  retried_at INTEGER,
  -- The console's retry button and the operator who pressed it last.
  retried_by TEXT,
  PRIMARY KEY (appid, id)
) WITHOUT ROWID;
-- The console's list, newest first.
CREATE INDEX webhook_failures_newest ON webhook_failures (appid, failed_at);
-- Retention (the hourly cron): rows RETENTION_DAYS after they last failed.
CREATE INDEX webhook_failures_age ON webhook_failures (failed_at);
-- A user's deletion: their rows.
CREATE INDEX webhook_failures_user ON webhook_failures (appid, openid) WHERE openid IS NOT NULL;
