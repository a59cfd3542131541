/**
 * The admin API's requests as valibot schemas: the routes validate every query, path
 * parameter and body with them (and the console its query values, path parameters and the
 * reply form), and `scripts/openapi/document.ts` turns the same schemas into the OpenAPI
 * document, so the document cannot describe an API other than the one served. The answers
 * are answers.ts.
 *
 * Query values arrive as strings: each schema checks the text, then turns it into what the
 * handler uses (a number, a decoded cursor). The OpenAPI document shows the string form.
 */
import * as v from 'valibot'
import { CONVERSATION_FILTERS } from '../record/conversations'
import { decodeCursor, MAX_CURSOR_CHARS, type CursorList, type Position } from '../record/cursor'
import { MAX_STATS_DAYS } from '../record/stats'
import { ROLES } from '../auth/roles'
import { HISTORY_CURSOR, VERSION } from '../rules/history-format'
import { PreviewMessage } from '../rules/preview'
import { DateTimeSchema, ReplySchema } from '../rules/schema'
import { english } from '../rules/messages'
import { eitherOrProblem } from '../rules/validate'
import { APPID } from '../wechat/appid'
import { OPENID } from '../wechat/openid'
import { SubscribeSendSchema } from '../wechat/subscribe-data'
import { UniformSendSchema } from '../wechat/uniform-send'

export { SUBSCRIBE_SEND_MAX_BYTES } from '../wechat/subscribe-data'
export { UNIFORM_SEND_MAX_BYTES } from '../wechat/uniform-send'

export const DEFAULT_LIMIT = 50
export const MAX_LIMIT = 200
export const DEFAULT_DAYS = 14
/** A preview's body: the draft rule set dominates; real rule sets are tens of KiB. */
export const PREVIEW_MAX_BYTES = 256 * 1024
/** A manual reply's body: one reply, whose text is at most 2 KiB. */
export const REPLY_MAX_BYTES = 16 * 1024
/**
 * A rule set published through the API: a preview's bound (over 1,000 rules). Bigger sets go
 * through `rules:push`, which has no bound but KV's 25 MiB and compiles off the Worker.
 */
export const RULES_MAX_BYTES = PREVIEW_MAX_BYTES
/** A rollback's body: two versions. */
export const ROLLBACK_MAX_BYTES = 1024

// ---------------------------------------------------------------- query and path parameters

/** A decimal count within bounds, from a query string. */
export function countParam(min: number, max: number, fallback: number, what: string) {
  return v.optional(
    v.pipe(
      v.string(),
      // Before the transform: the OpenAPI document shows the string as sent, up to there.
      v.description(`${what}: ${min} to ${max}, default ${fallback}.`),
      v.regex(/^[0-9]{1,4}$/, `must be an integer from ${min} to ${max}`),
      v.transform(Number),
      v.minValue(min, `must be an integer from ${min} to ${max}`),
      v.maxValue(max, `must be an integer from ${min} to ${max}`),
    ),
    String(fallback),
  )
}

/** A cursor this API handed out for `list`, decoded; anything else is refused. */
export function cursorParam(list: CursorList) {
  return v.optional(
    v.pipe(
      v.string(),
      v.maxLength(MAX_CURSOR_CHARS, 'is not a cursor of this list'),
      v.regex(/^[A-Za-z0-9_-]+$/, 'is not a cursor of this list'),
      v.description('`nextCursor` of the previous page; absent for the first page.'),
      v.rawTransform(({ dataset, addIssue, NEVER }): Position => {
        const position = decodeCursor(list, dataset.value)
        if (position) return position
        addIssue({ message: 'is not a cursor of this list' })
        return NEVER
      }),
    ),
  )
}

const Limit = countParam(1, MAX_LIMIT, DEFAULT_LIMIT, 'Items per page')

export const ConversationsQuery = v.strictObject({
  cursor: cursorParam('conversations'),
  limit: Limit,
  filter: v.optional(
    v.pipe(
      v.picklist(CONVERSATION_FILTERS, `must be one of ${CONVERSATION_FILTERS.join(', ')}`),
      v.description('failed: with failed sends; unmatched: with texts only the default answered; open: window open now.'),
    ),
  ),
})

