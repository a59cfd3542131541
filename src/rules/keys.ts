/**
 * KV keys of the RULES namespace.
 *
 * - `rules`: the rule set as JSON. Written by a publish (history.ts: the console, the admin
 *   API, `npm run rules:push`, `rules:rollback`) or by hand
 *   (`wrangler kv key put rules --path rules/rules.json`); read by the Worker. Lives until
 *   replaced. Its version is the SHA-256 of the stored bytes (version.ts), computed by
 *   whoever reads it: nothing stored beside it can make a stale value pass for a new one.
 * - `rules:compiled`: the same rule set compiled (codec.ts), written by every publish just
 *   before `rules`; read by the Worker, used only when its version equals that of `rules`.
 *   Lives until the next publish.
 * - `rules:history:<13 digits: 9999999999999 − publishedAt ms>:<version>`: one per published
 *   version (history.ts), so KV's ascending list is newest first. The value is the exact
 *   bytes `rules` held (a rollback puts them back unchanged, same version); the metadata,
 *   read by a list without the values, is `{ version, publishedAt, from, rules }`: when,
 *   from where (`console`, `api`, `rules:push`, `rollback`, or `unrecorded` for a version
 *   found in `rules` that no tool recorded, e.g. put by hand) and how many rules. Written by
 *   every publish (the console, the admin API, `rules:push`, `rules:rollback`); the oldest
 *   beyond HISTORY_LIMIT are deleted by the publish that adds one. The key carries the whole
 *   version (16 hex digits), so a listing alone says which version each key holds.
 */
export const RULES_KEY = 'rules'
export const COMPILED_KEY = 'rules:compiled'
export const HISTORY_PREFIX = 'rules:history:'
/** Versions kept: months of edits, and one short KV list (values are never listed). */
export const HISTORY_LIMIT = 100

/** Edge cache of both keys; KV's minimum is 30 s. */
export const RULES_CACHE_TTL = 30
