/**
 * What `npm run kb:eval` measures, apart from running it: the labelled questions
 * (knowledge/eval.jsonl) and, from what the knowledge base found for each, the figures —
 * retrieval hit@1 and hit@3, how often a direct FAQ answer (the best FAQ entry's score at or
 * over the threshold) was the right entry, and how often a question the FAQ cannot answer was
 * left unanswered (for the model, the default reply or a person) — per kind and overall, and
 * the same across thresholds. Then what the service's `/ask` said with the model in the loop
 * (`modelFigures`): for answerable questions, how often the final answer (FAQ, AI or a rule)
 * was right; for unanswerable ones, how often nothing was answered; how often the model was
 * asked, answered and refused, and why. Pure: scripts/kb-eval.ts does the asking.
 *
 * A line of eval.jsonl: `{"q": "…", "expect": "<FAQ question>" | null, "kind": "…"}`, and
 * optionally `"doc": "<document title>"` (the question is answered by that document's
 * passages: no FAQ entry says it, so `expect` is null), `"mustContain": "…" | ["…"]` (every
 * one must be in a right answer, whitespace ignored — required with `doc`), `"mustNotContain":
 * "…" | ["…"]` (an answer with any of them is wrong: an injected link, a made-up number).
 */

export const KINDS = ['paraphrase', 'typo', 'traditional', 'english', 'document', 'off-topic', 'hostile'] as const
export type QuestionKind = (typeof KINDS)[number]

export interface LabelledQuestion {
  q: string
  /** The FAQ entry that answers it (its question, or its id), or null when none does. */
  expect: string | null
  kind: QuestionKind
  /** The document (its title, or its id) whose passages answer it, when no FAQ entry does. */
  doc?: string
  /** What a right answer contains, every one (whitespace ignored). */
  mustContain?: string[]
  /** What makes any answer wrong (whitespace ignored). */
  mustNotContain?: string[]
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
    const { q, expect, kind, doc, mustContain, mustNotContain } = value as Record<string, unknown>
    if (typeof q !== 'string' || q.trim() === '') throw new Error(`${where}: "q" must be a non-empty string`)
    if (expect !== null && typeof expect !== 'string') throw new Error(`${where}: "expect" must be a string or null`)
    if (!KINDS.includes(kind as QuestionKind)) throw new Error(`${where}: "kind" must be one of ${KINDS.join(', ')}`)
    const question: LabelledQuestion = { q, expect, kind: kind as QuestionKind }
    if (doc !== undefined) {
      if (typeof doc !== 'string' || doc.trim() === '') throw new Error(`${where}: "doc" must be a non-empty string`)
      if (expect !== null) throw new Error(`${where}: "doc" is for questions no FAQ entry answers ("expect": null)`)
      if (mustContain === undefined) throw new Error(`${where}: "doc" needs "mustContain", what the answer must say`)
      question.doc = doc
    }
    const must = strings(mustContain, `${where}: "mustContain"`)
    if (must) question.mustContain = must
    const mustNot = strings(mustNotContain, `${where}: "mustNotContain"`)
    if (mustNot) question.mustNotContain = mustNot
    out.push(question)
  })
  return out
}

/** A label's string or non-empty list of strings, as a list; undefined when absent. */
function strings(value: unknown, where: string): string[] | undefined {
  if (value === undefined) return undefined
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s.trim() !== ''))
    throw new Error(`${where} must be a non-empty string or a non-empty list of them`)
  return list as string[]
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
  /** The expected document's entry id (`doc` questions). */
  docId?: string | null
  found: Found[]
  /** What `POST /admin/api/knowledge/ask` answered with the service's rule set. */
  source: string
  handoff: boolean
  /** The answer `/ask` says would be sent, as text (a non-text reply as its JSON); null when none. */
  answer?: string | null
  /** With source faq: the FAQ entry whose answer that is (null when it cannot be told). */
  answeredId?: string | null
  /** The model was asked: the entries of the passages it was given. */
  sources?: string[]
  /** The model was asked and its answer would not be sent: why. */
  refused?: string
}

