/**
 * Rule regexes: which patterns are accepted, and matching them in linear time.
 *
 * JavaScript's RegExp backtracks, so a pattern like `a{0,64}a{0,64}a{0,64}b` on 199 × `a`
 * would spend minutes of CPU on one push. Rule regexes run instead on a Pike VM
 * (regex-vm.ts) whose work is bounded by states × input length, with JavaScript's semantics
 * for everything it accepts: the same match, the same groups, the same case-insensitive
 * Unicode characters. What needs backtracking (backreferences, lookaround) is refused, and
 * so is what would make a program big or a rule set's regexes together slow for one message;
 * see rules/README.md.
 */
import { type Problem, problem } from './messages'
import { MAX_REGEX_INPUT, REGEX_FLAGS } from './normalize'
import { compileProgram } from './regex-program'
import { parseRegex, UnsupportedRegex } from './regex-syntax'
import { runProgram, type RegexProgram, type VmStats } from './regex-vm'

export type { RegexProgram, VmStats } from './regex-vm'

export const MAX_PATTERN_LENGTH = 300
/**
 * `{n}`, `{n,}` and `{n,m}` go up to the input cap: a larger count cannot match 200
 * characters, and `{0,}` says "any number" without unrolling.
 */
export const MAX_COUNT = MAX_REGEX_INPUT
/** Program size, which bounds compiling; MAX_REGEX_WORK is what bounds running. */
export const MAX_STATES = 1000
/**
 * All regex rules of a set together, in steps (regex-vm.ts's WORK_*) for one message at the
 * input cap: a message that no earlier rule answers may run every one of them, so this bounds
 * a message's regex work, whatever its text. A step is 15–30 ns in V8 (the dear end is capture
 * groups in counted repeats): ~6 ms at worst on a loaded 2-core machine, under a push's 10 ms
 * (bench/regex.ts measures it; `npm run bench` checks the worst against 10 ms).
 */
export const MAX_REGEX_WORK = 200_000

/** Why a pattern is refused, or null when the engine runs it. */
export function regexProblem(pattern: string): Problem | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return problem('regex_too_long', { max: MAX_PATTERN_LENGTH })
  try {
    new RegExp(pattern, REGEX_FLAGS)
  } catch (error) {
    // messages.ts knows V8's reasons (a finite list) for the Chinese.
    return problem('regex_invalid', { detail: (error as Error).message })
  }
  try {
    compileRegex(pattern)
  } catch (error) {
    if (error instanceof UnsupportedRegex) return error.problem
    throw error
  }
  return null
}

/** For a pattern regexProblem accepted; throws otherwise. */
export function compileRegex(pattern: string): RegexProgram {
  return compileProgram(parseRegex(pattern), { maxCount: MAX_COUNT, maxStates: MAX_STATES })
}

/**
 * The most work the program can cost on any message: every state entered and every atom asked
 * at every position of a MAX_REGEX_INPUT-character text (the VM's `stats.work` never exceeds it).
 */
export function regexWork(program: RegexProgram): number {
  return program.workPerPosition * (MAX_REGEX_INPUT + 1)
}

/** The numbered group count and group names of an accepted pattern. */
export function patternGroups(pattern: string): { count: number; names: string[] } {
  const { groupCount, names } = parseRegex(pattern)
  return { count: groupCount, names: [...names.keys()] }
}

export interface RegexMatch {
  /** [0] the whole match, [g] group g; undefined for a group that did not take part. */
  readonly captures: readonly (string | undefined)[]
  /** Named groups, like RegExpExecArray's `groups`. */
  readonly groups: Readonly<Record<string, string | undefined>>
}

/** Whether the pattern matches anywhere in the input (cheaper than regexExec). */
export function regexTest(program: RegexProgram, input: string, stats?: VmStats): boolean {
  return runProgram(program, input, false, stats) !== null
}

/** The first match and its groups, as `new RegExp(pattern, 'iu').exec(input)` finds them. */
export function regexExec(program: RegexProgram, input: string, stats?: VmStats): RegexMatch | null {
  const slots = runProgram(program, input, true, stats)
  if (!slots) return null
  const captures: (string | undefined)[] = []
  for (let g = 0; g <= program.groupCount; g++) {
    const start = slots[2 * g]!
    const end = slots[2 * g + 1]!
    captures.push(start < 0 || end < 0 ? undefined : input.slice(start, end))
  }
  const groups: Record<string, string | undefined> = {}
  for (const [name, g] of program.names) groups[name] = captures[g]
  return { captures, groups }
}
