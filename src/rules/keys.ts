/**
 * KV keys of the RULES namespace.
 *
 * - `rules`: the rule set as JSON. Written by the operator (`npm run rules:push`, or
 *   `wrangler kv key put rules --path rules/rules.json`); read by the Worker. Lives until
 *   replaced. Its version is the SHA-256 of the stored bytes (version.ts), computed by
 *   whoever reads it: nothing stored beside it can make a stale value pass for a new one.
 * - `rules:compiled`: the same rule set compiled (codec.ts), written by `rules:push` just
 *   before `rules`; read by the Worker, used only when its version equals that of `rules`.
 *   Lives until the next push.
 */
export const RULES_KEY = 'rules'
export const COMPILED_KEY = 'rules:compiled'

/** Edge cache of both keys; KV's minimum is 30 s. */
export const RULES_CACHE_TTL = 30
