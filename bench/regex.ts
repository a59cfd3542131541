/**
 * What the worst regex rules cost a message: patterns that hang a backtracking engine, and
 * patterns at the program-size limits, each on adversarial texts at the input cap (every
 * literal and class character repeated). Times `decide` on a one-rule set, so the text's
 * normalization is included, and reports the worst text per pattern; the last row is a rule
 * set whose regexes fill the whole state budget, none matching — the most regex work one
 * message can cause. Shared by `npm run bench` (section "rules") and `npm run rules:bench`.
 */
import { compileRules, toRuleSet } from '../src/rules/compile'
import { decide } from '../src/rules/match'
import { MAX_REGEX_INPUT } from '../src/rules/normalize'
import { compileRegex, MAX_TOTAL_STATES, regexExec, type VmStats } from '../src/rules/regex'
import type { RuleSet } from '../src/rules/rule-set'
import type { RuleSetSource } from '../src/rules/schema'
import { validateRuleSet } from '../src/rules/validate'
import type { InboundMessage } from '../src/wechat/message'
import { medianMs } from './timing'

export interface RegexRow {
  /** The pattern, or a description of a multi-rule set. */
  pattern: string
  states: number
  /** The slowest of the adversarial texts. */
  worstText: string
  /** VM steps on that text (all rules of the set). */
  steps: number
  /** decide() on that text, µs per message (median). */
  us: number
}

const PATTERNS = [
  'a{0,64}a{0,64}a{0,64}a{0,64}a{0,64}b',
  '订单.*\\d+.*号',
  '(a+)+b',
  '(\\w+\\s?)+!',
  '^(?:a|ab|abc)*c$',
  '(?:.*x){1,20}y',
  'x{0,150}y{0,150}z{0,100}(\\d{0,90})q',
]

/** Each character a pattern above names, repeated to the cap; and two mixed runs. */
const TEXTS = ['a', 'b', '1', 'x', 'ab', 'a ', '订单1', '号', 'é']
  .map((unit) => unit.repeat(Math.floor(MAX_REGEX_INPUT / unit.length)))
  .concat(['订单' + '1'.repeat(MAX_REGEX_INPUT - 2), 'x'.repeat(100) + 'y'.repeat(99) + '1'])

export function runRegexBench(): RegexRow[] {
  const rows = PATTERNS.map((pattern) => measure(pattern, ruleSet([pattern]), compileRegex(pattern).op.length))
  // Copies of the largest pattern up to MAX_TOTAL_STATES: the set validates, and no text above matches.
  const big = 'x{0,150}y{0,150}z{0,100}(\\d{0,90})q'
  const states = compileRegex(big).op.length
  const copies = Math.floor(MAX_TOTAL_STATES / states)
  rows.push(measure(`${copies} rules of the last pattern (${copies * states} of ${MAX_TOTAL_STATES} states)`, ruleSet(Array(copies).fill(big)), copies * states, big, copies))
  return rows
}

function ruleSet(patterns: string[]): RuleSet {
  const source: RuleSetSource = {
    rules: patterns.map((regex, i) => ({ id: `r${i}`, when: { regex }, reply: { type: 'text', text: 'x' } })),
  }
  const checked = validateRuleSet(source)
  if (!checked.ok) throw new Error(`bench rule set refused: ${JSON.stringify(checked.issues)}`)
  return toRuleSet(compileRules(checked.value, '0123456789abcdef'))
}

function measure(label: string, set: RuleSet, states: number, stepsOf = label, copies = 1): RegexRow {
  const program = compileRegex(stepsOf)
  let worst: RegexRow | null = null
  for (const content of TEXTS) {
    const message: InboundMessage = { toUserName: 'gh', fromUserName: 'o', createTime: 0, type: 'text', msgId: '1', content }
    const us = usPerCall(() => decide(set, message, 0))
    if (worst && us <= worst.us) continue
    const stats: VmStats = { steps: 0 }
    regexExec(program, content, stats)
    worst = { pattern: label, states, worstText: describe(content), steps: stats.steps * copies, us }
  }
  return worst!
}

/** Warmed up, then the median of 5 runs of enough calls to take ≥ 20 ms each. */
function usPerCall(fn: () => unknown): number {
  for (let i = 0; i < 100; i++) fn()
  const start = performance.now()
  for (let i = 0; i < 10; i++) fn()
  const once = Math.max((performance.now() - start) / 10, 0.0001)
  const loops = Math.max(10, Math.ceil(20 / once))
  const ms = medianMs(5, () => {
    for (let i = 0; i < loops; i++) fn()
  })
  return (ms * 1000) / loops
}

function describe(text: string): string {
  const unit = [1, 2, 3].map((n) => text.slice(0, n)).find((u) => u.repeat(text.length / u.length) === text)
  return unit ? `${JSON.stringify(unit)} × ${text.length / unit.length}` : `${JSON.stringify(text.slice(0, 12))}… (${text.length})`
}
