/**
 * An Aho-Corasick automaton over UTF-16 code units that answers one question: the lowest
 * rule index among all keywords occurring in a text. Each state stores that minimum for
 * every keyword ending there or at any of its suffixes, so a scan is O(text length) no
 * matter how many keywords there are or how many occur.
 *
 * The goto function is a double array over a compressed alphabet, so every step costs the
 * same few array reads however many keywords there are: a code unit becomes its class (its
 * rank in the keywords' alphabet, most frequent first; 0 for a code unit in no keyword), and
 * from state s class k leads to t = base[s] + k exactly when check[t] === s. States are
 * positions in those arrays; a few positions are holes (check -1) that are no state.
 * (Until compiled format 5 the edges of a state were searched, by binary search over sorted
 * code units: ~100 ns a character at 10,000 rules, where with 500 CJK keyword starts nearly
 * every character searched the root's edges. Now it is ~7 ns, and ~3 ns with few keywords.)
 *
 * The tables are flat typed arrays so that a compiled rule set can carry them as bytes and a
 * cold Worker can use them without building anything; the class lookup is derived on first
 * use from the alphabet. Code units rather than code points: a substring of a UTF-16 string
 * is a substring of its code units, surrogate pairs included.
 */

/** "No rule": larger than any rule index. */
export const NONE = 0x7fffffff

export interface Automaton {
  /** Class k (1 ≤ k ≤ length) is the code unit alphabet[k - 1]. */
  alphabet: Uint16Array
  /**
   * From state s, class k leads to base[s] + k if check[base[s] + k] === s. Every base[s] + k
   * (k ≤ alphabet.length) is inside the arrays, so a step needs no bounds check. State 0 is the root.
   */
  base: Int32Array
  /** The state each position is a child of; -1 for the root and for holes. */
  check: Int32Array
  /** Where to continue when no edge fits: the longest proper suffix that is a trie state. */
  fail: Int32Array
  /** The lowest rule index of a keyword ending here (or at a suffix); NONE if none. */
  out: Int32Array
  /** Code unit → class: made by buildAutomaton, or on first use from a decoded alphabet; never stored. */
  classes?: Uint16Array | Int32Array
}

export const EMPTY_AUTOMATON: Automaton = buildAutomaton([])

/** Whether any keyword was given: without one, a scan can be skipped. */
export function hasKeywords(a: Automaton): boolean {
  return a.alphabet.length > 0
}

/**
 * keywords: [folded keyword, rule index]; the lowest index wins for repeated keywords. Empty
 * keywords (which the validator refuses) are ignored.
 */
export function buildAutomaton(keywords: Iterable<readonly [string, number]>): Automaton {
  const trie = buildTrie(keywords)
  if (trie.count === 1) {
    const none = { base: new Int32Array(1), check: Int32Array.of(-1), fail: new Int32Array(1), out: Int32Array.of(NONE) }
    return { alphabet: new Uint16Array(0), ...none, classes: undefined }
  }
  const alphabet = alphabetOf(trie)
  const classes = classTable(alphabet)
  const placed = place(trie, classes, alphabet.length)
  const { fail, out } = links(trie, classes, placed)
  return { alphabet, base: placed.base, check: placed.check, fail, out, classes }
}

/** A trie of the keywords: node 0 is the root; each node's children in ascending code unit order. */
interface Trie {
  count: number
  code: Int32Array
  own: Int32Array
  firstChild: Int32Array
  nextSibling: Int32Array
  childCount: Int32Array
}

