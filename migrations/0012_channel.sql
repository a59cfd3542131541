-- Which channel a conversation came through (issue 32): 'miniprogram' (the mini program's
-- customer-service push) or 'kf' (微信客服, pulled by src/wecom/account.ts; the openid is the
-- customer's external_userid). Written with the conversation's first row, never changed.
ALTER TABLE conversations ADD COLUMN channel TEXT NOT NULL DEFAULT 'miniprogram';
-- With channel 'kf': the 微信客服 account (open_kfid) the customer wrote to, so an operator's
-- action on them (a reply by hand, their export or deletion) reaches their object
-- (kf.<open_kfid>:<external_userid>, src/wecom/view.ts).
ALTER TABLE conversations ADD COLUMN kf_account TEXT;

-- The console's "微信客服" filter: only that channel's rows.
CREATE INDEX conversations_kf ON conversations (appid, last_at, openid) WHERE channel = 'kf';
