-- Answers by the model (issue 27, src/ai/). A send the model was asked for is recorded under
-- rule_id 'ai' (its answer went out, with WeChat's AI label) or 'ai:fallback' (the model could
-- not answer, or its answer failed the checks, and the fallback went out instead). Its row
-- keeps what the answer came from and cost; the overview counts answers by FAQ, by the model
-- and by hand-off from these rows and rule_daily. STORAGE.md describes them.

-- The knowledge entries of the passages the model was given (JSON array of ids); NULL for
-- every other send.
ALTER TABLE messages ADD COLUMN sources TEXT;
-- Tokens the model spent on the answer (prompt and completion; 0 when no call got through);
-- NULL for every other send, and for the later parts of a fallback.
ALTER TABLE messages ADD COLUMN tokens INTEGER;
-- Why the model's answer was not sent and the fallback was: its answer refused (no_answer,
-- link, phone, price, ungrounded, cut_off, leak) or no answer (timeout, HTTP 429, …); NULL
-- when its answer was sent.
ALTER TABLE messages ADD COLUMN refused TEXT;

-- The model's answers of a period, for the overview's rates: only the rows the model was asked
-- for (their first part), so the rows read grow with its answers, not with every message.
CREATE INDEX messages_ai ON messages (appid, day) WHERE tokens IS NOT NULL;
