/**
 * The Pike VM: runs a regex program (regex-program.ts) over the input once, left to right,
 * keeping every live thread in one list ordered by priority. A state entered twice at the same
 * position is dropped — the first (higher-priority) thread there has the same future — so
 * each position enters each state at most once: at most states × (code points + 1) steps,
 * whatever the pattern and the text. `stats.steps` counts them; `stats.work` counts what they
 * cost, in the units of the rule set's budget (see WORK_* below and programWork).
 *
 * Priority order is a backtracking engine's exploration order, so the match (leftmost, then
 * first by the pattern's own preferences: greedy, lazy, left alternative first) and its groups
 * are the ones JavaScript's `exec` returns.
 *
 * Groups cost O(1) per SAVE: a thread's groups are a chain of (slot, position) records in a
 * shared pool, read back into slots only for the match. Scratch arrays are module-level and
 * reused: a run is synchronous, so two runs never share them.
 */
import { isWordChar, type CharTest } from './regex-chars'

// The instruction set. Defined here, beside the loop that reads them, so that reading one is
// reading a local constant (a transpiler may turn an imported one into a getter call).

/** Consume one code point matching atom `x`. */
export const CHAR = 0
/** Continue at `x`, and with lower priority at `y`. */
export const SPLIT = 1
export const JMP = 2
/** Record the position in slot `x`. */
export const SAVE = 3
/** Clear slots `x` … `y - 1` (the groups inside a repeat, at each iteration). */
export const RESET = 4
/** Continue only if assertion `x` (ASSERT_*) holds here. */
export const ASSERT = 5
export const MATCH = 6

export const ASSERT_START = 0
export const ASSERT_END = 1
export const ASSERT_WORD = 2
export const ASSERT_NOT_WORD = 3

// Work, in steps: one state entered at one position is 1 (about 15 ns in V8, whatever the
// instruction, within ~10 %: a SAVE or RESET adds one record to a chain, not a copy of the
// slots). What costs more is counted as more, from CPU time over adversarial rule sets
// (bench/regex.ts): an assertion entered ~2 steps, each position's own bookkeeping ~2 per
// run, and a RegExp answer for an atom 2–6 (`[^a]` on é the least, `\p{L}` the most).

/** An assertion entered: the step and the check. */
export const WORK_ASSERT = 2
/** One answer from an atom's RegExp (charTest; at most once per atom and position). */
export const WORK_REGEXP = 5
/** One position of one run: the list swap, the code point, the restart. */
export const WORK_POSITION = 2

/** A compiled regex (regex-program.ts builds it). */
export interface RegexProgram {
  readonly op: Uint8Array
  readonly x: Int32Array
  readonly y: Int32Array
  /** Distinct single-character pieces (JavaScript syntax), indexed by CHAR's `x`. */
  readonly atoms: readonly string[]
  /** Their tests, same order. */
  readonly tests: readonly CharTest[]
  /** The work of one answer from each atom's test: WORK_REGEXP when it runs a RegExp, else 0. */
  readonly atomWork: Uint8Array
  /**
   * The most work one position can cost (programWork): a run over n code points costs at
   * most this × (n + 1).
   */
  readonly workPerPosition: number
  /** Every match starts at `^`: no thread need start after position 0. */
  readonly anchored: boolean
  /** Numbered groups; slots are 2 per group plus 2 for the whole match. */
  readonly groupCount: number
  readonly names: ReadonlyMap<string, number>
}

export interface VmStats {
  /** States entered, summed over positions. */
  steps: number
  /** What the run cost, in steps: weighted as WORK_* say. At most workPerPosition × (code points + 1). */
  work: number
}

/** The most work one position of a run can cost: every state entered, every atom asked. */
export function programWork(op: Uint8Array, atomWork: Uint8Array): number {
  let work = op.length + WORK_POSITION
  for (const code of op) if (code === ASSERT) work += WORK_ASSERT - 1
  for (const w of atomWork) work += w
  return work
}