export const MessagesQuery = v.strictObject({ cursor: cursorParam('messages'), limit: Limit })

export const FailedQuery = v.strictObject({ cursor: cursorParam('failed'), limit: Limit })

/** A rule-set version, as every answer about rules gives it. */
const Version = (what: string) => v.pipe(v.string(), v.regex(VERSION, 'is not a rule-set version (16 hex digits)'), v.description(what))

export const HistoryQuery = v.strictObject({
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.regex(HISTORY_CURSOR, 'is not a cursor of this list'),
      v.description('`nextCursor` of the previous page; absent for the first page.'),
    ),
  ),
  limit: Limit,
})

export const VersionParam = v.strictObject({ version: Version('A version in the history.') })

export const PublishQuery = v.strictObject({
  ifVersion: v.optional(Version('Publish only if this is the version in force, as If-Match (412 otherwise).')),
})

/**
 * `If-Match: "<version>"`: one strong entity tag, as GET /admin/api/rules gives in ETag; the
 * bare version is taken too.
 */
export const IfMatchHeader = v.pipe(
  v.string(),
  v.regex(/^(?:"[0-9a-f]{16}"|[0-9a-f]{16})$/, 'is not one rule-set version ("<16 hex digits>", quoted or bare)'),
  v.description(
    'Publish only if this is the version in force: the ETag of GET /admin/api/rules (quoted, or the bare version). Otherwise 412 with the version in force, and nothing is written. Publishes of one mini program run one at a time, so of two sent with the same If-Match one gets 412.',
  ),
  v.transform((tag) => tag.replaceAll('"', '')),
)

export const StatsQuery = v.strictObject({ days: countParam(1, MAX_STATS_DAYS, DEFAULT_DAYS, 'Days ending today (UTC+8)') })

export const OpenidParam = v.strictObject({
  openid: v.pipe(v.string(), v.regex(OPENID, 'is not an openid'), v.description("The user's openid.")),
})

export const CampaignParam = v.strictObject({
  id: v.pipe(v.string(), v.regex(/^c-[0-9a-f-]{36}$/, 'is not a campaign id'), v.description('The campaign id, c-<uuid>.')),
})

/** A campaign's per-user results, in openid order, a page at a time. */
export const CampaignTargetsQuery = v.strictObject({
  cursor: v.optional(
    v.pipe(v.string(), v.regex(OPENID, 'is not a cursor of this list'), v.description('nextCursor of the previous page.')),
  ),
  limit: countParam(1, MAX_LIMIT, DEFAULT_LIMIT, 'Users per page'),
})

/** `out:<openid>:<outbox row id>`, the id the record and the failed list give a send. */
const FAILED_ID = /^out:([A-Za-z0-9_-]{1,64}):([1-9][0-9]{0,14})$/

export const FailedIdParam = v.strictObject({
  id: v.pipe(
    v.string(),
    v.regex(FAILED_ID, 'is not the id of a send (out:<openid>:<number>)'),
    v.description('The id of a failed send, as the failed list gives it: out:<openid>:<number>.'),
    v.transform((id) => {
      // The regex above matched, so both groups are there.
      const [, openid = '', row = ''] = FAILED_ID.exec(id) ?? []
      return { openid, row: Number(row) }
    }),
  ),
})

// ---------------------------------------------------------------- bodies

// The rules' own reply shapes, minus transfer: a transfer answers a push, and a reply by
// hand answers none. Taken from ReplySchema so the two formats cannot drift apart.
const [TextReply, ImageReply, LinkReply, PageReply] = ReplySchema.options

export const ManualReplyBody = v.pipe(
  v.variant('type', [TextReply, ImageReply, LinkReply, PageReply], 'must be one of text, image, link, miniprogrampage'),
  // The either/or sources validate.ts checks for rule replies.
  v.rawCheck(({ dataset, addIssue }) => {
    const problem = dataset.typed ? eitherOrProblem(dataset.value) : null
    if (problem) addIssue({ message: english(problem) })
  }),
  v.description('One reply in the rule set format (text, image, link or miniprogrampage; no transfer).'),
)

