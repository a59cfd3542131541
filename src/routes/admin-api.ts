/**
 * `/admin/api/*`: the operator's API over the D1 record, a user's Conversation object as it
 * is (`/state`) and the actions that go through it (a reply by hand, a failed send retried or
 * dropped), and the rule set (its preview, publishing, history and rollback, in RULES KV). Behind
 * `Authorization: Bearer <token>`: ADMIN_TOKEN (the owner) or an operator's personal token. Each
 * route first checks what the operator's role may do (`allow`, routes/allow.ts): without the
 * permission, or on a mini program they may not act on, a 403 before anything is read, sent or
 * kept. JSON in and out; every query, path parameter and
 * body is checked by the valibot schemas of admin/requests.ts before a handler runs, and
 * anything a client sends wrong is a 4xx `{ "error": "…" }` — never a 500.
 *
 * Lists read the record only (one index search each, see test/record/queries.test.ts):
 * nothing here visits Durable Objects to list, so a page costs the same for ten users or a
 * million.
 */
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import { getConversation, listConversations } from '../record/conversations'
import { listFailed } from '../record/failed'
import { getStats } from '../record/stats'
import { ruleSetDiff } from '../rules/diff'
import { historyEntry, listHistory, logPublish, type RollbackOutcome } from '../rules/history'
import { readStoredRules } from '../rules/history-store'
import { RULES_CACHE_TTL } from '../rules/keys'
import { loadRules, rulesStatus } from '../rules/loader'
import { previewDraft, previewRules } from '../rules/preview'
import { publishAs, rollbackAs } from '../rules/publisher'
import { formatIssue, validateRuleSet } from '../rules/validate'
import { utf8Strict } from '../wechat/bytes'
import { actOnFailed, replyByHand } from '../admin/actions'
import { appidOf } from '../settings/env'
import { requireAdmin } from './admin-auth'
import { idempotent } from './idempotent'
import { adminSubscribe } from './admin-subscribe'
import { adminAudit } from './admin-audit'
import { adminOperators } from './admin-operators'
import { adminKnowledge } from './admin-knowledge'
import { adminDesk } from './admin-desk'
import { adminMedia } from './admin-media'
import { adminUsers } from './admin-users'
import { adminWebhooks } from './admin-webhooks'
import { adminExport } from './admin-export'
import { allow } from './allow'
import { jsonBody, params, problem, readBytes, refuse, type ApiEnv } from './admin-validation'
import {
  ConversationsQuery,
  FailedIdParam,
  FailedQuery,
  HistoryQuery,
  IfMatchHeader,
  ManualReplyBody,
  MessagesQuery,
  OpenidParam,
  PREVIEW_MAX_BYTES,
  PreviewBody,
  PublishQuery,
  REPLY_MAX_BYTES,
  ROLLBACK_MAX_BYTES,
  RollbackBody,
  RULES_MAX_BYTES,
  StatsQuery,
  VersionParam,
} from '../admin/requests'
import { conversationOf, rulesStoreOf } from '../settings/mini-program-state'
import { miniProgramParam } from './mini-program-param'
import { viewOfUser } from '../wecom/user-view'

type ApiContext = Context<ApiEnv>

export const adminApi = new Hono<ApiEnv>()

adminApi.use('/admin/api/*', requireAdmin, miniProgramParam, async (c, next) => {
  await next()
  // Answers hold users' messages: no shared cache keeps them.
  c.header('cache-control', 'no-store')
})

// Subscribe messages, campaigns and uniform sends: behind the same token.
adminApi.route('/', adminSubscribe)
// The audit log: who did what.
adminApi.route('/', adminAudit)
// Operators: who may sign in, as what role, for which mini programs.
adminApi.route('/', adminOperators)
// The knowledge base: FAQ entries and documents, and "try a question".
adminApi.route('/', adminKnowledge)
adminApi.route('/', adminDesk)
// Images uploaded for rules: a reply's image, a card's cover, a link's thumbnail.
adminApi.route('/', adminMedia)
// The record as CSV, for analysis: a range of days, streamed.
adminApi.route('/', adminExport)
// A user's data on request: everything kept about them, and its deletion.
adminApi.route('/', adminUsers)

adminApi.route('/', adminWebhooks)

// ---------------------------------------------------------------- the record