/**
 * The slots of the first match (slot 2g / 2g+1: start and end of group g, -1 when unset), or
 * null. With `captures` false it only answers whether there is a match (slots empty), and
 * stops at the first state that proves one.
 */
export function runProgram(program: RegexProgram, input: string, captures: boolean, stats?: VmStats): Int32Array | null {
  const { op, x, y, tests, atomWork } = program
  const scratch = scratchFor(op.length, tests.length)
  const { visited, stack, stackRef, memoAt, memo } = scratch
  let current = scratch.listA
  let currentRef = scratch.refA
  let next = scratch.listB
  let nextRef = scratch.refB
  const records = captures ? recordPool() : null
  const length = input.length
  let stamp = scratch.stamp
  let steps = 0
  let asserts = 0
  let answers = 0
  let positions = 0
  let count = 0
  let matched = NO_MATCH
  let at = 0
  let top = 0
  // The first position's threads start from the program's start alone.
  stack[top] = 0
  stackRef[top++] = ROOT
  for (;;) {
    // Enter the stacked states at `at` and all they reach without consuming. The stack
    // holds the consuming threads' successors with the highest priority on top, and depth
    // first keeps that order: all of one thread's states come before the next thread's.
    stamp++
    positions++
    let filled = 0
    enter: while (top > 0) {
      const s = stack[--top]!
      const r = stackRef[top]!
      if (visited[s] === stamp) continue
      visited[s] = stamp
      steps++
      switch (op[s]) {
        case MATCH:
          if (!captures) {
            matched = FOUND
            break enter
          }
          // A thread like any other, so that its place in the priority order is kept.
          next[filled] = s
          nextRef[filled++] = r
          break
        case CHAR:
          next[filled] = s
          nextRef[filled++] = r
          break
        case JMP:
          stack[top] = x[s]!
          stackRef[top++] = r
          break
        case SPLIT:
          // Pushed second, popped first: x is explored (entirely) before y.
          stack[top] = y[s]!
          stackRef[top++] = r
          stack[top] = x[s]!
          stackRef[top++] = r
          break
        case SAVE:
          stack[top] = s + 1
          stackRef[top++] = records ? records.add(x[s]!, at, r) : r
          break
        case RESET:
          stack[top] = s + 1
          stackRef[top++] = records ? records.add(~x[s]!, y[s]!, r) : r
          break
        case ASSERT:
          asserts++
          if (holds(x[s]!, input, at)) {
            stack[top] = s + 1
            stackRef[top++] = r
          }
          break
      }
    }
    if (matched === FOUND) break
    const list = current
    current = next
    next = list
    const refs = currentRef
    currentRef = nextRef
    nextRef = refs
    count = filled
    if (at >= length) break

    // Step every thread over the code point at `at`, keeping priority order.
    const cp = input.codePointAt(at)!
    const after = at + (cp > 0xffff ? 2 : 1)
    let live = count
    for (let i = 0; i < count; i++) {
      if (op[current[i]!] === MATCH) {
        // The best match so far; every thread after this one has lower priority.
        matched = currentRef[i]!
        live = i
        break
      }
    }
    if (matched === NO_MATCH && !program.anchored) {
      // A match may start at the next position too, with the lowest priority of all.
      stack[top] = 0
      stackRef[top++] = ROOT
    } else if (live === 0) {
      // Nothing left to run: `^…` once its threads died, or nothing beats the match found.
      break
    }
    for (let i = live - 1; i >= 0; i--) {
      const state = current[i]!
      const atom = x[state]!
      if (memoAt[atom] !== stamp) {
        memoAt[atom] = stamp
        answers += atomWork[atom]!
        memo[atom] = tests[atom]!(input, at, cp) ? 1 : 0
      }
      if (memo[atom] === 1) {
        stack[top] = state + 1
        stackRef[top++] = currentRef[i]!
      }
    }
    at = after
  }
  for (let i = 0; i < count && matched !== FOUND; i++) {
    if (op[current[i]!] === MATCH) {
      matched = currentRef[i]!
      break
    }
  }
  scratch.stamp = stamp
  if (stats) {
    stats.steps += steps
    stats.work += steps + (WORK_ASSERT - 1) * asserts + answers + WORK_POSITION * positions
  }
  if (matched === FOUND) return NO_SLOTS
  return matched === NO_MATCH ? null : records!.slots(matched, 2 * (program.groupCount + 1))
}

