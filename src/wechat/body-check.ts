/**
 * What the send-body validators (`subscribe-data.ts`, `uniform-send.ts`) share: their result
 * shape, the fields both have (openid, template_id), and the turning of valibot issues into
 * one short sentence each, `path: what is wrong`, that an operator can act on.
 */
import * as v from 'valibot'
import { OPENID } from './openid'
import { APPID } from './appid'

/** A validated body, or every problem found (at most MAX_PROBLEMS), one sentence each. */
export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] }

/** Past this many problems the rest are summed up: a broken body should not make a long answer. */
export const MAX_PROBLEMS = 20

/**
 * WeChat's template ids are 43 characters of base64url (e.g. the 40037 report at
 * developers.weixin.qq.com/community/develop/doc/00066407b58fc04dade12a65a6b000); no length
 * is documented, so only the alphabet and a generous bound are checked here.
 */
export const TEMPLATE_ID = /^[A-Za-z0-9_-]{1,128}$/
/** Paths and URLs: the rule schema's bound (MAX_URL). */
export const MAX_PATH = 1024

export const OpenidSchema = v.pipe(v.string('must be a string'), v.regex(OPENID, 'is not an openid'))
export const TemplateIdSchema = v.pipe(
  v.string('must be a string'),
  v.regex(TEMPLATE_ID, 'is not a template id (letters, digits, - and _)'),
)
export const AppidSchema = v.pipe(v.string('must be a string'), v.regex(APPID, 'is not an appid (wx and 16 letters or digits)'))
/**
 * A page inside the mini program, e.g. `pages/index/index?foo=bar`: WeChat's examples have no
 * leading slash, and the fake refuses one (41030) as it refuses any page it cannot find.
 */
export const PagePathSchema = v.pipe(
  v.string('must be a string'),
  v.nonEmpty('must not be empty'),
  v.maxLength(MAX_PATH, `must be at most ${MAX_PATH} characters`),
  v.regex(/^[^/\s]\S*$/, 'must be a page path like pages/index/index?foo=bar (no leading /, no spaces)'),
)

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * `v.record`, refusing arrays: valibot's record takes `[]` for an object, and a template's
 * data sent as a list would reach WeChat as one.
 */
export function keyedObject<const Key extends v.GenericSchema<string, string>, const Value extends v.GenericSchema>(
  key: Key,
  value: Value,
  message: string,
) {
  return v.pipe(v.custom<Record<string, unknown>>(isPlainObject, message), v.record(key, value, message))
}

/** Characters as people count them: code points, so an emoji or a rare Han character is one. */
export function codePointLength(text: string): number {
  let count = 0
  for (const _ of text) count++
  return count
}

/** A key from the body, echoed in a problem: cut short so a 10 KiB key cannot fill the answer. */
export function keyText(key: string): string {
  const chars = Array.from(key.slice(0, 64))
  return chars.length > 40 ? `${chars.slice(0, 40).join('')}…` : chars.join('')
}

/** `mp_template_msg.data.first.value`: the path as the operator wrote the body. */
export function pathOf(keys: readonly unknown[]): string {
  return keys.map((key) => keyText(String(key))).join('.')
}

/** One sentence per valibot issue, with its path. */
export function shapeProblems(issues: readonly v.BaseIssue<unknown>[]): string[] {
  return issues.map((issue) => {
    const keys = (issue.path ?? []).map((item) => item.key)
    const where = keys.length === 0 ? 'body' : pathOf(keys)
    return `${where}: ${messageOf(issue)}`
  })
}

function messageOf(issue: v.BaseIssue<unknown>): string {
  if (issue.type === 'strict_object' && issue.expected === 'never') return 'is not a field of this body'
  // valibot's own wording for a missing key is "Invalid key: Expected …": say it plainly.
  if (issue.kind === 'schema' && issue.received === 'undefined') return 'is required'
  return issue.message
}

/** At most MAX_PROBLEMS, the rest counted. */
export function capped(problems: string[]): string[] {
  if (problems.length <= MAX_PROBLEMS) return problems
  return [...problems.slice(0, MAX_PROBLEMS), `… and ${problems.length - MAX_PROBLEMS} more`]
}