export interface Figures {
  questions: number
  /** Questions with an expected FAQ entry. */
  answerable: number
  /** Questions with an expected entry, an FAQ or a document: what hit@k counts over. */
  targets: number
  /** Share of the targeted questions whose expected entry came first / within the first three. */
  hit1: number | null
  hit3: number | null
  /** Questions given a direct FAQ answer at the threshold, and the share of those that were the expected entry. */
  answered: number
  right: number | null
  /** Share of answerable questions given the right FAQ answer directly. */
  coverage: number | null
  /** Questions no FAQ entry answers (expect null; document questions among them). */
  unanswerable: number
  /** Share of those given no direct FAQ answer. */
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
  const targeted = outcomes.filter((o) => targetOf(o) !== null)
  const ranked = (o: Outcome) => [...o.found].sort((a, b) => b.score - a.score)
  const hitAt = (k: number) =>
    targeted.filter((o) =>
      ranked(o)
        .slice(0, k)
        .some((f) => f.id === targetOf(o)),
    ).length
  const direct = outcomes.map((o) => ({ o, answer: directAnswer(o.found, threshold) }))
  const answered = direct.filter((d) => d.answer !== null)
  const right = answered.filter((d) => d.answer?.id === d.o.expectId).length
  return {
    questions: outcomes.length,
    answerable: answerable.length,
    targets: targeted.length,
    hit1: share(hitAt(1), targeted.length),
    hit3: share(hitAt(3), targeted.length),
    answered: answered.length,
    right: share(right, answered.length),
    coverage: share(right, answerable.length),
    unanswerable: unanswerable.length,
    declined: share(unanswerable.filter((o) => directAnswer(o.found, threshold) === null).length, unanswerable.length),
  }
}

/** The entry retrieval should find first: the expected FAQ entry, else the expected document. */
export function targetOf(o: Outcome): string | null {
  return o.expectId ?? o.docId ?? null
}

/**
 * What the service's answer to one question comes to, with the model in the loop. Answerable
 * (an expected FAQ entry or document): `right` (the expected FAQ entry's answer, or an answer
 * with every `mustContain`; an AI answer without `mustContain` labels: the expected entry among
 * its passages), `wrong` (answered otherwise, or with a `mustNotContain`), `rule` (an operator's
 * rule answered, saying nothing the labels check), `fallback` (nothing answered: the default
 * reply or the hand-off). Unanswerable: `held` (nothing answered), `answered` (the FAQ or the
 * model answered: wrong), `rule`.
 */
export type Verdict = 'right' | 'wrong' | 'rule' | 'fallback' | 'held' | 'answered'

/** Text compared without whitespace (a label's "7 天" matches "7天"). */
const squeezed = (text: string) => text.replace(/\s+/g, '')

export function verdictOf(o: Outcome): Verdict {
  const answerable = targetOf(o) !== null
  const answered = o.source === 'faq' || o.source === 'ai' || o.source === 'rule'
  if (!answered) return answerable ? 'fallback' : 'held'
  const text = squeezed(o.answer ?? '')
  if (o.question.mustNotContain?.some((s) => text.includes(squeezed(s)))) return answerable ? 'wrong' : 'answered'
  if (!answerable) return o.source === 'rule' ? 'rule' : 'answered'
  const must = o.question.mustContain
  const hasAll = must?.every((s) => text.includes(squeezed(s))) === true
  if (hasAll) return 'right'
  if (o.source === 'faq') return o.answeredId != null && o.answeredId === o.expectId ? 'right' : 'wrong'
  if (o.source === 'ai') return must === undefined && (o.sources ?? []).includes(targetOf(o) ?? '') ? 'right' : 'wrong'
  return must === undefined ? 'rule' : 'wrong'
}

/** The model in the loop: what `/ask` answered, judged against the labels. */
export interface ModelFigures {
  questions: number
  /** Questions with an expected FAQ entry or document. */
  answerable: number
  /** Of those, right answers by who answered, and the share right. */
  rightFaq: number
  rightAi: number
  rightRule: number
  right: number | null
  /** Answered wrongly (any source), answered by an operator's rule the labels cannot judge, not answered. */
  wrong: number
  rule: number
  fallback: number
  unanswerable: number
  /** Of the unanswerable: nothing answered (source none, the model refused included), answered by the FAQ or the model (wrong), by a rule. */
  held: number
  answered: number
  byRule: number
  /** Share of unanswerable questions nothing answered. */
  heldShare: number | null
  /** The model was asked (it had passages), answered (source ai), refused (the fallback instead). */
  aiAsked: number
  aiAnswered: number
  aiRefused: number
  /** AI answers judged right only by their passages (no mustContain label to check the text against). */
  aiRightBySources: number
  /** Why the model's answers were refused, counted. */
  refusedReasons: Record<string, number>
}

