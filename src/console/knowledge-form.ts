/**
 * The knowledge pages' forms: an entry's form filled from the entry, or again from what was
 * posted; and what a form (or an imported row) holds checked into an entry by the admin API's
 * schemas (FaqBody, DocumentBody), with each problem in words an operator reads.
 */
import * as v from 'valibot'
import { DocumentBody, FaqBody } from '../admin/requests-knowledge'
import type { EntryInput, FaqAnswer, KnowledgeEntry } from '../knowledge/store'
import { message } from '../rules/messages'
import type { RuleReplySource } from '../rules/schema'
import { issueLine, validateReply } from '../rules/validate'
import { type FormFields, textField } from './form'
import { type FaqRow, linesOf } from './knowledge-import'
import type { Lang } from './lang'
import type { EntryForm } from './pages/knowledge-entry'

/** Whether the entry's answer is a reply other than one text: the form shows and takes it as JSON. */
export const jsonAnswer = (entry: KnowledgeEntry) => entry.kind === 'faq' && typeof entry.answer !== 'string'

export function formOf(entry: KnowledgeEntry): EntryForm {
  if (entry.kind === 'doc') return { kind: 'doc', form: { title: entry.title, text: entry.text } }
  const answer = typeof entry.answer === 'string' ? entry.answer : JSON.stringify(entry.answer, null, 2)
  return { kind: 'faq', form: { question: entry.question, variants: entry.variants.join('\n'), answer } }
}

export function formFrom(kind: 'faq' | 'doc', f: FormFields): EntryForm {
  return kind === 'doc'
    ? { kind, form: { title: textField(f, 'title'), text: textField(f, 'text') } }
    : { kind, form: { question: textField(f, 'question'), variants: textField(f, 'variants'), answer: textField(f, 'answer') } }
}

export type Checked = { ok: true; input: EntryInput } | { ok: false; problems: string[] }

/**
 * The entry a form posted: a new one of the kind it names, or `existing`'s kind. An existing
 * FAQ whose answer is not one text takes its answer as JSON in the rules' reply format.
 */
export function entryFrom(f: FormFields, existing: KnowledgeEntry | null, lang: Lang): Checked & { kind: 'faq' | 'doc' } {
  const kind = existing?.kind ?? (textField(f, 'kind') === 'doc' ? 'doc' : 'faq')
  if (kind === 'doc') return { kind, ...docInput(textField(f, 'title'), textField(f, 'text')) }
  const answerText = textField(f, 'answer')
  let answer: FaqAnswer = answerText.trim()
  if (existing !== null && jsonAnswer(existing)) {
    const parsed = parseReply(answerText, lang)
    if (!parsed.ok) return { kind, ok: false, problems: parsed.problems }
    answer = parsed.value
  }
  return { kind, ...faqInput({ question: textField(f, 'question'), variants: linesOf(textField(f, 'variants')), answer }) }
}

/** A JSON answer checked as a rule's reply, its problems in the page's language (the rules' catalogue). */
function parseReply(text: string, lang: Lang): { ok: true; value: RuleReplySource } | { ok: false; problems: string[] } {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    const values = { detail: (error as Error).message }
    const issue = { path: 'answer', code: 'json_invalid', values, message: message('json_invalid', values, 'en') } as const
    return { ok: false, problems: [issueLine(issue, lang)] }
  }
  const checked = validateReply(json)
  return checked.ok ? checked : { ok: false, problems: checked.issues.map((issue) => issueLine(issue, lang)) }
}

/** The problems of a schema's parse, as the API names them: `field: message`. */
const problemsOf = (issues: readonly v.BaseIssue<unknown>[]) => issues.map((issue) => `${v.getDotPath(issue) ?? 'entry'}: ${issue.message}`)

/** An FAQ entry checked by the admin API's schema (FaqBody): the same limits, the answer a reply the rules can send. */
export function faqInput(faq: Pick<FaqRow, 'question' | 'variants'> & { answer: FaqAnswer }): Checked {
  const answer = typeof faq.answer === 'string' ? faq.answer.trim() : faq.answer
  const parsed = v.safeParse(FaqBody, { question: faq.question, variants: faq.variants, answer: answer === '' ? undefined : answer })
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.issues) }
  const { question, variants } = parsed.output
  return { ok: true, input: { kind: 'faq', question, variants: variants.filter((v) => v !== question), answer: parsed.output.answer } }
}

/** A document checked by the admin API's schema (DocumentBody). */
export function docInput(title: string, text: string): Checked {
  const parsed = v.safeParse(DocumentBody, { title, text: text.trim() })
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.issues) }
  return { ok: true, input: { kind: 'doc', title: parsed.output.title, text: parsed.output.text } }
}
