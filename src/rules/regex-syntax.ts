/**
 * Reads a rule regex into a tree the linear-time engine can run, or names the construct it
 * cannot. The pattern has already passed `new RegExp(pattern, 'iu')`, so this parser only
 * has to find the structure of valid JavaScript `u`-mode syntax, never report syntax errors.
 *
 * Every single-character piece (a literal, `.`, `[…]`, `\d`, `\p{…}`, `\u{…}`, …) is kept as
 * its own source text: the engine asks JavaScript's RegExp whether one character matches it,
 * so character semantics (case folding, Unicode properties) are JavaScript's by construction.
 * Only the structure — sequence, `|`, groups, repetition, `^ $ \b \B` — is ours.
 */
import { english, type MessageCode, type MessageValues, type Problem, problem } from './messages'

export type RegexNode =
  /** Exactly one code point matching `source` (JavaScript syntax, run with flags `iu`). */
  | { readonly kind: 'char'; readonly source: string }
  | { readonly kind: 'assert'; readonly what: Assertion }
  | { readonly kind: 'seq'; readonly items: readonly RegexNode[] }
  | { readonly kind: 'alt'; readonly options: readonly RegexNode[] }
  /** `capture` is the group number, 0 for `(?:…)`. */
  | { readonly kind: 'group'; readonly capture: number; readonly body: RegexNode }
  | { readonly kind: 'repeat'; readonly min: number; readonly max: number; readonly greedy: boolean; readonly body: RegexNode }

export type Assertion = 'start' | 'end' | 'word' | 'notWord'

export interface RegexTree {
  root: RegexNode
  /** Numbered groups, named ones included. */
  groupCount: number
  /** Group name → group number. */
  names: ReadonlyMap<string, number>
}

/** A construct the engine does not run, as the operator wrote it (messages.ts has its words). */
export class UnsupportedRegex extends Error {
  constructor(readonly problem: Problem) {
    super(english(problem))
  }
}

/** Throws UnsupportedRegex for backreferences, lookaround and group modifiers. */
export function parseRegex(pattern: string): RegexTree {
  let at = 0
  let groupCount = 0
  const names = new Map<string, number>()

  const peek = (offset = 0): string => pattern[at + offset] ?? ''
  const refuse = (code: MessageCode, values: MessageValues): never => {
    throw new UnsupportedRegex(problem(code, values))
  }

  function alternation(): RegexNode {
    const options = [sequence()]
    while (peek() === '|') {
      at++
      options.push(sequence())
    }
    return options.length === 1 ? options[0]! : { kind: 'alt', options }
  }

  function sequence(): RegexNode {
    const items: RegexNode[] = []
    while (at < pattern.length && peek() !== '|' && peek() !== ')') items.push(quantified(atom()))
    return items.length === 1 ? items[0]! : { kind: 'seq', items }
  }

  function quantified(body: RegexNode): RegexNode {
    const bounds = quantifier()
    if (!bounds) return body
    const greedy = peek() !== '?'
    if (!greedy) at++
    return { kind: 'repeat', min: bounds[0], max: bounds[1], greedy, body }
  }

  function quantifier(): [number, number] | null {
    const ch = peek()
    if (ch === '*' || ch === '+' || ch === '?') {
      at++
      return ch === '*' ? [0, Infinity] : ch === '+' ? [1, Infinity] : [0, 1]
    }
    // In `u` mode a `{` after an atom is always a quantifier (anything else is a syntax error).
    const braces = ch === '{' ? /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(at)) : null
    if (!braces) return null
    at += braces[0].length
    const min = Number(braces[1])
    return [min, braces[2] === undefined ? min : braces[3] === '' ? Infinity : Number(braces[3])]
  }

  function atom(): RegexNode {
    const ch = peek()
    if (ch === '(') return group()
    if (ch === '^' || ch === '$') {
      at++
      return { kind: 'assert', what: ch === '^' ? 'start' : 'end' }
    }
    if (ch === '[') return char(classEnd())
    if (ch === '\\') return escapeSequence()
    // One code point, so an astral literal is one character, as in `u` mode.
    return char(at + String.fromCodePoint(pattern.codePointAt(at)!).length)
  }

  function char(end: number): RegexNode {
    const source = pattern.slice(at, end)
    at = end
    return { kind: 'char', source }
  }

  function group(): RegexNode {
    const rest = pattern.slice(at, at + 4)
    if (rest.startsWith('(?=') || rest.startsWith('(?!')) refuse('regex_lookahead', { text: rest.slice(0, 3) })
    if (rest.startsWith('(?<=') || rest.startsWith('(?<!')) refuse('regex_lookbehind', { text: rest })
    let capture = 0
    if (rest.startsWith('(?:')) {
      at += 3
    } else if (rest.startsWith('(?<')) {
      const close = pattern.indexOf('>', at)
      const name = pattern.slice(at + 3, close)
      // Runtimes differ on both (workerd takes a repeated name, Node 20 does not); {{name}}
      // in a reply must mean one group everywhere.
      if (name.includes('\\')) refuse('regex_group_name_escaped', { name })
      if (names.has(name)) refuse('regex_group_name_twice', { name })
      capture = ++groupCount
      names.set(name, capture)
      at = close + 1
    } else if (rest.startsWith('(?')) {
      refuse('regex_group_modifier', { text: pattern.slice(at, pattern.indexOf(':', at) + 1) || rest })
    } else {
      capture = ++groupCount
      at++
    }
    const body = alternation()
    at++ // `)`
    return { kind: 'group', capture, body }
  }

  /** `[…]` and `[^…]` do not nest in `u` mode; `]` right after `[` closes an empty class. */
  function classEnd(): number {
    let j = at + (pattern[at + 1] === '^' ? 2 : 1)
    while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1
    return j + 1
  }

  function escapeSequence(): RegexNode {
    const next = peek(1)
    if (next === 'b' || next === 'B') {
      at += 2
      return { kind: 'assert', what: next === 'b' ? 'word' : 'notWord' }
    }
    if (/[1-9]/.test(next)) refuse('regex_backreference', { text: /^\\\d+/.exec(pattern.slice(at))![0] })
    if (next === 'k') refuse('regex_backreference', { text: pattern.slice(at, pattern.indexOf('>', at) + 1) })
    if ((next === 'p' || next === 'P' || next === 'u') && peek(2) === '{') return char(pattern.indexOf('}', at) + 1)
    if (next === 'u') {
      const unit = parseInt(pattern.slice(at + 2, at + 6), 16)
      // `\uD83D\uDE00` is one code point in `u` mode: keep the pair together.
      const pairs = unit >= 0xd800 && unit <= 0xdbff && /^\\u[dD][c-fC-F][0-9a-fA-F]{2}/.test(pattern.slice(at + 6))
      return char(at + (pairs ? 12 : 6))
    }
    if (next === 'x') return char(at + 4)
    if (next === 'c') return char(at + 3)
    return char(at + 1 + String.fromCodePoint(pattern.codePointAt(at + 1)!).length)
  }

  const root = alternation()
  return { root, groupCount, names }
}
