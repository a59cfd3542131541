/**
 * What changed between two rule sets, as unified-diff hunks over their pretty-printed JSON
 * lines: the admin API's history entry and the console show it beside a version.
 *
 * Hand-written (Myers' O(ND) algorithm; 2.1 KB minified with the hunks, 1.1 KB gzipped)
 * rather than the `diff` package (its diffArrays alone: 3 KB, 1.3 KB gzipped): that one
 * allocates a path object per step, took 25–40 ms on a 10,000-line pair at 300 edits in
 * Node, and its time limit reads Date.now(), which does not advance while a Worker computes.
 * Here the cost has a fixed bound instead: the common head and tail are skipped in linear
 * time, and the search between them stops after WORK_BUDGET steps (about 1 ms warm),
 * showing that middle as removed and added whole — still a correct diff, only not the
 * shortest. Sources over MAX_DIFF_BYTES are not compared at all.
 */

export type DiffOp = 'same' | 'added' | 'removed'

export interface DiffLine {
  op: DiffOp
  text: string
}

/** A run of changes with up to CONTEXT unchanged lines around it; line numbers from 1. */
export interface DiffHunk {
  oldStart: number
  oldLines: number
  newStart: number
  newLines: number
  lines: DiffLine[]
}

/** Unchanged lines shown around each change, as `diff -u` does. */
export const CONTEXT = 3
/**
 * Beyond this a source is not compared: the linear part (parsing, pretty-printing, numbering
 * the lines) already costs about 10 ms at this size. The admin API publishes at most this.
 */
export const MAX_DIFF_BYTES = 256 * 1024
/** Steps of the edit search: diagonals visited plus lines compared. */
const WORK_BUDGET = 1_000_000
/** The most edits searched for; their trace (D² integers, 1 MB at 500) is kept to walk back. */
const MAX_EDITS = 500

/**
 * The hunks that turn `before` into `after` (both rule-set sources; `null` is no rule set),
 * or null when either is over MAX_DIFF_BYTES. Valid JSON is compared pretty-printed, so a
 * minified file and its formatted copy differ by nothing; other text line by line.
 */
export function ruleSetDiff(before: string | null, after: string | null): DiffHunk[] | null {
  if ((before?.length ?? 0) > MAX_DIFF_BYTES || (after?.length ?? 0) > MAX_DIFF_BYTES) return null
  return diffLines(displayLines(before), displayLines(after))
}

/** The lines a source is compared by: pretty-printed JSON, or its own lines. */
export function displayLines(source: string | null): string[] {
  if (source === null || source === '') return []
  try {
    return JSON.stringify(JSON.parse(source), null, 2).split('\n')
  } catch {
    return source.split(/\r?\n/)
  }
}

/** The hunks that turn line list `a` into `b`. */
export function diffLines(a: readonly string[], b: readonly string[]): DiffHunk[] {
  return hunks(a, b, editScript(a, b))
}

/**
 * One op per line of the walk from `a` to `b`: `same` consumes a line of both, `removed`
 * one of `a`, `added` one of `b`.
 */
export function editScript(a: readonly string[], b: readonly string[]): DiffOp[] {
  let head = 0
  while (head < a.length && head < b.length && a[head] === b[head]) head++
  let tail = 0
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++
  const ops: DiffOp[] = []
  const repeat = (op: DiffOp, count: number) => {
    for (let i = 0; i < count; i++) ops.push(op)
  }
  repeat('same', head)
  const middle = myers(ids(a, b, head, tail))
  if (middle) for (const op of middle) ops.push(op)
  else {
    repeat('removed', a.length - head - tail)
    repeat('added', b.length - head - tail)
  }
  repeat('same', tail)
  return ops
}

