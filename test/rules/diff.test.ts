/**
 * The line diff of rule-set versions: shortest edit scripts (against a dynamic-programming
 * LCS on random inputs), hunks that rebuild the new text from the old, and a bounded cost for
 * pairs built to be expensive.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CONTEXT, diffLines, editScript, MAX_DIFF_BYTES, ruleSetDiff, type DiffHunk } from '../../src/rules/diff'

function lcsLength(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0)
  for (let i = a.length - 1; i >= 0; i--) {
    let diagonal = 0
    for (let j = b.length - 1; j >= 0; j--) {
      const keep = row[j]!
      row[j] = a[i] === b[j] ? diagonal + 1 : Math.max(row[j]!, row[j + 1]!)
      diagonal = keep
    }
  }
  return row[0]!
}

/** Applies the hunks to `a`, checking every context and removed line against it. */
function apply(a: readonly string[], hunks: readonly DiffHunk[]): string[] {
  const out: string[] = []
  let at = 0
  for (const hunk of hunks) {
    expect(hunk.oldStart - 1).toBeGreaterThanOrEqual(at)
    while (at < hunk.oldStart - 1) out.push(a[at++]!)
    for (const line of hunk.lines) {
      if (line.op === 'added') out.push(line.text)
      else {
        expect(a[at]).toBe(line.text)
        if (line.op === 'same') out.push(line.text)
        at++
      }
    }
    expect(hunk.lines.filter((l) => l.op !== 'added')).toHaveLength(hunk.oldLines)
    expect(hunk.lines.filter((l) => l.op !== 'removed')).toHaveLength(hunk.newLines)
  }
  while (at < a.length) out.push(a[at++]!)
  return out
}

const lines = fc.array(fc.constantFrom('{', '}', '"a": 1,', '"b": 2,', 'x'), { maxLength: 40 })

describe('editScript and diffLines', () => {
  it('find a shortest script, and hunks that turn the old lines into the new', () => {
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const ops = editScript(a, b)
        expect(ops.filter((op) => op === 'same')).toHaveLength(lcsLength(a, b))
        expect(ops.filter((op) => op !== 'added')).toHaveLength(a.length)
        expect(ops.filter((op) => op !== 'removed')).toHaveLength(b.length)
        expect(apply(a, diffLines(a, b))).toEqual(b)
      }),
      { numRuns: 500 },
    )
  })

  it('shows each change with CONTEXT lines around it, and merges changes that are close', () => {
    const a = Array.from({ length: 30 }, (_, i) => `line ${i}`)
    const b = a.map((l, i) => (i === 5 || i === 11 || i === 25 ? `${l} changed` : l))
    const hunks = diffLines(a, b)
    // 5 and 11 are 5 lines apart (≤ 2 × CONTEXT): one hunk; 25 is its own.
    expect(hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual([
      [5 - CONTEXT + 1, 11 - 5 + 1 + 2 * CONTEXT, 5 - CONTEXT + 1, 11 - 5 + 1 + 2 * CONTEXT],
      [25 - CONTEXT + 1, 1 + 2 * CONTEXT, 25 - CONTEXT + 1, 1 + 2 * CONTEXT],
    ])
    expect(hunks[1]!.lines.map((l) => l.op)).toEqual(['same', 'same', 'same', 'removed', 'added', 'same', 'same', 'same'])
    expect(diffLines(a, a)).toEqual([])
    expect(diffLines([], ['x'])).toEqual([{ oldStart: 1, oldLines: 0, newStart: 1, newLines: 1, lines: [{ op: 'added', text: 'x' }] }])
  })

  it('stays within a few milliseconds on pairs built to be expensive, and is still correct', () => {
    const n = 20_000
    const distinct = [Array.from({ length: n }, (_, i) => `a${i}`), Array.from({ length: n }, (_, i) => `b${i}`)] as const
    // Many equal lines: long diagonals everywhere, and an edit every 40 lines.
    const braces = Array.from({ length: n }, (_, i) => (i % 3 ? '  }' : '  {'))
    const repeated = [braces, braces.map((l, i) => (i % 40 === 0 ? `${l},` : l))] as const
    for (const [a, b] of [distinct, repeated]) {
      const started = performance.now()
      const hunks = diffLines(a, b)
      const elapsed = performance.now() - started
      expect(apply(a, hunks)).toEqual(b)
      // The search stops at its budget (about 1 ms warm); the rest is linear in the lines.
      expect(elapsed).toBeLessThan(250)
    }
  })
})

describe('ruleSetDiff', () => {
  it('compares pretty-printed JSON, so formatting alone is no change', () => {
    const set = { rules: [{ id: 'hi', when: { text: ['hi'] }, reply: { type: 'text', text: 'hello' } }] }
    expect(ruleSetDiff(JSON.stringify(set), JSON.stringify(set, null, 4))).toEqual([])
    const changed = structuredClone(set)
    changed.rules[0]!.reply.text = 'hello!'
    const hunks = ruleSetDiff(JSON.stringify(set), JSON.stringify(changed))!
    expect(hunks.flatMap((h) => h.lines.filter((l) => l.op !== 'same'))).toEqual([
      { op: 'removed', text: '        "text": "hello"' },
      { op: 'added', text: '        "text": "hello!"' },
    ])
  })

  it('compares text that is not JSON line by line, a first version against nothing, and skips sources too large', () => {
    expect(ruleSetDiff('a\nb', 'a\r\nc')!.flatMap((h) => h.lines)).toEqual([
      { op: 'same', text: 'a' },
      { op: 'removed', text: 'b' },
      { op: 'added', text: 'c' },
    ])
    expect(ruleSetDiff(null, '{"rules":[]}')).toEqual([
      { oldStart: 1, oldLines: 0, newStart: 1, newLines: 3, lines: ['{', '  "rules": []', '}'].map((text) => ({ op: 'added', text })) },
    ])
    expect(ruleSetDiff('{}', ' '.repeat(MAX_DIFF_BYTES + 1))).toBeNull()
  })
})
