/**
 * The OpenAPI 3.1 document of the admin API, built from the valibot schemas the routes
 * validate with (src/admin/requests.ts) and the answers they give (src/admin/answers.ts), so
 * it describes exactly what is served. Not part of the Worker: `npm run openapi`
 * (scripts/openapi.ts) writes it to assets/admin/api/openapi.json, which the Worker serves at
 * `GET /admin/api/openapi.json`, and a test holds that file equal to this.
 */
import { toJsonSchema, type ConversionConfig, type JsonSchema } from '@valibot/to-json-schema'
import type * as v from 'valibot'
import { ruleSetJsonSchema } from '../rules-json-schema'
import { VERSION } from '../../src/version'
import { KEYWORD_TYPES, MAX_DATA_KEYS } from '../../src/wechat/subscribe-data'
import { MAX_UNIFORM_DATA_KEYS, MAX_UNIFORM_VALUE_CHARS } from '../../src/wechat/uniform-send'
import { IDEMPOTENCY_KEY } from '../../src/admin/idempotency'
import { ANSWERS } from '../../src/admin/answers'
import { can, PERMISSIONS, type Permission, ROLES, roleNeeded } from '../../src/auth/roles'
import {
  CampaignBody,
  CampaignParam,
  CampaignTargetsQuery,
  ConversationsQuery,
  FailedIdParam,
  FailedQuery,
  HistoryQuery,
  IfMatchHeader,
  ManualReplyBody,
  MessagesQuery,
  OpenidParam,
  OPERATOR_MAX_BYTES,
  OperatorBody,
  OperatorChangeBody,
  OperatorIdParam,
  PREVIEW_MAX_BYTES,
  PreviewBody,
  PublishQuery,
  REPLY_MAX_BYTES,
  ROLLBACK_MAX_BYTES,
  RollbackBody,
  RULES_MAX_BYTES,
  StatsQuery,
  SUBSCRIBE_SEND_MAX_BYTES,
  SubscribeSendBody,
  UNIFORM_SEND_MAX_BYTES,
  UniformSendBody,
  VersionParam,
} from '../../src/admin/requests'
import { AuditQuery } from '../../src/admin/requests-audit'
import { ExportParams } from '../../src/admin/requests-export'
import { EXPORT_MAX_ROWS } from '../../src/record/export'
import { MAX_STATS_DAYS } from '../../src/record/stats'
import { EXPORT_COLUMNS } from '../../src/record/export-csv'
import { KNOWLEDGE_ANSWERS } from '../../src/admin/answers-knowledge'
import { DESK_ANSWERS } from '../../src/admin/answers-desk'
import { MEDIA_ANSWERS } from '../../src/admin/answers-media'
import { USERS_ANSWERS } from '../../src/admin/answers-users'
import { WEBHOOK_ANSWERS } from '../../src/admin/answers-webhooks'
import { DeliveryIdParam } from '../../src/admin/requests-webhooks'
import { MediaUploadQuery, UPLOAD_CONTENT_TYPES } from '../../src/admin/requests-media'
import { MEDIA_USES, UPLOAD_LIMITS } from '../../src/media/uploads'
import {
  CannedBody,
  CannedIdParam,
  DESK_MAX_BYTES,
  DESK_TEXT_MAX_BYTES,
  FiguresQuery,
  NoteBody,
  StatusBody,
  TransferBody,
} from '../../src/admin/requests-desk'
import { MAX_CANNED } from '../../src/desk/notes'
import {
  ASK_MAX_BYTES,
  AskBody,
  DocumentBody,
  EntryIdParam,
  FaqBody,
  KNOWLEDGE_MAX_BYTES,
  KnowledgeQuery,
  MAX_DOCUMENT_BYTES,
} from '../../src/admin/requests-knowledge'

type Json = Record<string, unknown>
type ObjectSchema =
  | v.ObjectSchema<v.ObjectEntries, v.ErrorMessage<v.ObjectIssue> | undefined>
  | v.StrictObjectSchema<v.ObjectEntries, v.ErrorMessage<v.StrictObjectIssue> | undefined>

// Checks JSON Schema cannot express (cursor decoding, either/or pairs) are left out; the
// request side is shown as it is sent (query values as strings), answers as they arrive.
const INPUT: ConversionConfig = { target: 'draft-2020-12', typeMode: 'input', errorMode: 'ignore' }
const OUTPUT: ConversionConfig = { target: 'draft-2020-12', typeMode: 'ignore', errorMode: 'ignore' }

function schemaOf(schema: v.GenericSchema, config: ConversionConfig): Json {
  // Each schema is embedded in the document, which names the dialect once for all.
  const { $schema: _dialect, ...rest } = toJsonSchema(schema, config) as JsonSchema & Json
  return rest
}

