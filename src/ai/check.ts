/**
 * A model's answer is untrusted input: it reaches the user only if it passes these checks,
 * which are pure and read nothing but the answer and the passages it was given. A refusal
 * names its reason (for the log and the record); the user then gets the fallback. The answer
 * and the passages are read NFKC-normalised (full-width digits, letters and dots as ASCII, a
 * 。 between letters as a dot), so `１３８…` or `evil．net` is what it looks like; the answer
 * sent is the model's own text. What is refused:
 *
 * - `no_answer`: the model said NO_ANSWER (the passages do not answer), or wrote nothing.
 * - `cut_off`: the answer stopped at max_tokens (a half answer), or is longer than allowed.
 * - `link`, `phone`, `price`: a URL or domain, a number of seven digits or more (in Chinese
 *   numerals too), or an amount of money (¥, 元, 块 after digits or Chinese numerals: 九块九,
 *   十元) that the passages do not hold — what a made-up answer or a steered model would send
 *   a user to.
 * - `ungrounded`: the answer's own wording (what it does not take from the user's messages)
 *   shares nothing with the passages, or, when it is long enough to judge, mostly is not from
 *   them; or it repeats a stretch of the user's messages that the passages do not hold — a
 *   model that obeyed the user's text ("ignore your instructions and …", "Sure, I am now …")
 *   or echoed it instead of answering from the passages. Wording is character pairs of Chinese
 *   (and other scripts written without spaces) and words of Latin letters.
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

/** Share of the answer's wording (character pairs and words) that must come from the passages. */
export const GROUNDED_SHARE = 0.3
/** Below this much wording, the share is not judged: one piece from the passages is enough. */
const GROUNDED_MIN_UNITS = 8
/** A stretch of the user's words this long, repeated in the answer and not in the passages, is an echo. */
export const ECHO_CHARS = 12

const LINK =
  /(?:https?:\/\/|www\.)[^\s，。！？、；）)》」]+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b(?:\/[^\s，。！？、；）)》」]*)?/gi
const LONG_NUMBER = /\+?\d[\d\s-]{5,}\d/g
const PRICE = /[¥$]\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:元|块|rmb|美元)/gi
const CN_DIGITS = '零〇一二两三四五六七八九'
const CN_NUMBER = `[${CN_DIGITS}十百千万]+(?:点[${CN_DIGITS}]+)?`
/**
 * An amount in Chinese numerals: after ¥, or before 元/圆, or before 块 that is money — followed
 * by 钱, a numeral (九块九: its tenths), or no Chinese character (一块寄回 is "together").
 */
const CN_PRICE = new RegExp(
  `¥\\s*(${CN_NUMBER})|(${CN_NUMBER})\\s*(?:元|圆|块(?=钱|[${CN_DIGITS}]|[^\\p{Script=Han}]|$))(?:([${CN_DIGITS}])(?![${CN_DIGITS}十百千万]*[元圆块]))?`,
  'gu',
)
/** Seven or more Chinese digits in a row (spaces and dashes between allowed): a phone number spelled out. */
const CN_LONG_NUMBER = new RegExp(`[${CN_DIGITS}幺](?:[\\s-]*[${CN_DIGITS}幺]){6,}`, 'gu')
const LEAKS = ['<passage', '</passage', '规则（必须遵守', NO_ANSWER]

export function checkAnswer(input: CheckInput): Checked {
  const text = input.text.trim()
  const seen = readable(text)
  if (seen === '' || seen.toUpperCase().includes(NO_ANSWER)) return { ok: false, reason: 'no_answer' }
  if (input.finishReason === 'length' || Array.from(text).length > input.maxChars) return { ok: false, reason: 'cut_off' }
  if (LEAKS.some((marker) => seen.includes(readable(marker)))) return { ok: false, reason: 'leak' }
  const source = readable(input.passages.map((p) => `${p.title}\n${p.text}`).join('\n'))
  const sourceLower = source.toLowerCase()
  for (const [link] of seen.matchAll(LINK)) {
    if (!sourceLower.includes(link.toLowerCase())) return { ok: false, reason: 'link', detail: link }
  }
  const sourceDigits = digitRuns(source)
  for (const [number] of spelledOut(seen).matchAll(LONG_NUMBER)) {
    const digits = number.replace(/\D/g, '')
    if (digits.length >= 7 && !sourceDigits.some((run) => run.includes(digits))) return { ok: false, reason: 'phone', detail: number }
  }
  const amounts = new Set(pricesIn(source))
  for (const amount of pricesIn(seen)) {
    if (!amounts.has(amount)) return { ok: false, reason: 'price', detail: amount }
  }
  const userTexts = input.userTexts.map(readable)
  const echo = echoed(seen, userTexts, source)
  if (echo !== null) return { ok: false, reason: 'ungrounded', detail: echo }
  // The user's own words prove nothing: only the rest of the answer is judged.
  const theirs = wording(userTexts.join('\n'))
  const known = wording(source)
  const own = [...wording(seen)].filter((unit) => !theirs.has(unit) || known.has(unit))
  const grounded = own.filter((unit) => known.has(unit)).length
  if (grounded === 0) return { ok: false, reason: 'ungrounded' }
  if (own.length >= GROUNDED_MIN_UNITS && grounded / own.length < GROUNDED_SHARE) return { ok: false, reason: 'ungrounded' }
  return { ok: true, text }
}