export const PreviewBody = v.strictObject({
  message: PreviewMessage,
  at: v.optional(
    v.pipe(
      DateTimeSchema,
      v.description('Answer as of this time (office hours, from/until), e.g. 2026-10-01T10:00+08:00; now when absent.'),
    ),
  ),
  // Checked by validateRuleSet, whose messages name the rule and the path; the OpenAPI
  // document shows the rule-set schema here.
  rules: v.optional(v.pipe(v.unknown(), v.description('A draft rule set (the format of rules/rules.json); the stored one when absent.'))),
})

export const RollbackBody = v.strictObject({
  version: Version('The version to restore, from the history.'),
  ifVersion: v.optional(Version('Restore only if this is the version in force.')),
})

/**
 * A subscribe-message send: the shape parseSubscribeSend (wechat/subscribe-data.ts) checks
 * before it holds each data value to its keyword's rule.
 */
export const SubscribeSendBody = SubscribeSendSchema

/**
 * A campaign: a send without touser and force (the route refuses both: a campaign goes to
 * every user who can be reached), checked by the same parseSubscribeSend.
 */
export const CampaignBody = v.omit(SubscribeSendSchema, ['touser', 'force'])

/** A uniform send: what parseUniformSend (wechat/uniform-send.ts) checks, weapp_template_msg refused first. */
export const UniformSendBody = UniformSendSchema

// ---------------------------------------------------------------- operators

/** An operator's body: at most a few hundred bytes. */
export const OPERATOR_MAX_BYTES = 4 * 1024
/** More than any Worker serves; the route checks each is one this Worker does. */
const MAX_OPERATOR_APPS = 50

const OperatorName = v.pipe(
  v.string(),
  v.description('Who this is, as the console and the audit log show it: 1 to 64 characters once trimmed.'),
  v.trim(),
  v.regex(/^[^\p{Cc}]*$/u, 'must not hold control characters'),
  v.minLength(1, 'must be 1 to 64 characters'),
  v.maxLength(64, 'must be 1 to 64 characters'),
)

const OperatorRole = v.pipe(
  v.picklist(ROLES, `must be one of ${ROLES.join(', ')}`),
  v.description(
    'owner: everything, operators included; admin: rules, campaigns and replies; agent: read, reply by hand, retry or drop a failed send; viewer: read only.',
  ),
)

const OperatorApps = v.pipe(
  v.nullable(
    v.pipe(
      v.array(v.pipe(v.string(), v.regex(APPID, 'is not an appid'))),
      v.minLength(1, 'must name at least one app (null: every app)'),
      v.maxLength(MAX_OPERATOR_APPS, `must name at most ${MAX_OPERATOR_APPS} apps`),
    ),
  ),
  v.description('The mini programs (appids) they may act on, each one this Worker serves; null or absent: every one.'),
)

const OperatorEmail = v.pipe(
  v.nullable(
    v.pipe(
      v.string(),
      v.trim(),
      v.maxLength(254, 'is not an email address'),
      v.regex(/^[^\s@<>()",;]+@[^\s@<>()",;]+\.[^\s@<>()",;]+$/, 'is not an email address'),
      v.toLowerCase(),
    ),
  ),
  v.description('The Cloudflare Access identity that signs in as them (kept lower case); null or absent: none.'),
)

export const OperatorBody = v.strictObject({
  name: OperatorName,
  role: OperatorRole,
  apps: v.optional(OperatorApps),
  email: v.optional(OperatorEmail),
})

export const OperatorChangeBody = v.pipe(
  v.strictObject({
    name: v.optional(OperatorName),
    role: v.optional(OperatorRole),
    apps: v.optional(OperatorApps),
    email: v.optional(OperatorEmail),
  }),
  v.check((change) => Object.keys(change).length > 0, 'names nothing to change (name, role, apps or email)'),
)

export const OperatorIdParam = v.strictObject({
  id: v.pipe(
    v.string(),
    v.regex(/^(?:owner|[A-Za-z0-9_-]{12})$/, 'is not an operator id'),
    v.description('The operator id, as the list and POST give it (`owner` is ADMIN_TOKEN’s, which cannot change).'),
  ),
})
