/**
 * The knowledge base's entries as the console lists them: a row each (knowledge.tsx's list), and
 * an FAQ's answer as one line of text, also what "try a question" shows as the reply.
 */
import type { FaqAnswer, KnowledgeItem } from '../knowledge/store'
import type { ReplySource } from '../rules/schema'
import type { KnowledgeRow } from './pages/knowledge'

/** An entry as the list shows it: an FAQ's question and answer, or a document's title and size. */
export function rowOf(item: KnowledgeItem): KnowledgeRow {
  if (item.kind === 'faq')
    return {
      id: item.id,
      kind: 'faq',
      title: item.question,
      variants: item.variants,
      answer: answerText(item.answer),
      updatedAt: item.updatedAt,
    }
  return {
    id: item.id,
    kind: 'doc',
    title: item.title,
    variants: [],
    answer: '',
    size: { chars: item.chars, passages: item.passages },
    updatedAt: item.updatedAt,
  }
}

/** An answer as a line of text: the text, or what each reply is (`a | b` for a random choice). */
export function answerText(answer: FaqAnswer): string {
  if (typeof answer === 'string') return answer
  if ('random' in answer) return answer.random.map(repliesText).join(' | ')
  return repliesText(answer)
}

function repliesText(replies: ReplySource | ReplySource[]): string {
  return (Array.isArray(replies) ? replies : [replies]).map(replyText).join(' · ')
}

function replyText(reply: ReplySource): string {
  switch (reply.type) {
    case 'text':
      return reply.text
    case 'image':
      return `[image] ${reply.url ?? reply.media_id ?? ''}`
    case 'link':
      return `[link] ${reply.title} ${reply.url}`
    case 'miniprogrampage':
      return `[mini program] ${reply.title} ${reply.pagepath}`
    case 'transfer':
      return '[transfer]'
  }
}