/** The chain that records nothing: every group unset. */
const ROOT = -1
const NO_MATCH = -2
/** Without captures: a MATCH state was entered, so there is a match. */
const FOUND = -3
const NO_SLOTS = new Int32Array(0)

interface Scratch {
  /** Generation of the last position entered; `visited[s] === stamp` means entered. */
  stamp: number
  visited: Int32Array
  /** DFS stack of states and their record chains: the threads (≤ states) and 2 per state. */
  stack: Int32Array
  stackRef: Int32Array
  listA: Int32Array
  refA: Int32Array
  listB: Int32Array
  refB: Int32Array
  /** Per atom: the stamp its answer is for, and the answer. */
  memoAt: Int32Array
  memo: Uint8Array
}

let scratch: Scratch | null = null

function scratchFor(states: number, atoms: number): Scratch {
  if (scratch && scratch.visited.length >= states && scratch.memo.length >= atoms && scratch.stamp < 0x3fffffff) {
    return scratch
  }
  const size = Math.max(states, scratch?.visited.length ?? 0, 64)
  const atomSize = Math.max(atoms, scratch?.memo.length ?? 0, 16)
  scratch = {
    stamp: 0,
    visited: new Int32Array(size),
    stack: new Int32Array(3 * size + 2),
    stackRef: new Int32Array(3 * size + 2),
    listA: new Int32Array(size),
    refA: new Int32Array(size),
    listB: new Int32Array(size),
    refB: new Int32Array(size),
    memoAt: new Int32Array(atomSize),
    memo: new Uint8Array(atomSize),
  }
  return scratch
}

/**
 * A thread's groups as a chain of records (slot, position) — or (~first slot, end slot) for
 * a RESET — so a SAVE costs one record, not a copy of every slot.
 */
interface RecordPool {
  add(slot: number, value: number, parent: number): number
  /** Replays a chain newest first: the first word on a slot is the last one written. */
  slots(ref: number, count: number): Int32Array
}

let recordSlot = new Int32Array(1024)
let recordValue = new Int32Array(1024)
let recordParent = new Int32Array(1024)

function recordPool(): RecordPool {
  let used = 0
  return {
    add(slot, value, parent) {
      if (used === recordSlot.length) {
        recordSlot = doubled(recordSlot)
        recordValue = doubled(recordValue)
        recordParent = doubled(recordParent)
      }
      recordSlot[used] = slot
      recordValue[used] = value
      recordParent[used] = parent
      return used++
    },
    slots(ref, count) {
      const UNDECIDED = -2
      const slots = new Int32Array(count).fill(UNDECIDED)
      for (let r = ref; r !== ROOT; r = recordParent[r]!) {
        const slot = recordSlot[r]!
        if (slot >= 0) {
          if (slots[slot] === UNDECIDED) slots[slot] = recordValue[r]!
          continue
        }
        for (let k = ~slot; k < recordValue[r]!; k++) if (slots[k] === UNDECIDED) slots[k] = -1
      }
      for (let k = 0; k < count; k++) if (slots[k] === UNDECIDED) slots[k] = -1
      return slots
    },
  }
}

function doubled(table: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(table.length * 2)
  bigger.set(table)
  return bigger
}

function holds(assertion: number, input: string, at: number): boolean {
  if (assertion === ASSERT_START) return at === 0
  if (assertion === ASSERT_END) return at === input.length
  // Word characters are all in the BMP, so the code units either side are enough.
  const before = at > 0 && isWordChar(input.charCodeAt(at - 1))
  const after = at < input.length && isWordChar(input.charCodeAt(at))
  return assertion === ASSERT_WORD ? before !== after : before === after
}
