/**
 * Validates a parsed rule set and says what is wrong in the operator's terms: every problem
 * names the rule id (when there is one) and the JSON path, e.g.
 * `rule "qr" at rules[1].reply.url: must be an http:// or https:// URL`.
 * Shape errors come from the valibot schema; the cross-field checks below run on every rule
 * whose own shape is valid, so one run reports as much as it can.
 */
import * as v from 'valibot'
import { PLACEHOLDER } from './normalize'
import { hoursProblems } from './hours'
import { compileRegex, MAX_REGEX_WORK, patternGroups, regexWork } from './regex'
import { defaultEntries, replyLists } from './reply-shape'
import {
  HoursSchema,
  RuleReplySchema,
  RuleSchema,
  RuleSetSchema,
  type RepliesSource,
  type ReplySource,
  type RuleReplySource,
  type RuleSetSource,
  type RuleSource,
} from './schema'
import { isRecord } from '../is-record'
import { issueMessage, type Lang, type MessageCode, type MessageValues, message, type Problem, problem } from './messages'
import { problemOf } from './schema-messages'

export interface RuleIssue {
  /** The rule's id, when the problem is inside a rule that has one. */
  ruleId?: string
  /** JSON path from the document root, e.g. `rules[2].when.regex`. */
  path: string
  /** The English, as the log, /healthz and the admin API show it. */
  message: string
  /**
   * The catalogue entry (messages.ts) the message renders, for the operator's language. Every
   * issue this module makes has one; optional for issues built elsewhere from plain text.
   */
  code?: MessageCode
  values?: MessageValues
}

export type Validation = { ok: true; value: RuleSetSource } | { ok: false; issues: RuleIssue[] }

/** One line per issue, as the log, /healthz and the admin API print it: English. */
export function formatIssue(issue: RuleIssue): string {
  return issueLine(issue, 'en')
}

/** One line per issue in the operator's language, as `rules:check` prints it. */
export function issueLine(issue: RuleIssue, lang: Lang): string {
  const text = issueMessage(issue, lang)
  if (lang === 'zh') {
    const where = issue.path === '' ? '规则集' : issue.path
    return issue.ruleId === undefined ? `${where}：${text}` : `规则 "${issue.ruleId}" 的 ${where}：${text}`
  }
  const where = issue.path === '' ? 'rule set' : issue.path
  return issue.ruleId === undefined ? `${where}: ${text}` : `rule "${issue.ruleId}" at ${where}: ${text}`
}

/** Parses JSON text, then validates it. */
export function validateRuleSetText(text: string): Validation {
  let input: unknown
  try {
    input = JSON.parse(text)
  } catch (error) {
    return { ok: false, issues: [at(undefined, '', problem('json_invalid', { detail: (error as Error).message }))] }
  }
  return validateRuleSet(input)
}

/** The most rules a rule set may hold, however it is published; the console's form holds as many. */
export const MAX_RULES = 10_000

/** The issue every way into the rule set refuses `count` rules with; null within MAX_RULES. */
export function ruleCountIssue(count: number): RuleIssue | null {
  if (count <= MAX_RULES) return null
  return at(undefined, 'rules', problem('rule_count', { count, max: MAX_RULES }))
}

