/**
 * A model's answer is untrusted input: it reaches the user only if it passes these checks,
 * which are pure and read nothing but the answer and the passages it was given. A refusal
 * names its reason (for the log and the record); the user then gets the fallback. What is
 * refused:
 *
 * - `no_answer`: the model said NO_ANSWER (the passages do not answer), or wrote nothing.
 * - `cut_off`: the answer stopped at max_tokens (a half answer), or is longer than allowed.
 * - `link`, `phone`, `price`: a URL or domain, a number of seven digits or more, or an amount
 *   of money that the passages do not hold — what a made-up answer or a steered model would
 *   send a user to.
 * - `ungrounded`: most of the answer's own wording (what it does not take from the user's
 *   messages) is not from the passages, or it repeats a stretch of the user's messages that
 *   the passages do not hold — a model that obeyed the user's text ("ignore your
 *   instructions and …") or echoed it instead of answering from the passages.
 * - `leak`: the answer repeats the prompt's own markup or rules.
 */
import { NO_ANSWER, type Passage } from './prompt'

export type Refusal = 'no_answer' | 'cut_off' | 'link' | 'phone' | 'price' | 'ungrounded' | 'leak'

export type Checked = { ok: true; text: string } | { ok: false; reason: Refusal; detail?: string }

export interface CheckInput {
  text: string
  finishReason: string | null
  passages: readonly Passage[]
  maxChars: number
  /** What the user wrote: the question and the earlier texts the model was given. */
  userTexts: readonly string[]
}

/** Share of the answer's Chinese character pairs that must come from the passages. */
export const GROUNDED_SHARE = 0.3
/** Answers with fewer pairs than this are too short to judge by their wording. */
const GROUNDED_MIN_PAIRS = 8
/** A stretch of the user's words this long, repeated in the answer and not in the passages, is an echo. */
export const ECHO_CHARS = 12

const LINK =
  /(?:https?:\/\/|www\.)[^\s，。！？、；）)》」]+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b(?:\/[^\s，。！？、；）)》」]*)?/gi
const LONG_NUMBER = /\+?\d[\d\s-]{5,}\d/g
const PRICE = /[¥￥$]\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:元|块|rmb|美元)/gi
const LEAKS = ['<passage', '</passage', '规则（必须遵守', NO_ANSWER]

export function checkAnswer(input: CheckInput): Checked {
  const text = input.text.trim()
  if (text === '' || text.toUpperCase().includes(NO_ANSWER)) return { ok: false, reason: 'no_answer' }
  if (input.finishReason === 'length' || Array.from(text).length > input.maxChars) return { ok: false, reason: 'cut_off' }
  if (LEAKS.some((marker) => text.includes(marker))) return { ok: false, reason: 'leak' }
  const source = input.passages.map((p) => `${p.title}\n${p.text}`).join('\n')
  const sourceLower = source.toLowerCase()
  for (const [link] of text.matchAll(LINK)) {
    if (!sourceLower.includes(link.toLowerCase())) return { ok: false, reason: 'link', detail: link }
  }
  const sourceDigits = digitRuns(source)
  for (const [number] of text.matchAll(LONG_NUMBER)) {
    const digits = number.replace(/\D/g, '')
    if (digits.length >= 7 && !sourceDigits.some((run) => run.includes(digits))) return { ok: false, reason: 'phone', detail: number }
  }
  const amounts = new Set(pricesIn(source))
  for (const amount of pricesIn(text)) {
    if (!amounts.has(amount)) return { ok: false, reason: 'price', detail: amount }
  }
  const echo = echoed(text, input.userTexts, source)
  if (echo !== null) return { ok: false, reason: 'ungrounded', detail: echo }
  // The user's own words prove nothing: only the rest of the answer is judged.
  const theirs = cjkPairs(input.userTexts.join('\n'))
  const known = cjkPairs(source)
  const own = [...cjkPairs(text)].filter((pair) => !theirs.has(pair) || known.has(pair))
  if (own.length >= GROUNDED_MIN_PAIRS) {
    const grounded = own.filter((pair) => known.has(pair)).length
    if (grounded / own.length < GROUNDED_SHARE) return { ok: false, reason: 'ungrounded' }
  }
  return { ok: true, text }
}

/** The first stretch of ECHO_CHARS characters of the user's texts that the answer repeats and the passages do not hold; null if none. */
function echoed(answer: string, userTexts: readonly string[], source: string): string | null {
  for (const userText of userTexts) {
    const chars = Array.from(userText)
    for (let i = 0; i + ECHO_CHARS <= chars.length; i++) {
      const stretch = chars.slice(i, i + ECHO_CHARS).join('')
      if (answer.includes(stretch) && !source.includes(stretch)) return stretch
    }
  }
  return null
}

/** Each run of digits (separators dropped), so "400-820-1234" in a passage matches "4008201234". */
function digitRuns(text: string): string[] {
  return [...text.matchAll(LONG_NUMBER)].map(([run]) => run.replace(/\D/g, ''))
}

/** Amounts of money as numbers in canonical form ("9.90" and "9.9" are one amount). */
function pricesIn(text: string): string[] {
  return [...text.matchAll(PRICE)].map((m) => String(Number(m[1] ?? m[2])))
}

const CJK = /\p{Script=Han}/u

/** The distinct pairs of consecutive Chinese characters. */
function cjkPairs(text: string): Set<string> {
  const chars = Array.from(text)
  const pairs = new Set<string>()
  for (let i = 0; i + 1 < chars.length; i++) {
    const a = chars[i] ?? ''
    const b = chars[i + 1] ?? ''
    if (CJK.test(a) && CJK.test(b)) pairs.add(a + b)
  }
  return pairs
}
