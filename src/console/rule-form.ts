/**
 * The rules editor's draft: a rule set as HTML form fields and back. Pure: the page renders a
 * draft, the browser posts it back as flat fields, and `fromForm` rebuilds it — so the draft
 * lives in the form itself and nothing is stored until the operator publishes.
 *
 * A rule is its id, note, when it is in force (enabled, during office hours or not, from /
 * until), one `when` (a kind and its value) and a reply: a plain text reply edits as text;
 * anything else (images, links, cards, several or random replies) as the JSON of
 * rules/rules.json. The office hours edit as the JSON of their block; the knowledge base (`ai`)
 * as a checkbox and the FAQ threshold. The whole set stays reachable as JSON too (`toJson` / the `json` field).
 * Validation is not done here: the rule set goes through the same `validateRuleSet` as
 * `rules:check`, and its issues are shown on the rule and field they name (`issueTarget`).
 */
import { ruleCountIssue, type RuleIssue } from '../rules/validate'

export const WHEN_KINDS = ['text', 'contains', 'regex', 'msgtype', 'event'] as const
export type WhenKind = (typeof WHEN_KINDS)[number]
export const DURINGS = ['', 'open', 'closed'] as const
/** '' is "any time"; the others need the set's office hours. */
export type DuringDraft = (typeof DURINGS)[number]

export interface ReplyDraft {
  mode: 'text' | 'json'
  /** mode text: the reply's text. */
  text: string
  /** mode json: a reply object or a list of them, as JSON. */
  json: string
}

export interface RuleDraft {
  id: string
  note: string
  when: WhenKind
  /** Keywords one per line (text, contains); the pattern (regex); the type or event name. */
  value: string
  /** With event: the session-from to match, or empty. */
  sessionFrom: string
  /** false: `"enabled": false`, the rule stays in the file without effect. */
  enabled: boolean
  during: DuringDraft
  /** ISO date-times with an offset, or empty. */
  from: string
  until: string
  /** With event: `once_per_hours` as typed, or empty. */
  oncePerHours: string
  reply: ReplyDraft
}

export interface Draft {
  /** `$schema` of the stored file, kept as it was. */
  schema: string
  rules: RuleDraft[]
  /** The `hours` block as JSON; empty when the set has none. */
  hours: string
  /** The hand-off: `after_unmatched` as typed and its text; both empty when the set has none. */
  handoffAfter: string
  handoffText: string
  /** The default reply; null when the set has none. */
  fallback: ReplyDraft | null
  ai: AiDraft
  /** `satisfaction` as typed: the rating asked after a close at the human desk. */
  satisfaction: SatisfactionDraft
}

export interface SatisfactionDraft {
  /** The set has the block (kept, off included). */
  block: boolean
  enabled: boolean
  text: string
  minutes: string
  thanks: string
}

/** The `ai` block: answer texts no rule matched from the knowledge base. */
export interface AiDraft {
  /** The set has an `ai` block (kept, `"enabled": false` included, even when unticked). */
  block: boolean
  enabled: boolean
  /** `faq_threshold` as typed, or empty for the default. */
  faqThreshold: string
  /** The model's settings as typed (each empty for its default): `AI_MODEL_FIELDS`. */
  model: Record<AiModelField, string>
  /** The block's other keys as JSON ('' when none): kept as they are, for the validator to name. */
  rest: string
}

/** The `ai` keys for the model, each a form field `ai.<key>`: numbers, texts and a choice. */
export const AI_MODEL_FIELDS = {
  passage_threshold: 'number',
  persona: 'text',
  max_answer_chars: 'number',
  daily_budget: 'number',
  off_hours: 'choice',
  fallback: 'text',
} as const
export type AiModelField = keyof typeof AI_MODEL_FIELDS
const MODEL_KEYS = Object.keys(AI_MODEL_FIELDS) as AiModelField[]

function emptyModel(): Record<AiModelField, string> {
  return Object.fromEntries(MODEL_KEYS.map((key) => [key, ''])) as Record<AiModelField, string>
}

