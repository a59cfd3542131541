/**
 * Refuses regex patterns that can backtrack catastrophically. JavaScript's regex engine
 * backtracks, and a push has 10 ms of CPU, so a rule regex must not be able to hang the
 * Worker. Three shapes cause exponential or high-polynomial time and are refused:
 *
 * - a repeated group that itself repeats something: `(a+)+`, `(\d*)*`, `(?:x+y)+`
 * - a repeated group with alternatives: `(a|ab)*` (overlapping alternatives blow up)
 * - backreferences: `(a*)\1` (no linear bound at all)
 *
 * and at most MAX_REPEATS unbounded quantifiers per pattern (adjacent `.*.*.*.*` is O(n⁴)).
 * With the input capped at MAX_REGEX_INPUT characters, what remains is at worst O(n³) on
 * 200 characters. The scan is conservative: it may refuse a pattern that would have been
 * fine, and says how to rewrite it.
 */
import { REGEX_FLAGS } from './normalize'

export const MAX_PATTERN_LENGTH = 300
export const MAX_REPEATS = 3
/** `{1,64}` is bounded by its own limit; larger bounds count as unbounded. */
const LONG_REPEAT = 64

interface Group {
  /** Something inside repeats more than once (`+`, `*`, `{2,}`, `{1,5}`). */
  repeats: boolean
  alternation: boolean
}

/** Why the pattern is refused, or null when it is valid and safe. */
export function unsafePattern(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `is longer than ${MAX_PATTERN_LENGTH} characters`
  try {
    new RegExp(pattern, REGEX_FLAGS)
  } catch (error) {
    return `is not a valid regular expression (${(error as Error).message})`
  }
  const stack: Group[] = [{ repeats: false, alternation: false }]
  let repeats = 0
  /** The group just closed, while we look for a quantifier after it. */
  let closed: Group | null = null
  let i = 0
  while (i < pattern.length) {
    const ch = pattern[i]!
    const top = stack[stack.length - 1]!
    const quantifier = readQuantifier(pattern, i)
    if (quantifier) {
      i += quantifier.length
      if (pattern[i] === '?') i++ // lazy: same backtracking
      if (quantifier.max > 1) {
        if (closed?.repeats) return 'repeats a group that already repeats, like (a+)+; write it without the outer repeat'
        if (closed?.alternation) return 'repeats a group with alternatives, like (a|b)+; use a character class like [ab]+'
        if (quantifier.max > LONG_REPEAT && ++repeats > MAX_REPEATS) {
          return `has more than ${MAX_REPEATS} unbounded repeats (*, +, {n,}, {n,m} with m > ${LONG_REPEAT})`
        }
        top.repeats = true
      }
      closed = null
      continue
    }
    closed = null
    if (ch === '\\') {
      const next = pattern[i + 1] ?? ''
      if (/[1-9]/.test(next) || next === 'k') return 'uses a backreference (\\1, \\k<name>), which can take exponential time'
      i += escapeLength(pattern, i)
      continue
    }
    if (ch === '[') {
      i = classEnd(pattern, i)
      continue
    }
    if (ch === '(') {
      stack.push({ repeats: false, alternation: false })
      i += groupPrefixLength(pattern, i)
      continue
    }
    if (ch === ')') {
      const group = stack.pop()!
      const parent = stack[stack.length - 1]!
      parent.repeats ||= group.repeats
      parent.alternation ||= group.alternation
      closed = group
      i++
      continue
    }
    if (ch === '|') top.alternation = true
    i++
  }
  return null
}

interface Quantifier {
  length: number
  max: number
}

function readQuantifier(pattern: string, i: number): Quantifier | null {
  const ch = pattern[i]
  if (ch === '*' || ch === '+') return { length: 1, max: Infinity }
  if (ch === '?') return { length: 1, max: 1 }
  if (ch !== '{') return null
  const match = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i))
  if (!match) return null
  const min = Number(match[1])
  const max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3])
  return { length: match[0].length, max }
}

/** `\d`, `\u{1F600}`, `\p{L}`, `\x41`, `\u0041`, `\cA`: how many characters the escape spans. */
function escapeLength(pattern: string, i: number): number {
  const next = pattern[i + 1]
  if ((next === 'u' || next === 'p' || next === 'P') && pattern[i + 2] === '{') {
    const end = pattern.indexOf('}', i + 3)
    return end === -1 ? 2 : end - i + 1
  }
  if (next === 'u') return 6
  if (next === 'x') return 4
  if (next === 'c') return 3
  return 2
}

function classEnd(pattern: string, i: number): number {
  let j = i + 1
  while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1
  return j + 1
}

/** `(`, `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!`, `(?<name>`. */
function groupPrefixLength(pattern: string, i: number): number {
  if (pattern[i + 1] !== '?') return 1
  if (pattern[i + 2] === '<' && pattern[i + 3] !== '=' && pattern[i + 3] !== '!') {
    const end = pattern.indexOf('>', i)
    return end === -1 ? 1 : end - i + 1
  }
  return pattern[i + 2] === '<' ? 4 : 3
}

/** The numbered group count and group names of a valid pattern. */
export function patternGroups(pattern: string): { count: number; names: string[] } {
  const match = new RegExp(`(?:${pattern})|`, REGEX_FLAGS).exec('')
  if (!match) return { count: 0, names: [] }
  return { count: match.length - 1, names: Object.keys(match.groups ?? {}) }
}
