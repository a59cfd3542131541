/**
 * The rules editor's draft as HTML form fields and back. Pure: the page renders a draft
 * (rule-draft.ts), the browser posts it back as flat fields, and `fromForm` rebuilds it — so the
 * draft lives in the form itself and nothing is stored until the operator publishes. The
 * buttons besides check and publish are `DraftOp`s (`opOf`, `applyOp`). No field takes JSON
 * but one: the whole set, for developers (draft-rule-set.ts `toJson` / the `json` field).
 */
import { ruleCountIssue, type RuleIssue } from '../rules/validate'
import { applyHoursOp, hoursFields, hoursFromForm, newHours, type DateList, type PeriodRow } from './hours-form'
import { applyReplyOp, PART_TYPES, replyFields, replyFromForm, textReply, type PartType, type ReplyDraft, type ReplyOp } from './reply-form'

import {
  MODEL_KEYS,
  plainDefault,
  type DefaultDraft,
  type Draft,
  type DraftOp,
  type RuleDraft,
  WHEN_KINDS,
  AI_MODEL_FIELDS,
  type AiModelField,
  type WhenKind,
  stringOf,
  channelOf,
  duringOf,
  newRule,
} from './rule-draft'

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
