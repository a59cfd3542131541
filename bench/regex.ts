/**
 * What the worst regex rules cost a message: patterns that hang a backtracking engine, patterns
 * that make the linear-time engine do the most per state (groups inside counted repeats,
 * classes JavaScript must answer, assertions), and rule sets that fill the work budget
 * (MAX_REGEX_WORK) with them, none matching — the most regex work one message can cause.
 * Each on adversarial texts at the input cap (every literal and class character repeated).
 * Times `decide` on the set, so the text's normalization is included, and reports the worst
 * text per row, with the work the VM counted on it beside the bound rules:check charged.
 * Shared by `npm run bench` (section "rules") and `npm run rules:bench`.
 */
import { compileRules, toRuleSet } from '../src/rules/compile'
import { decide } from '../src/rules/match'
import { MAX_REGEX_INPUT, regexText } from '../src/rules/normalize'
import { compileRegex, MAX_REGEX_WORK, regexExec, regexWork, type VmStats } from '../src/rules/regex'
import type { RuleSet } from '../src/rules/rule-set'
import type { RuleSetSource } from '../src/rules/schema'
import { validateRuleSet } from '../src/rules/validate'
import type { InboundMessage } from '../src/wechat/message'
import { median } from './timing'

export interface RegexRow {
  /** The pattern, or a description of a multi-rule set. */
  pattern: string
  /** States of all the set's programs. */
  states: number
  /** The set's worst case as rules:check counts it (steps; at most MAX_REGEX_WORK). */
  bound: number
  /** The slowest of the adversarial texts. */
  worstText: string
  /** VM steps on that text (all rules of the set). */
  steps: number
  /** The work the VM counted on that text (all rules of the set; at most `bound`). */
  work: number
  /** decide() on that text, µs of CPU per message (median). */
  us: number
}

/** One rule each. */
const PATTERNS = [
  'a{0,64}a{0,64}a{0,64}a{0,64}a{0,64}b',
  '订单.*\\d+.*号',
  '(a+)+b',
  '(\\w+\\s?)+!',
  '^(?:a|ab|abc)*c$',
  '(?:.*x){1,20}y',
  // The largest program of this shape the budget takes alone.
  'x{0,150}y{0,150}z{0,100}(\\d{0,80})q',
]

/**
 * Patterns that reach their bound — every state entered at every position — written with a
 * suffix per rule (`<i>`: z0, z1, …) as an attacker filling the budget would. Each row is one
 * rule, then as many distinct copies as the budget takes.
 */
const BUDGET_FILLERS = [
  // Issue 25: two groups and an optional part per iteration; 16 of these passed the old
  // 3,000-state budget and cost 10–16 ms a message. Now 5 fit.
  '(?:(a)(a?)){0,20}z<i>',
  // Plain states at the bound.
  '(?:aa?){0,45}z<i>',
  // 20 classes JavaScript answers at every position of a non-ASCII text.
  '(?:[^a]|[^b]|[^c]|[^d]|[^e]|[^f]|[^g]|[^h]|[^i]|[^j]|[^k]|[^l]|[^m]|[^n]|[^o]|[^p]|[^q]|[^r]|[^s]|[^t])+z<i>',
  // The same with Unicode properties, JavaScript's slowest answers.
  '(?:\\p{L}|\\p{Lu}|\\p{Ll}|\\p{Lo}|\\p{Lm}|\\p{Lt}|\\P{N}|\\P{Nd}|\\P{P}|\\P{S})+z<i>',
  // An assertion at every iteration.
  '(?:a\\B){0,90}z<i>',
]

/** Each character a pattern above names, repeated to the cap; and two mixed runs. */
const TEXTS = ['a', 'b', '1', 'x', 'ab', 'a ', '订单1', '号', 'é']
  .map((unit) => unit.repeat(Math.floor(MAX_REGEX_INPUT / unit.length)))
  .concat(['订单' + '1'.repeat(MAX_REGEX_INPUT - 2), 'x'.repeat(100) + 'y'.repeat(99) + '1'])

export function runRegexBench(): RegexRow[] {
  const rows = PATTERNS.map((pattern) => measure(pattern, [pattern]))
  for (const filler of BUDGET_FILLERS) {
    const copy = (i: number) => filler.replace('<i>', String(i))
    rows.push(measure(copy(0), [copy(0)]))
    // Copies up to MAX_REGEX_WORK: the set validates, and no text above matches.
    const patterns: string[] = []
    let bound = 0
    for (let i = 0; ; i++) {
      const work = regexWork(compileRegex(copy(i)))
      if (bound + work > MAX_REGEX_WORK) break
      patterns.push(copy(i))
      bound += work
    }
    rows.push(measure(`${patterns.length} rules of ${filler}`, patterns))
  }
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

function measure(label: string, patterns: string[]): RegexRow {
  const set = ruleSet(patterns)
  const programs = patterns.map(compileRegex)
  const states = programs.reduce((sum, p) => sum + p.op.length, 0)
  const bound = programs.reduce((sum, p) => sum + regexWork(p), 0)
  let worst: RegexRow | null = null
  for (const content of TEXTS) {
    const message: InboundMessage = { toUserName: 'gh', fromUserName: 'o', createTime: 0, type: 'text', msgId: '1', content }
    const us = usPerCall(() => decide(set, message, 0))
    if (worst && us <= worst.us) continue
    // The rules decide runs, in order, until one matches (none does on most texts).
    const stats: VmStats = { steps: 0, work: 0 }
    const input = regexText(content)
    for (const program of programs) if (regexExec(program, input, stats)) break
    worst = { pattern: label, states, bound, worstText: describe(content), steps: stats.steps, work: stats.work, us }
  }
  return worst!
}

/**
 * CPU time (what Workers bill, and steadier than the clock on a busy machine): warmed up, then
 * the median of 5 runs of enough calls to take ≥ 20 ms each.
 */
function usPerCall(fn: () => unknown): number {
  for (let i = 0; i < 100; i++) fn()
  const start = cpuMs()
  for (let i = 0; i < 10; i++) fn()
  const once = Math.max((cpuMs() - start) / 10, 0.0001)
  const loops = Math.max(10, Math.ceil(20 / once))
  const runs: number[] = []
  for (let run = 0; run < 5; run++) {
    const before = cpuMs()
    for (let i = 0; i < loops; i++) fn()
    runs.push(cpuMs() - before)
  }
  return (median(runs) * 1000) / loops
}

function cpuMs(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

function describe(text: string): string {
  const unit = [1, 2, 3].map((n) => text.slice(0, n)).find((u) => u.repeat(text.length / u.length) === text)
  return unit ? `${JSON.stringify(unit)} × ${text.length / unit.length}` : `${JSON.stringify(text.slice(0, 12))}… (${text.length})`
}
