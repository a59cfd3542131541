-- Which channel a conversation came through (issue 32): 'miniprogram' (the mini program's
-- customer-service push) or 'kf' (微信客服, pulled by src/wecom/account.ts; the openid is the
-- customer's external_userid). Written with the conversation's first row, never changed.
ALTER TABLE conversations ADD COLUMN channel TEXT NOT NULL DEFAULT 'miniprogram';

-- The console's "微信客服" filter: only that channel's rows.
CREATE INDEX conversations_kf ON conversations (appid, last_at, openid) WHERE channel = 'kf';
