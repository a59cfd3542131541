/**
 * The body of a subscribe-message send as an operator posts it, checked before the send is
 * spent: the fields WeChat's subscribe/send takes, plus `force`, ours. Every data value is
 * held to its keyword type's rule (`subscribe-keywords.ts`), so a value WeChat would refuse
 * with 47003 is refused here with the rule it breaks, e.g.
 * `data.thing1.value: thing is at most 20 characters (got 21)`.
 *
 * Fields, per https://developers.weixin.qq.com/miniprogram/dev/server/API/mp-message-management/subscribe-message/api_sendmessage.html:
 * touser, template_id, page? (a page of this mini program, `index?foo=bar`), data
 * `{ "<type><n>": { value } }`, miniprogram_state? developer|trial|formal (default formal),
 * lang? zh_CN|en_US|zh_HK|zh_TW (default zh_CN).
 */
import * as v from 'valibot'
import type { SubscribeMessage } from './api'
import {
  capped,
  isPlainObject,
  keyedObject,
  keyText,
  OpenidSchema,
  PagePathSchema,
  shapeProblems,
  TemplateIdSchema,
  type Checked,
} from './body-check'
import { keywordProblem, keywordTypeOf } from './subscribe-keywords'

export { KEYWORD_TYPES, MAX_VALUE_CHARS, type KeywordType } from './subscribe-keywords'
export type { Checked } from './body-check'

/**
 * Data keys per send. WeChat's templates have at most 5 keywords (addtemplate's kidList:
 * "最多支持5个"); 20 leaves room for older templates and keeps a pathological body cheap.
 */
export const MAX_DATA_KEYS = 20
/**
 * The body the route should read at most (20 keys of 64 characters stay far below it): values
 * are counted in full, once, before any pattern runs on them.
 */
export const SUBSCRIBE_SEND_MAX_BYTES = 16 * 1024

export const MINIPROGRAM_STATES = ['developer', 'trial', 'formal'] as const
export const LANGS = ['zh_CN', 'en_US', 'zh_HK', 'zh_TW'] as const

/** What a valid body becomes: the WeChat message, and whether the operator forces it. */
export interface SubscribeSendRequest extends SubscribeMessage {
  /** Ours, never sent to WeChat (subscribeMessageOf drops it). Default false. */
  force: boolean
}

const DataEntrySchema = v.strictObject(
  {
    value: v.pipe(
      v.string('must be a string'),
      v.description('The value, held to the rule of the keyword type in its key (thing1 → thing).'),
    ),
  },
  'must be an object { "value": "…" }',
)

/** The body's shape; the keyword rules are checked by parseSubscribeSend on top of it. */
export const SubscribeSendSchema = v.strictObject({
  touser: v.pipe(OpenidSchema, v.description('The openid of the user who subscribed.')),
  template_id: v.pipe(TemplateIdSchema, v.description('The subscribe template id (priTmplId).')),
  page: v.optional(v.pipe(PagePathSchema, v.description('The page a tap opens, e.g. pages/order/detail?id=1.'))),
  data: v.pipe(
    keyedObject(v.string(), DataEntrySchema, 'must be an object of keyword keys'),
    v.check((data) => Object.keys(data).length > 0, 'must have at least one keyword'),
    v.description('The template keywords: { "thing1": { "value": "…" }, … }.'),
  ),
  miniprogram_state: v.optional(v.picklist(MINIPROGRAM_STATES, `must be one of ${MINIPROGRAM_STATES.join(', ')}`)),
  lang: v.optional(v.picklist(LANGS, `must be one of ${LANGS.join(', ')}`)),
  force: v.optional(v.pipe(v.boolean('must be true or false'), v.description('Ours, not WeChat’s; default false.')), false),
})

/**
 * Checks an operator's subscribe-send body: its shape, then every data key's keyword type and
 * value. Returns the typed request, or every problem (capped) as `path: sentence`.
 */
export function parseSubscribeSend(body: unknown): Checked<SubscribeSendRequest> {
  if (!isPlainObject(body)) return { ok: false, problems: ['body: must be a JSON object'] }
  // Counted before any validation, so a body with thousands of keys costs no more than this.
  if (isPlainObject(body.data)) {
    const keys = Object.keys(body.data).length
    if (keys > MAX_DATA_KEYS) {
      return { ok: false, problems: [`data: has at most ${MAX_DATA_KEYS} keywords (got ${keys})`] }
    }
  }
  const parsed = v.safeParse(SubscribeSendSchema, body)
  const problems = parsed.success ? [] : shapeProblems(parsed.issues)
  if (isPlainObject(body.data)) problems.push(...dataProblems(body.data))
  if (problems.length > 0 || !parsed.success) return { ok: false, problems: capped(problems) }
  const { force, ...message } = parsed.output
  return { ok: true, value: { ...message, force } }
}

/** The message as WeChat takes it: the request without `force`. */
export function subscribeMessageOf(request: SubscribeSendRequest): SubscribeMessage {
  const { force: _force, ...message } = request
  return message
}

/** Each key's keyword type, and each string value against its type's rule. */
function dataProblems(data: Record<string, unknown>): string[] {
  const problems: string[] = []
  for (const [key, entry] of Object.entries(data)) {
    const reading = keywordTypeOf(key)
    if (!reading.ok) {
      problems.push(`data.${keyText(key)}: ${reading.problem}`)
      continue
    }
    // A missing or non-string value is a shape problem, already reported.
    const value = isPlainObject(entry) ? entry.value : undefined
    if (typeof value !== 'string') continue
    const problem = keywordProblem(reading.type, value)
    if (problem) problems.push(`data.${key}.value: ${problem}`)
  }
  return problems
}