/** One OpenAPI parameter per entry of a query or path schema. */
function parameters(where: 'query' | 'path', schema: ObjectSchema): Json[] {
  return Object.entries(schema.entries).map(([name, entry]) => {
    const optional = entry.type === 'optional'
    const { description, ...rest } = schemaOf(entry, INPUT)
    return { name, in: where, required: where === 'path' || !optional, ...(description ? { description } : {}), schema: rest }
  })
}

function json(schema: Json, description: string): Json {
  return { description, content: { 'application/json': { schema } } }
}

/** Every answer's schema, by the name the document's components give it. */
const SCHEMAS = { ...ANSWERS, ...KNOWLEDGE_ANSWERS, ...DESK_ANSWERS, ...MEDIA_ANSWERS, ...USERS_ANSWERS, ...WEBHOOK_ANSWERS }
const ref = (name: keyof typeof SCHEMAS) => ({ $ref: `#/components/schemas/${name}` })
const answer = (name: keyof typeof SCHEMAS, description: string) => json(ref(name), description)
/** An answer of one of several shapes. */
const answers = (names: (keyof typeof SCHEMAS)[], description: string) => json({ anyOf: names.map(ref) }, description)
const error = (description: string) => answer('ErrorAnswer', description)

/**
 * A send body's `data`. keyedObject (wechat/body-check.ts) is a check that refuses arrays,
 * then a record: the input conversion stops at the check, so the record is converted on its
 * own (as the output it checks), and what JSON Schema cannot say goes in its description.
 */
function keyedData(schema: v.GenericSchema, bounds: Json, description: string): Json {
  const { description: _own, ...record } = schemaOf(schema, { ...INPUT, typeMode: 'output' })
  return { ...record, ...bounds, description }
}

/** A send body: its `data` (at `path`, object keys) shown as keyedData. */
function sendBody(schema: v.GenericSchema, path: string[], data: (schema: v.GenericSchema) => Json): Json {
  const body = schemaOf(schema, INPUT)
  let node = body
  let valibot = schema as v.GenericSchema & { entries?: v.ObjectEntries }
  path.forEach((key, index) => {
    const entry = valibot.entries?.[key]
    const properties = node.properties as Record<string, Json> | undefined
    const converted = properties?.[key]
    if (!entry || !properties || !converted) throw new Error(`openapi: the send body has no ${path.join('.')}`)
    if (index === path.length - 1) properties[key] = data(entry)
    node = converted
    valibot = entry as typeof valibot
  })
  return body
}

const KEYWORD_RULES = KEYWORD_TYPES.map((k) => `- \`${k.type}\`: ${k.rule}`).join('\n')

const subscribeData = (schema: v.GenericSchema) =>
  keyedData(
    schema,
    { minProperties: 1, maxProperties: MAX_DATA_KEYS },
    `The template keywords, { "thing1": { "value": "…" }, … }. A key is a keyword type and its number; each value is held to its type's rule before anything is sent:\n${KEYWORD_RULES}`,
  )

/**
 * A value's maxLength in the schema is a cheap cap in UTF-16 units (twice the bound), checked
 * before the count in characters; JSON Schema counts characters, as that rule does: shown.
 */
const uniformData = (schema: v.GenericSchema) => {
  const data = keyedData(
    schema,
    { minProperties: 1, maxProperties: MAX_UNIFORM_DATA_KEYS },
    'The Official Account template’s keywords, e.g. { "first": { "value": "…" }, "keyword1": { "value": "…", "color": "#173177" } }.',
  )
  const entry = data.additionalProperties as { properties?: { value?: Json } } | undefined
  if (entry?.properties?.value) entry.properties.value = { ...entry.properties.value, maxLength: MAX_UNIFORM_VALUE_CHARS }
  return data
}

/** Every operation can be refused the same ways. */
const COMMON_ANSWERS = {
  '400': error('Malformed input: `{ "error": "<where>: <what>" }`.'),
  '401': { description: 'No or wrong bearer token (no further detail).' },
}

/** What a role without `permission` gets (routes/allow.ts), before anything is read or done. */
function forbidden(permission: Permission): Json {
  return answer(
    'ForbiddenAnswer',
    `\`forbidden\`, nothing done: this needs the \`${permission}\` permission (role ${roleNeeded(permission)} or above, \`needs\`), or the operator may not act on this mini program (\`reason\`).`,
  )
}

function operation(summary: string, options: { permission: Permission; parameters?: Json[]; body?: Json; answers: Json }): Json {
  return {
    summary,
    description: `Needs the \`${options.permission}\` permission: ${ROLES.filter((role) => can(role, options.permission)).join(', ')}.`,
    security: [{ bearer: [] }],
    ...(options.parameters ? { parameters: options.parameters } : {}),
    ...(options.body ? { requestBody: { required: true, ...options.body } } : {}),
    // An operation's own description of a status wins over the common one.
    responses: { ...COMMON_ANSWERS, '403': forbidden(options.permission), ...options.answers },
  }
}

