/**
 * How the stand-in model (dev/fake-llm.ts) answers and counts tokens: pure and deterministic,
 * no Node imports, so a test can work out what it will say.
 *
 * The answer only ever holds text of the passages the Worker sent (or NO_ANSWER): the best
 * sentence by overlap with the question, plus the sentence after it when the best is short.
 */
import { NO_ANSWER } from './fake-llm-types'

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant'
  content: string
}

export interface Passage {
  id: string
  title: string
  text: string
}

/** The least overlap a sentence needs to be an answer. */
export const MIN_SCORE = 2
/** A best sentence shorter than this (characters) is followed by the next one of its passage. */
export const SHORT_SENTENCE = 20

const PASSAGE = /<passage\b([^<>]*)>([^<>]*)<\/passage>/g
const ATTRIBUTE = /([a-z_]+)="([^"]*)"/g
const HAN = /\p{Script=Han}/u
/** What counts one token a character: Han, kana, Hangul, CJK and full-width punctuation. */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303f\uff00-\uffef]/u
const WORD = /[a-z0-9]+/g

/** Every `<passage id="…" title="…">TEXT</passage>` of the system messages, in order. */
export function parsePassages(messages: readonly ChatMessage[]): Passage[] {
  const passages: Passage[] = []
  for (const message of messages) {
    if (message.role !== 'system') continue
    for (const found of message.content.matchAll(PASSAGE)) {
      const attributes = Object.fromEntries([...(found[1] ?? '').matchAll(ATTRIBUTE)].map((a) => [a[1], a[2]]))
      passages.push({ id: attributes.id ?? '', title: attributes.title ?? '', text: found[2] ?? '' })
    }
  }
  return passages
}

/** The content of the last user message, null when there is none. */
export function lastQuestion(messages: readonly ChatMessage[]): string | null {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]?.role === 'user') return messages[i]?.content ?? null
  return null
}

/** A passage's sentences: split after 。！？!?;； and at line breaks, trimmed, empties dropped. */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[。！？!?;；])|\r?\n|\r/)
    .map((sentence) => sentence.trim())
    .filter((sentence) => sentence !== '')
}

/** Distinct pairs of consecutive Han characters. */
function bigrams(text: string): Set<string> {
  const chars = [...text]
  const out = new Set<string>()
  for (let i = 0; i + 1 < chars.length; i++) {
    const pair = `${chars[i]}${chars[i + 1]}`
    if (HAN.test(chars[i] ?? '') && HAN.test(chars[i + 1] ?? '')) out.add(pair)
  }
  return out
}

/** Distinct ASCII words and numbers, lowercased, of two characters or more. */
function words(text: string): Set<string> {
  return new Set([...text.toLowerCase().matchAll(WORD)].map((m) => m[0]).filter((word) => word.length >= 2))
}

/**
 * Overlap of a sentence with the question: the question's distinct Han bigrams found in the
 * sentence, plus its distinct ASCII words (≥ 2 characters) that are words of the sentence.
 */
export function score(question: string, sentence: string): number {
  let total = 0
  for (const pair of bigrams(question)) if (sentence.includes(pair)) total++
  const inSentence = words(sentence)
  for (const word of words(question)) if (inSentence.has(word)) total++
  return total
}

/**
 * What the stand-in answers, fault-free: the best sentence of the passages and the second best
 * (as a model would combine two facts), in the order the passages give them; a best sentence
 * alone that is short is followed by the next one of its passage; NO_ANSWER when none scores
 * MIN_SCORE. Ties go to the sentence sharing more of the question's Han characters, then to
 * the first in passage order.
 */
export function answerFor(messages: readonly ChatMessage[]): string {
  const question = lastQuestion(messages) ?? ''
  const scored: { score: number; chars: number; order: number; list: string[]; index: number }[] = []
  for (const passage of parsePassages(messages)) {
    const list = sentences(passage.text)
    for (let index = 0; index < list.length; index++) {
      const sentence = list[index] ?? ''
      const points = score(question, sentence)
      if (points >= MIN_SCORE) scored.push({ score: points, chars: sharedHan(question, sentence), order: scored.length, list, index })
    }
  }
  const ranked = [...scored].sort((a, b) => b.score - a.score || b.chars - a.chars || a.order - b.order)
  const [best, second] = ranked
  if (best === undefined) return NO_ANSWER
  const first = best.list[best.index] ?? ''
  const other = second === undefined ? undefined : second.list[second.index]
  if (second !== undefined && other !== undefined && other !== first) {
    return second.order < best.order ? joinSentences(other, first) : joinSentences(first, other)
  }
  const next = best.list[best.index + 1]
  if ([...first].length >= SHORT_SENTENCE || next === undefined) return first
  return joinSentences(first, next)
}

/** How many distinct Han characters of the question the sentence holds. */
function sharedHan(question: string, sentence: string): number {
  return new Set([...question].filter((char) => HAN.test(char) && sentence.includes(char))).size
}

/** Chinese runs on without a space; after anything else a space separates the two. */
function joinSentences(first: string, second: string): string {
  const last = [...first].at(-1) ?? ''
  return CJK.test(last) ? `${first}${second}` : `${first} ${second}`
}

/** Tokens of a text: one per CJK character, plus one per 4 other characters (rounded up). */
export function countTokens(text: string): number {
  let cjk = 0
  let other = 0
  for (const char of text) {
    if (CJK.test(char)) cjk++
    else other++
  }
  return cjk + Math.ceil(other / 4)
}

/** The prompt's tokens: counted over all message contents together. */
export function promptTokens(messages: readonly ChatMessage[]): number {
  return countTokens(messages.map((message) => message.content).join(''))
}

/** The longest start of `text` that fits in `maxTokens` (whole characters). */
export function cutToTokens(text: string, maxTokens: number): string {
  const chars = [...text]
  let cjk = 0
  let other = 0
  for (let i = 0; i < chars.length; i++) {
    if (CJK.test(chars[i] ?? '')) cjk++
    else other++
    if (cjk + Math.ceil(other / 4) > maxTokens) return chars.slice(0, i).join('')
  }
  return text
}
