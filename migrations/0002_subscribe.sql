-- Subscribe messages (订阅消息): each user's grants per template, copied from their Conversation
-- object (the source of truth) by src/record/write.ts; and campaigns, which send one template to
-- every user who can be reached, through the CAMPAIGNS queue (src/subscribe/campaign*.ts).
-- STORAGE.md describes each table.

-- One row per user and template, as the user's object last reported it (updated_at: newest wins).
CREATE TABLE subscriptions (
  appid TEXT NOT NULL,
  template_id TEXT NOT NULL,
  openid TEXT NOT NULL,
  -- One-time sends allowed and not yet made.
  grants INTEGER NOT NULL,
  -- accept / reject / acceptWithAudio … from the popup or the settings page; NULL before any.
  status TEXT,
  accepted INTEGER NOT NULL,
  rejected INTEGER NOT NULL,
  last_send_at INTEGER,
  last_errcode INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (appid, template_id, openid)
) WITHOUT ROWID;

-- Who can be reached by a template, in openid order (a campaign pages through it).
CREATE INDEX subscriptions_reachable ON subscriptions (appid, template_id, openid) WHERE grants > 0 OR status LIKE 'accept%';

-- One row per campaign: the template and the message every user gets (JSON), and how many
-- users could be reached when it started.
CREATE TABLE campaigns (
  appid TEXT NOT NULL,
  id TEXT NOT NULL,
  template_id TEXT NOT NULL,
  message TEXT NOT NULL,
  long_term INTEGER NOT NULL,
  total INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (appid, id)
);
CREATE INDEX campaigns_newest ON campaigns (appid, created_at DESC);

-- One row per campaign and user: queued, then sent / failed (with errcode) / skipped (no grant
-- any more when its turn came).
CREATE TABLE campaign_targets (
  appid TEXT NOT NULL,
  campaign_id TEXT NOT NULL,
  openid TEXT NOT NULL,
  status TEXT NOT NULL,
  errcode INTEGER,
  reason TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (appid, campaign_id, openid)
) WITHOUT ROWID;
