/**
 * The measurement behind search.ts's design, on the example shop's FAQ (knowledge/faq.csv):
 * each FAQ indexed by its question alone, and each of its variants (105 paraphrases written by
 * people) asked; hit@1 and hit@3 of three ways to find candidates, all scored the same in the
 * Worker (score.ts): (1) FTS5 `trigram` MATCH of the text's trigrams, (2) FTS5 over the bigram
 * and word terms of text.ts (what search.ts does), (3) every row scored in the Worker (no index).
 * Printed, and held: the index search.ts uses finds as much as scoring every row does.
 */
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import faqCsv from '../../knowledge/faq.csv?raw'
import { faqsFromCsv } from '../../src/console/knowledge-import'
import { faqScore, queryOf } from '../../src/knowledge/score'
import { addKnowledge } from '../../src/knowledge/store'
import { search } from '../../src/knowledge/search'
import { foldText } from '../../src/rules/normalize'
import { queryTerms } from '../../src/knowledge/text'

const APP = 'wxmeasure00000001'
const imported = faqsFromCsv(faqCsv)
if (!imported.ok) throw new Error('knowledge/faq.csv does not import')
const faqs = imported.faqs
const ids: string[] = []
const asked = faqs.flatMap((faq, index) => faq.variants.map((variant) => ({ text: variant, index })))

type Rank = (text: string) => Promise<number[]>

function hits(rank: number[], index: number) {
  return { at1: rank[0] === index, at3: rank.slice(0, 3).includes(index) }
}

async function measure(name: string, rank: Rank) {
  let at1 = 0
  let at3 = 0
  for (const { text, index } of asked) {
    const h = hits(await rank(text), index)
    if (h.at1) at1++
    if (h.at3) at3++
  }
  console.log(`${name}: hit@1 ${at1}/${asked.length} (${((100 * at1) / asked.length).toFixed(0)}%), hit@3 ${at3}/${asked.length}`)
  return { at1, at3 }
}

/** Scored by score.ts over the rows a candidate step found. */
function ranked(text: string, rows: { index: number; question: string }[]): number[] {
  const query = queryOf(text, queryTerms(text))
  return rows
    .map((row) => ({ index: row.index, score: faqScore(query, row.question) }))
    .filter((row) => row.score > 0)
    .sort((a, b) => b.score - a.score)
    .map((row) => row.index)
}

beforeAll(async () => {
  await env.DB.prepare("CREATE VIRTUAL TABLE measure_trigram USING fts5(question, tokenize = 'trigram')").run()
  for (const [index, faq] of faqs.entries()) {
    ids.push((await addKnowledge(env.DB, APP, { kind: 'faq', question: faq.question, variants: [], answer: faq.answer })).id)
    await env.DB.prepare('INSERT INTO measure_trigram (rowid, question) VALUES (?, ?)')
      .bind(index + 1, foldText(faq.question))
      .run()
  }
})

describe('candidates for paraphrases', () => {
  it('bigram terms in FTS5 find what scoring every row finds, and trigrams find less', async () => {
    const everyRow = await measure('every row scored in the Worker', async (text) =>
      ranked(
        text,
        faqs.map((faq, index) => ({ index, question: faq.question })),
      ),
    )
    const trigram = await measure('FTS5 trigram candidates', async (text) => {
      const chars = Array.from(foldText(text).replace(/[^\p{L}\p{N}]+/gu, ''))
      const grams = [...new Set(chars.slice(0, -2).map((_, i) => chars.slice(i, i + 3).join('')))]
      if (grams.length === 0) return []
      const { results } = await env.DB.prepare('SELECT rowid FROM measure_trigram WHERE measure_trigram MATCH ? ORDER BY rank LIMIT 200')
        .bind(grams.map((g) => `"${g}"`).join(' OR '))
        .all<{ rowid: number }>()
      return ranked(
        text,
        results.map((r) => ({ index: r.rowid - 1, question: faqs[r.rowid - 1]!.question })),
      )
    })
    const bigram = await measure('FTS5 bigram terms (search.ts)', async (text) =>
      (await search(env.DB, APP, text, 20)).map((hit) => ids.indexOf(hit.id)),
    )
    // Equal scores fall in bm25's order through the index, in file order without it.
    expect(bigram.at1).toBeGreaterThanOrEqual(everyRow.at1)
    expect(bigram.at3).toBeGreaterThanOrEqual(everyRow.at3)
    expect(trigram.at1).toBeLessThan(bigram.at1)
  })
})
