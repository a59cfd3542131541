/**
 * The rules editor's draft: a rule set as HTML form fields and back. Pure: the page renders a
 * draft, the browser posts it back as flat fields, and `fromForm` rebuilds it — so the draft
 * lives in the form itself and nothing is stored until the operator publishes.
 *
 * A rule is its id, note, when it is in force (enabled, during office hours or not, from /
 * until), one `when` (a kind and its value) and a reply, edited as parts (reply-form.ts). The
 * office hours edit as a weekly grid and dates (hours-form.ts); the default reply as entries,
 * each a time of day and a reply; the knowledge base (`ai`) and the rating as their fields. No
 * field takes JSON but one: the whole set, for developers (`toJson` / the `json` field).
 * Validation is not done here: the rule set goes through the same `validateRuleSet` as
 * `rules:check`, and its issues are shown on the rule and field they name (`issueTarget`).
 */
import { ruleCountIssue, type RuleIssue } from '../rules/validate'
import { MSG_TYPES, EVENTS } from '../rules/schema'
import { isRecord } from '../is-record'
import {
  applyHoursOp,
  hoursDraftOf,
  hoursFields,
  hoursFromForm,
  hoursOf,
  newHours,
  DATE_LISTS,
  PERIOD_ROWS,
  type DateList,
  type HoursDraft,
  type HoursOp,
  type PeriodRow,
} from './hours-form'
import {
  applyReplyOp,
  PART_TYPES,
  replyDraftOf,
  replyFields,
  replyFromForm,
  replyOf,
  textReply,
  type PartType,
  type ReplyDraft,
  type ReplyOp,
} from './reply-form'

export type { ReplyDraft } from './reply-form'
export type { HoursDraft } from './hours-form'

export const WHEN_KINDS = ['text', 'contains', 'regex', 'msgtype', 'event'] as const
export type WhenKind = (typeof WHEN_KINDS)[number]
export const DURINGS = ['', 'open', 'closed'] as const
/** '' is both channels (the mini program and 微信客服). */
export const CHANNEL_CHOICES = ['', 'miniprogram', 'kf'] as const
export type ChannelDraft = (typeof CHANNEL_CHOICES)[number]
/** '' is "any time"; the others need the set's office hours. */
export type DuringDraft = (typeof DURINGS)[number]

export interface RuleDraft {
  id: string
  note: string
  when: WhenKind
  /** Keywords one per line (text, contains); the pattern (regex); the type or event name (chosen from a list). */
  value: string
  /** With event: the session-from to match, or empty. */
  sessionFrom: string
  /** `when.channel`: '' for both, or the one channel the rule answers. */
  channel: ChannelDraft
  /** false: `"enabled": false`, the rule stays in the file without effect. */
  enabled: boolean
  during: DuringDraft
  /** ISO date-times with an offset, or empty (the form shows them in China time). */
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
  /** The office hours; null when the set has none. */
  hours: HoursDraft | null
  /** The hand-off: `after_unmatched` as typed and its text; both empty when the set has none. */
  handoffAfter: string
  handoffText: string
  /** The default reply; null when the set has none. */
  fallback: DefaultDraft | null
  ai: AiDraft
  /** `satisfaction` as typed: the rating asked after a close at the human desk. */
  satisfaction: SatisfactionDraft
}

