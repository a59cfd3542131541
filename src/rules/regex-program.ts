/**
 * Compiles a regex tree into a program for the Pike VM (regex-vm.ts): a Thompson NFA as
 * flat instruction arrays. Counted repeats are unrolled — `x{2,4}` is `x x (x (x)?)?` — so
 * the program has no counters and the VM's work is bounded by program length × input length.
 *
 * Two details make the result JavaScript's, not just the same language:
 * - Each iteration of a repeat first clears the groups inside it (RESET), as JavaScript does:
 *   `/(?:(a)|b)+/.exec('ab')[1]` is undefined.
 * - JavaScript rejects an iteration that matched nothing once the minimum is reached, and
 *   then prefers a longer next iteration to leaving the loop. The VM cannot keep that order
 *   when iterations can be empty (they share states at one position), so a repeat of a part
 *   that can match nothing — `(a*)*`, `(.*?)+`, `(a*)?`, `(x|){0,3}` — is refused. Such
 *   patterns say nothing a plainer one does not.
 */
import { charTest, usesRegExp } from './regex-chars'
import { problem } from './messages'
import { UnsupportedRegex, type RegexNode, type RegexTree } from './regex-syntax'
import {
  ASSERT,
  ASSERT_END,
  ASSERT_NOT_WORD,
  ASSERT_START,
  ASSERT_WORD,
  CHAR,
  JMP,
  MATCH,
  programWork,
  RESET,
  SAVE,
  SPLIT,
  WORK_REGEXP,
  type RegexProgram,
} from './regex-vm'

export interface ProgramLimits {
  /** The largest n or m in `{n}`, `{n,}`, `{n,m}`. */
  maxCount: number
  /** The most instructions a program may have. */
  maxStates: number
}

/** Throws UnsupportedRegex for a count or a program over the limits. */
export function compileProgram(tree: RegexTree, limits: ProgramLimits): RegexProgram {
  checkCounts(tree.root, limits.maxCount)
  const states = size(tree.root) + 3
  if (states > limits.maxStates) {
    throw new UnsupportedRegex(problem('regex_too_many_states', { states, max: limits.maxStates }))
  }
  const op: number[] = []
  const x: number[] = []
  const y: number[] = []
  const atoms: string[] = []
  const atomIndex = new Map<string, number>()
  const emit = (code: number, a = 0, b = 0): number => {
    op.push(code)
    x.push(a)
    y.push(b)
    return op.length - 1
  }

  function node(n: RegexNode): void {
    switch (n.kind) {
      case 'char': {
        let index = atomIndex.get(n.source)
        if (index === undefined) {
          index = atoms.push(n.source) - 1
          atomIndex.set(n.source, index)
        }
        emit(CHAR, index)
        return
      }
      case 'assert':
        emit(ASSERT, ASSERTIONS[n.what])
        return
      case 'seq':
        for (const item of n.items) node(item)
        return
      case 'alt': {
        const exits: number[] = []
        n.options.forEach((option, i) => {
          const last = i === n.options.length - 1
          const split = last ? -1 : emit(SPLIT, op.length + 1)
          node(option)
          if (last) return
          exits.push(emit(JMP))
          y[split] = op.length
        })
        for (const exit of exits) x[exit] = op.length
        return
      }
      case 'group':
        if (n.capture === 0) {
          node(n.body)
          return
        }
        emit(SAVE, 2 * n.capture)
        node(n.body)
        emit(SAVE, 2 * n.capture + 1)
        return
      case 'repeat':
        repeat(n)
        return
    }
  }

  function repeat(n: Extract<RegexNode, { kind: 'repeat' }>): void {
    const groups = groupRange(n.body)
    const iteration = () => {
      if (groups) emit(RESET, 2 * groups[0], 2 * groups[1] + 2)
      node(n.body)
    }
    if (n.max === Infinity && nullable(n.body)) {
      // The VM drops the empty iteration as JavaScript does, but the next iteration then
      // shares its states with the current one, and JavaScript's preference between them is
      // lost: /(.*?){2,}(a)/ on "aaa" would match "aa" where JavaScript matches "aaa".
      throw new UnsupportedRegex(problem('regex_empty_loop'))
    }
    for (let i = 0; i < n.min; i++) iteration()
    if (n.max === Infinity) {
      const loop = emit(SPLIT)
      iteration()
      emit(JMP, loop)
      branch(loop, loop + 1, op.length, n.greedy)
      return
    }
    if (n.max > n.min && nullable(n.body)) {
      throw new UnsupportedRegex(problem('regex_empty_optional'))
    }
    // (x(x(x)?)?)?: skipping one optional copy skips the rest, so every SPLIT exits to the end.
    const splits: number[] = []
    for (let i = n.min; i < n.max; i++) {
      splits.push(emit(SPLIT))
      iteration()
    }
    for (const split of splits) branch(split, split + 1, op.length, n.greedy)
  }

  function branch(split: number, body: number, skip: number, greedy: boolean): void {
    x[split] = greedy ? body : skip
    y[split] = greedy ? skip : body
  }

  emit(SAVE, 0)
  node(tree.root)
  emit(SAVE, 1)
  emit(MATCH)
  const ops = Uint8Array.from(op)
  const atomWork = Uint8Array.from(atoms, (atom) => (usesRegExp(atom) ? WORK_REGEXP : 0))
  return {
    op: ops,
    x: Int32Array.from(x),
    y: Int32Array.from(y),
    atoms,
    tests: atoms.map(charTest),
    atomWork,
    workPerPosition: programWork(ops, atomWork),
    anchored: anchored(tree.root),
    groupCount: tree.groupCount,
    names: tree.names,
  }
}

