/**
 * Whether one character matches one single-character piece of a rule regex (a literal, `.`,
 * `[…]`, `\d`, `\p{…}`, …). JavaScript's own RegExp decides, run sticky with the rule flags
 * on that one code point, so case folding and Unicode properties are exactly JavaScript's —
 * and a one-character match cannot backtrack. Two shortcuts skip it where the answer is
 * certain: a literal with no case variants is compared directly, and `.` is "not a line
 * terminator"; answers for ASCII are remembered per piece (128 bytes).
 */
import { REGEX_FLAGS } from './normalize'

/** Does the code point `cp` at `input[at]` match? */
export type CharTest = (input: string, at: number, cp: number) => boolean

/** Characters that have case variants; `u` mode folds only these. */
const HAS_CASE = /\p{Changes_When_Casemapped}/u

export function charTest(source: string): CharTest {
  const cp = source.codePointAt(0)!
  if (!usesRegExp(source)) {
    if (source !== '.') return (_input, _at, c) => c === cp
    return (_input, _at, c) => c !== 0x0a && c !== 0x0d && c !== 0x2028 && c !== 0x2029
  }
  const sticky = new RegExp(source, `${REGEX_FLAGS}y`)
  /** 0 unknown, 1 no, 2 yes. */
  const ascii = new Uint8Array(128)
  return (input, at, c) => {
    if (c < 128 && ascii[c] !== 0) return ascii[c] === 2
    sticky.lastIndex = at
    const yes = sticky.test(input)
    if (c < 128) ascii[c] = yes ? 2 : 1
    return yes
  }
}

/**
 * Whether charTest answers for `source` by running JavaScript's RegExp — for every character
 * outside ASCII, once per position: the engine's costliest step (regex-vm.ts prices it).
 * Only a literal without case variants and `.` are answered directly.
 */
export function usesRegExp(source: string): boolean {
  if (source === '.') return false
  // The parser's pieces are a literal code point, `.`, `[…]` or an escape `\…`.
  const literal = source.length === String.fromCodePoint(source.codePointAt(0)!).length
  return !literal || HAS_CASE.test(source)
}

/** JavaScript's `\b` with flags `iu`: `\w`, plus the two characters that fold into it (ſ, K). */
export function isWordChar(cp: number): boolean {
  return (
    (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x30 && cp <= 0x39) || cp === 0x5f || cp === 0x17f || cp === 0x212a
  )
}
