/**
 * What `npm run kb:eval` measures, apart from running it: the labelled questions
 * (knowledge/eval.jsonl) and, from what the knowledge base found for each, the figures —
 * retrieval hit@1 and hit@3, how often a direct FAQ answer (the best FAQ entry's score at or
 * over the threshold) was the right entry, and how often a question the FAQ cannot answer was
 * left unanswered (for the model, the default reply or a person) — per kind and overall, and
 * the same across thresholds. Pure: scripts/kb-eval.ts does the asking.
 */

export const KINDS = ['paraphrase', 'typo', 'traditional', 'english', 'off-topic', 'hostile'] as const
export type QuestionKind = (typeof KINDS)[number]

export interface LabelledQuestion {
  q: string
  /** The FAQ entry that answers it (its question, or its id), or null when none does. */
  expect: string | null
  kind: QuestionKind
}

/** The thresholds the sweep tries: 0.40, 0.45 … 0.90. */
export const SWEEP = Array.from({ length: 11 }, (_, i) => Math.round((0.4 + i * 0.05) * 100) / 100)
/** The FAQ threshold when the rule set names none (`ai.faq_threshold`'s default). */
export const DEFAULT_THRESHOLD = 0.6

/** The questions of an eval.jsonl file; throws naming the line of anything malformed. */
export function parseQuestions(text: string): LabelledQuestion[] {
  const out: LabelledQuestion[] = []
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return
    const where = `line ${index + 1}`
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch {
      throw new Error(`${where}: not JSON`)
    }
    if (typeof value !== 'object' || value === null) throw new Error(`${where}: not an object`)
    const { q, expect, kind } = value as Record<string, unknown>
    if (typeof q !== 'string' || q.trim() === '') throw new Error(`${where}: "q" must be a non-empty string`)
    if (expect !== null && typeof expect !== 'string') throw new Error(`${where}: "expect" must be a string or null`)
    if (!KINDS.includes(kind as QuestionKind)) throw new Error(`${where}: "kind" must be one of ${KINDS.join(', ')}`)
    out.push({ q, expect, kind: kind as QuestionKind })
  })
  return out
}

/** The first `limit` questions of each kind, in file order: a slice that still has every kind. */
export function sliceQuestions(questions: readonly LabelledQuestion[], limit: number): LabelledQuestion[] {
  const taken = new Map<QuestionKind, number>()
  return questions.filter((question) => {
    const n = taken.get(question.kind) ?? 0
    taken.set(question.kind, n + 1)
    return n < limit
  })
}

export interface Found {
  id: string
  score: number
  kind: 'faq' | 'doc'
}

/** One question asked: what it expects (an entry's id, or null) and what the knowledge base found, best first. */
export interface Outcome {
  question: LabelledQuestion
  expectId: string | null
  found: Found[]
  /** What `POST /admin/api/knowledge/ask` answered with the service's rule set, for the record. */
  source: string
  handoff: boolean
}

export interface Figures {
  questions: number
  answerable: number
  /** Share of answerable questions whose expected entry came first / within the first three. */
  hit1: number | null
  hit3: number | null
  /** Questions given a direct FAQ answer at the threshold, and the share of those that were the expected entry. */
  answered: number
  right: number | null
  /** Share of answerable questions given the right FAQ answer directly. */
  coverage: number | null
  unanswerable: number
  /** Share of unanswerable questions given no direct FAQ answer. */
  declined: number | null
}

/** The best FAQ entry found, when its score clears `threshold`: the answer the FAQ step would send. */
export function directAnswer(found: readonly Found[], threshold: number): Found | null {
  const best = [...found].filter((entry) => entry.kind === 'faq').sort((a, b) => b.score - a.score)[0]
  return best !== undefined && best.score >= threshold ? best : null
}

export function figures(outcomes: readonly Outcome[], threshold: number): Figures {
  const share = (n: number, of: number) => (of === 0 ? null : n / of)
  const answerable = outcomes.filter((o) => o.expectId !== null)
  const unanswerable = outcomes.filter((o) => o.expectId === null)
  const ranked = (o: Outcome) => [...o.found].sort((a, b) => b.score - a.score)
  const hitAt = (k: number) =>
    answerable.filter((o) =>
      ranked(o)
        .slice(0, k)
        .some((f) => f.id === o.expectId),
    ).length
  const direct = outcomes.map((o) => ({ o, answer: directAnswer(o.found, threshold) }))
  const answered = direct.filter((d) => d.answer !== null)
  const right = answered.filter((d) => d.answer?.id === d.o.expectId).length
  return {
    questions: outcomes.length,
    answerable: answerable.length,
    hit1: share(hitAt(1), answerable.length),
    hit3: share(hitAt(3), answerable.length),
    answered: answered.length,
    right: share(right, answered.length),
    coverage: share(right, answerable.length),
    unanswerable: unanswerable.length,
    declined: share(unanswerable.filter((o) => directAnswer(o.found, threshold) === null).length, unanswerable.length),
  }
}