/** Sorted keywords share their prefixes with the one before: no per-node maps. */
function buildTrie(keywords: Iterable<readonly [string, number]>): Trie {
  const sorted = [...keywords].filter(([k]) => k !== '').sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]))
  const capacity = sorted.reduce((n, [k]) => n + k.length, 1)
  const code = new Int32Array(capacity)
  const own = new Int32Array(capacity).fill(NONE)
  const firstChild = new Int32Array(capacity).fill(-1)
  const nextSibling = new Int32Array(capacity).fill(-1)
  const childCount = new Int32Array(capacity)
  const lastChild = new Int32Array(capacity).fill(-1)
  // path[d]: the node for the first d code units of the previous keyword.
  const path: number[] = [0]
  let previous = ''
  let count = 1
  for (const [keyword, index] of sorted) {
    let shared = 0
    const limit = Math.min(keyword.length, previous.length)
    while (shared < limit && keyword.charCodeAt(shared) === previous.charCodeAt(shared)) shared++
    path.length = shared + 1
    for (let d = shared; d < keyword.length; d++) {
      const parent = path[d]!
      const node = count++
      code[node] = keyword.charCodeAt(d)
      if (lastChild[parent] === -1) firstChild[parent] = node
      else nextSibling[lastChild[parent]!] = node
      lastChild[parent] = node
      childCount[parent]!++
      path.push(node)
    }
    const end = path[keyword.length]!
    // Sorted by index within a keyword: the first seen is the lowest.
    if (own[end] === NONE) own[end] = index
    previous = keyword
  }
  return { count, code, own, firstChild, nextSibling, childCount }
}

/** Code units by how many trie edges use them: frequent ones get small classes, which packs tighter. */
function alphabetOf(trie: Trie): Uint16Array {
  const uses = new Map<number, number>()
  for (let n = 1; n < trie.count; n++) uses.set(trie.code[n]!, (uses.get(trie.code[n]!) ?? 0) + 1)
  const units = [...uses.keys()].sort((a, b) => uses.get(b)! - uses.get(a)! || a - b)
  return Uint16Array.from(units)
}

interface Placed {
  base: Int32Array
  check: Int32Array
  /** Trie node → state (its position). */
  position: Int32Array
}

/**
 * Chooses each node's base, widest nodes first, first fit: the lowest base whose positions for
 * all the node's children are free. Free positions are found through `free` (a union-find
 * whose root from i is the first free position ≥ i). Nodes with several children look only at
 * positions that have not already failed as a start too often (`wide`), so a dense stretch is
 * not searched again and again: the single-child nodes, most of a trie, fill its holes.
 */
function place(trie: Trie, classOf: Uint16Array | Int32Array, classes: number): Placed {
  const { count, firstChild, nextSibling, childCount } = trie
  let capacity = 1024
  while (capacity < 2 * (count + classes) + 2) capacity *= 2
  let free = new Int32Array(capacity)
  let wide = new Int32Array(capacity)
  let fails = new Uint8Array(capacity)
  for (let i = 0; i < capacity; i++) free[i] = wide[i] = i
  free[0] = wide[0] = 1 // the root's position
  const reserve = (n: number) => {
    if (n < capacity) return
    let grown = capacity
    while (grown <= n) grown *= 2
    const f = new Int32Array(grown)
    const w = new Int32Array(grown)
    const x = new Uint8Array(grown)
    f.set(free)
    w.set(wide)
    x.set(fails)
    for (let i = capacity; i < grown; i++) f[i] = w[i] = i
    free = f
    wide = w
    fails = x
    capacity = grown
  }
  const find = (links: Int32Array, i: number): number => {
    while (links[i] !== i) {
      const next = links[i]!
      links[i] = links[next]! // path halving
      i = next
    }
    return i
  }

  const nodes: number[] = []
  for (let n = 0; n < count; n++) if (childCount[n]! > 0) nodes.push(n)
  nodes.sort((a, b) => childCount[b]! - childCount[a]! || a - b)
  const position = new Int32Array(count)
  const baseOf = new Int32Array(count)
  const kids = new Int32Array(classes)
  let size = 1
  let maxBase = 0
  for (const node of nodes) {
    let m = 0
    for (let c = firstChild[node]!; c !== -1; c = nextSibling[c]!) kids[m++] = classOf[trie.code[c]!]!
    const ks = kids.subarray(0, m).sort()
    const first = ks[0]!
    reserve(size + 2 * classes + 1)
    let q = find(m === 1 ? free : wide, first)
    for (;;) {
      reserve(q + classes + 1)
      const b = q - first
      let k = 1
      while (k < m && free[b + ks[k]!] === b + ks[k]!) k++
      if (k === m) break
      if (++fails[q]! >= 8 && wide[q] === q) wide[q] = q + 1
      q = find(wide, q + 1)
    }
    const b = q - first
    baseOf[node] = b
    if (b > maxBase) maxBase = b
    for (let k = 0; k < m; k++) {
      const t = b + ks[k]!
      free[t] = wide[t] = t + 1
      if (t >= size) size = t + 1
    }
    for (let c = firstChild[node]!; c !== -1; c = nextSibling[c]!) position[c] = b + classOf[trie.code[c]!]!
  }
  // Room for base[s] + k for every state and class, holes (base 0) included.
  const length = Math.max(size, maxBase + classes + 1)
  const base = new Int32Array(length)
  const check = new Int32Array(length).fill(-1)
  for (let n = 0; n < count; n++) {
    base[position[n]!] = baseOf[n]!
    for (let c = firstChild[n]!; c !== -1; c = nextSibling[c]!) check[position[c]!] = position[n]!
  }
  return { base, check, position }
}