adminApi.get('/admin/api/conversations', allow('read'), params('query', ConversationsQuery), async (c) => {
  const { cursor, limit, filter } = c.req.valid('query')
  const now = Date.now()
  return c.json(
    await listConversations(c.env.DB, {
      appid: appidOf(c.env),
      limit,
      now,
      ...(filter ? { filter } : {}),
      ...(cursor ? { after: cursor } : {}),
    }),
  )
})

adminApi.get('/admin/api/conversations/:openid', allow('read'), params('param', OpenidParam), params('query', MessagesQuery), async (c) => {
  const { openid } = c.req.valid('param')
  const { cursor, limit } = c.req.valid('query')
  const detail = await getConversation(c.env.DB, {
    appid: appidOf(c.env),
    openid,
    limit,
    now: Date.now(),
    ...(cursor ? { after: cursor } : {}),
  })
  return detail ? c.json(detail) : refuse(c, 404, 'not_found')
})

/**
 * The user's Conversation object itself, not the record: the send window, the last pushes in
 * and replies out with their attempts, and what the D1 copy has not got yet. Looking creates
 * nothing (an object never written to answers empty).
 */
adminApi.get('/admin/api/conversations/:openid/state', allow('read'), params('param', OpenidParam), async (c) => {
  const { openid } = c.req.valid('param')
  return c.json(await conversationOf(await viewOfUser(c.env, openid), openid).state())
})

adminApi.get('/admin/api/failed', allow('read'), params('query', FailedQuery), async (c) => {
  const { cursor, limit } = c.req.valid('query')
  return c.json(await listFailed(c.env.DB, { appid: appidOf(c.env), limit, ...(cursor ? { after: cursor } : {}) }))
})

adminApi.get('/admin/api/stats', allow('read'), params('query', StatsQuery), async (c) => {
  const { days } = c.req.valid('query')
  return c.json(await getStats(c.env.DB, appidOf(c.env), Date.now(), days))
})

// ---------------------------------------------------------------- actions, through the user's object

adminApi.post(
  '/admin/api/conversations/:openid/reply',
  allow('reply'),
  idempotent,
  params('param', OpenidParam),
  jsonBody(ManualReplyBody, REPLY_MAX_BYTES),
  async (c) => {
    const { openid } = c.req.valid('param')
    const result = await replyByHand(c.env, c.var.operator, openid, c.req.valid('json'))
    if (result.ok) return c.json({ outcome: result.outcome })
    if (result.refusal === 'held') return c.json({ error: result.refusal, holder: result.holder }, 409)
    return result.refusal === 'not_sendable' ? refuse(c, 400, 'body: is not a reply that can be sent') : refuse(c, 409, result.refusal)
  },
)

for (const action of ['retry', 'drop'] as const) {
  adminApi.post(`/admin/api/failed/:id/${action}`, allow('reply'), idempotent, params('param', FailedIdParam), async (c) => {
    const result = await actOnFailed(c.env, c.var.operator, action, c.req.valid('param').id)
    if (result.ok) return c.json({ outcome: result.outcome })
    return refuse(c, result.problem === 'not_found' ? 404 : 409, result.problem)
  })
}

// ---------------------------------------------------------------- rules

adminApi.get('/admin/api/rules', allow('read'), async (c) => {
  await loadRules(c.env)
  // The stored text as it is now: it may be newer than the set in force (isolates recheck
  // KV every RULES_REFRESH_SECONDS), which sourceVersion against version shows.
  const stored = await readStoredRules(rulesStoreOf(c.env), { cacheTtl: RULES_CACHE_TTL })
  const source = stored === null ? null : new TextDecoder().decode(stored.bytes)
  const sourceVersion = stored?.version ?? null
  // What an editor sends back as If-Match when it publishes (PUT below).
  if (sourceVersion !== null) c.header('etag', `"${sourceVersion}"`)
  return c.json({ ...rulesStatus(c.env), source, sourceVersion })
})

/**
 * Publishes a rule set: the body's exact bytes become `rules` (and a history entry), after
 * the checks of `rules:check`. `If-Match: "<version>"` (quoted or bare, or `?ifVersion=`)
 * makes it refuse, with 412 and the version in force, when someone else published since the
 * editor read that version. Publishes run in the mini program's RulePublisher one at a time, so of two
 * from the same version exactly one goes through.
 */