/** The middles of `a` and `b` as small integers: equal lines, equal numbers. */
function ids(a: readonly string[], b: readonly string[], head: number, tail: number): [Int32Array, Int32Array] {
  const numbers = new Map<string, number>()
  const encode = (lines: readonly string[]) => {
    const out = new Int32Array(lines.length - head - tail)
    for (let i = 0; i < out.length; i++) {
      const line = lines[head + i]!
      let id = numbers.get(line)
      if (id === undefined) {
        id = numbers.size
        numbers.set(line, id)
      }
      out[i] = id
    }
    return out
  }
  return [encode(a), encode(b)]
}

/** Myers' shortest edit script, or null when it needs more than the budget allows. */
function myers([a, b]: [Int32Array, Int32Array]): DiffOp[] | null {
  const n = a.length
  const m = b.length
  const maxD = Math.min(n + m, MAX_EDITS)
  const offset = maxD + 1
  // v[offset + k]: the furthest x reached on diagonal k (y = x - k) with d edits.
  const v = new Int32Array(2 * offset + 1)
  const trace: Int32Array[] = []
  let work = 0
  for (let d = 0; d <= maxD; d++) {
    trace.push(v.slice(offset - d, offset + d + 1))
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1
      let y = x - k
      while (x < n && y < m && a[x] === b[y]) {
        x++
        y++
        work++
      }
      v[offset + k] = x
      if (x >= n && y >= m) return walkBack(trace, n, m, d)
      if (++work > WORK_BUDGET) return null
    }
  }
  return null
}

/** The ops of the path found with `d` edits, from the saved rows of v. */
function walkBack(trace: Int32Array[], n: number, m: number, d: number): DiffOp[] {
  const ops: DiffOp[] = []
  let x = n
  let y = m
  for (; d > 0; d--) {
    // trace[d]: v as round d found it (the furthest points with d - 1 edits), diagonals -d…d.
    const row = trace[d]!
    const at = (k: number) => row[k + d]!
    const k = x - y
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1))
    const prevK = down ? k + 1 : k - 1
    const prevX = at(prevK)
    const prevY = prevX - prevK
    while (x > prevX && y > prevY) {
      ops.push('same')
      x--
      y--
    }
    ops.push(down ? 'added' : 'removed')
    x = prevX
    y = prevY
  }
  while (x > 0 && y > 0) {
    ops.push('same')
    x--
    y--
  }
  return ops.reverse()
}

/**
 * Groups the ops into hunks: each change with up to CONTEXT unchanged lines either side,
 * and changes at most 2 × CONTEXT lines apart in one hunk, as `diff -u` does.
 */
function hunks(a: readonly string[], b: readonly string[], ops: readonly DiffOp[]): DiffHunk[] {
  const n = ops.length
  // Lines of a and b before op p.
  const oldAt = new Int32Array(n + 1)
  const newAt = new Int32Array(n + 1)
  for (let p = 0; p < n; p++) {
    oldAt[p + 1] = oldAt[p]! + (ops[p] === 'added' ? 0 : 1)
    newAt[p + 1] = newAt[p]! + (ops[p] === 'removed' ? 0 : 1)
  }
  const out: DiffHunk[] = []
  let p = 0
  while (p < n) {
    if (ops[p] === 'same') {
      p++
      continue
    }
    const start = Math.max(0, p - CONTEXT)
    let end = p
    for (let q = p; q < n; ) {
      if (ops[q] !== 'same') {
        end = ++q
        continue
      }
      let r = q
      while (r < n && ops[r] === 'same') r++
      if (r === n || r - q > 2 * CONTEXT) break
      q = r
    }
    const stop = Math.min(n, end + CONTEXT)
    const lines: DiffLine[] = []
    for (let q = start; q < stop; q++) {
      const op = ops[q]!
      lines.push({ op, text: op === 'added' ? b[newAt[q]!]! : a[oldAt[q]!]! })
    }
    out.push({
      oldStart: oldAt[start]! + 1,
      oldLines: oldAt[stop]! - oldAt[start]!,
      newStart: newAt[start]! + 1,
      newLines: newAt[stop]! - newAt[start]!,
      lines,
    })
    p = stop
  }
  return out
}