/** Failure links and outputs, breadth first (a state's fail target is shallower, so final first). */
function links(trie: Trie, classOf: Uint16Array | Int32Array, placed: Placed): { fail: Int32Array; out: Int32Array } {
  const { count, code, own, firstChild, nextSibling } = trie
  const { base, check, position } = placed
  const fail = new Int32Array(base.length)
  const out = new Int32Array(base.length).fill(NONE)
  const queue = new Int32Array(count)
  let head = 0
  let tail = 1
  while (head < tail) {
    const node = queue[head++]!
    const state = position[node]!
    for (let c = firstChild[node]!; c !== -1; c = nextSibling[c]!) {
      const child = position[c]!
      const k = classOf[code[c]!]!
      let target = 0
      if (node !== 0) {
        for (let f = fail[state]!; ; f = fail[f]!) {
          const t = base[f]! + k
          if (check[t] === f) {
            target = t
            break
          }
          if (f === 0) break
        }
      }
      fail[child] = target
      out[child] = Math.min(own[c]!, out[target]!)
      queue[tail++] = c
    }
  }
  return { fail, out }
}

/** The lowest rule index of any keyword in `text`, or NONE. Stops early at index 0. */
export function lowestMatch(a: Automaton, text: string): number {
  a.classes ??= classTable(a.alphabet)
  const classes = a.classes
  const { base, check, fail, out } = a
  const rootBase = base[0]!
  let state = 0
  let best = NONE
  for (let i = 0; i < text.length; i++) {
    const k = classes[text.charCodeAt(i)]!
    // A code unit in no keyword: no keyword spans it, start again at the root.
    if (k === 0) {
      state = 0
      continue
    }
    for (;;) {
      if (state === 0) {
        const t = rootBase + k
        if (check[t] === 0) state = t
        break
      }
      const t = base[state]! + k
      if (check[t] === state) {
        state = t
        break
      }
      state = fail[state]!
    }
    const found = out[state]!
    if (found < best) {
      best = found
      if (best === 0) return 0
    }
  }
  return best
}

/**
 * Code unit → class, one read per character. 128 KiB per automaton, made when it first scans
 * (a layer not in force never pays for it); 16 bits are enough unless every code unit is in
 * some keyword.
 */
function classTable(alphabet: Uint16Array): Uint16Array | Int32Array {
  const classes = alphabet.length < 0xffff ? new Uint16Array(0x10000) : new Int32Array(0x10000)
  for (let i = 0; i < alphabet.length; i++) classes[alphabet[i]!] = i + 1
  return classes
}
