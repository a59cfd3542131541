/**
 * How well a row of the knowledge base answers a text: a score in [0, 1]. 1 only when an FAQ's
 * question or variant is the text (letters and numbers, folded: text.ts `questionKey`);
 * otherwise the share of the text's terms the row holds (coverage) and, for an FAQ row, the
 * share of the row's terms the text holds (so "退货" is closer to "怎么退货" than to a long
 * question that mentions returns in passing), filler words counting a quarter. A document
 * passage is long, so only coverage counts, and it is scaled below what an FAQ can reach.
 */
import { questionKey, terms, weight } from './text'

/** The best a row that is not the exact question can score. */
export const NEAR_EXACT = 0.99
/** A passage's score is its coverage times this: documents feed the model, not the FAQ threshold. */
export const PASSAGE_SCALE = 0.9
/** How many times a query term in a passage's heading counts (passageScores' rank). */
export const HEADING_WEIGHT = 3

export interface Query {
  key: string
  terms: ReadonlySet<string>
  /** The sum of the query terms' weights. */
  weight: number
}

export function queryOf(text: string, queryTerms: readonly string[]): Query {
  const set = new Set(queryTerms)
  let total = 0
  for (const term of set) total += weight(term)
  return { key: questionKey(text), terms: set, weight: total }
}

/** An FAQ row (its question or a variant) against the query. */
export function faqScore(query: Query, row: string): number {
  if (query.key !== '' && questionKey(row) === query.key) return 1
  const { overlap, rowWeight, subject } = compare(query, row)
  if (!subject) return 0
  const coverage = overlap / query.weight
  const precision = overlap / rowWeight
  return round(NEAR_EXACT * (0.6 * coverage + 0.4 * precision))
}

/**
 * A document's passage against the query, both ways at once (one pass over its terms): `score`
 * is its coverage, scaled to PASSAGE_SCALE, and `rank` the same coverage with the query terms
 * its heading (the first line, passages.ts) holds counting HEADING_WEIGHT times, at most
 * PASSAGE_SCALE. A heading says what its section is about: of two sections sharing words with
 * "签收后多久还能退货", the one headed 七天无理由退货 goes to the model before the one headed
 * 质量问题退换货, which shares one word more in passing. `rank` orders the passages the model
 * gets (ai/plan.ts); `score` ranks the entry and is compared with `passage_threshold`.
 */
export function passageScores(query: Query, passage: string): { score: number; rank: number } {
  const { overlap, subject } = compare(query, passage)
  if (!subject) return { score: 0, rank: 0 }
  const newline = passage.indexOf('\n')
  const heading = newline < 0 ? 0 : compare(query, passage.slice(0, newline)).overlap
  return {
    score: round(PASSAGE_SCALE * (overlap / query.weight)),
    rank: round(PASSAGE_SCALE * Math.min(1, (overlap + (HEADING_WEIGHT - 1) * heading) / query.weight)),
  }
}

/** A passage's `score` alone (passageScores). */
export const passageScore = (query: Query, passage: string): number => passageScores(query, passage).score

/** A passage's heading-aware `rank` alone (passageScores). */
export const sectionScore = (query: Query, passage: string): number => passageScores(query, passage).rank

/**
 * The weight of the terms the query and the row share, the row's own weight, and whether they
 * share a term that is not filler: a row that shares only "怎么" with the text is not about it.
 */
function compare(query: Query, row: string): { overlap: number; rowWeight: number; subject: boolean } {
  const rowTerms = new Set(terms(row))
  let overlap = 0
  let rowWeight = 0
  let subject = false
  for (const term of rowTerms) {
    const w = weight(term)
    rowWeight += w
    if (!query.terms.has(term)) continue
    overlap += w
    if (w === 1) subject = true
  }
  // A lone character of the query (a one-character run, "退") is held by a row with a term
  // holding it: search.ts found such rows by prefix.
  for (const term of query.terms) {
    if (term.length > 2 || Array.from(term).length !== 1 || rowTerms.has(term)) continue
    if (![...rowTerms].some((held) => held.includes(term))) continue
    overlap += weight(term)
    if (weight(term) === 1) subject = true
  }
  return { overlap, rowWeight, subject }
}

/** Three decimals: scores are shown and compared with thresholds written by people. */
function round(score: number): number {
  return Math.round(score * 1000) / 1000
}
