/**
 * The store and search on local D1: entries in and out, passages replaced with their entry,
 * one mini program's entries never another's, and retrieval — the exact question scores 1, a
 * paraphrase finds its FAQ first, 2-character questions work, a document's passage is found.
 */
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import faqCsv from '../../knowledge/faq.csv?raw'
import policy from '../../knowledge/returns-policy.md?raw'
import { faqsFromCsv } from '../../src/console/knowledge-import'
import { search } from '../../src/knowledge/search'
import {
  addKnowledge,
  decodeKnowledgeCursor,
  deleteKnowledge,
  getKnowledge,
  listKnowledge,
  updateKnowledge,
} from '../../src/knowledge/store'

const db = env.DB
let n = 0
/** A mini program of its own per test: the knowledge base starts empty. */
const app = () => `wxsearch${String(++n).padStart(9, '0')}`

async function exampleShop(appid: string): Promise<Map<string, string>> {
  const imported = faqsFromCsv(faqCsv)
  if (!imported.ok) throw new Error('knowledge/faq.csv does not import')
  const ids = new Map<string, string>()
  for (const faq of imported.faqs) {
    const { id } = await addKnowledge(db, appid, { kind: 'faq', question: faq.question, variants: faq.variants, answer: faq.answer })
    ids.set(faq.question, id)
  }
  ids.set('policy', (await addKnowledge(db, appid, { kind: 'doc', title: '退换货政策', text: policy })).id)
  return ids
}

describe('the store', () => {
  it('adds, reads, lists newest first a page at a time, replaces and deletes', async () => {
    const appid = app()
    const faq = await addKnowledge(
      db,
      appid,
      { kind: 'faq', question: '怎么开发票', variants: ['发票怎么开'], answer: '在订单页申请' },
      1000,
    )
    const doc = await addKnowledge(db, appid, { kind: 'doc', title: '运费', text: '满 99 元包邮。\n\n偏远地区另计。' }, 2000)
    const third = await addKnowledge(
      db,
      appid,
      { kind: 'faq', question: '客服几点上班', variants: [], answer: { type: 'text', text: '9 点' } },
      2000,
    )
    expect(await getKnowledge(db, appid, faq.id)).toEqual({
      id: faq.id,
      kind: 'faq',
      question: '怎么开发票',
      variants: ['发票怎么开'],
      answer: '在订单页申请',
      createdAt: 1000,
      updatedAt: 1000,
    })
    expect(await getKnowledge(db, appid, doc.id)).toMatchObject({
      kind: 'doc',
      title: '运费',
      text: '满 99 元包邮。\n\n偏远地区另计。',
      passages: 1,
    })
    // Newest first; equal times by id, and the cursor goes on from there without repeats.
    const page1 = await listKnowledge(db, { appid, limit: 2 })
    const page2 = await listKnowledge(db, { appid, limit: 2, after: decode(page1.nextCursor) })
    const order = [...page1.items, ...page2.items].map((item) => item.id)
    expect(order).toEqual([...[doc.id, third.id].sort().reverse(), faq.id])
    expect(page2.nextCursor).toBeNull()
    expect(page1.items.find((item) => item.id === doc.id)).toMatchObject({ kind: 'doc', chars: 18, passages: 1 })
    expect(page1.items.find((item) => item.id === doc.id)).not.toHaveProperty('text')

    expect(
      await updateKnowledge(
        db,
        appid,
        faq.id,
        { kind: 'faq', question: '发票抬头写错了怎么办', variants: [], answer: '联系客服重开' },
        3000,
      ),
    ).toEqual({
      id: faq.id,
      passages: 1,
    })
    expect(await getKnowledge(db, appid, faq.id)).toMatchObject({ question: '发票抬头写错了怎么办', createdAt: 1000, updatedAt: 3000 })
    // The old phrasing is no longer one of its rows (it shares only 发票 with the new question); the new one is.
    expect((await search(db, appid, '发票怎么开')).find((hit) => hit.id === faq.id)?.score ?? 0).toBeLessThan(0.6)
    expect((await search(db, appid, '发票抬头写错了怎么办'))[0]).toMatchObject({ id: faq.id, score: 1 })

    expect(await deleteKnowledge(db, appid, faq.id)).toBe(true)
    expect(await deleteKnowledge(db, appid, faq.id)).toBe(false)
    expect(await getKnowledge(db, appid, faq.id)).toBeNull()
    expect(await search(db, appid, '发票抬头写错了怎么办')).toEqual([])
    // Nothing of it is left to search.
    const left = await db
      .prepare('SELECT count(*) AS n FROM knowledge_passages WHERE appid = ? AND entry_id = ?')
      .bind(appid, faq.id)
      .first<{ n: number }>()
    expect(left?.n).toBe(0)
    expect(await updateKnowledge(db, appid, faq.id, { kind: 'doc', title: 't', text: 'x' })).toBeNull()
    const orphans = await db.prepare('SELECT count(*) AS n FROM knowledge_passages WHERE entry_id = ?').bind(faq.id).first<{ n: number }>()
    expect(orphans?.n).toBe(0)
  })

  it("keeps each mini program's entries to itself", async () => {
    const mine = app()
    const theirs = app()
    const { id } = await addKnowledge(db, mine, { kind: 'faq', question: '会员积分怎么用', variants: [], answer: '抵现' })
    expect(await getKnowledge(db, theirs, id)).toBeNull()
    expect(await search(db, theirs, '会员积分怎么用')).toEqual([])
    expect((await listKnowledge(db, { appid: theirs, limit: 10 })).items).toEqual([])
    expect(await deleteKnowledge(db, theirs, id)).toBe(false)
    expect(await getKnowledge(db, mine, id)).not.toBeNull()
  })

  it('keeps apart two appids that differ only in case (the FTS index folds case; the SQL compares exactly)', async () => {
    const upper = 'wxCASE00000000000A'
    const lower = 'wxcase00000000000a'
    const { id } = await addKnowledge(db, upper, { kind: 'faq', question: '礼品卡怎么激活', variants: [], answer: '在卡包激活' })
    expect((await search(db, upper, '礼品卡怎么激活')).map((hit) => hit.id)).toEqual([id])
    expect(await search(db, lower, '礼品卡怎么激活')).toEqual([])
  })
})

