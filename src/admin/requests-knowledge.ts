/**
 * The knowledge API's requests (`/admin/api/knowledge`) as valibot schemas, in the style of
 * requests.ts: the route validates with them and `scripts/openapi/document.ts` documents them.
 * An FAQ entry's answer is checked as the rules check a reply (rules/validate.ts
 * `validateReply`), so whatever is stored is a reply the push route can send.
 */
import * as v from 'valibot'
import { ENTRY_ID } from '../knowledge/store'
import { questionKey } from '../knowledge/text'
import { MAX_PREVIEW_TEXT } from '../rules/preview'
import type { RuleReplySource } from '../rules/schema'
import { validateReply } from '../rules/validate'
import { countParam, cursorParam, DEFAULT_LIMIT, MAX_LIMIT } from './requests'
import { isRecord } from '../is-record'

export const MAX_QUESTION = 200
export const MAX_VARIANTS = 20
export const MAX_TITLE_CHARS = 200
/** A document's text, in bytes (UTF-8). */
export const MAX_DOCUMENT_BYTES = 100 * 1024
/** A write's body: the largest document, with room for JSON's escapes. */
export const KNOWLEDGE_MAX_BYTES = 256 * 1024
/** An ask's body: one text. */
export const ASK_MAX_BYTES = 16 * 1024

export const KnowledgeQuery = v.strictObject({
  cursor: cursorParam('knowledge'),
  limit: countParam(1, MAX_LIMIT, DEFAULT_LIMIT, 'Entries per page'),
})

export const EntryIdParam = v.strictObject({
  id: v.pipe(
    v.string(),
    v.regex(ENTRY_ID, 'is not a knowledge entry id (k-<uuid>)'),
    v.description('The entry id, k-<uuid>, as POST and the list give it.'),
  ),
})

/** A question or a phrasing of it: trimmed, 1 to 200 characters, with a letter or number to match by. */
const Phrasing = (what: string) =>
  v.pipe(
    v.string(),
    v.description(what),
    v.trim(),
    v.minLength(1, `must be 1 to ${MAX_QUESTION} characters`),
    v.maxLength(MAX_QUESTION, `must be 1 to ${MAX_QUESTION} characters`),
    v.check((text) => questionKey(text) !== '', 'must hold a letter or a number'),
  )

const Answer = v.pipe(
  v.unknown(),
  v.description(
    'The reply sent as written when the entry answers: a string is a text reply; otherwise a reply, a list of up to 5, or { "random": [...] }, as a rule\'s reply in rules.json.',
  ),
  v.rawTransform(({ dataset, addIssue, NEVER }): string | RuleReplySource => {
    const checked = validateReply(dataset.value, 'answer')
    if (checked.ok) return typeof dataset.value === 'string' ? dataset.value : checked.value
    const issue = checked.issues[0]
    const where = issue?.path.replace(/^answer\.?/, '') ?? ''
    addIssue({ message: where === '' ? (issue?.message ?? 'is not a reply') : `${where}: ${issue?.message}` })
    return NEVER
  }),
)

export const FaqBody = v.strictObject({
  question: Phrasing('The question, as users ask it: 1 to 200 characters.'),
  variants: v.optional(
    v.pipe(
      v.array(Phrasing('Another phrasing.')),
      v.maxLength(MAX_VARIANTS, `must hold at most ${MAX_VARIANTS} phrasings`),
      v.description(`Other phrasings of the question, up to ${MAX_VARIANTS}; each is searched like the question.`),
    ),
    [],
  ),
  answer: Answer,
})

export const DocumentBody = v.strictObject({
  title: v.pipe(
    v.string(),
    v.description("The document's title: 1 to 200 characters; it heads the first passage."),
    v.trim(),
    v.minLength(1, `must be 1 to ${MAX_TITLE_CHARS} characters`),
    v.maxLength(MAX_TITLE_CHARS, `must be 1 to ${MAX_TITLE_CHARS} characters`),
  ),
  text: v.pipe(
    v.string(),
    v.description(
      `Plain text or Markdown, up to ${MAX_DOCUMENT_BYTES} bytes (UTF-8): split into passages on paragraphs, sentences and headings.`,
    ),
    v.check((text) => text.trim() !== '', 'must not be empty'),
    v.maxBytes(MAX_DOCUMENT_BYTES, `must be at most ${MAX_DOCUMENT_BYTES} bytes (UTF-8)`),
  ),
})

const Entry = v.union([FaqBody, DocumentBody])

/**
 * An FAQ entry `{ question, variants?, answer }` or a document `{ title, text }`: the fields
 * pick the shape, so a mistake is reported against the one meant.
 */
export const EntryBody = v.lazy((input: unknown) => {
  if (input === undefined) return Entry
  if (isRecord(input) && 'question' in input) return FaqBody
  if (isRecord(input) && 'title' in input) return DocumentBody
  return v.custom<never>(() => false, 'must be an FAQ entry { question, answer } or a document { title, text }')
})

export const AskBody = v.strictObject({
  text: v.pipe(
    v.string(),
    v.description("A user's text: what would it be answered with? Nothing is sent."),
    v.minLength(1, 'must not be empty'),
    v.maxLength(MAX_PREVIEW_TEXT, `must be at most ${MAX_PREVIEW_TEXT} characters`),
  ),
})
