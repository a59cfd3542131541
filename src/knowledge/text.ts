/**
 * How the knowledge base sees text: folded as rules see it (NFKC, trimmed, case-folded:
 * rules/normalize.ts), then cut into terms — character bigrams for runs of Chinese (and other
 * scripts written without spaces), whole words for Latin letters and digits. Chinese questions
 * are short and their words mostly two characters, so bigrams (not trigrams) are the unit: a
 * 2-character query is one term, and a paraphrase that inserts a word still shares most of them.
 */
import { foldText } from '../rules/normalize'

/** Only letters and numbers count: punctuation, spaces and emoji never make two texts differ. */
const NOT_WORD = /[^\p{L}\p{N}]+/gu
/** Scripts written with spaces between words: their runs are words, not bigrams. */
const SPACED = /^[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{N}]+$/u
/** A run of one kind: spaced-script letters and digits, or anything else that is a letter. */
const RUN = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{N}]+|[\p{L}]+/gu

/** A query is cut to this many characters before it is looked up: a push may hold 4 KiB of text. */
export const MAX_QUERY_CHARS = 200
/** And to this many distinct terms. */
export const MAX_QUERY_TERMS = 64

/**
 * The text an FAQ question is compared by: folded, letters and numbers only. Two questions
 * with the same key are the same question ("怎么退货？" and "怎么退货").
 */
export function questionKey(text: string): string {
  return foldText(text).replace(NOT_WORD, '')
}

/** The text's terms, in order, repeats kept. */
export function terms(text: string): string[] {
  const out: string[] = []
  for (const [run] of foldText(text).matchAll(RUN)) {
    if (SPACED.test(run)) {
      out.push(run)
      continue
    }
    const chars = Array.from(run)
    if (chars.length === 1) out.push(run)
    for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!)
  }
  return out
}

/** A query's distinct terms, within MAX_QUERY_CHARS and MAX_QUERY_TERMS. */
export function queryTerms(text: string): string[] {
  return [...new Set(terms(Array.from(text).slice(0, MAX_QUERY_CHARS).join('')))].slice(0, MAX_QUERY_TERMS)
}

/**
 * Words that carry the question's form, not its subject ("请问怎么…", "how do I…"), and the
 * greetings a chat opens with ("在吗", "你好"): they count a quarter, so "怎么退货" and "怎么开票"
 * share little, and a bare "在吗" is no FAQ's subject (it matched "退款了券还在吗" at 0.66 in
 * npm run kb:eval before).
 */
const FILLER = new Set([
  '请问',
  '问一',
  '一下',
  '怎么',
  '怎样',
  '如何',
  '什么',
  '可以',
  '能不',
  '不能',
  '我的',
  '我想',
  '想问',
  '你们',
  '是否',
  '多少',
  '为什',
  '么时',
  '时候',
  '在吗',
  '在不',
  '不在',
  '你好',
  '您好',
  '谢谢',
  '吗',
  '呢',
  '吧',
  '啊',
  'the',
  'a',
  'an',
  'to',
  'i',
  'my',
  'is',
  'do',
  'how',
  'can',
  'what',
  'of',
  'you',
  'hi',
  'hello',
])

export function weight(term: string): number {
  return FILLER.has(term) ? 0.25 : 1
}