export function validateRuleSet(input: unknown): Validation {
  // First, and alone: a set over the limit is refused whole, before any rule is looked at.
  const tooMany = ruleCountIssue(isRecord(input) && Array.isArray(input.rules) ? input.rules.length : 0)
  if (tooMany) return { ok: false, issues: [tooMany] }
  const parsed = v.safeParse(RuleSetSchema, input)
  const issues = parsed.success ? [] : shapeIssues(input, parsed.issues)
  const rawRules = isRecord(input) && Array.isArray(input.rules) ? input.rules : []
  const seen = new Map<string, number>()
  rawRules.forEach((raw, index) => {
    const id = isRecord(raw) && typeof raw.id === 'string' ? raw.id : undefined
    const first = id === undefined ? undefined : seen.get(id)
    if (id !== undefined && first === undefined) seen.set(id, index)
    if (first !== undefined) issues.push(at(id, `rules[${index}].id`, problem('duplicate_id', { first })))
    const rule = v.safeParse(RuleSchema, raw)
    if (rule.success) issues.push(...ruleIssues(rule.output, index))
  })
  // The hours are checked whenever their own shape is valid, like each rule.
  const hours = isRecord(input) && input.hours !== undefined ? v.safeParse(HoursSchema, input.hours) : null
  if (hours?.success) {
    for (const [path, said] of hoursProblems(hours.output)) issues.push(at(undefined, `hours.${path}`, said))
  }
  if (parsed.success) issues.push(...setIssues(parsed.output))
  if (issues.length > 0 || !parsed.success) return { ok: false, issues }
  const budget = regexBudgetIssue(parsed.output)
  if (budget) return { ok: false, issues: [budget] }
  return { ok: true, value: parsed.output }
}

/**
 * One reply as a rule's `reply` may be (a reply, a list, or random), checked as the validator
 * checks a rule's — shape, either/or fields, one transfer per list — for a reply kept outside
 * the rule set, like an FAQ entry's answer (sent as written: `{{1}}` stays as it is). A plain
 * string is a text reply. Paths start at `path`.
 */
export function validateReply(input: unknown, path = 'answer'): { ok: true; value: RuleReplySource } | { ok: false; issues: RuleIssue[] } {
  const reply = typeof input === 'string' ? { type: 'text', text: input } : input
  const parsed = v.safeParse(RuleReplySchema, reply)
  if (!parsed.success) {
    return { ok: false, issues: shapeIssues(reply, parsed.issues).map((issue) => ({ ...issue, path: joinPath(path, issue.path) })) }
  }
  const issues: RuleIssue[] = []
  for (const [suffix, list] of replyLists(parsed.output)) {
    const replies = Array.isArray(list) ? list : [list]
    if (replies.filter((r) => r.type === 'transfer').length > 1) issues.push(at(undefined, `${path}${suffix}`, problem('transfer_twice')))
    issues.push(...eitherOrIssues(undefined, `${path}${suffix}`, list))
  }
  return issues.length === 0 ? { ok: true, value: parsed.output } : { ok: false, issues }
}

function joinPath(root: string, path: string): string {
  if (path === '') return root
  return path.startsWith('[') ? `${root}${path}` : `${root}.${path}`
}

/**
 * The rule whose regex takes the set's regexes over MAX_REGEX_WORK — the most VM work one
 * message can cause, every rule run to the end on a text at the input cap — named.
 */
function regexBudgetIssue(ruleSet: RuleSetSource): RuleIssue | null {
  let total = 0
  for (const [index, rule] of ruleSet.rules.entries()) {
    if (rule.when.regex === undefined) continue
    const program = compileRegex(rule.when.regex)
    const work = regexWork(program)
    total += work
    if (total <= MAX_REGEX_WORK) continue
    const cost = { work, perChar: program.workPerPosition, max: MAX_REGEX_WORK }
    const over = total === work ? problem('regex_budget_alone', cost) : problem('regex_budget_together', { ...cost, total })
    return at(rule.id, `rules[${index}].when.regex`, over)
  }
  return null
}

function at(ruleId: string | undefined, path: string, { code, values }: Problem): RuleIssue {
  const issue = { path, message: message(code, values, 'en'), code, values }
  return ruleId === undefined ? issue : { ruleId, ...issue }
}