export interface Report {
  threshold: number
  overall: Figures
  byKind: Record<string, Figures>
  sweep: { threshold: number; figures: Figures }[]
  /** How many questions `/ask` answered from each source (rule, faq, ai, none) with the service's rule set, and handed off. */
  sources: Record<string, number>
  handoffs: number
  /** Answerable questions whose expected entry was not first, and unanswerable ones answered directly. */
  misses: { q: string; kind: QuestionKind; expected: string | null; got: string | null; score: number | null }[]
}

export function report(outcomes: readonly Outcome[], threshold: number, labelOf: (id: string) => string): Report {
  const byKind: Record<string, Figures> = {}
  for (const kind of KINDS) {
    const of = outcomes.filter((o) => o.question.kind === kind)
    if (of.length > 0) byKind[kind] = figures(of, threshold)
  }
  const sources: Record<string, number> = {}
  for (const o of outcomes) sources[o.source] = (sources[o.source] ?? 0) + 1
  const misses: Report['misses'] = []
  for (const o of outcomes) {
    const top = [...o.found].sort((a, b) => b.score - a.score)[0]
    const direct = directAnswer(o.found, threshold)
    const miss = o.expectId === null ? direct !== null : top?.id !== o.expectId
    const shown = o.expectId === null ? direct : (top ?? null)
    if (miss)
      misses.push({
        q: o.question.q,
        kind: o.question.kind,
        expected: o.expectId === null ? null : labelOf(o.expectId),
        got: shown === null ? null : labelOf(shown.id),
        score: shown?.score ?? null,
      })
  }
  return {
    threshold,
    overall: figures(outcomes, threshold),
    byKind,
    sweep: SWEEP.map((t) => ({ threshold: t, figures: figures(outcomes, t) })),
    sources,
    handoffs: outcomes.filter((o) => o.handoff).length,
    misses,
  }
}

const percent = (value: number | null) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`)

/** The report as the terminal shows it: two tables and the Worker's own verdicts. */
export function formatReport(r: Report): string {
  const lines: string[] = []
  const row = (cells: string[], widths: number[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 10)).join('  ')
  const widths = [12, 5, 7, 7, 9, 10, 9, 11]
  lines.push(`Retrieval and the direct FAQ answer at threshold ${r.threshold.toFixed(2)}:`)
  lines.push(row(['kind', 'n', 'hit@1', 'hit@3', 'answered', 'right', 'coverage', 'unanswered'], widths))
  const figureRow = (name: string, f: Figures) =>
    row(
      [
        name,
        String(f.questions),
        percent(f.hit1),
        percent(f.hit3),
        String(f.answered),
        percent(f.right),
        percent(f.coverage),
        f.unanswerable === 0 ? '—' : `${percent(f.declined)} of ${f.unanswerable}`,
      ],
      widths,
    )
  for (const [kind, f] of Object.entries(r.byKind)) lines.push(figureRow(kind, f))
  lines.push(figureRow('overall', r.overall))
  lines.push('')
  lines.push('Threshold sweep (overall):')
  const sweepWidths = [9, 9, 7, 9, 11]
  lines.push(row(['threshold', 'answered', 'right', 'coverage', 'unanswered'], sweepWidths))
  for (const { threshold, figures: f } of r.sweep)
    lines.push(row([threshold.toFixed(2), String(f.answered), percent(f.right), percent(f.coverage), percent(f.declined)], sweepWidths))
  lines.push('')
  lines.push(
    `The service's /ask with its rule set: ${Object.entries(r.sources)
      .map(([source, n]) => `${source} ${n}`)
      .join(', ')}; handed off ${r.handoffs}.`,
  )
  lines.push('')
  lines.push(
    'hit@k: the expected entry among the first k found (answerable questions). answered: given a direct FAQ answer ' +
      '(best FAQ score ≥ threshold); right: of those, the expected entry; coverage: answerable questions answered right; ' +
      'unanswered: questions with no FAQ answer (expect null) left for the model, the default reply or a person.',
  )
  return lines.join('\n')
}

export function formatMisses(r: Report): string {
  return r.misses
    .map(
      (m) =>
        `  [${m.kind}] ${m.q}\n      expected ${m.expected ?? '(none)'}; got ${m.got ?? '(none)'}${m.score === null ? '' : ` at ${m.score}`}`,
    )
    .join('\n')
}
