/**
 * A reply as form fields and back, for the rules editor (rule-form.ts): every shape a rule's
 * reply may take — one part, several parts in order, or a random choice among several — is
 * edited as parts, each a type and that type's fields. No field takes JSON.
 *
 * Field names, under a reply's prefix (`r3` for rule 3, `d.e0` for the default's first entry):
 *   <prefix>.random            'on': one choice is picked at random per message
 *   <prefix>.choices           how many choices (1 when not random)
 *   <prefix>.c<k>.parts        how many parts choice k has
 *   <prefix>.c<k>.list         'on': a lone part is written as a list of one, as the file had it
 *   <prefix>.c<k>.p<j>.<field> a part's type and fields (PART_FIELDS), and `upload` (a file)
 *
 * Pure: the rules route reads uploads into `file` / `thumb_file` / `thumb_url` before the draft
 * becomes a rule set.
 */
import { isRecord } from '../is-record'

export const PART_TYPES = ['text', 'image', 'link', 'miniprogrampage', 'transfer'] as const
export type PartType = (typeof PART_TYPES)[number]

/** A part's fields as the form names them; each maps to the rule set's key of the same name. */
export const PART_FIELDS = [
  'text',
  'url',
  'media_id',
  'file',
  'title',
  'description',
  'thumb_url',
  'thumb_media_id',
  'thumb_file',
  'appid',
  'pagepath',
] as const
export type PartField = (typeof PART_FIELDS)[number]

/** The keys each type sends, in the order the rule set writes them. */
const KEYS: Record<PartType, readonly PartField[]> = {
  text: ['text'],
  image: ['url', 'media_id', 'file'],
  link: ['title', 'description', 'url', 'thumb_url'],
  miniprogrampage: ['title', 'appid', 'pagepath', 'thumb_url', 'thumb_media_id', 'thumb_file'],
  transfer: [],
}

/** Keys a type always writes, empty or not, so the validator names a missing one under its field. */
const REQUIRED: Record<PartType, readonly PartField[]> = {
  text: ['text'],
  image: [],
  link: ['title', 'description', 'url', 'thumb_url'],
  miniprogrampage: ['title', 'pagepath'],
  transfer: [],
}

export type PartDraft = { type: PartType } & Record<PartField, string>

/** One reply list: its parts in order, and whether a lone part is written as a list (kept as the file had it). */
export interface Choice {
  parts: PartDraft[]
  list: boolean
}

