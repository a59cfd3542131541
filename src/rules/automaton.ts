/**
 * An Aho-Corasick automaton over UTF-16 code units that answers one question: the lowest
 * rule index among all keywords occurring in a text. Each state stores that minimum for
 * every keyword ending there or at any of its suffixes, so a scan is O(text length) no
 * matter how many keywords there are or how many occur.
 *
 * The tables are flat Int32Arrays (edges in CSR form, sorted by code unit) so that a compiled
 * rule set can carry them as bytes and a cold Worker can use them without building anything.
 * Code units rather than code points: a substring of a UTF-16 string is a substring of its
 * code units, surrogate pairs included.
 */

/** "No rule": larger than any rule index. */
export const NONE = 0x7fffffff

export interface Automaton {
  /** For state s, its edges are edgeStart[s] .. edgeStart[s + 1] - 1. */
  edgeStart: Int32Array
  /** The code unit of each edge, ascending within a state. */
  edgeChar: Int32Array
  edgeNext: Int32Array
  /** Where to continue when no edge fits: the longest proper suffix that is a trie state. */
  fail: Int32Array
  /** The lowest rule index of a keyword ending here (or at a suffix); NONE if none. */
  out: Int32Array
  /** Derived on first use, never stored: a bit per code unit that starts some keyword. */
  firstUnits?: Uint8Array
}

export const EMPTY_AUTOMATON: Automaton = buildAutomaton([])

/** keywords: [folded keyword, rule index]; the lowest index wins for repeated keywords. */
export function buildAutomaton(keywords: Iterable<readonly [string, number]>): Automaton {
  const children: Map<number, number>[] = [new Map()]
  const own: number[] = [NONE]
  for (const [keyword, index] of keywords) {
    let state = 0
    for (let i = 0; i < keyword.length; i++) {
      const code = keyword.charCodeAt(i)
      let next = children[state]!.get(code)
      if (next === undefined) {
        next = children.length
        children.push(new Map())
        own.push(NONE)
        children[state]!.set(code, next)
      }
      state = next
    }
    if (index < own[state]!) own[state] = index
  }

  const count = children.length
  const fail = new Int32Array(count)
  const out = Int32Array.from(own)
  // Breadth first, so a state's fail target (shallower) is final before the state is seen.
  const queue = new Int32Array(count)
  let head = 0
  let tail = 0
  for (const next of children[0]!.values()) queue[tail++] = next
  while (head < tail) {
    const state = queue[head++]!
    for (const [code, next] of children[state]!) {
      let f = fail[state]!
      let target = children[f]!.get(code)
      while (target === undefined && f !== 0) {
        f = fail[f]!
        target = children[f]!.get(code)
      }
      fail[next] = target ?? 0
      if (out[fail[next]!]! < out[next]!) out[next] = out[fail[next]!]!
      queue[tail++] = next
    }
  }

  const edgeStart = new Int32Array(count + 1)
  let edges = 0
  for (let s = 0; s < count; s++) {
    edgeStart[s] = edges
    edges += children[s]!.size
  }
  edgeStart[count] = edges
  const edgeChar = new Int32Array(edges)
  const edgeNext = new Int32Array(edges)
  for (let s = 0; s < count; s++) {
    const sorted = [...children[s]!].sort((a, b) => a[0] - b[0])
    let e = edgeStart[s]!
    for (const [code, next] of sorted) {
      edgeChar[e] = code
      edgeNext[e++] = next
    }
  }
  return { edgeStart, edgeChar, edgeNext, fail, out }
}

/** The state reached from `state` by `code`, or -1 (binary search over the sorted edges). */
function step(a: Automaton, state: number, code: number): number {
  let lo = a.edgeStart[state]!
  let hi = a.edgeStart[state + 1]! - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const c = a.edgeChar[mid]!
    if (c === code) return a.edgeNext[mid]!
    if (c < code) lo = mid + 1
    else hi = mid - 1
  }
  return -1
}

/** The lowest rule index of any keyword in `text`, or NONE. Stops early at index 0. */
export function lowestMatch(a: Automaton, text: string): number {
  const first = firstUnits(a)
  let state = 0
  let best = NONE
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    // Most of a message starts no keyword: at the root, one bit test instead of a search.
    if (state === 0 && (first[code >>> 3]! & (1 << (code & 7))) === 0) continue
    for (;;) {
      const next = step(a, state, code)
      if (next >= 0) {
        state = next
        break
      }
      if (state === 0) break
      state = a.fail[state]!
    }
    const found = a.out[state]!
    if (found < best) {
      best = found
      if (best === 0) return 0
    }
  }
  return best
}

function firstUnits(a: Automaton): Uint8Array {
  if (a.firstUnits) return a.firstUnits
  const bits = new Uint8Array(0x10000 / 8)
  for (let e = a.edgeStart[0]!; e < a.edgeStart[1]!; e++) {
    const code = a.edgeChar[e]!
    bits[code >>> 3]! |= 1 << (code & 7)
  }
  a.firstUnits = bits
  return bits
}