/** The checks that span fields of one (shape-valid) rule. */
function ruleIssues(rule: RuleSource, index: number): RuleIssue[] {
  const issues: RuleIssue[] = []
  const path = `rules[${index}]`
  const { when } = rule
  const kinds = (['text', 'contains', 'regex', 'msgtype', 'event'] as const).filter((k) => when[k] !== undefined)
  if (kinds.length !== 1) {
    const found = kinds.length === 0 ? 'none' : kinds.join(', ')
    issues.push(at(rule.id, `${path}.when`, problem('when_one_kind', { found })))
  }
  if (when.session_from !== undefined && when.event !== 'user_enter_tempsession') {
    issues.push(at(rule.id, `${path}.when.session_from`, problem('session_from_needs_event')))
  }
  if (rule.once_per_hours !== undefined && when.event !== 'user_enter_tempsession') {
    issues.push(at(rule.id, `${path}.once_per_hours`, problem('once_per_hours_needs_event')))
  }
  if (rule.from !== undefined && rule.until !== undefined && Date.parse(rule.until) <= Date.parse(rule.from)) {
    issues.push(at(rule.id, `${path}.until`, problem('until_before_from', { from: rule.from })))
  }
  const groups = when.regex !== undefined && kinds.length === 1 ? patternGroups(when.regex) : null
  for (const [suffix, reply] of replyLists(rule.reply)) {
    const listPath = `${path}.reply${suffix}`
    const replies = Array.isArray(reply) ? reply : [reply]
    const replyPath = (i: number) => (Array.isArray(reply) ? `${listPath}[${i}]` : listPath)
    replies.forEach((r, i) => {
      if (r.type === 'transfer' && when.event !== undefined) {
        issues.push(at(rule.id, `${replyPath(i)}.type`, problem('transfer_on_event')))
      }
    })
    if (replies.filter((r) => r.type === 'transfer').length > 1) {
      issues.push(at(rule.id, listPath, problem('transfer_twice')))
    }
    issues.push(...placeholderIssues(rule.id, listPath, reply, groups))
    issues.push(...eitherOrIssues(rule.id, listPath, reply))
  }
  return issues
}

/** Checks across the set: `during` needing the hours block, the default's replies. */
function setIssues(ruleSet: RuleSetSource): RuleIssue[] {
  const issues: RuleIssue[] = []
  if (ruleSet.hours === undefined) {
    const needs = problem('needs_hours')
    ruleSet.rules.forEach((rule, index) => {
      if (rule.during !== undefined) issues.push(at(rule.id, `rules[${index}].during`, needs))
    })
    if (ruleSet.default !== undefined) {
      for (const [path, entry] of defaultEntries(ruleSet.default)) {
        if (entry.during !== undefined) issues.push(at(undefined, `${path}.during`, needs))
      }
    }
  }
  if (ruleSet.default === undefined) return issues
  for (const [path, entry] of defaultEntries(ruleSet.default)) {
    const entryPath = path === 'default' ? path : `${path}.reply`
    for (const [suffix, reply] of replyLists(entry.reply)) {
      issues.push(...placeholderIssues(undefined, `${entryPath}${suffix}`, reply, null))
      issues.push(...eitherOrIssues(undefined, `${entryPath}${suffix}`, reply))
    }
  }
  return issues
}

/** `{{1}}` and `{{name}}` must name a group of the rule's own regex. */
function placeholderIssues(
  ruleId: string | undefined,
  path: string,
  reply: RepliesSource,
  groups: { count: number; names: string[] } | null,
): RuleIssue[] {
  const issues: RuleIssue[] = []
  const list = Array.isArray(reply) ? reply : [reply]
  list.forEach((r, i) => {
    if (r.type !== 'text') return
    const textPath = `${Array.isArray(reply) ? `${path}[${i}]` : path}.text`
    for (const [, raw] of r.text.matchAll(PLACEHOLDER)) {
      const name = (raw ?? '').trim()
      if (groups === null) {
        issues.push(at(ruleId, textPath, problem('placeholder_no_regex', { name })))
      } else if (/^\d+$/.test(name) ? Number(name) < 1 || Number(name) > groups.count : !groups.names.includes(name)) {
        issues.push(at(ruleId, textPath, problem('placeholder_unknown_group', { name })))
      }
    }
  })
  return issues
}

