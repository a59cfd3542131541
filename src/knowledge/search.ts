/**
 * `search`: the entries of a mini program's knowledge base that best answer a text, best first,
 * each with a score in [0, 1] (score.ts). Two steps: D1 finds candidates — the passages sharing
 * a term with the text, through the FTS5 index of bigram and word terms (text.ts), the best
 * CANDIDATES by bm25 — and the Worker scores each candidate row and keeps each entry's best.
 * One query, whatever the size of the knowledge base; a text without letters or numbers asks
 * nothing.
 */
import { PROMPT_LIMITS } from '../ai/prompt'
import { all, statement } from '../record/sql'
import { faqScore, passageScores, queryOf } from './score'
import type { FaqAnswer } from './store'
import { queryTerms } from './text'

/** Passages D1 hands the Worker to score, at most. */
export const CANDIDATES = 200
/** Entries a search returns at most. */
export const MAX_RESULTS = 20

export interface KnowledgeHit {
  id: string
  kind: 'faq' | 'doc'
  /** 0–1; 1 only for an FAQ whose question or a variant is the text. */
  score: number
  /** An FAQ's question. */
  question?: string
  /** An FAQ's answer, as stored (a string is a text reply). */
  answer?: FaqAnswer
  /** A document's title. */
  title?: string
  /** A document's best passage for the text. */
  passage?: string
  /**
   * A document's passages that share a term with the text (at most PASSAGES_PER_DOC): what the
   * model reads. `score` is the passage's as the entry's (compared with `passage_threshold`),
   * `rank` its heading-aware score (score.ts passageScores), which orders them, best first.
   */
  passages?: { text: string; score: number; rank: number }[]
}

/** A document's passages a hit carries, at most. */
export const PASSAGES_PER_DOC = 4

/** Entries a text is looked up with to be answered: as many as the model's prompt takes passages. */
export const ANSWER_ENTRIES = PROMPT_LIMITS.passages

/** The lookup for an answer — the push route's and "try a question"'s alike (knowledge/ask.ts), so both find the same. */
export function searchToAnswer(db: D1Database, appid: string, text: string): Promise<KnowledgeHit[]> {
  return search(db, appid, text.trim(), ANSWER_ENTRIES)
}

interface Row {
  entry_id: string
  text: string
  kind: 'faq' | 'doc'
  question: string | null
  answer: string | null
  title: string | null
}

export async function search(db: D1Database, appid: string, text: string, limit = 5): Promise<KnowledgeHit[]> {
  const found = queryTerms(text)
  if (found.length === 0) return []
  const rows = await all<Row>(
    db,
    statement(
      `SELECT p.entry_id, p.text, k.kind, k.question, k.answer, k.title
       FROM knowledge_terms JOIN knowledge_passages p ON p.id = knowledge_terms.rowid JOIN knowledge k ON k.appid = p.appid AND k.id = p.entry_id
       WHERE knowledge_terms MATCH ? AND p.appid = ? ORDER BY knowledge_terms.rank LIMIT ?`,
      // The index's appid filter folds case (unicode61): the passage's own appid is compared exactly.
      [matchExpression(appid, found), appid, CANDIDATES],
    ),
  )
  const query = queryOf(text, found)
  const best = new Map<string, KnowledgeHit>()
  const docPassages = new Map<string, { text: string; score: number; rank: number }[]>()
  for (const row of rows) {
    // An FAQ row has no passages to order: its rank is not used.
    const { score, rank } = row.kind === 'faq' ? { score: faqScore(query, row.text), rank: 0 } : passageScores(query, row.text)
    if (score <= 0) continue
    if (row.kind === 'doc') {
      const passage = { text: row.text, score, rank }
      docPassages.set(row.entry_id, [...(docPassages.get(row.entry_id) ?? []), passage])
    }
    const held = best.get(row.entry_id)
    if (held !== undefined && held.score >= score) continue
    best.set(row.entry_id, hitOf(row, score))
  }
  for (const [id, found] of docPassages) {
    const hit = best.get(id)
    if (hit) hit.passages = found.sort((a, b) => b.rank - a.rank).slice(0, PASSAGES_PER_DOC)
  }
  // Sorted by score; equal scores keep D1's bm25 order (Map keeps insertion order, sort is stable).
  return [...best.values()].sort((a, b) => b.score - a.score).slice(0, Math.max(0, Math.min(limit, MAX_RESULTS)))
}

/**
 * `appid : "wx…" AND terms : ("t1" OR "t2" …)`. Terms are letters and numbers only (text.ts),
 * quoted anyway; a lone character is a prefix query, so "退" finds "退货".
 */
export function matchExpression(appid: string, found: readonly string[]): string {
  const quote = (value: string) => `"${value.replaceAll('"', '""')}"`
  const alternatives = found.map((term) => (Array.from(term).length === 1 ? `${quote(term)}*` : quote(term)))
  return `appid : ${quote(appid)} AND terms : (${alternatives.join(' OR ')})`
}

function hitOf(row: Row, score: number): KnowledgeHit {
  if (row.kind === 'faq') {
    return { id: row.entry_id, kind: 'faq', score, question: row.question ?? '', answer: JSON.parse(row.answer ?? '""') as FaqAnswer }
  }
  return { id: row.entry_id, kind: 'doc', score, title: row.title ?? '', passage: row.text }
}
