-- Images users send (issue 31): WeChat keeps a pushed image three days, so the archive queue
-- (src/media/archive-queue.ts) fetches it by its MediaId after "success" and keeps it in the
-- MEDIA bucket under users/<appid>/<day>/<openid>/<msgId>.<ext> (src/media/user-media.ts),
-- the day being this row's `day`. This column says how that went, on the inbound image's row:
-- NULL (not yet, or a push from before this migration), 'archived', or 'failed: <reason>'
-- (WeChat refused the media_id, the bytes were no image or too large, or every attempt
-- failed). STORAGE.md describes it. The console shows the picture only when 'archived'.
ALTER TABLE messages ADD COLUMN media TEXT;