/** image: url, media_id or file; miniprogrampage: thumb_url, thumb_media_id or thumb_file — exactly one. */
function eitherOrIssues(ruleId: string | undefined, path: string, reply: RepliesSource): RuleIssue[] {
  const issues: RuleIssue[] = []
  const list = Array.isArray(reply) ? reply : [reply]
  list.forEach((r, i) => {
    const where = Array.isArray(reply) ? `${path}[${i}]` : path
    const missing = eitherOrProblem(r)
    if (missing) issues.push(at(ruleId, where, missing))
  })
  return issues
}

/** What a reply lacks or has twice among its either/or sources, or null: shared with the admin API's reply by hand. */
export function eitherOrProblem(reply: ReplySource): Problem | null {
  if (reply.type === 'image' && sourceCount([reply.url, reply.media_id, reply.file]) !== 1) {
    return problem('image_either_or')
  }
  if (reply.type === 'miniprogrampage' && sourceCount([reply.thumb_url, reply.thumb_media_id, reply.thumb_file]) !== 1) {
    return problem('page_either_or')
  }
  return null
}

const sourceCount = (values: (string | undefined)[]) => values.filter((value) => value !== undefined).length

/** valibot issues → RuleIssues, with union noise removed and the rule id looked up. */
function shapeIssues(input: unknown, issues: readonly v.BaseIssue<unknown>[]): RuleIssue[] {
  return flatten(issues, []).map(({ issue, keys }) => at(ruleIdAt(input, keys), pathText(keys), problemOfIssue(issue)))
}

type Key = string | number

/**
 * A reply is "one reply or a list", so a bad reply fails both branches of a union, and the
 * union's nested issues have paths relative to it. Report the branch that fits the input:
 * the object branch for an object, the list branch for a list, with full paths.
 */
function flatten(issues: readonly v.BaseIssue<unknown>[], prefix: readonly Key[]): { issue: v.BaseIssue<unknown>; keys: Key[] }[] {
  const out: { issue: v.BaseIssue<unknown>; keys: Key[] }[] = []
  for (const issue of issues) {
    const keys = [...prefix, ...(issue.path ?? []).map((item) => item.key as Key)]
    if (issue.type !== 'union' || !issue.issues) {
      out.push({ issue, keys })
      continue
    }
    const isList = Array.isArray(issue.input)
    const fitting = issue.issues.filter((nested) => {
      const first = nested.path?.[0]?.key
      if (isList) return nested.type !== 'variant' || typeof first === 'number'
      return !(nested.type === 'array' && first === undefined)
    })
    if (fitting.length === 0) out.push({ issue: { ...issue, issues: undefined }, keys })
    else out.push(...flatten(fitting, keys))
  }
  return out
}

/** The catalogue's problem for a valibot issue: the schema's own (says), or valibot's kinds of mistake. */
function problemOfIssue(issue: v.BaseIssue<unknown>): Problem {
  const said = problemOf(issue)
  if (said) return said
  if (issue.type === 'strict_object' && issue.expected === 'never') {
    const key = issue.path?.[issue.path.length - 1]?.key
    return problem('unknown_key', { key: String(key) })
  }
  if (issue.type === 'variant' && issue.expected && issue.expected !== 'Object') {
    return problem('variant_type', { expected: issue.expected, received: issue.received })
  }
  if (issue.kind === 'schema' && issue.expected) {
    return issue.received === 'undefined'
      ? problem('required', { expected: issue.expected })
      : problem('expected', { expected: issue.expected, received: issue.received })
  }
  return problem('invalid', { detail: issue.message })
}

/** `rules[2].reply[0].url`: how operators (and jq) write paths. */
export function pathText(keys: readonly (string | number)[]): string {
  let text = ''
  for (const key of keys) {
    if (typeof key === 'number') text += `[${key}]`
    else text += text === '' ? key : `.${key}`
  }
  return text
}

function ruleIdAt(input: unknown, keys: readonly (string | number)[]): string | undefined {
  if (keys[0] !== 'rules' || typeof keys[1] !== 'number' || !isRecord(input)) return undefined
  const rules = input.rules
  if (!Array.isArray(rules)) return undefined
  const rule: unknown = rules[keys[1]]
  return isRecord(rule) && typeof rule.id === 'string' ? rule.id : undefined
}