adminApi.put('/admin/api/rules', allow('rules'), params('query', PublishQuery), async (c) => {
  const expected = ifVersionOf(c.req.header('if-match'), c.req.valid('query').ifVersion)
  if (!expected.ok) return refuse(c, 400, expected.error)
  const body = await readBytes(c.req.raw, RULES_MAX_BYTES)
  if (!body.ok) return refuse(c, body.status, body.error)
  try {
    utf8Strict.decode(body.bytes)
  } catch {
    return refuse(c, 400, 'body: is not valid JSON (UTF-8)')
  }
  const outcome = await publishAs(c.env, c.var.operator, body.bytes, 'api', expected.value)
  logPublish(outcome, 'api')
  return publishAnswer(c, outcome, 'body', 412)
})

/** The version an editor started from: the If-Match header or the query, never two different. */
function ifVersionOf(header: string | undefined, query: string | undefined): { ok: true; value?: string } | { ok: false; error: string } {
  if (header === undefined) return query === undefined ? { ok: true } : { ok: true, value: query }
  const parsed = v.safeParse(IfMatchHeader, header.trim())
  if (!parsed.success) return { ok: false, error: problem(parsed.issues, 'If-Match') }
  if (query !== undefined && query !== parsed.output) return { ok: false, error: 'ifVersion: differs from If-Match' }
  return { ok: true, value: parsed.output }
}

/**
 * The answer to a publish or rollback; `what` names the input a refused rule set came in, and
 * a conflict answers `conflict`: 412 for PUT (a precondition, If-Match or ifVersion), 409 for
 * a rollback (whose ifVersion is a field of its body).
 */
function publishAnswer(c: ApiContext, outcome: RollbackOutcome, what: string, conflict: 409 | 412) {
  if (outcome.ok) return c.json({ version: outcome.version, rules: outcome.rules, unchanged: outcome.unchanged })
  switch (outcome.problem) {
    case 'invalid':
      return c.json({ error: `${what}: the rule set is invalid`, issues: outcome.issues.map(formatIssue) }, 400)
    case 'conflict':
      return c.json({ error: 'version_changed', currentVersion: outcome.currentVersion }, conflict)
    case 'not_found':
      return refuse(c, 404, 'not_found')
  }
}

adminApi.get('/admin/api/rules/history', allow('read'), params('query', HistoryQuery), async (c) => {
  const { cursor, limit } = c.req.valid('query')
  return c.json(await listHistory(rulesStoreOf(c.env), { limit, ...(cursor ? { cursor } : {}) }))
})

adminApi.get('/admin/api/rules/history/:version', allow('read'), params('param', VersionParam), async (c) => {
  const detail = await historyEntry(rulesStoreOf(c.env), c.req.valid('param').version)
  if (!detail) return refuse(c, 404, 'not_found')
  const { previous, ...entry } = detail
  // The previous source only feeds the diff: its own entry serves it.
  const previousItem = previous
    ? {
        version: previous.version,
        publishedAt: previous.publishedAt,
        from: previous.from,
        rules: previous.rules,
        ...(previous.by === undefined ? {} : { by: previous.by }),
      }
    : null
  return c.json({ ...entry, previous: previousItem, diff: ruleSetDiff(previous?.source ?? null, detail.source) })
})

/** Publishes a version from the history again, exactly; the rollback is itself recorded. */
adminApi.post('/admin/api/rules/rollback', allow('rules'), jsonBody(RollbackBody, ROLLBACK_MAX_BYTES), async (c) => {
  const { version, ifVersion } = c.req.valid('json')
  const outcome = await rollbackAs(c.env, c.var.operator, version, 'api', ifVersion)
  logPublish(outcome, 'rollback')
  return publishAnswer(c, outcome, 'version', 409)
})

adminApi.post('/admin/api/rules/preview', allow('rules'), jsonBody(PreviewBody, PREVIEW_MAX_BYTES), async (c) => {
  const { message, rules, at } = c.req.valid('json')
  const now = at === undefined ? Date.now() : Date.parse(at)
  // Nothing is recorded, queued or sent.
  if (rules === undefined) return c.json(previewRules(await loadRules(c.env), message, now))
  const validation = validateRuleSet(rules)
  if (!validation.ok) return c.json({ error: 'rules: the draft rule set is invalid', issues: validation.issues.map(formatIssue) }, 400)
  return c.json(previewDraft(validation.value, message, now))
})

// ---------------------------------------------------------------- the document

// Built from the routes' schemas by `npm run openapi` (scripts/openapi/document.ts) and served as a
// static asset: the generator stays out of the bundle. A copy, so the headers above can be set.
adminApi.get('/admin/api/openapi.json', allow('read'), async (c) => {
  const asset = await c.env.ASSETS.fetch(c.req.raw)
  return new Response(asset.body, asset)
})