/** What the form can ask besides publishing: the rules' order and number. */
export type DraftOp = { op: 'add' } | { op: 'delete' | 'up' | 'down'; index: number }

/** A field the editor could not turn into JSON: shown like a validation issue. */
export type DraftProblem = RuleIssue

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

const stringOf = (value: unknown): string => (typeof value === 'string' ? value : '')

// ---------------------------------------------------------------- rule set → draft

/** A draft of a stored rule set (parsed JSON; anything malformed shows as it is, to be fixed). */
export function draftOf(source: unknown): Draft {
  const set = isObject(source) ? source : {}
  const rules = Array.isArray(set.rules) ? set.rules : []
  return {
    schema: stringOf(set.$schema),
    rules: rules.map(ruleDraftOf),
    hours: set.hours === undefined ? '' : JSON.stringify(set.hours, null, 2),
    ...handoffDraftOf(set.handoff),
    fallback: set.default === undefined ? null : replyDraftOf(set.default),
    ai: aiDraftOf(set.ai),
    satisfaction: satisfactionDraftOf(set.satisfaction),
  }
}

function satisfactionDraftOf(raw: unknown): SatisfactionDraft {
  if (!isObject(raw)) return { block: raw !== undefined, enabled: false, text: '', minutes: '', thanks: '' }
  return {
    block: true,
    enabled: raw.enabled === true,
    text: asTyped(raw.text),
    minutes: asTyped(raw.minutes),
    thanks: asTyped(raw.thanks),
  }
}

function aiDraftOf(raw: unknown): AiDraft {
  if (raw === undefined) return { block: false, enabled: false, faqThreshold: '', model: emptyModel(), rest: '' }
  const { enabled, faq_threshold: threshold, ...others } = isObject(raw) ? raw : {}
  const model = emptyModel()
  const rest: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(others)) {
    if ((MODEL_KEYS as string[]).includes(key)) model[key as AiModelField] = asTyped(value)
    else rest[key] = value
  }
  return {
    block: true,
    enabled: enabled === true,
    faqThreshold: asTyped(threshold),
    model,
    rest: Object.keys(rest).length === 0 ? '' : JSON.stringify(rest),
  }
}

/** A value as the operator would have typed it: a string as is, anything else as JSON, nothing as ''. */
function asTyped(value: unknown): string {
  return value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value)
}

function handoffDraftOf(raw: unknown): Pick<Draft, 'handoffAfter' | 'handoffText'> {
  const handoff = isObject(raw) ? raw : {}
  const after = handoff.after_unmatched
  return { handoffAfter: after === undefined ? '' : String(after), handoffText: stringOf(handoff.text) }
}

function ruleDraftOf(raw: unknown): RuleDraft {
  const rule = isObject(raw) ? raw : {}
  const when = isObject(rule.when) ? rule.when : {}
  const kind = WHEN_KINDS.find((k) => when[k] !== undefined) ?? 'contains'
  const value = when[kind]
  return {
    id: stringOf(rule.id),
    note: stringOf(rule.note),
    when: kind,
    value: Array.isArray(value) ? value.map(stringOf).join('\n') : stringOf(value),
    sessionFrom: stringOf(when.session_from),
    enabled: rule.enabled !== false,
    during: duringOf(rule.during),
    from: stringOf(rule.from),
    until: stringOf(rule.until),
    oncePerHours: rule.once_per_hours === undefined ? '' : String(rule.once_per_hours),
    reply: replyDraftOf(rule.reply),
  }
}

function duringOf(value: unknown): DuringDraft {
  return value === 'open' || value === 'closed' ? value : ''
}

function replyDraftOf(reply: unknown): ReplyDraft {
  const single = Array.isArray(reply) && reply.length === 1 ? reply[0] : reply
  if (isObject(single) && single.type === 'text' && Object.keys(single).length === 2 && typeof single.text === 'string') {
    return { mode: 'text', text: single.text, json: '' }
  }
  return { mode: 'json', text: '', json: reply === undefined ? '' : JSON.stringify(reply, null, 2) }
}

