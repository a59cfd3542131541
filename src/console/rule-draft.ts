/**
 * The rules editor's draft of a rule set: its shape (a rule is its id, note, when it is in
 * force, one `when` and a reply edited as parts, reply-form.ts; the office hours as a weekly
 * grid, hours-form.ts; the default reply as entries; the knowledge base and the rating as their
 * fields), the draft of a stored set (`draftOf`), and a new rule. Pure. The form's fields and
 * back are rule-form.ts; the draft back to a rule set, and the validator's issues back to the
 * fields, draft-rule-set.ts.
 */
import { isRecord } from '../is-record'
import { hoursDraftOf, type HoursDraft, type HoursOp } from './hours-form'
import { replyDraftOf, textReply, type ReplyDraft, type ReplyOp } from './reply-form'

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
export const MODEL_KEYS = Object.keys(AI_MODEL_FIELDS) as AiModelField[]

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

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

const isObject = isRecord

export const stringOf = (value: unknown): string => (typeof value === 'string' ? value : '')

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

export function channelOf(value: unknown): ChannelDraft {
  return value === 'miniprogram' || value === 'kf' ? value : ''
}

export function duringOf(value: unknown): DuringDraft {
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

/** One entry for any time of day is written as the reply itself. */
export const plainDefault = (fallback: DefaultDraft | null): boolean => fallback?.entries.length === 1 && fallback.entries[0]?.during === ''
