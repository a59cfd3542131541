/**
 * An open-addressing hash table from folded text to rule index, in two flat arrays, so the
 * exact-text index of a compiled rule set is used straight from the bytes KV returned: a
 * cold Worker neither parses nor inserts 10,000 keys. Lookup is one FNV-1a hash of the text
 * and, at a load factor of at most 1/2, a probe or two.
 */

export interface TextTable {
  /** Three ints per slot: offset into `chars` (-1 when empty), length, rule index. */
  slots: Int32Array
  /** Every key's UTF-16 code units, concatenated. */
  chars: Uint16Array
  /** The longest key's length: a longer text (most messages) is not looked up at all. */
  longest: number
}

export function buildTextTable(entries: readonly (readonly [string, number])[]): TextTable {
  let size = 2
  while (size < entries.length * 2) size *= 2
  const slots = new Int32Array(size * 3).fill(-1)
  const chars = new Uint16Array(entries.reduce((n, [text]) => n + text.length, 0))
  let at = 0
  let longest = 0
  for (const [text, index] of entries) {
    if (text.length > longest) longest = text.length
    let slot = hash(text) & (size - 1)
    while (slots[slot * 3]! !== -1) slot = (slot + 1) & (size - 1)
    slots[slot * 3] = at
    slots[slot * 3 + 1] = text.length
    slots[slot * 3 + 2] = index
    for (let i = 0; i < text.length; i++) chars[at++] = text.charCodeAt(i)
  }
  return { slots, chars, longest }
}

export function lookupText(table: TextTable, text: string): number | undefined {
  const { slots, chars } = table
  if (text.length > table.longest) return undefined
  const mask = slots.length / 3 - 1
  for (let slot = hash(text) & mask; ; slot = (slot + 1) & mask) {
    const offset = slots[slot * 3]!
    if (offset === -1) return undefined
    if (slots[slot * 3 + 1] === text.length && same(chars, offset, text)) return slots[slot * 3 + 2]
  }
}

function same(chars: Uint16Array, offset: number, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (chars[offset + i] !== text.charCodeAt(i)) return false
  return true
}

/** FNV-1a over UTF-16 code units. */
function hash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return h >>> 0
}
