-- Operators as people (src/auth/operators.ts): a name, a role and the mini programs they may act
-- on; a personal token kept only as its SHA-256; an email for Cloudflare Access. And the audit
-- log of what operators did (src/admin/audit.ts). STORAGE.md describes both.
CREATE TABLE operators (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  -- owner / admin / agent / viewer (src/auth/roles.ts)
  role TEXT NOT NULL,
  -- JSON array of appids, or NULL for every mini program the Worker serves.
  apps TEXT,
  -- Lower case; the Cloudflare Access identity that signs in as this operator. NULL: none.
  email TEXT,
  -- SHA-256 (hex) of the personal token, shown once when the operator was added.
  token_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX operators_token ON operators (token_hash);
CREATE UNIQUE INDEX operators_email ON operators (email) WHERE email IS NOT NULL;

-- One row per thing an operator did, newest last: who, when, which mini program, what.
CREATE TABLE audit (
  appid TEXT NOT NULL,
  at INTEGER NOT NULL,
  -- Unique per row (time-ordered): the cursor's tie-break.
  id TEXT NOT NULL,
  -- The operator's id ('owner' for ADMIN_TOKEN, '' for a failed sign-in) and name at the time.
  operator_id TEXT NOT NULL,
  operator_name TEXT NOT NULL,
  -- sign_in, sign_in_failed, publish, rollback, reply, retry, drop, campaign_start, subscribe_send,
  -- uniform_send, knowledge_change, operator_add, operator_change, operator_remove, sign_out_everywhere
  action TEXT NOT NULL,
  -- What it acted on: an openid, a send id, a rule-set version, a campaign or operator id.
  target TEXT,
  -- A short summary: ids and outcomes, never message text or a secret.
  summary TEXT,
  PRIMARY KEY (appid, at, id)
) WITHOUT ROWID;
CREATE INDEX audit_operator ON audit (appid, operator_id, at);
CREATE INDEX audit_action ON audit (appid, action, at);
CREATE INDEX audit_at ON audit (at);
