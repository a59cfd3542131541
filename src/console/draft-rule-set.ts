/**
 * The rules editor's draft back to a rule set (`ruleSetOf`, unvalidated: it goes through the
 * same `validateRuleSet` as `rules:check`), its stored form (`toJson`), and where each of the
 * validator's issues belongs on the page (`issueTarget`). Pure.
 */
import { MSG_TYPES, EVENTS } from '../rules/schema'
import { hoursOf } from './hours-form'
import { replyOf } from './reply-form'

import { AI_MODEL_FIELDS, MODEL_KEYS, plainDefault, type DefaultDraft, type Draft, type Json, type RuleDraft } from './rule-draft'

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