export function modelFigures(outcomes: readonly Outcome[]): ModelFigures {
  const verdicts = outcomes.map((o) => ({ o, v: verdictOf(o) }))
  const count = (pick: (d: { o: Outcome; v: Verdict }) => boolean) => verdicts.filter(pick).length
  const answerable = count((d) => targetOf(d.o) !== null)
  const unanswerable = outcomes.length - answerable
  const rightFrom = (source: string) => count((d) => d.v === 'right' && d.o.source === source)
  const refusedReasons: Record<string, number> = {}
  for (const o of outcomes) if (o.refused !== undefined) refusedReasons[o.refused] = (refusedReasons[o.refused] ?? 0) + 1
  const right = count((d) => d.v === 'right')
  const held = count((d) => d.v === 'held')
  return {
    questions: outcomes.length,
    answerable,
    rightFaq: rightFrom('faq'),
    rightAi: rightFrom('ai'),
    rightRule: rightFrom('rule'),
    right: answerable === 0 ? null : right / answerable,
    wrong: count((d) => d.v === 'wrong'),
    rule: count((d) => d.v === 'rule' && targetOf(d.o) !== null),
    fallback: count((d) => d.v === 'fallback'),
    unanswerable,
    held,
    answered: count((d) => d.v === 'answered'),
    byRule: count((d) => d.v === 'rule' && targetOf(d.o) === null),
    heldShare: unanswerable === 0 ? null : held / unanswerable,
    aiAsked: outcomes.filter((o) => o.sources !== undefined).length,
    aiAnswered: outcomes.filter((o) => o.source === 'ai').length,
    aiRefused: outcomes.filter((o) => o.refused !== undefined).length,
    aiRightBySources: count((d) => d.v === 'right' && d.o.source === 'ai' && d.o.question.mustContain === undefined),
    refusedReasons,
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
  /** Questions whose expected entry was not first, and unanswerable ones answered directly. */
  misses: { q: string; kind: QuestionKind; expected: string | null; got: string | null; score: number | null }[]
  /** The model in the loop: `/ask`'s final answers judged (see verdictOf), per kind and overall. */
  model: { overall: ModelFigures; byKind: Record<string, ModelFigures> }
  /** Answerable questions not answered right, and unanswerable ones answered (by the FAQ or the model). */
  modelMisses: {
    q: string
    kind: QuestionKind
    verdict: Verdict
    source: string
    expected: string | null
    answer: string | null
    refused: string | null
    /** The best entry found and its score (with no AI asked: the passages scored under ai.passage_threshold, or none were found). */
    top: string | null
    score: number | null
  }[]
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
    const target = targetOf(o)
    // A document question is missed when the document is not first, or an FAQ answers it directly.
    const miss = target === null ? direct !== null : top?.id !== target || (o.expectId === null && direct !== null)
    const shown = target === null || (o.expectId === null && direct !== null) ? direct : (top ?? null)
    if (miss)
      misses.push({
        q: o.question.q,
        kind: o.question.kind,
        expected: target === null ? null : labelOf(target),
        got: shown === null ? null : labelOf(shown.id),
        score: shown?.score ?? null,
      })
  }
  const modelByKind: Record<string, ModelFigures> = {}
  for (const kind of KINDS) {
    const of = outcomes.filter((o) => o.question.kind === kind)
    if (of.length > 0) modelByKind[kind] = modelFigures(of)
  }
  const modelMisses: Report['modelMisses'] = []
  for (const o of outcomes) {
    const verdict = verdictOf(o)
    if (verdict === 'right' || verdict === 'held' || verdict === 'rule') continue
    const target = targetOf(o)
    const top = [...o.found].sort((a, b) => b.score - a.score)[0]
    modelMisses.push({
      top: top === undefined ? null : labelOf(top.id),
      score: top?.score ?? null,
      q: o.question.q,
      kind: o.question.kind,
      verdict,
      source: o.source,
      expected: target === null ? null : labelOf(target),
      answer: o.answer ?? null,
      refused: o.refused ?? null,
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
    model: { overall: modelFigures(outcomes), byKind: modelByKind },
    modelMisses,
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
    'hit@k: the expected entry (the FAQ entry, or the document of a document question) among the first k found. ' +
      'answered: given a direct FAQ answer (best FAQ score ≥ threshold); right: of those, the expected entry; coverage: ' +
      'questions with an expected FAQ entry answered right; unanswered: questions no FAQ entry answers (expect null, ' +
      'document questions among them) given no FAQ answer, left for the model, the default reply or a person.',
  )
  lines.push('')
  lines.push(formatModel(r.model))
  return lines.join('\n')
}

/** The model in the loop: `/ask`'s final answers, judged against the labels. */
export function formatModel(model: Report['model']): string {
  const lines: string[] = []
  const row = (cells: string[], widths: number[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 10)).join('  ')
  const ofN = (n: number, of: number) => (of === 0 ? '—' : `${n}/${of}`)
  lines.push('With the model in the loop (what /ask would send, judged against the labels):')
  const widths = [12, 4, 14, 11, 5, 4, 4, 13, 8, 7, 8, 7, 10]
  lines.push(
    row(
      [
        'kind',
        'n',
        'right',
        'FAQ/AI/rule',
        'wrong',
        'rule',
        'none',
        'held back',
        'answered',
        'by rule',
        'AI asked',
        'AI sent',
        'AI refused',
      ],
      widths,
    ),
  )
  const modelRow = (name: string, m: ModelFigures) =>
    row(
      [
        name,
        String(m.questions),
        m.answerable === 0 ? '—' : `${percent(m.right)} of ${m.answerable}`,
        m.answerable === 0 ? '—' : `${m.rightFaq}/${m.rightAi}/${m.rightRule}`,
        String(m.wrong),
        String(m.rule),
        String(m.fallback),
        m.unanswerable === 0 ? '—' : `${percent(m.heldShare)} of ${m.unanswerable}`,
        m.unanswerable === 0 ? '—' : String(m.answered),
        m.unanswerable === 0 ? '—' : String(m.byRule),
        String(m.aiAsked),
        String(m.aiAnswered),
        String(m.aiRefused),
      ],
      widths,
    )
  for (const [kind, m] of Object.entries(model.byKind)) lines.push(modelRow(kind, m))
  lines.push(modelRow('overall', model.overall))
  const o = model.overall
  const reasons = Object.entries(o.refusedReasons)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `${reason} ${n}`)
  lines.push('')
  lines.push(
    `The model was asked for ${ofN(o.aiAsked, o.questions)} questions: its answer would be sent for ${o.aiAnswered}, ` +
      `refused for ${o.aiRefused}${reasons.length === 0 ? '' : ` (${reasons.join(', ')})`}. ` +
      `${o.aiRightBySources} of the ${o.rightAi} right AI answers are judged only by their passages (no mustContain label).`,
  )
  lines.push('')
  lines.push(
    'Answerable (an expected FAQ entry or document): right = the expected FAQ entry’s answer, or an answer holding every ' +
      'mustContain (an AI answer without that label: the expected entry among its passages), counted by who answered ' +
      '(FAQ/AI/rule); wrong = answered otherwise or with a mustNotContain; rule = an operator’s rule answered, which the ' +
      'labels cannot judge; none = nothing answered (the default reply, the hand-off, or the model’s refusal). ' +
      'Unanswerable: held back = nothing answered (source none: no passages, or the model refused); answered = the FAQ ' +
      'or the model answered, a wrong answer; by rule = an operator’s rule answered. AI asked: the model had passages; ' +
      'AI sent: its checked answer would be sent; AI refused: the fallback would be, for the reason counted.',
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

/** The model-in-the-loop misses: what would be sent (its start), or why nothing would. */
export function formatModelMisses(r: Report): string {
  const clip = (text: string) => (text.length > 90 ? `${text.slice(0, 90)}…` : text)
  return r.modelMisses
    .map(
      (m) =>
        `  [${m.kind}] ${m.q}\n      ${m.verdict} (${m.source}${m.refused === null ? '' : `, refused: ${m.refused}`}); expected ${m.expected ?? '(nothing answered)'}; ` +
        `best found ${m.top === null ? '(none)' : `${m.top} at ${m.score}`}` +
        (m.answer === null ? '' : `\n      would send: ${clip(m.answer.replace(/\s+/g, ' '))}`),
    )
    .join('\n')
}