/** The default reply: one entry without a time of day is the plain form; otherwise entries tried in order. */
export interface DefaultDraft {
  entries: { during: DuringDraft; reply: ReplyDraft }[]
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

/**
 * What the form's buttons can ask besides checking and publishing: the rules' order and number,
 * a reply's parts and choices (`prefix` names the reply: `r3`, or `d.e0` for the default's first
 * entry), the default's entries, the grid's periods and dates.
 */
export type DraftOp =
  | { op: 'add' }
  | { op: 'delete' | 'up' | 'down'; index: number }
  | { op: 'reply'; prefix: string; change: ReplyOp }
  | { op: 'entry-add' }
  | { op: 'entry-delete'; index: number }
  | { op: 'hours'; change: HoursOp }

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const isObject = isRecord

const stringOf = (value: unknown): string => (typeof value === 'string' ? value : '')

// ---------------------------------------------------------------- rule set → draft

/** A draft of a stored rule set (parsed JSON; anything malformed shows as it is, to be fixed). */
export function draftOf(source: unknown): Draft {
  const set = isObject(source) ? source : {}
  const rules = Array.isArray(set.rules) ? set.rules : []
  return {
    schema: stringOf(set.$schema),
    rules: rules.map(ruleDraftOf),
    hours: hoursDraftOf(set.hours),
    ...handoffDraftOf(set.handoff),
    fallback: set.default === undefined ? null : defaultDraftOf(set.default),
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

/** A list whose first item has `reply` is a list of entries; anything else is one reply. */
function defaultDraftOf(raw: unknown): DefaultDraft {
  if (Array.isArray(raw) && isObject(raw[0]) && 'reply' in raw[0]) {
    return {
      entries: raw.map((entry) => {
        const item = isObject(entry) ? entry : {}
        return { during: duringOf(item.during), reply: replyDraftOf(item.reply) }
      }),
    }
  }
  return { entries: [{ during: '', reply: replyDraftOf(raw) }] }
}

function aiDraftOf(raw: unknown): AiDraft {
  if (raw === undefined) return { block: false, enabled: false, faqThreshold: '', model: emptyModel() }
  const block = isObject(raw) ? raw : {}
  const model = emptyModel()
  for (const key of MODEL_KEYS) model[key] = asTyped(block[key])
  return { block: true, enabled: block.enabled === true, faqThreshold: asTyped(block.faq_threshold), model }
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
    channel: channelOf(when.channel),
    enabled: rule.enabled !== false,
    during: duringOf(rule.during),
    from: stringOf(rule.from),
    until: stringOf(rule.until),
    oncePerHours: rule.once_per_hours === undefined ? '' : String(rule.once_per_hours),
    reply: replyDraftOf(rule.reply),
  }
}

function channelOf(value: unknown): ChannelDraft {
  return value === 'miniprogram' || value === 'kf' ? value : ''
}

function duringOf(value: unknown): DuringDraft {
  return value === 'open' || value === 'closed' ? value : ''
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
    channel: '',
    enabled: true,
    during: '',
    from: '',
    until: '',
    oncePerHours: '',
    reply: textReply(),
  }
}

// ---------------------------------------------------------------- form ↔ draft

/** China time, as the console shows every time: dates and times without an offset are read in it. */
const CHINA_OFFSET = '+08:00'

/** An instant as a `datetime-local` field shows it, in China time; what it cannot read, as it is. */
export function localOf(iso: string): string {
  const at = Date.parse(iso)
  if (iso === '' || Number.isNaN(at)) return iso
  return new Date(at + 8 * 3600_000).toISOString().slice(0, 16)
}

/** A `datetime-local` value back to an instant with China's offset; anything with its own offset, as typed. */
export function isoOf(local: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(local) ? `${local.slice(0, 16)}${CHINA_OFFSET}` : local
}

/** The form's flat fields, as the page names them. */
export function formFields(draft: Draft): Record<string, string> {
  const fields: Record<string, string> = {
    schema: draft.schema,
    count: String(draft.rules.length),
    ...hoursFields(draft.hours),
    'handoff.after': draft.handoffAfter,
    'handoff.text': draft.handoffText,
  }
  draft.rules.forEach((rule, i) => {
    Object.assign(fields, {
      [`r${i}.id`]: rule.id,
      [`r${i}.note`]: rule.note,
      [`r${i}.when`]: rule.when,
      // Each kind keeps its own field; the page shows the one the chosen kind uses.
      [`r${i}.value`]: rule.when === 'msgtype' || rule.when === 'event' ? '' : rule.value,
      [`r${i}.msgtype`]: rule.when === 'msgtype' ? rule.value : '',
      [`r${i}.event`]: rule.when === 'event' ? rule.value : '',
      [`r${i}.session_from`]: rule.sessionFrom,
      [`r${i}.channel`]: rule.channel,
      // A checkbox is only posted when ticked: ticked means disabled, so a form without it
      // (older pages, scripts) keeps rules in force.
      [`r${i}.disabled`]: rule.enabled ? '' : 'on',
      [`r${i}.during`]: rule.during,
      [`r${i}.from`]: localOf(rule.from),
      [`r${i}.until`]: localOf(rule.until),
      [`r${i}.once_per_hours`]: rule.oncePerHours,
    })
    Object.assign(fields, replyFields(`r${i}`, rule.reply))
  })
  fields['d.enabled'] = draft.fallback === null ? '' : 'on'
  const entries = draft.fallback?.entries ?? []
  fields['d.entries'] = String(entries.length)
  entries.forEach((entry, m) => {
    fields[`d.e${m}.during`] = entry.during
    Object.assign(fields, replyFields(`d.e${m}`, entry.reply))
  })
  Object.assign(fields, {
    'ai.block': draft.ai.block ? 'on' : '',
    'ai.enabled': draft.ai.enabled ? 'on' : '',
    'ai.faq_threshold': draft.ai.faqThreshold,
    ...Object.fromEntries(MODEL_KEYS.map((key) => [`ai.${key}`, draft.ai.model[key]])),
    'satisfaction.block': draft.satisfaction.block ? 'on' : '',
    'satisfaction.enabled': draft.satisfaction.enabled ? 'on' : '',
    'satisfaction.text': draft.satisfaction.text,
    'satisfaction.minutes': draft.satisfaction.minutes,
    'satisfaction.thanks': draft.satisfaction.thanks,
  })
  return fields
}

/** Entries of the default reply a form may say it holds (the page offers a few: all day, open, closed). */
const MAX_ENTRIES = 10

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
    const when = (WHEN_KINDS as readonly string[]).includes(field(`r${i}.when`)) ? (field(`r${i}.when`) as WhenKind) : 'contains'
    rules.push({
      id: field(`r${i}.id`).trim(),
      note: field(`r${i}.note`),
      when,
      value: when === 'msgtype' || when === 'event' ? field(`r${i}.${when}`).trim() : field(`r${i}.value`),
      sessionFrom: field(`r${i}.session_from`).trim(),
      channel: channelOf(field(`r${i}.channel`)),
      enabled: field(`r${i}.disabled`) !== 'on',
      during: duringOf(field(`r${i}.during`)),
      from: isoOf(field(`r${i}.from`).trim()),
      until: isoOf(field(`r${i}.until`).trim()),
      oncePerHours: field(`r${i}.once_per_hours`).trim(),
      reply: replyFromForm(field, `r${i}`),
    })
  }
  return {
    ok: true,
    draft: {
      schema: field('schema'),
      rules,
      hours: hoursFromForm(field),
      handoffAfter: field('handoff.after').trim(),
      handoffText: field('handoff.text').trim(),
      fallback: field('d.enabled') === 'on' ? defaultFromForm(field) : null,
      ai: {
        block: field('ai.block') === 'on',
        enabled: field('ai.enabled') === 'on',
        faqThreshold: field('ai.faq_threshold').trim(),
        // Texts keep their inner spaces and lines; numbers and the choice are trimmed.
        model: Object.fromEntries(
          MODEL_KEYS.map((key) => [key, AI_MODEL_FIELDS[key] === 'text' ? field(`ai.${key}`) : field(`ai.${key}`).trim()]),
        ) as Record<AiModelField, string>,
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

function defaultFromForm(field: (name: string) => string): DefaultDraft {
  // A form without the count (older pages, scripts) has one entry.
  const count = field('d.entries') === '' ? 1 : Math.min(MAX_ENTRIES, Math.max(1, Number.parseInt(field('d.entries'), 10) || 1))
  const entries: DefaultDraft['entries'] = []
  for (let m = 0; m < count; m++) entries.push({ during: duringOf(field(`d.e${m}.during`)), reply: replyFromForm(field, `d.e${m}`) })
  return { entries }
}

/** The change a button asks for (`op` as posted), or null for check, preview, publish and json. */
export function opOf(op: string, field: (name: string) => string): DraftOp | null {
  if (op === 'add') return { op: 'add' }
  if (op === 'entry-add') return { op: 'entry-add' }
  // Any index the form may hold (up to MAX_RULES); applyOp ignores one past the end.
  const rule = /^(up|down|delete):(\d{1,9})$/.exec(op)
  if (rule) return { op: rule[1] as 'up' | 'down' | 'delete', index: Number(rule[2]) }
  const entry = /^entry-delete:(\d{1,2})$/.exec(op)
  if (entry) return { op: 'entry-delete', index: Number(entry[1]) }
  const part = /^(part-up|part-down|part-delete|file-clear):(r\d{1,9}|d\.e\d{1,2})\.c(\d{1,2})\.p(\d{1,2})$/.exec(op)
  if (part) {
    const change = { op: part[1] as 'part-up' | 'part-down' | 'part-delete' | 'file-clear', choice: Number(part[3]), part: Number(part[4]) }
    return { op: 'reply', prefix: part[2]!, change }
  }
  const add = /^part-add:(r\d{1,9}|d\.e\d{1,2})\.c(\d{1,2})$/.exec(op)
  if (add) {
    const asked = field(`${add[1]}.c${add[2]}.add_type`)
    const type = (PART_TYPES as readonly string[]).includes(asked) ? (asked as PartType) : 'text'
    return { op: 'reply', prefix: add[1]!, change: { op: 'part-add', choice: Number(add[2]), type } }
  }
  const choice = /^choice-(add|delete):(r\d{1,9}|d\.e\d{1,2})(?:\.c(\d{1,2}))?$/.exec(op)
  if (choice) {
    const change: ReplyOp = choice[1] === 'add' ? { op: 'choice-add' } : { op: 'choice-delete', choice: Number(choice[3] ?? -1) }
    return { op: 'reply', prefix: choice[2]!, change }
  }
  const period = /^period-(add|delete):(mon|tue|wed|thu|fri|sat|sun|open_hours)(?:\.(\d{1,2}))?$/.exec(op)
  if (period) {
    const row = period[2] as PeriodRow
    return {
      op: 'hours',
      change: period[1] === 'add' ? { op: 'period-add', row } : { op: 'period-delete', row, index: Number(period[3] ?? -1) },
    }
  }
  const date = /^date-(add|delete):(closed|open)(?:\.(\d{1,3}))?$/.exec(op)
  if (date) {
    const list = date[2] as DateList
    return { op: 'hours', change: date[1] === 'add' ? { op: 'date-add', list } : { op: 'date-delete', list, index: Number(date[3] ?? -1) } }
  }
  return null
}

export function applyOp(draft: Draft, change: DraftOp): Draft {
  switch (change.op) {
    case 'add':
      return { ...draft, rules: [...draft.rules, newRule(draft, '')] }
    case 'reply':
      return withReply(draft, change.prefix, (reply) => applyReplyOp(reply, change.change))
    case 'entry-add': {
      const entries = draft.fallback?.entries ?? []
      // A second entry is most often the answer out of office hours.
      const during = entries.length === 0 ? '' : draft.hours === null ? '' : 'closed'
      return { ...draft, fallback: { entries: [...entries, { during, reply: textReply() }] } }
    }
    case 'entry-delete': {
      const entries = (draft.fallback?.entries ?? []).filter((_, m) => m !== change.index)
      return { ...draft, fallback: entries.length === 0 ? null : { entries } }
    }
    case 'hours':
      return { ...draft, hours: applyHoursOp(draft.hours ?? newHours(), change.change) }
  }
  const rules = [...draft.rules]
  const { index } = change
  if (index < 0 || index >= rules.length) return draft
  if (change.op === 'delete') rules.splice(index, 1)
  const swap = change.op === 'up' ? index - 1 : change.op === 'down' ? index + 1 : -1
  if (swap >= 0 && swap < rules.length) [rules[index], rules[swap]] = [rules[swap]!, rules[index]!]
  return { ...draft, rules }
}

/** The draft with the reply at `prefix` (`r3`, `d.e0`) changed; as it was when there is none. */
export function withReply(draft: Draft, prefix: string, change: (reply: ReplyDraft) => ReplyDraft): Draft {
  const rule = /^r(\d+)$/.exec(prefix)
  if (rule) {
    const index = Number(rule[1])
    const target = draft.rules[index]
    if (!target) return draft
    return { ...draft, rules: draft.rules.map((r, i) => (i === index ? { ...target, reply: change(target.reply) } : r)) }
  }
  const entry = /^d\.e(\d+)$/.exec(prefix)
  const index = Number(entry?.[1] ?? -1)
  const entries = draft.fallback?.entries
  if (!entries?.[index]) return draft
  return { ...draft, fallback: { entries: entries.map((e, m) => (m === index ? { ...e, reply: change(e.reply) } : e)) } }
}

/** Every reply of a draft with its form prefix and its path in the rule set. */
export function repliesOf(draft: Draft): { prefix: string; path: string; reply: ReplyDraft }[] {
  const out = draft.rules.map((rule, i) => ({ prefix: `r${i}`, path: `rules[${i}].reply`, reply: rule.reply }))
  const entries = draft.fallback?.entries ?? []
  entries.forEach((entry, m) => {
    out.push({ prefix: `d.e${m}`, path: plainDefault(draft.fallback) ? 'default' : `default[${m}].reply`, reply: entry.reply })
  })
  return out
}

/** One entry for any time of day is written as the reply itself. */
const plainDefault = (fallback: DefaultDraft | null): boolean => fallback?.entries.length === 1 && fallback.entries[0]?.during === ''

// ---------------------------------------------------------------- draft → rule set

/** The rule set a draft stands for (unvalidated). */
export function ruleSetOf(draft: Draft): { value: Record<string, Json> } {
  const rules = draft.rules.map((rule) => {
    const out: Record<string, Json> = { id: rule.id }
    if (rule.note.trim() !== '') out.note = rule.note
    if (!rule.enabled) out.enabled = false
    if (rule.during !== '') out.during = rule.during
    if (rule.from !== '') out.from = rule.from
    if (rule.until !== '') out.until = rule.until
    out.when = whenOf(rule)
    if (rule.oncePerHours !== '') out.once_per_hours = numberOf(rule.oncePerHours)
    out.reply = replyOf(rule.reply)
    return out
  })
  const value: Record<string, Json> = {}
  if (draft.schema !== '') value.$schema = draft.schema
  if (draft.hours) value.hours = hoursOf(draft.hours)
  if (draft.handoffAfter !== '' || draft.handoffText !== '') {
    const handoff: Record<string, Json> = {}
    if (draft.handoffAfter !== '') handoff.after_unmatched = numberOf(draft.handoffAfter)
    if (draft.handoffText !== '') handoff.text = draft.handoffText
    value.handoff = handoff
  }
  value.rules = rules
  if (draft.fallback) value.default = defaultOf(draft.fallback)
  const { ai } = draft
  // Ticking the box adds the block; an existing block stays, `"enabled": false` when unticked.
  const modelTyped = MODEL_KEYS.some((key) => ai.model[key].trim() !== '')
  if (ai.block || ai.enabled || ai.faqThreshold !== '' || modelTyped) {
    const block: Record<string, Json> = { enabled: ai.enabled }
    if (ai.faqThreshold !== '') block.faq_threshold = numberOf(ai.faqThreshold)
    for (const key of MODEL_KEYS) {
      const typed = ai.model[key]
      if (typed.trim() === '') continue
      block[key] = AI_MODEL_FIELDS[key] === 'number' ? numberOf(typed) : typed
    }
    value.ai = block
  }
  const rating = draft.satisfaction
  if (rating.block || rating.enabled || rating.text !== '' || rating.minutes !== '' || rating.thanks !== '') {
    const block: Record<string, Json> = { enabled: rating.enabled }
    if (rating.text !== '') block.text = rating.text
    if (rating.minutes !== '') block.minutes = numberOf(rating.minutes)
    if (rating.thanks !== '') block.thanks = rating.thanks
    value.satisfaction = block
  }
  return { value }
}

function defaultOf(fallback: DefaultDraft): Json {
  if (plainDefault(fallback)) return replyOf(fallback.entries[0]!.reply)
  return fallback.entries.map((entry): Json => {
    const out: Record<string, Json> = entry.during === '' ? {} : { during: entry.during }
    out.reply = replyOf(entry.reply)
    return out
  })
}

/** A number as typed; anything else stays text, for the validator to name. */
function numberOf(text: string): Json {
  const n = Number(text)
  return /^\d+(\.\d+)?$/.test(text) && Number.isFinite(n) ? n : text
}

function whenOf(rule: RuleDraft): Record<string, Json> {
  const when = kindOf(rule)
  return rule.channel === '' ? when : { ...when, channel: rule.channel }
}

function kindOf(rule: RuleDraft): Record<string, Json> {
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

/** The choices the form offers for a msgtype or event rule. */
export const WHEN_CHOICES = { msgtype: MSG_TYPES, event: EVENTS } as const

export { DATE_LISTS, PERIOD_ROWS }

/** The stored form of a rule set: what `rules:push` would put for the same file. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

// ---------------------------------------------------------------- issues → fields

/** A rule's places for its problems: `schedule` is the during / from / until / disabled row; `once_per_hours` has its own input in the event row. */
export type RuleField = 'id' | 'note' | 'when' | 'reply' | 'schedule' | 'once_per_hours'

/**
 * Where an issue belongs on the page: a rule (by index) and its field, the default reply, the
 * hours, the hand-off, the knowledge base, the rating, the preview's time (`preview_at`, the
 * console's own path), or the set.
 */
export function issueTarget(
  path: string,
):
  | { rule: number; field: RuleField | null }
  | { rule: 'default' | 'hours' | 'handoff' | 'ai' | 'satisfaction' | 'preview' }
  | { rule: null } {
  const match = /^rules\[(\d+)\](?:\.(id|note|when|reply|enabled|during|from|until|once_per_hours))?/.exec(path)
  if (match) {
    const key = match[2]
    const field = key === undefined ? null : ['enabled', 'during', 'from', 'until'].includes(key) ? 'schedule' : (key as RuleField)
    return { rule: Number(match[1]), field }
  }
  if (path === 'preview_at') return { rule: 'preview' }
  if (path.startsWith('default')) return { rule: 'default' }
  if (path === 'hours' || path.startsWith('hours.')) return { rule: 'hours' }
  if (path === 'handoff' || path.startsWith('handoff.')) return { rule: 'handoff' }
  if (path === 'ai' || path.startsWith('ai.')) return { rule: 'ai' }
  if (path === 'satisfaction' || path.startsWith('satisfaction.')) return { rule: 'satisfaction' }
  return { rule: null }
}
