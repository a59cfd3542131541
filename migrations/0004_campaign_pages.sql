-- Campaigns finish when their pages have run, and the record keeps subscribe data no longer
-- than the Conversation objects do (issue 25 items 5 and 7). STORAGE.md describes each column.

-- When a campaign's last page ran (src/subscribe/campaign-queue.ts): from then on it is done
-- once no target is queued. NULL while pages remain.
ALTER TABLE campaigns ADD COLUMN paged_at INTEGER;
-- Its counts by outcome, written by retention (src/record/retention.ts) just before it deletes
-- the campaign's targets; NULL until then.
ALTER TABLE campaigns ADD COLUMN sent INTEGER;
ALTER TABLE campaigns ADD COLUMN failed INTEGER;
ALTER TABLE campaigns ADD COLUMN skipped INTEGER;
-- Campaigns started before this: their pages are taken as run. One whose audience shrank is
-- done at last; one still running goes on page by page as before.
UPDATE campaigns SET paged_at = created_at;

-- A user's rows: retention's sweep over users, and its deletion of all of a user's rows.
CREATE INDEX subscriptions_user ON subscriptions (appid, openid);