export interface ReplyDraft {
  random: boolean
  /** At least one; only the first counts when not random. */
  choices: Choice[]
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

export function emptyPart(type: PartType = 'text'): PartDraft {
  return { type, ...(Object.fromEntries(PART_FIELDS.map((field) => [field, ''])) as Record<PartField, string>) }
}

export const textReply = (text = ''): ReplyDraft => ({ random: false, choices: [{ parts: [{ ...emptyPart(), text }], list: false }] })

// ---------------------------------------------------------------- rule set → draft

/** The draft of a reply as the rule set holds it (a reply, a list, or `{ random }`). */
export function replyDraftOf(reply: unknown): ReplyDraft {
  if (isRecord(reply) && Array.isArray(reply.random)) {
    const choices = reply.random.map(choiceOf)
    return { random: true, choices: choices.length === 0 ? [{ parts: [], list: false }] : choices }
  }
  return { random: false, choices: [reply === undefined ? { parts: [], list: false } : choiceOf(reply)] }
}

function choiceOf(replies: unknown): Choice {
  return Array.isArray(replies) ? { parts: replies.map(partOf), list: true } : { parts: [partOf(replies)], list: false }
}

function partOf(raw: unknown): PartDraft {
  const reply = isRecord(raw) ? raw : {}
  const type = (PART_TYPES as readonly unknown[]).includes(reply.type) ? (reply.type as PartType) : 'text'
  const part = emptyPart(type)
  for (const field of PART_FIELDS) {
    const value = reply[field]
    if (typeof value === 'string') part[field] = value
  }
  return part
}

// ---------------------------------------------------------------- draft → rule set

/** The rule set's form of a reply: one part alone, several as a list, a random choice as `{ random }`. */
export function replyOf(draft: ReplyDraft): Json {
  if (draft.random) return { random: draft.choices.map(choiceJson) }
  return choiceJson(draft.choices[0] ?? { parts: [], list: false })
}

function choiceJson(choice: Choice): Json {
  const replies = choice.parts.map(partJson)
  return replies.length === 1 && !choice.list ? (replies[0] as Json) : replies
}

function partJson(part: PartDraft): Json {
  const out: Record<string, Json> = { type: part.type }
  for (const key of KEYS[part.type]) {
    const value = key === 'text' ? part[key] : part[key].trim()
    if (value !== '' || REQUIRED[part.type].includes(key)) out[key] = value
  }
  return out
}

// ---------------------------------------------------------------- form ↔ draft

export function replyFields(prefix: string, draft: ReplyDraft): Record<string, string> {
  const fields: Record<string, string> = {
    [`${prefix}.random`]: draft.random ? 'on' : '',
    [`${prefix}.choices`]: String(draft.choices.length),
  }
  draft.choices.forEach(({ parts, list }, k) => {
    fields[`${prefix}.c${k}.parts`] = String(parts.length)
    fields[`${prefix}.c${k}.list`] = list ? 'on' : ''
    parts.forEach((part, j) => {
      fields[`${prefix}.c${k}.p${j}.type`] = part.type
      for (const field of PART_FIELDS) fields[`${prefix}.c${k}.p${j}.${field}`] = part[field]
    })
  })
  return fields
}

/** Choices and parts a form may say it holds: the rule set's own limits, with room for one being added. */
const MAX_CHOICES = 21
const MAX_PARTS = 6

export function replyFromForm(field: (name: string) => string, prefix: string): ReplyDraft {
  const count = (name: string, max: number) => Math.min(max, Math.max(0, Number.parseInt(field(name), 10) || 0))
  const random = field(`${prefix}.random`) === 'on'
  // An old or scripted form without the counts has one choice of one part.
  const choices = Math.max(1, count(`${prefix}.choices`, MAX_CHOICES))
  const draft: ReplyDraft = { random, choices: [] }
  for (let k = 0; k < choices; k++) {
    const partCount = field(`${prefix}.c${k}.parts`) === '' ? 1 : count(`${prefix}.c${k}.parts`, MAX_PARTS)
    const parts: PartDraft[] = []
    for (let j = 0; j < partCount; j++) {
      const at = `${prefix}.c${k}.p${j}`
      const type = field(`${at}.type`)
      const part = emptyPart((PART_TYPES as readonly string[]).includes(type) ? (type as PartType) : 'text')
      for (const name of PART_FIELDS) part[name] = field(`${at}.${name}`)
      parts.push(part)
    }
    draft.choices.push({ parts, list: field(`${prefix}.c${k}.list`) === 'on' })
  }
  return draft
}

// ---------------------------------------------------------------- ops

/** What a reply's buttons ask: add, move or remove a part; add or remove a choice; forget an uploaded image. */
export type ReplyOp =
  | { op: 'part-add'; choice: number; type: PartType }
  | { op: 'part-up' | 'part-down' | 'part-delete' | 'file-clear'; choice: number; part: number }
  | { op: 'choice-add' }
  | { op: 'choice-delete'; choice: number }

export function applyReplyOp(draft: ReplyDraft, change: ReplyOp): ReplyDraft {
  const choices = draft.choices.map((choice) => ({ ...choice, parts: [...choice.parts] }))
  switch (change.op) {
    case 'choice-add':
      return { random: true, choices: [...choices, { parts: [emptyPart()], list: false }] }
    case 'choice-delete':
      if (choices.length > 1) choices.splice(change.choice, 1)
      return { ...draft, choices }
    case 'part-add': {
      choices[change.choice]?.parts.push(emptyPart(change.type))
      return { ...draft, choices }
    }
    default: {
      const parts = choices[change.choice]?.parts
      const part = parts?.[change.part]
      if (!parts || !part) return draft
      if (change.op === 'part-delete') parts.splice(change.part, 1)
      // A link's uploaded thumbnail is its URL: forgetting it empties the URL.
      if (change.op === 'file-clear')
        parts[change.part] = { ...part, file: '', thumb_file: '', ...(part.type === 'link' ? { thumb_url: '' } : {}) }
      const swap = change.op === 'part-up' ? change.part - 1 : change.op === 'part-down' ? change.part + 1 : -1
      if (swap >= 0 && swap < parts.length) [parts[change.part], parts[swap]] = [parts[swap]!, part]
      return { ...draft, choices }
    }
  }
}

/**
 * Where a validation path inside a reply points: the choice and part it names and the part's
 * key it is about (`title`, `url`; null for the part as a whole), or null for the reply as a
 * whole. `path` is below the reply's own path: '', `[1].url`, `.random[2]`, `.random[2][0].text`.
 */
export function partAt(draft: ReplyDraft, path: string): { choice: number; part: number; field: string | null } | null {
  const random = /^\.random\[(\d+)\](.*)$/.exec(path)
  const choice = random ? Number(random[1]) : 0
  const rest = random ? (random[2] ?? '') : path
  const parts = draft.choices[choice]?.parts
  if (!parts) return null
  const listed = /^\[(\d+)\](.*)$/.exec(rest)
  if (listed) return { choice, part: Number(listed[1]), field: keyOf(listed[2] ?? '') }
  // A lone part written without a list: its fields are the reply's own.
  if (parts.length === 1 && (rest === '' || rest.startsWith('.'))) return { choice, part: 0, field: keyOf(rest) }
  return null
}

/** `.title` → 'title'; '' → null. */
const keyOf = (rest: string): string | null => /^\.([A-Za-z_]+)/.exec(rest)?.[1] ?? null