/** A new rule, e.g. from an unmatched question: contains the question, replies with text. */
export function newRule(draft: Draft, question: string): RuleDraft {
  const ids = new Set(draft.rules.map((r) => r.id))
  let n = draft.rules.length + 1
  while (ids.has(`rule-${n}`)) n++
  return {
    id: `rule-${n}`,
    note: '',
    when: 'contains',
    value: question.trim(),
    sessionFrom: '',
    enabled: true,
    during: '',
    from: '',
    until: '',
    oncePerHours: '',
    reply: { mode: 'text', text: '', json: '' },
  }
}

// ---------------------------------------------------------------- form ↔ draft

/** The form's flat fields, as the page names them. */
export function formFields(draft: Draft): Record<string, string> {
  const fields: Record<string, string> = {
    schema: draft.schema,
    count: String(draft.rules.length),
    hours: draft.hours,
    'handoff.after': draft.handoffAfter,
    'handoff.text': draft.handoffText,
  }
  draft.rules.forEach((rule, i) => {
    Object.assign(fields, {
      [`r${i}.id`]: rule.id,
      [`r${i}.note`]: rule.note,
      [`r${i}.when`]: rule.when,
      [`r${i}.value`]: rule.value,
      [`r${i}.session_from`]: rule.sessionFrom,
      // A checkbox is only posted when ticked: ticked means disabled, so a form without it
      // (older pages, scripts) keeps rules in force.
      [`r${i}.disabled`]: rule.enabled ? '' : 'on',
      [`r${i}.during`]: rule.during,
      [`r${i}.from`]: rule.from,
      [`r${i}.until`]: rule.until,
      [`r${i}.once_per_hours`]: rule.oncePerHours,
    })
    Object.assign(fields, replyFields(`r${i}`, rule.reply))
  })
  fields['d.enabled'] = draft.fallback === null ? '' : 'on'
  if (draft.fallback) Object.assign(fields, replyFields('d', draft.fallback))
  Object.assign(fields, {
    'ai.block': draft.ai.block ? 'on' : '',
    'ai.enabled': draft.ai.enabled ? 'on' : '',
    'ai.faq_threshold': draft.ai.faqThreshold,
    ...Object.fromEntries(MODEL_KEYS.map((key) => [`ai.${key}`, draft.ai.model[key]])),
    'ai.rest': draft.ai.rest,
    'satisfaction.block': draft.satisfaction.block ? 'on' : '',
    'satisfaction.enabled': draft.satisfaction.enabled ? 'on' : '',
    'satisfaction.text': draft.satisfaction.text,
    'satisfaction.minutes': draft.satisfaction.minutes,
    'satisfaction.thanks': draft.satisfaction.thanks,
  })
  return fields
}

function replyFields(prefix: string, reply: ReplyDraft): Record<string, string> {
  return { [`${prefix}.reply_mode`]: reply.mode, [`${prefix}.reply_text`]: reply.text, [`${prefix}.reply_json`]: reply.json }
}

/**
 * The draft a posted form holds. Missing fields read as empty: the validator names what is
 * wrong. The form holds as many rules as a rule set may (MAX_RULES): a form that says it holds
 * more is refused whole, with the validator's issue — never read as a draft cut short.
 */
