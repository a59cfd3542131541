-- The knowledge base (src/knowledge/): per mini program, FAQ entries (a question, its other
-- phrasings and an answer in the rule set's reply format) and documents (a title and plain text
-- or Markdown), with the passages they are searched by. STORAGE.md describes them.
CREATE TABLE knowledge (
  appid TEXT NOT NULL,
  -- k-<uuid>
  id TEXT NOT NULL,
  -- faq / doc
  kind TEXT NOT NULL,
  -- An FAQ's question, its variants (JSON array of strings) and answer (JSON: a string is a
  -- text reply, otherwise a reply or a list of replies as in rules.json). NULL for a document.
  question TEXT,
  variants TEXT,
  answer TEXT,
  -- A document's title and text. NULL for an FAQ.
  title TEXT,
  text TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (appid, id)
) WITHOUT ROWID;
-- The list, newest first, keyset-paged on (created_at, id).
CREATE INDEX knowledge_newest ON knowledge (appid, created_at, id);

-- What is searched: an FAQ's question and each variant, a document's passages (seq from 0).
-- id is the rowid of the entry's row in knowledge_terms.
CREATE TABLE knowledge_passages (
  id INTEGER PRIMARY KEY,
  appid TEXT NOT NULL,
  entry_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  text TEXT NOT NULL
);
CREATE UNIQUE INDEX knowledge_passages_entry ON knowledge_passages (appid, entry_id, seq);

-- The full-text index of the passages: FTS5 over the terms the Worker cuts them into
-- (src/knowledge/text.ts: character bigrams of Chinese, words of Latin script), space-separated,
-- so unicode61 only splits on the spaces. The appid is a column, so a MATCH names it.
-- rowid = knowledge_passages.id.
CREATE VIRTUAL TABLE knowledge_terms USING fts5(appid, terms, tokenize = 'unicode61 remove_diacritics 0');