function checkCounts(n: RegexNode, maxCount: number): void {
  if (n.kind === 'repeat') {
    const count = n.max === Infinity ? n.min : n.max
    if (count > maxCount) {
      const written = n.max === Infinity ? `{${n.min},}` : n.min === n.max ? `{${n.min}}` : `{${n.min},${n.max}}`
      // {0,500} meant "any number": say how to write that; {201,} and {201} cannot be helped.
      const hint = n.max !== Infinity && n.min <= maxCount
      throw new UnsupportedRegex(
        hint
          ? problem('regex_count_over_any', { written, max: maxCount, min: n.min })
          : problem('regex_count_over', { written, max: maxCount }),
      )
    }
  }
  if (n.kind === 'seq') for (const item of n.items) checkCounts(item, maxCount)
  if (n.kind === 'alt') for (const option of n.options) checkCounts(option, maxCount)
  if (n.kind === 'group' || n.kind === 'repeat') checkCounts(n.body, maxCount)
}

const ASSERTIONS = { start: ASSERT_START, end: ASSERT_END, word: ASSERT_WORD, notWord: ASSERT_NOT_WORD } as const

/** Instructions `node` emits for n (the float may exceed any limit; it only gets compared). */
function size(n: RegexNode): number {
  switch (n.kind) {
    case 'char':
    case 'assert':
      return 1
    case 'seq':
      return n.items.reduce((sum, item) => sum + size(item), 0)
    case 'alt':
      return n.options.reduce((sum, option) => sum + size(option) + 2, -2)
    case 'group':
      return size(n.body) + (n.capture === 0 ? 0 : 2)
    case 'repeat': {
      const once = size(n.body) + (groupRange(n.body) ? 1 : 0)
      if (n.max === Infinity) return n.min * once + once + 2
      return n.min * once + (n.max - n.min) * (once + 1)
    }
  }
}

/** Whether every match of n starts with `^` (before consuming anything). */
function anchored(n: RegexNode): boolean {
  switch (n.kind) {
    case 'assert':
      return n.what === 'start'
    case 'seq':
      return n.items.length > 0 && anchored(n.items[0]!)
    case 'alt':
      return n.options.every(anchored)
    case 'group':
      return anchored(n.body)
    case 'repeat':
      return n.min > 0 && anchored(n.body)
    case 'char':
      return false
  }
}

/** Whether n can match the empty string. */
function nullable(n: RegexNode): boolean {
  switch (n.kind) {
    case 'char':
      return false
    case 'assert':
      return true
    case 'seq':
      return n.items.every(nullable)
    case 'alt':
      return n.options.some(nullable)
    case 'group':
      return nullable(n.body)
    case 'repeat':
      return n.min === 0 || nullable(n.body)
  }
}

/** The first and last group number inside n (groups are numbered in order), or null. */
function groupRange(n: RegexNode): [number, number] | null {
  switch (n.kind) {
    case 'char':
    case 'assert':
      return null
    case 'seq':
    case 'alt': {
      const ranges = (n.kind === 'seq' ? n.items : n.options).map(groupRange).filter((r) => r !== null)
      return ranges.length === 0 ? null : [ranges[0]![0], ranges[ranges.length - 1]![1]]
    }
    case 'group': {
      const inner = groupRange(n.body)
      if (n.capture === 0) return inner
      return [n.capture, inner ? inner[1] : n.capture]
    }
    case 'repeat':
      return groupRange(n.body)
  }
}