export function fromForm(form: Readonly<Record<string, unknown>>): { ok: true; draft: Draft } | { ok: false; issue: RuleIssue } {
  const field = (name: string) => stringOf(form[name]).replace(/\r\n/g, '\n')
  const count = Math.max(0, Number.parseInt(field('count'), 10) || 0)
  const overLimit = ruleCountIssue(count)
  if (overLimit) return { ok: false, issue: overLimit }
  const rules: RuleDraft[] = []
  for (let i = 0; i < count; i++) {
    const when = field(`r${i}.when`)
    rules.push({
      id: field(`r${i}.id`).trim(),
      note: field(`r${i}.note`),
      when: (WHEN_KINDS as readonly string[]).includes(when) ? (when as WhenKind) : 'contains',
      value: field(`r${i}.value`),
      sessionFrom: field(`r${i}.session_from`).trim(),
      enabled: field(`r${i}.disabled`) !== 'on',
      during: duringOf(field(`r${i}.during`)),
      from: field(`r${i}.from`).trim(),
      until: field(`r${i}.until`).trim(),
      oncePerHours: field(`r${i}.once_per_hours`).trim(),
      reply: replyFromForm(field, `r${i}`),
    })
  }
  return {
    ok: true,
    draft: {
      schema: field('schema'),
      rules,
      hours: field('hours').trim(),
      handoffAfter: field('handoff.after').trim(),
      handoffText: field('handoff.text').trim(),
      fallback: field('d.enabled') === 'on' ? replyFromForm(field, 'd') : null,
      ai: {
        block: field('ai.block') === 'on',
        enabled: field('ai.enabled') === 'on',
        faqThreshold: field('ai.faq_threshold').trim(),
        // Texts keep their inner spaces and lines; numbers and the choice are trimmed.
        model: Object.fromEntries(
          MODEL_KEYS.map((key) => [key, AI_MODEL_FIELDS[key] === 'text' ? field(`ai.${key}`) : field(`ai.${key}`).trim()]),
        ) as Record<AiModelField, string>,
        rest: field('ai.rest').trim(),
      },
      satisfaction: {
        block: field('satisfaction.block') === 'on',
        enabled: field('satisfaction.enabled') === 'on',
        text: field('satisfaction.text').trim(),
        minutes: field('satisfaction.minutes').trim(),
        thanks: field('satisfaction.thanks').trim(),
      },
    },
  }
}

function replyFromForm(field: (name: string) => string, prefix: string): ReplyDraft {
  const mode = field(`${prefix}.reply_mode`) === 'json' ? 'json' : 'text'
  return { mode, text: field(`${prefix}.reply_text`), json: field(`${prefix}.reply_json`) }
}

export function applyOp(draft: Draft, change: DraftOp): Draft {
  const rules = [...draft.rules]
  if (change.op === 'add') return { ...draft, rules: [...rules, newRule(draft, '')] }
  const { index } = change
  if (index < 0 || index >= rules.length) return draft
  if (change.op === 'delete') rules.splice(index, 1)
  const swap = change.op === 'up' ? index - 1 : change.op === 'down' ? index + 1 : -1
  if (swap >= 0 && swap < rules.length) [rules[index], rules[swap]] = [rules[swap]!, rules[index]!]
  return { ...draft, rules }
}

// ---------------------------------------------------------------- draft → rule set

/** The rule set a draft stands for (unvalidated), and the fields that are not JSON at all. */
export function ruleSetOf(draft: Draft): { value: Record<string, Json>; problems: DraftProblem[] } {
  const problems: DraftProblem[] = []
  const rules = draft.rules.map((rule, i) => {
    const out: Record<string, Json> = { id: rule.id }
    if (rule.note.trim() !== '') out.note = rule.note
    if (!rule.enabled) out.enabled = false
    if (rule.during !== '') out.during = rule.during
    if (rule.from !== '') out.from = rule.from
    if (rule.until !== '') out.until = rule.until
    out.when = whenOf(rule)
    if (rule.oncePerHours !== '') out.once_per_hours = numberOf(rule.oncePerHours)
    out.reply = replyOf(rule.reply, `rules[${i}].reply`, rule.id, problems)
    return out
  })
  const value: Record<string, Json> = {}
  if (draft.schema !== '') value.$schema = draft.schema
  if (draft.hours !== '') value.hours = jsonOf(draft.hours, 'hours', undefined, problems)
  if (draft.handoffAfter !== '' || draft.handoffText !== '') {
    const handoff: Record<string, Json> = {}
    if (draft.handoffAfter !== '') handoff.after_unmatched = numberOf(draft.handoffAfter)
    if (draft.handoffText !== '') handoff.text = draft.handoffText
    value.handoff = handoff
  }
  value.rules = rules
  if (draft.fallback) value.default = replyOf(draft.fallback, 'default', undefined, problems)
  const { ai } = draft
  // Ticking the box adds the block; an existing block stays, `"enabled": false` when unticked.
  const modelTyped = MODEL_KEYS.some((key) => ai.model[key].trim() !== '')
  if (ai.block || ai.enabled || ai.faqThreshold !== '' || modelTyped || ai.rest !== '') {
    const rest = ai.rest === '' ? {} : jsonOf(ai.rest, 'ai', undefined, problems)
    const block: Record<string, Json> = { enabled: ai.enabled }
    if (ai.faqThreshold !== '') block.faq_threshold = numberOf(ai.faqThreshold)
    for (const key of MODEL_KEYS) {
      const typed = ai.model[key]
      if (typed.trim() === '') continue
      block[key] = AI_MODEL_FIELDS[key] === 'number' ? numberOf(typed) : typed
    }
    value.ai = isObject(rest) ? { ...block, ...(rest as Record<string, Json>) } : block
  }
  const rating = draft.satisfaction
  if (rating.block || rating.enabled || rating.text !== '' || rating.minutes !== '' || rating.thanks !== '') {
    const block: Record<string, Json> = { enabled: rating.enabled }
    if (rating.text !== '') block.text = rating.text
    if (rating.minutes !== '') block.minutes = numberOf(rating.minutes)
    if (rating.thanks !== '') block.thanks = rating.thanks
    value.satisfaction = block
  }
  return { value, problems }
}

