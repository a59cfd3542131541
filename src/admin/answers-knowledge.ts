/**
 * The knowledge API's answers as valibot schemas (answers.ts gathers every answer in ANSWERS
 * for the OpenAPI document), and the checks that fail compilation when they and the store's
 * views drift apart.
 */
import * as v from 'valibot'
import type { AskAnswer } from '../knowledge/ask'
import type { FaqAnswer, KnowledgeEntry, KnowledgeItem } from '../knowledge/store'
import type { Page } from '../record/views'
import { AnyReply } from '../rules/schema'
import type { Same } from './answers-subscribe'

const Reply = v.pipe(
  v.union([v.string(), AnyReply]),
  v.description('A reply in the rule set\'s format: a string is a text reply; otherwise a reply, a list, or { "random": [...] }.'),
)

const Dates = {
  id: v.pipe(v.string(), v.description('k-<uuid>')),
  createdAt: v.pipe(v.number(), v.description('Epoch ms.')),
  updatedAt: v.pipe(v.number(), v.description('Epoch ms.')),
}

const FaqAnswerSchema = v.object({
  ...Dates,
  kind: v.literal('faq'),
  question: v.string(),
  variants: v.array(v.string()),
  answer: Reply,
})

const DocumentItem = v.object({
  ...Dates,
  kind: v.literal('doc'),
  title: v.string(),
  chars: v.pipe(v.number(), v.description('The length of its text, in characters (GET the entry for the text).')),
  passages: v.pipe(v.number(), v.description('The passages it is searched by.')),
})

const DocumentAnswer = v.object({
  ...Dates,
  kind: v.literal('doc'),
  title: v.string(),
  text: v.string(),
  passages: v.pipe(v.number(), v.description('The passages it is searched by.')),
})

export const KnowledgeListAnswer = v.object({
  items: v.pipe(v.array(v.variant('kind', [FaqAnswerSchema, DocumentItem])), v.description('Newest first.')),
  nextCursor: v.nullable(v.string()),
})

export const KnowledgeEntryAnswer = v.variant('kind', [FaqAnswerSchema, DocumentAnswer])

export const KnowledgeCreatedAnswer = v.object({ id: v.pipe(v.string(), v.description("The new entry's id, k-<uuid>.")) })

export const KnowledgeAskAnswer = v.object({
  source: v.pipe(
    v.picklist(['rule', 'faq', 'ai', 'none']),
    v.description("Who would answer: a rule of the operator's, an FAQ entry, the model, or nobody (the default reply or the hand-off)."),
  ),
  answer: v.pipe(
    v.nullable(Reply),
    v.description(
      'The reply that would be sent: a string for one text reply; otherwise the reply object, or an array of them (a transfer as { "type": "transfer" }); null when nothing would be. Nothing is sent.',
    ),
  ),
  entries: v.pipe(
    v.array(v.object({ id: v.string(), score: v.pipe(v.number(), v.description('0–1; 1: the text is the question or a variant.')) })),
    v.description('The entries found for the text, best first: those a push looks up (at most 4).'),
  ),
  handoff: v.pipe(
    v.boolean(),
    v.description(
      "This text, as a user's first, would hand them to a person: a transfer (a rule's, or the rule set's hand-off when after_unmatched is 1), or the model's fallback with HUMAN_DESK = console.",
    ),
  ),
  sources: v.optional(
    v.pipe(v.array(v.string()), v.description('The model was asked: the knowledge entries of the passages it was given.')),
  ),
  refused: v.optional(
    v.pipe(
      v.string(),
      v.description(
        'The model was asked and its answer would not be sent (no_answer, link, phone, price, ungrounded, cut_off, leak, timeout, HTTP 429…): answer is the fallback.',
      ),
    ),
  ),
})

const drift: [
  Same<v.InferOutput<typeof Reply>, FaqAnswer>,
  Same<v.InferOutput<typeof KnowledgeListAnswer>, Page<KnowledgeItem>>,
  Same<v.InferOutput<typeof KnowledgeEntryAnswer>, KnowledgeEntry>,
  Same<v.InferOutput<typeof KnowledgeAskAnswer>, AskAnswer>,
] = [true, true, true, true]
void drift

/** The knowledge API's answers, for the OpenAPI document's components (beside answers.ts's ANSWERS). */
export const KNOWLEDGE_ANSWERS = { KnowledgeListAnswer, KnowledgeEntryAnswer, KnowledgeCreatedAnswer, KnowledgeAskAnswer }