describe('search', () => {
  it('scores the exact question, or a variant, 1 — punctuation, width and case aside', async () => {
    const appid = app()
    const ids = await exampleShop(appid)
    const id = ids.get('退款多久到账？')
    expect((await search(db, appid, '退款多久到账'))[0]).toMatchObject({
      id,
      kind: 'faq',
      score: 1,
      question: '退款多久到账？',
    })
    expect((await search(db, appid, '  退款多久到账!! '))[0]).toMatchObject({ id, score: 1 })
    expect((await search(db, appid, '退款到账时间'))[0]).toMatchObject({ id, score: 1 })
    // Only the exact text scores 1.
    for (const hit of await search(db, appid, '退款多久到账呀', 20)) expect(hit.score).toBeLessThan(1)
  })

  it('finds the FAQ a paraphrase means first, with its answer', async () => {
    const appid = app()
    const ids = await exampleShop(appid)
    const [best] = await search(db, appid, '发票的抬头开错了咋办')
    expect(best).toMatchObject({ id: ids.get('发票抬头写错了怎么办？'), kind: 'faq' })
    expect(best?.answer).toContain('申请换开')
    expect(best!.score).toBeGreaterThan(0)
    expect(best!.score).toBeLessThan(1)
  })

  it('answers 2-character questions, and a lone character', async () => {
    const appid = app()
    const { id } = await addKnowledge(db, appid, { kind: 'faq', question: '怎么申请退款', variants: [], answer: '在订单页' })
    await addKnowledge(db, appid, { kind: 'faq', question: '运费怎么算', variants: [], answer: '满 99 包邮' })
    expect((await search(db, appid, '退款'))[0]).toMatchObject({ id })
    expect((await search(db, appid, '退款'))[0]!.score).toBeGreaterThan(0.6)
    expect((await search(db, appid, '退'))[0]).toMatchObject({ id })
    expect(await search(db, appid, '发货')).toEqual([])
  })

  it("finds a document's passage, scaled below an FAQ", async () => {
    const appid = app()
    const ids = await exampleShop(appid)
    const hits = await search(db, appid, '定制商品可以退吗', 10)
    const doc = hits.find((hit) => hit.kind === 'doc')
    expect(doc).toMatchObject({ id: ids.get('policy'), title: '退换货政策' })
    expect(doc?.passage).toContain('定制')
    expect(doc!.score).toBeLessThanOrEqual(0.9)
  })

  it('asks nothing for text without letters or numbers, and bounds what a long text asks', async () => {
    const appid = app()
    await exampleShop(appid)
    expect(await search(db, appid, '？？！ 🙂')).toEqual([])
    expect(await search(db, appid, '')).toEqual([])
    const long = '签收后多久还能退货'.repeat(500)
    const hits = await search(db, appid, long, 3)
    expect(hits.length).toBeLessThanOrEqual(3)
    // A term that looks like FTS5 syntax is a term, not an operator.
    expect(await search(db, appid, 'NEAR OR AND "* ^ NOT')).toEqual(expect.any(Array))
  })
})

function decode(cursor: string | null) {
  if (cursor === null) throw new Error('no next page')
  const position = decodeKnowledgeCursor(cursor)
  if (position === null) throw new Error('not a cursor')
  return position
}