/** A number as typed; anything else stays text, for the validator to name. */
function numberOf(text: string): Json {
  const n = Number(text)
  return /^\d+(\.\d+)?$/.test(text) && Number.isFinite(n) ? n : text
}

function whenOf(rule: RuleDraft): Record<string, Json> {
  switch (rule.when) {
    case 'text':
    case 'contains':
      return { [rule.when]: rule.value.split('\n').filter((line) => line.trim() !== '') }
    case 'regex':
      return { regex: rule.value.trim() }
    case 'msgtype':
      return { msgtype: rule.value.trim() }
    case 'event':
      return rule.sessionFrom === '' ? { event: rule.value.trim() } : { event: rule.value.trim(), session_from: rule.sessionFrom }
  }
}

function replyOf(reply: ReplyDraft, path: string, ruleId: string | undefined, problems: DraftProblem[]): Json {
  if (reply.mode === 'text') return { type: 'text', text: reply.text }
  return jsonOf(reply.json, path, ruleId, problems)
}

function jsonOf(text: string, path: string, ruleId: string | undefined, problems: DraftProblem[]): Json {
  try {
    return JSON.parse(text) as Json
  } catch (error) {
    problems.push({ ...(ruleId ? { ruleId } : {}), path, message: `is not valid JSON (${(error as Error).message})` })
    return null
  }
}

/** The stored form of a rule set: what `rules:push` would put for the same file. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

// ---------------------------------------------------------------- issues → fields

export type RuleField = 'id' | 'note' | 'when' | 'reply' | 'schedule'

/** Where an issue belongs on the page: a rule (by index) and its field, the default reply, the hours, the hand-off, the knowledge base, the rating, or the set. */
export function issueTarget(
  path: string,
): { rule: number; field: RuleField | null } | { rule: 'default' | 'hours' | 'handoff' | 'ai' | 'satisfaction' } | { rule: null } {
  const match = /^rules\[(\d+)\](?:\.(id|note|when|reply|enabled|during|from|until|once_per_hours))?/.exec(path)
  if (match) {
    const key = match[2]
    const field =
      key === undefined ? null : ['enabled', 'during', 'from', 'until', 'once_per_hours'].includes(key) ? 'schedule' : (key as RuleField)
    return { rule: Number(match[1]), field }
  }
  if (path.startsWith('default')) return { rule: 'default' }
  if (path === 'hours' || path.startsWith('hours.')) return { rule: 'hours' }
  if (path === 'handoff' || path.startsWith('handoff.')) return { rule: 'handoff' }
  if (path === 'ai' || path.startsWith('ai.')) return { rule: 'ai' }
  if (path === 'satisfaction' || path.startsWith('satisfaction.')) return { rule: 'satisfaction' }
  return { rule: null }
}