/** NFKC (full-width as ASCII), and 。 between two letters or digits as the dot it stands for in a domain. */
function readable(text: string): string {
  return text.normalize('NFKC').replace(/(?<=[a-z0-9])。(?=[a-z0-9])/gi, '.')
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

/** Each run of digits (separators dropped), so "400-820-1234" in a passage matches "4008201234"; spelled-out ones too. */
function digitRuns(text: string): string[] {
  return [...spelledOut(text).matchAll(LONG_NUMBER)].map(([run]) => run.replace(/\D/g, ''))
}

/** Long runs of Chinese digits (一三八…) as ASCII digits. */
function spelledOut(text: string): string {
  return text.replace(CN_LONG_NUMBER, (run) => Array.from(run, (char) => String(digitValue(char) ?? char)).join(''))
}

/** Amounts of money as numbers in canonical form ("9.90", "9.9" and "九块九" are one amount). */
function pricesIn(text: string): string[] {
  const ascii = [...text.matchAll(PRICE)].map((m) => String(Number(m[1] ?? m[2])))
  const chinese = [...text.matchAll(CN_PRICE)].map((m) => {
    const value = chineseNumber(m[1] ?? m[2] ?? '')
    const tenths = m[3] === undefined ? 0 : (digitValue(m[3]) ?? 0) / 10
    // A numeral this parser cannot read is still an amount: compared as written.
    return value === null ? (m[0] ?? '') : String(Math.round((value + tenths) * 100) / 100)
  })
  return [...ascii, ...chinese]
}

const UNITS: Record<string, number> = { 十: 10, 百: 100, 千: 1000 }

/** 十 → 10, 一百二十 → 120, 两万五千 → 25000, 九点九 → 9.9, 九九 → 99; null when it is no number. */
function chineseNumber(numeral: string): number | null {
  const [whole = '', decimals] = numeral.split('点')
  let value: number
  if (!/[十百千万]/.test(whole)) {
    const digits = Array.from(whole, digitValue)
    if (digits.length === 0 || digits.some((d) => d === null)) return null
    value = Number(digits.join(''))
  } else {
    let total = 0
    let section = 0
    let digit = 0
    for (const char of whole) {
      const d = digitValue(char)
      if (d !== null) digit = d
      else if (char === '万') {
        total += (section + digit || 1) * 10_000
        section = 0
        digit = 0
      } else {
        section += (digit === 0 ? 1 : digit) * (UNITS[char] ?? 1)
        digit = 0
      }
    }
    value = total + section + digit
  }
  if (decimals === undefined) return value
  const fraction = Array.from(decimals, digitValue)
  if (fraction.some((d) => d === null)) return null
  return Number(`${value}.${fraction.join('')}`)
}

function digitValue(char: string): number | null {
  if (char === '两') return 2
  if (char === '〇' || char === '零') return 0
  if (char === '幺') return 1
  const index = '一二三四五六七八九'.indexOf(char)
  return index < 0 ? null : index + 1
}

/** Scripts written with spaces between words: their words are the unit (text.ts reads them so too). */
const SPACED = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}]/u
const LETTER = /\p{L}/u
const WORD = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}]{2,}/gu

/**
 * The answer's wording, as distinct units: pairs of consecutive letters of scripts written
 * without spaces (Chinese), and words of two letters or more of those written with them.
 */
function wording(text: string): Set<string> {
  const chars = Array.from(text.toLowerCase())
  const units = new Set<string>()
  for (let i = 0; i + 1 < chars.length; i++) {
    const a = chars[i] ?? ''
    const b = chars[i + 1] ?? ''
    // Two Chinese digits are a number's (checked as one), not wording.
    if (unspaced(a) && unspaced(b) && !(digitValue(a) !== null && digitValue(b) !== null)) units.add(a + b)
  }
  for (const [word] of text.toLowerCase().matchAll(WORD)) units.add(word)
  return units
}

const unspaced = (char: string): boolean => LETTER.test(char) && !SPACED.test(char)