/** The routes that send or start something take Idempotency-Key (src/admin/idempotency.ts). */
function sendsOnce(op: Json): Json {
  const responses = op.responses as Record<string, { description?: string }>
  const busy = 'With an Idempotency-Key: `in_progress`, the first request with that key is still running (Retry-After: 1).'
  const conflict = responses['409']
  const header = {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Send or start this at most once: a repeat with the same key and body within 24 hours gets the first answer (with `Idempotent-Replayed: true`) and does nothing. An answer that did nothing (400, 413, 415, 429, 5xx) is not kept.',
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
  }
  return {
    ...op,
    parameters: [...((op.parameters as Json[] | undefined) ?? []), header],
    responses: {
      ...responses,
      '409': conflict ? { ...conflict, description: `${conflict.description ?? ''} ${busy}`.trim() } : error(busy),
      '422': error('The Idempotency-Key was used for another request (another route or body); nothing was done.'),
    },
  }
}

export function openApiDocument(): Json {
  const openid = parameters('path', OpenidParam)
  const failedId = parameters('path', FailedIdParam)
  const previewBody = schemaOf(PreviewBody, INPUT)
  // The draft is checked by the rules' own validator: show its schema, not `unknown`.
  const { $schema: _dialect, title: _title, ...ruleSet } = ruleSetJsonSchema()
  const previewProperties = (previewBody.properties ?? {}) as Json
  previewBody.properties = {
    ...previewProperties,
    rules: { ...ruleSet, description: 'A draft rule set (the format of rules/rules.json); the rule set in force when absent.' },
  }
  const { description: ifMatchDescription, ...ifMatch } = schemaOf(IfMatchHeader, INPUT)
  const ifMatchHeader = { name: 'If-Match', in: 'header', required: false, description: ifMatchDescription, schema: ifMatch }
  const conflict = answer('ConflictAnswer', '`version_changed`: another version was published since the one given; nothing was written.')
  const tooLarge = error('The body is too large.')
  const notJson = error('The body is not application/json.')
  const sendRefused = answers(
    ['SendProblemsAnswer', 'WechatRefusalAnswer', 'ErrorAnswer'],
    'Nothing was sent: the body breaks a rule (`problems`, every one), or WeChat refused the data (`wechat_refused` with its errcode), or the body is not JSON.',
  )
  const wechatFailed = answer(
    'WechatRefusalAnswer',
    '`wechat_failed`: WeChat answered another errcode, or did not answer (time-out, network).',
  )
  const grants = ROLES.map((role) => `${role}: ${PERMISSIONS.filter((permission) => can(role, permission)).join(', ')}`).join('; ')
  const operatorId = parameters('path', OperatorIdParam)
  const operatorBody = (what: string) => json(schemaOf(OperatorBody, INPUT), `${what} (at most ${OPERATOR_MAX_BYTES} bytes).`)
  const isOwner = answer('OperatorConflictAnswer', '`is_owner`: `owner` is ADMIN_TOKEN itself, changed only by rotating the secret.')
  const unknownOperator = error('`not_found`: no operator has that id.')
  const entryId = parameters('path', EntryIdParam)
  const unknownEntry = error('`not_found`: the mini program has no entry with that id.')
  const knowledgeBody = json(
    { oneOf: [schemaOf(FaqBody, INPUT), schemaOf(DocumentBody, INPUT)] },
    `An FAQ entry { question, variants?, answer } or a document { title, text } (text at most ${MAX_DOCUMENT_BYTES} bytes; the body at most ${KNOWLEDGE_MAX_BYTES}). Unknown fields are refused.`,
  )
  const notAtDesk = error('`not_at_desk`: the user is not at the desk (never queued, or their conversation was closed).')
  const deskMove = (what: string, refused: string, extra: { body?: Json; answers?: Json } = {}) =>
    sendsOnce(
      operation(what, {
        permission: 'reply',
        parameters: openid,
        ...(extra.body ? { body: extra.body } : {}),
        answers: {
          '200': answer('DeskActionAnswer', 'Done: the conversation at the desk as it is now.'),
          '404': notAtDesk,
          '409': answer('DeskConflictAnswer', refused),
          ...extra.answers,
        },
      }),
    )
  const failedAction = (what: string) =>
    sendsOnce(
      operation(what, {
        permission: 'reply',
        parameters: failedId,
        answers: {
          '200': answer('OutcomeAnswer', 'What became of the send.'),
          '404': error('`not_found`: the user has no such send (or it was deleted after the retention period).'),
          '409': error('`not_failed` (pending or sent), or for a retry `window_closed` / `limit_reached`.'),
        },
      }),
    )

  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'kefu-edge admin API',
      version: VERSION,
      description: `The operator’s view of the WeChat customer-service record, and actions through each user’s Conversation object. Every route needs \`Authorization: Bearer <token>\`: ADMIN_TOKEN (the owner) or an operator’s personal token. Each route needs a permission of the operator’s role (${grants}) and, with \`?app=\`, a mini program they may act on; otherwise 403 and nothing is done. Times are epoch milliseconds; days are China Standard Time (UTC+8).`,
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'ADMIN_TOKEN (the owner), or an operator’s personal token (kfo.<id>.<secret>).',
        },
      },
      schemas: Object.fromEntries(Object.entries(SCHEMAS).map(([name, schema]) => [name, schemaOf(schema, OUTPUT)])),
    },
    paths: {
      '/admin/api/conversations': {
        get: operation('Conversations, newest message first', {
          permission: 'read',
          parameters: parameters('query', ConversationsQuery),
          answers: { '200': answer('ConversationsAnswer', 'A page of conversations.') },
        }),
      },
      '/admin/api/conversations/{openid}': {
        get: operation('One conversation and a page of its messages in and out, newest first', {
          permission: 'read',
          parameters: [...openid, ...parameters('query', MessagesQuery)],
          answers: {
            '200': answer('ConversationDetailAnswer', 'The conversation and a page of messages.'),
            '404': error('`not_found`: the record has no such user.'),
          },
        }),
      },
      '/admin/api/conversations/{openid}/state': {
        get: operation(
          "The user's Conversation object itself: the send window, the last pushes in and replies out with their attempts, and the copy to the D1 record not yet made",
          {
            permission: 'read',
            parameters: openid,
            answers: {
              '200': answer('StateAnswer', 'The object as it is now (an object never written to answers empty lists and a closed window).'),
            },
          },
        ),
      },
      '/admin/api/conversations/{openid}/reply': {
        post: sendsOnce(
          operation('Send a reply by hand, inside the send window', {
            permission: 'reply',
            parameters: openid,
            body: json(schemaOf(ManualReplyBody, INPUT), `One reply (at most ${REPLY_MAX_BYTES} bytes).`),
            answers: {
              '200': answer('OutcomeAnswer', 'Queued and delivered (or pending a retry).'),
              '409': answers(
                ['ErrorAnswer', 'DeskConflictAnswer'],
                '`window_closed` or `limit_reached`: WeChat would refuse the send; `held` (with the `holder`): another agent has the user at the desk — only they, an admin or the owner may reply. Nothing was stored.',
              ),
              '413': error('The body is too large.'),
              '415': error('The body is not application/json.'),
            },
          }),
        ),
      },
      '/admin/api/failed': {
        get: operation('Failed sends, most recently failed first', {
          permission: 'read',
          parameters: parameters('query', FailedQuery),
          answers: { '200': answer('FailedListAnswer', 'A page of failed sends.') },
        }),
      },
      '/admin/api/failed/{id}/retry': { post: failedAction('Send a failed send again, if the window allows it') },
      '/admin/api/failed/{id}/drop': { post: failedAction('Give up on a failed send') },
      '/admin/api/rules': {
        get: operation('The rule set in force, the stored source, and why a newer one was rejected', {
          permission: 'read',
          answers: { '200': answer('RulesAnswer', 'Rule set status; `ETag` is the stored version, for If-Match.') },
        }),
        put: operation(
          'Publish a rule set: checked like rules:check, compiled, stored exactly as sent, the previous version kept in the history',
          {
            permission: 'rules',
            parameters: [ifMatchHeader, ...parameters('query', PublishQuery)],
            body: json(
              {
                ...ruleSet,
                description: `The rule set (the format of rules/rules.json), at most ${RULES_MAX_BYTES} bytes; stored byte for byte.`,
              },
              'The rule set.',
            ),
            answers: {
              '200': answer('PublishAnswer', 'Published (or already in force: `unchanged`).'),
              '400': answer(
                'PublishRefusal',
                'Malformed input, or a rule set that does not validate (`issues`, one line each); nothing was written.',
              ),
              '412': answer(
                'ConflictAnswer',
                '`version_changed`: If-Match (or ifVersion) is not the version in force, `currentVersion`; nothing was written.',
              ),
              '413': error('The body is too large.'),
              '415': error('The body is not application/json.'),
            },
          },
        ),
      },
      '/admin/api/rules/history': {
        get: operation('Published versions, newest first: when, from where, how many rules, which is in force', {
          permission: 'read',
          parameters: parameters('query', HistoryQuery),
          answers: { '200': answer('HistoryListAnswer', 'A page of the history (at most 100 versions are kept).') },
        }),
      },
      '/admin/api/rules/history/{version}': {
        get: operation('One version: its source, the version before it and the diff from that one', {
          permission: 'read',
          parameters: parameters('path', VersionParam),
          answers: {
            '200': answer('HistoryEntryAnswer', 'The newest entry of that version.'),
            '404': error('`not_found`: no entry has that version.'),
          },
        }),
      },
      '/admin/api/rules/rollback': {
        post: operation('Publish a version from the history again, byte for byte; the rollback is recorded too', {
          permission: 'rules',
          body: json(schemaOf(RollbackBody, INPUT), `The version (at most ${ROLLBACK_MAX_BYTES} bytes).`),
          answers: {
            '200': answer('PublishAnswer', 'Restored: `version` is the version asked for.'),
            '400': answer(
              'PublishRefusal',
              'Malformed input, or a version that does not validate (one put by hand, or refused by a newer kefu-edge).',
            ),
            '404': error('`not_found`: no entry has that version.'),
            '409': conflict,
            '413': error('The body is too large.'),
            '415': error('The body is not application/json.'),
          },
        }),
      },
      '/admin/api/rules/preview': {
        post: operation('Which rule answers a message, and with what; nothing is sent or stored', {
          permission: 'rules',
          body: json(previewBody, `A message, and optionally a draft rule set (at most ${PREVIEW_MAX_BYTES} bytes in all).`),
          answers: {
            '200': answer('PreviewAnswer', 'The decision.'),
            '400': answer('PreviewRefusal', 'Malformed input, or a draft rule set that does not validate (`issues`, one line each).'),
            '413': error('The body is too large.'),
            '415': error('The body is not application/json.'),
          },
        }),
      },
      '/admin/api/stats': {
        get: operation('Per day: messages, replies sent and failed, push-to-reply time; per rule: hits; top unmatched questions', {
          permission: 'read',
          parameters: parameters('query', StatsQuery),
          answers: { '200': answer('StatsAnswer', 'The stats.') },
        }),
      },
      '/admin/api/subscribe/send': {
        post: sendsOnce(
          operation('Send one subscribe message (订阅消息), spending one of the user’s grants', {
            permission: 'campaigns',
            body: json(
              sendBody(SubscribeSendBody, ['data'], subscribeData),
              `One message, as WeChat's subscribeMessage.send takes it, plus \`force\` (at most ${SUBSCRIBE_SEND_MAX_BYTES} bytes).`,
            ),
            answers: {
              '200': answer('SubscribeSentAnswer', 'WeChat took it.'),
              '400': sendRefused,
              '409': answers(
                ['NoGrantAnswer', 'WechatRefusalAnswer'],
                '`no_grant`: the user holds no grant for this one-time template, and nothing was sent (`force: true` tries anyway); `wechat_refused`: WeChat refused for the user (43101: they refused, their grants are cleared).',
              ),
              '413': tooLarge,
              '415': notJson,
              '502': wechatFailed,
            },
          }),
        ),
      },
      '/admin/api/users/{openid}/export': {
        get: operation("Everything kept about one user, as one JSON document (a download); audited with the user's openid", {
          permission: 'users',
          parameters: openid,
          answers: {
            '200': answer(
              'UserExportAnswer',
              'Their Conversation object, their D1 record row by row, the desk, their images, the audit lines naming them, the webhook deliveries about them given up on.',
            ),
          },
        }),
      },
      '/admin/api/users/{openid}': {
        delete: operation(
          "Delete everything kept about one user, as WeChat's account-closed push does: their object, record, notes, images, their openid in the audit log; counts stay. Idempotent; audited without the openid",
          {
            permission: 'users',
            parameters: openid,
            answers: { '200': answer('UserDeletedAnswer', 'Deleted (or nothing was kept): what went, as counts.') },
          },
        ),
      },
      '/admin/api/users/{openid}/subscriptions': {
        get: operation('What one user allows, per template: grants, status, the last send', {
          permission: 'read',
          parameters: openid,
          answers: { '200': answer('SubscriptionsAnswer', 'Every template the user has answered or been sent (none: an empty list).') },
        }),
      },
      '/admin/api/subscribe/templates': {
        get: operation('Per template, over all users: grants held, accepts and rejects, and who can be reached now', {
          permission: 'read',
          answers: { '200': answer('TemplatesAnswer', 'The templates the record knows, by id.') },
        }),
      },
      '/admin/api/subscribe/campaigns': {
        post: sendsOnce(
          operation('Send one subscribe message to every user who can be reached, through the campaigns queue', {
            permission: 'campaigns',
            body: json(
              sendBody(CampaignBody, ['data'], subscribeData),
              `A send without \`touser\` and \`force\` (at most ${SUBSCRIBE_SEND_MAX_BYTES} bytes): it goes to every user who holds a grant for the template, or accepts it if it is long-term.`,
            ),
            answers: {
              '202': answer('CampaignCreatedAnswer', 'Started: the sends go out at CAMPAIGN_SENDS_PER_SECOND, each user at most once.'),
              '400': answers(
                ['SendProblemsAnswer', 'ErrorAnswer'],
                'Nothing was started: the body breaks a rule (`problems`), carries touser or force, or is not JSON.',
              ),
              '413': tooLarge,
              '415': notJson,
              '503': error('`queue_failed`: the campaigns queue refused the first page; nothing was started or kept, try again.'),
            },
          }),
        ),
        get: operation('Campaigns, newest first, with their progress', {
          permission: 'read',
          answers: { '200': answer('CampaignListAnswer', 'The newest campaigns.') },
        }),
      },
      '/admin/api/subscribe/campaigns/{id}': {
        get: operation('One campaign: its message, its progress and a page of per-user outcomes', {
          permission: 'read',
          parameters: [...parameters('path', CampaignParam), ...parameters('query', CampaignTargetsQuery)],
          answers: {
            '200': answer('CampaignDetailAnswer', 'The campaign and a page of its users.'),
            '404': error('`not_found`: no campaign has that id.'),
          },
        }),
      },
      '/admin/api/uniform/send': {
        post: sendsOnce(
          operation('Send one uniform service message (统一服务消息): an Official Account template message', {
            permission: 'campaigns',
            body: json(
              sendBody(UniformSendBody, ['mp_template_msg', 'data'], uniformData),
              `One message, as WeChat's uniform_send takes it, with \`mp_template_msg\` only: \`weapp_template_msg\` is retired and refused (at most ${UNIFORM_SEND_MAX_BYTES} bytes).`,
            ),
            answers: {
              '200': answer('UniformSentAnswer', 'WeChat took it.'),
              '400': sendRefused,
              '409': answer(
                'WechatRefusalAnswer',
                '`wechat_refused`: WeChat refused for the user (43004: they do not follow the Official Account).',
              ),
              '413': tooLarge,
              '415': notJson,
              '502': wechatFailed,
            },
          }),
        ),
      },
      '/admin/api/operators': {
        get: operation('Every operator: name, role, the mini programs they may act on, email (never a token)', {
          permission: 'operators',
          answers: { '200': answer('OperatorsAnswer', 'Every operator, by name.') },
        }),
        post: operation('Add an operator; their personal token is in the answer, this once', {
          permission: 'operators',
          body: operatorBody('Who, their role, and optionally the mini programs and the Access email'),
          answers: {
            '201': answer('OperatorCreatedAnswer', 'Added: the id, and the token to hand them (kept only as its hash).'),
            '400': error('Malformed input, or `apps` names a mini program this Worker does not serve.'),
            '409': answer('OperatorConflictAnswer', '`email_taken`: another operator signs in with that email; nothing was added.'),
            '413': error('The body is too large.'),
            '415': error('The body is not application/json.'),
          },
        }),
      },
      '/admin/api/operators/{id}': {
        patch: operation('Change an operator’s name, role, mini programs or email; their token stays', {
          permission: 'operators',
          parameters: operatorId,
          body: json(
            schemaOf(OperatorChangeBody, INPUT),
            `Any of the fields, at least one (at most ${OPERATOR_MAX_BYTES} bytes); null clears apps (every app) or email.`,
          ),
          answers: {
            '200': answer('OperatorAnswer', 'The operator as changed; it holds from their next request.'),
            '400': error('Malformed input, nothing to change, or `apps` names a mini program this Worker does not serve.'),
            '404': unknownOperator,
            '409': answer(
              'OperatorConflictAnswer',
              '`is_owner`, or `email_taken`: another operator signs in with that email; nothing was changed.',
            ),
            '413': error('The body is too large.'),
            '415': error('The body is not application/json.'),
          },
        }),
        delete: operation('Remove an operator: their token stops at once and their console sessions end', {
          permission: 'operators',
          parameters: operatorId,
          answers: { '204': { description: 'Removed.' }, '404': unknownOperator, '409': isOwner },
        }),
      },
      '/admin/api/audit': {
        get: operation('The audit log: who did what, when, on which mini program; newest first', {
          permission: 'operators',
          parameters: parameters('query', AuditQuery),
          answers: {
            '200': answer(
              'AuditListAnswer',
              'A page of entries: the mini program’s (`?app=`) and the deployment’s (sign-ins, operators). Kept AUDIT_RETENTION_DAYS (default 365).',
            ),
          },
        }),
      },
      '/admin/api/knowledge': {
        get: operation('The knowledge base: FAQ entries and documents, newest first', {
          permission: 'read',
          parameters: parameters('query', KnowledgeQuery),
          answers: { '200': answer('KnowledgeListAnswer', 'A page of entries (a document without its text: GET it for that).') },
        }),
        post: operation('Add an FAQ entry or a document', {
          permission: 'rules',
          body: knowledgeBody,
          answers: {
            '201': answer('KnowledgeCreatedAnswer', 'Added, and searched from now on.'),
            '413': tooLarge,
            '415': notJson,
          },
        }),
      },
      '/admin/api/knowledge/{id}': {
        get: operation('One entry, whole (a document with its text)', {
          permission: 'read',
          parameters: entryId,
          answers: { '200': answer('KnowledgeEntryAnswer', 'The entry.'), '404': unknownEntry },
        }),
        put: operation('Replace an entry: an FAQ entry or a document, as POST takes them (the kind may change)', {
          permission: 'rules',
          parameters: entryId,
          body: knowledgeBody,
          answers: {
            '200': answer('KnowledgeCreatedAnswer', 'Replaced, its passages with it.'),
            '404': unknownEntry,
            '413': tooLarge,
            '415': notJson,
          },
        }),
        delete: operation('Delete an entry and its passages', {
          permission: 'rules',
          parameters: entryId,
          answers: { '204': { description: 'Deleted.' }, '404': unknownEntry },
        }),
      },
      '/admin/api/knowledge/ask': {
        post: operation('Try a question: what a text would be answered with, and from where; nothing is sent', {
          // It may call the model, which costs money: those who edit the knowledge base try it.
          permission: 'rules',
          body: json(schemaOf(AskBody, INPUT), `A user's text (at most ${ASK_MAX_BYTES} bytes).`),
          answers: {
            '200': answer(
              'KnowledgeAskAnswer',
              "The push route's order: a rule of the operator's (not the default) wins; then the best FAQ entry at or above the rule set's ai.faq_threshold (default 0.6; asked even while ai is not enabled); then, with a model configured (LLM_*) and passages at or above ai.passage_threshold, the model is asked and its checked answer returned as source ai (sources: the entries it was given; refused and the fallback as answer when its answer would not be sent); else none: the default reply. As for a user's first text: when the rule set's hand-off takes the first unanswered text (after_unmatched 1), it comes before the model — its text and the transfer are the answer, with handoff.",
            ),
            '413': tooLarge,
            '415': notJson,
          },
        }),
      },
      '/admin/api/queue': {
        get: operation('The human desk: who waits for a person (the oldest wait first) or is being served, and the agents’ status', {
          permission: 'read',
          answers: {
            '200': answer(
              'QueueAnswer',
              'The queue of this mini program. Users come to it with HUMAN_DESK = console (a transfer, the hand-off, the model giving up).',
            ),
          },
        }),
      },
      '/admin/api/conversations/{openid}/claim': {
        post: deskMove(
          'Take a waiting conversation: it is the caller’s (of two agents claiming at once, one gets it)',
          '`held`: another agent has it (`holder`); nothing was changed.',
        ),
      },
      '/admin/api/conversations/{openid}/release': {
        post: deskMove(
          'Put a conversation back in the queue, for anyone; its wait counts from when the user asked',
          '`not_yours`: another agent holds it (`holder`); only they, an admin or the owner may release it.',
        ),
      },
      '/admin/api/conversations/{openid}/transfer': {
        post: deskMove(
          'Hand a conversation to another operator who may reply in this mini program (from the queue, or from its holder)',
          '`not_yours`: another agent holds it (`holder`); only they, an admin or the owner may transfer it.',
          {
            body: json(schemaOf(TransferBody, INPUT), `Who takes it (at most ${DESK_MAX_BYTES} bytes).`),
            answers: {
              '400': error('Malformed input, or `no_such_agent`: no operator has that id, or they may not reply in this mini program.'),
              '413': error('The body is too large.'),
              '415': error('The body is not application/json.'),
            },
          },
        ),
      },
      '/admin/api/conversations/{openid}/close': {
        post: deskMove(
          'Close a conversation at the desk: it leaves the queue and counts in the figures of its holder',
          '`not_yours`: another agent holds it (`holder`); only they, an admin or the owner may close it.',
        ),
      },
      '/admin/api/desk/status': {
        put: operation('Set the caller’s status at the desk: online takes conversations (new arrivals go to the least busy online agent)', {
          permission: 'reply',
          body: json(schemaOf(StatusBody, INPUT), `The status (at most ${DESK_MAX_BYTES} bytes).`),
          answers: {
            '200': answer('DeskStatusAnswer', 'Every agent’s status, the caller’s as set.'),
            '413': error('The body is too large.'),
            '415': error('The body is not application/json.'),
          },
        }),
      },
      '/admin/api/desk/figures': {
        get: operation('Per agent, of the conversations closed in the last days: how many, and how fast the first reply by hand came', {
          permission: 'read',
          parameters: parameters('query', FiguresQuery),
          answers: { '200': answer('DeskFiguresAnswer', 'The figures (closed conversations are kept 30 days).') },
        }),
      },
      '/admin/api/canned': {
        get: operation('The canned answers agents put into a reply', {
          permission: 'read',
          answers: { '200': answer('CannedListAnswer', 'Every canned answer of this mini program.') },
        }),
        post: operation('Add a canned answer', {
          permission: 'rules',
          body: json(schemaOf(CannedBody, INPUT), `A title, the text and an optional shortcut (at most ${DESK_TEXT_MAX_BYTES} bytes).`),
          answers: {
            '201': answer('CreatedAnswer', 'Added: its id.'),
            '409': error(`\`shortcut_taken\`, or \`full\`: the mini program has ${MAX_CANNED} already.`),
            '413': error('The body is too large.'),
            '415': error('The body is not application/json.'),
          },
        }),
      },
      '/admin/api/canned/{id}': {
        delete: operation('Delete a canned answer', {
          permission: 'rules',
          parameters: parameters('path', CannedIdParam),
          answers: { '204': { description: 'Deleted.' }, '404': error('`not_found`: no such canned answer.') },
        }),
      },
      '/admin/api/conversations/{openid}/notes': {
        get: operation('Private notes on a conversation, for agents (never sent)', {
          permission: 'read',
          parameters: openid,
          answers: { '200': answer('NoteListAnswer', 'The last notes, newest first.') },
        }),
        post: operation('Add a private note to a conversation: shown to agents, never sent to the user; audited', {
          permission: 'reply',
          parameters: openid,
          body: json(schemaOf(NoteBody, INPUT), `The note (at most ${DESK_TEXT_MAX_BYTES} bytes).`),
          answers: {
            '201': answer('CreatedAnswer', 'Added: its id.'),
            '413': error('The body is too large.'),
            '415': error('The body is not application/json.'),
          },
        }),
      },
      '/admin/api/media': {
        post: operation(
          "Upload an image for a rule: a reply's image (`file`), a mini-program card's cover (`thumb_file`), a link's thumbnail (`thumb_url`)",
          {
            permission: 'rules',
            parameters: parameters('query', MediaUploadQuery),
            body: {
              description: `The image itself, not a form: JPEG or PNG, told by its bytes (the declared type and any file name are not trusted). At most ${MEDIA_USES.map((use) => `${UPLOAD_LIMITS[use].maxBytes} bytes for ${use}`).join(', ')}. The same bytes get the same name and are stored once.`,
              content: Object.fromEntries(UPLOAD_CONTENT_TYPES.map((type) => [type, { schema: { type: 'string', format: 'binary' } }])),
            },
            answers: {
              '201': answer(
                'MediaUploadAnswer',
                'Stored (or already there): its name for the rule set; for a link, the public URL WeChat fetches.',
              ),
              '400': error(
                'Malformed input, or `upload_empty` (no bytes), or `upload_not_image` (not a JPEG or PNG, whatever it is called).',
              ),
              '413': error('`upload_too_large`: larger than the use allows (`max`, in bytes); nothing was stored.'),
              '415': error('The body is not declared as image/jpeg, image/png or application/octet-stream.'),
            },
          },
        ),
      },
      '/admin/api/export.csv': {
        get: operation(
          "The messages of a range of China days as CSV, for analysis: one line per message in or out, users' texts included (within RETENTION_DAYS); streamed; audited with the range",
          {
            permission: 'users',
            parameters: parameters('query', ExportParams),
            answers: {
              '200': {
                description: `CSV (RFC 4180, CRLF, a UTF-8 byte-order mark; text cells starting with = + - @ tab or CR get a leading apostrophe), a header line of ${EXPORT_COLUMNS.join(', ')}; by day, then the order the record got them. At most \`limit\` rows (default and most ${EXPORT_MAX_ROWS}): when more follow, \`X-Next-Cursor\` and \`Link: <…&cursor=…>; rel="next"\` name the next file's request. A range with nothing is the header alone.`,
                headers: {
                  'X-Next-Cursor': {
                    description: 'Present when the range holds more rows than this file: pass it as `cursor` with the same range.',
                    schema: { type: 'string' },
                  },
                  Link: { description: 'The next file\'s request (rel="next"), when there is one.', schema: { type: 'string' } },
                  'Content-Disposition': { description: 'attachment; filename="kefu-<appid>-<from>-<to>.csv"', schema: { type: 'string' } },
                },
                content: { 'text/csv': { schema: { type: 'string' } } },
              },
              '400': error(
                `Malformed input: a day missing or not YYYY-MM-DD, \`to\` before \`from\`, more than ${MAX_STATS_DAYS} days, a cursor not of this range.`,
              ),
            },
          },
        ),
      },
      '/admin/api/webhooks/failed': {
        get: operation('Webhook deliveries the queue gave up on (after 8 attempts), newest first', {
          permission: 'campaigns',
          answers: { '200': answer('WebhookFailuresAnswer', 'At most 100 recorded deliveries.') },
        }),
      },
      '/admin/api/webhooks/{id}/retry': {
        post: sendsOnce(
          operation('Queue a recorded delivery again: the same delivery id and body, a new round of attempts; audited', {
            permission: 'campaigns',
            parameters: parameters('path', DeliveryIdParam),
            answers: {
              '202': answer('WebhookRetryAnswer', 'Queued: it leaves the list once delivered.'),
              '404': error('`not_found`: no recorded delivery has that id (delivered, or past RETENTION_DAYS).'),
              '409': error('`retrying`: it is already queued again (an earlier retry); nothing was done.'),
              '503': error('`queue_failed`: the queue refused it; nothing changed, try again.'),
            },
          }),
        ),
      },
      '/admin/api/openapi.json': {
        get: operation('This document', { permission: 'read', answers: { '200': { description: 'The OpenAPI document.' } } }),
      },
    },
  }
}
