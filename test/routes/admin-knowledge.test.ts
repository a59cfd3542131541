/**
 * `/admin/api/knowledge` end to end: CRUD as the owner and as an admin, the list a page at a
 * time, every refusal (unknown fields, oversized entries and bodies, bad ids, unknown ids, no
 * token, a viewer writing) changing nothing, each write audited without its text, answers as
 * documented, and "try a question" sending nothing.
 */
import { env } from 'cloudflare:workers'
import * as v from 'valibot'
import { beforeAll, describe, expect, it } from 'vitest'
import { KnowledgeAskAnswer, KnowledgeEntryAnswer, KnowledgeListAnswer } from '../../src/admin/answers-knowledge'
import { listAudit } from '../../src/admin/audit'
import { fakeWechat } from '../support/fake-wechat-client'
import { watchSecrets, type Answer } from '../support/hygiene'
import { addTestOperator, OWNER_AUTH, type TestOperator } from '../support/operators'
import { SECOND_APP, TEST_SETTINGS } from '../support/settings'
import { fakeLlm } from '../support/fake-llm-client'

const hygiene = watchSecrets('admin-knowledge')
const APPID = TEST_SETTINGS.WECHAT_APPID
const UNKNOWN = 'k-00000000-0000-4000-8000-000000000000'
/** Who "try a question" asks as (knowledge/ask.ts): anything it sent would go to them. */
const ASK_USER = 'ask'

async function call(method: string, path: string, json?: unknown, auth: Record<string, string> = OWNER_AUTH): Promise<Answer> {
  return hygiene.fetch(path, {
    method,
    headers: { ...auth, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(json === undefined ? {} : { body: JSON.stringify(json) }),
  })
}
const parsed = <T>(answer: Answer): T => JSON.parse(answer.text) as T
const count = async () =>
  (await env.DB.prepare('SELECT count(*) AS n FROM knowledge WHERE appid = ?').bind(APPID).first<{ n: number }>())?.n ?? 0

let viewer: TestOperator
let admin: TestOperator
beforeAll(async () => {
  viewer = await addTestOperator('viewer')
  admin = await addTestOperator('admin')
})

describe('entries', () => {
  it('adds an FAQ entry and a document (201 with the id), reads, replaces and deletes them, each audited without text', async () => {
    const faq = await call(
      'POST',
      '/admin/api/knowledge',
      { question: ' 发票抬头写错了怎么办 ', variants: ['发票开错了'], answer: '联系客服重开' },
      admin.auth,
    )
    expect(faq.status, faq.text).toBe(201)
    const { id } = parsed<{ id: string }>(faq)
    expect(id).toMatch(/^k-[0-9a-f-]{36}$/)
    const got = await call('GET', `/admin/api/knowledge/${id}`, undefined, viewer.auth)
    expect(got.status).toBe(200)
    expect(v.safeParse(KnowledgeEntryAnswer, parsed(got)).success).toBe(true)
    expect(parsed(got)).toMatchObject({
      id,
      kind: 'faq',
      question: '发票抬头写错了怎么办',
      variants: ['发票开错了'],
      answer: '联系客服重开',
    })

    const text = `# 运费\n\n${'满 99 元包邮，偏远地区另计运费。'.repeat(40)}\n\n## 退货运费\n\n质量问题由我们承担运费。`
    const doc = await call('POST', '/admin/api/knowledge', { title: '运费说明', text })
    expect(doc.status, doc.text).toBe(201)
    const docId = parsed<{ id: string }>(doc).id
    const docGot = parsed<{ text: string; passages: number }>(await call('GET', `/admin/api/knowledge/${docId}`))
    expect(docGot.text).toBe(text)
    expect(docGot.passages).toBeGreaterThan(1)

    const put = await call(
      'PUT',
      `/admin/api/knowledge/${id}`,
      { question: '怎么开发票', answer: { type: 'text', text: '订单页申请' } },
      admin.auth,
    )
    expect(put.status, put.text).toBe(200)
    expect(parsed(await call('GET', `/admin/api/knowledge/${id}`))).toMatchObject({
      question: '怎么开发票',
      variants: [],
      answer: { type: 'text', text: '订单页申请' },
    })
    // The kind may change: the FAQ becomes a document.
    expect((await call('PUT', `/admin/api/knowledge/${docId}`, { title: '运费', text: '包邮' })).status).toBe(200)

    const deleted = await call('DELETE', `/admin/api/knowledge/${id}`, undefined, admin.auth)
    expect(deleted.status).toBe(204)
    expect(deleted.text).toBe('')
    expect((await call('GET', `/admin/api/knowledge/${id}`)).status).toBe(404)
    expect((await call('DELETE', `/admin/api/knowledge/${id}`)).status).toBe(404)

    const entries = (await listAudit(env.DB, { appid: APPID, limit: 50, action: 'knowledge_change' })).items
    const mine = entries.filter((e) => e.target === id || e.target === docId).reverse()
    expect(mine.map((e) => [e.target, e.operatorId, e.summary])).toEqual([
      [id, admin.id, 'faq added, 1 variant'],
      [docId, 'owner', `document added, ${docGot.passages} passages`],
      [id, admin.id, 'faq updated, 0 variants'],
      [docId, 'owner', 'document updated, 1 passage'],
      [id, admin.id, 'deleted'],
    ])
    for (const entry of mine) expect(entry.summary).not.toMatch(/发票|运费|包邮|客服/)
  })

  it('lists newest first, a page at a time, without documents’ text', async () => {
    const appid = SECOND_APP.appid
    const ids: string[] = []
    for (const question of ['第一个问题', '第二个问题', '第三个问题']) {
      const added = await call('POST', `/admin/api/knowledge?app=${appid}`, { question, answer: '好的' })
      ids.push(parsed<{ id: string }>(added).id)
    }
    ids.push(parsed<{ id: string }>(await call('POST', `/admin/api/knowledge?app=${appid}`, { title: '文档', text: '正文' })).id)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: Answer = await call(
        'GET',
        `/admin/api/knowledge?app=${appid}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
        undefined,
        viewer.auth,
      )
      expect(page.status).toBe(200)
      expect(v.safeParse(KnowledgeListAnswer, parsed(page)).success, page.text).toBe(true)
      const body = parsed<{ items: { id: string; text?: string }[]; nextCursor: string | null }>(page)
      for (const item of body.items) expect(item).not.toHaveProperty('text')
      seen.push(...body.items.map((item) => item.id))
      cursor = body.nextCursor
    } while (cursor !== null)
    expect(seen.filter((id) => ids.includes(id))).toEqual([...ids].reverse())
    expect(new Set(seen).size).toBe(seen.length)
    // Another mini program's entries are not in this one's list.
    const first = parsed<{ items: { id: string }[] }>(await call('GET', '/admin/api/knowledge?limit=200')).items
    for (const id of ids) expect(first.map((item) => item.id)).not.toContain(id)
  })
})

describe('refusals, with nothing written', () => {
  it('refuses what is not an entry, naming the field', async () => {
    const before = await count()
    const cases: [unknown, RegExp][] = [
      [{}, /^body: must be an FAQ entry/],
      [[], /^body: must be an FAQ entry/],
      [{ question: '', answer: 'x' }, /^question: must be 1 to 200 characters/],
      [{ question: '   ', answer: 'x' }, /^question: must be 1 to 200 characters/],
      [{ question: '？？', answer: 'x' }, /^question: must hold a letter or a number/],
      [{ question: '问'.repeat(201), answer: 'x' }, /^question: must be 1 to 200 characters/],
      [{ question: 'q' }, /^answer: /],
      [{ question: 'q', answer: '' }, /^answer: /],
      [{ question: 'q', answer: 'x'.repeat(2049) }, /^answer: .*2048 bytes/],
      [{ question: 'q', answer: { type: 'image' } }, /^answer: an image needs exactly one of url, media_id/],
      [{ question: 'q', answer: { type: 'video' } }, /^answer: /],
      [{ question: 'q', answer: [{ type: 'transfer' }, { type: 'transfer' }] }, /^answer: has more than one transfer/],
      [{ question: 'q', answer: 'x', variants: Array.from({ length: 21 }, (_, i) => `v${i}`) }, /^variants: must hold at most 20/],
      [{ question: 'q', answer: 'x', variants: [''] }, /^variants\.0: must be 1 to 200 characters/],
      [{ question: 'q', answer: 'x', extra: 1 }, /^extra: is not a known field/],
      [{ title: '', text: 'x' }, /^title: must be 1 to 200 characters/],
      [{ title: 't', text: '  ' }, /^text: must not be empty/],
      [{ title: 't', text: '文'.repeat(40 * 1024) }, /^text: must be at most 102400 bytes/],
      [{ title: 't', text: 'x', answer: 'x' }, /^answer: is not a known field/],
    ]
    for (const [body, error] of cases) {
      const answer = await call('POST', '/admin/api/knowledge', body)
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400)
      expect(parsed<{ error: string }>(answer).error, JSON.stringify(body).slice(0, 80)).toMatch(error)
    }
    expect(await count()).toBe(before)
  })

  it('answers 413 for a body over the bound, 415 for one that is not JSON', async () => {
    const before = await count()
    const huge = await call('POST', '/admin/api/knowledge', { title: 't', text: 'x'.repeat(300 * 1024) })
    expect(huge.status).toBe(413)
    const form = await hygiene.fetch('/admin/api/knowledge', {
      method: 'POST',
      headers: { ...OWNER_AUTH, 'content-type': 'text/plain' },
      body: 'q',
    })
    expect(form.status).toBe(415)
    expect(await count()).toBe(before)
  })

  it('answers 400 for an id that is not one, 404 for an unknown one', async () => {
    for (const bad of ['nope', 'k-1', `${UNKNOWN}x`, 'K-00000000-0000-4000-8000-000000000000']) {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const answer = await call(method, `/admin/api/knowledge/${bad}`, method === 'PUT' ? { question: 'q', answer: 'a' } : undefined)
        expect(answer.status, `${method} ${bad}`).toBe(400)
        expect(parsed<{ error: string }>(answer).error).toMatch(/^id: is not a knowledge entry id/)
      }
    }
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const answer = await call(method, `/admin/api/knowledge/${UNKNOWN}`, method === 'PUT' ? { question: 'q', answer: 'a' } : undefined)
      expect(answer.status, method).toBe(404)
    }
    expect(parsed<{ error: string }>(await call('GET', '/admin/api/knowledge?cursor=abc')).error).toMatch(/^cursor: is not a cursor/)
    expect((await call('GET', '/admin/api/knowledge?limit=0')).status).toBe(400)
  })

  it('answers 401 without a token and 403 to a viewer writing, before reading the body', async () => {
    const before = await count()
    const body = { question: '会员怎么升级', answer: '消费满 1000 元' }
    expect((await call('POST', '/admin/api/knowledge', body, {})).status).toBe(401)
    expect((await call('POST', '/admin/api/knowledge/ask', { text: 'hi' }, { authorization: 'Bearer wrong' })).status).toBe(401)
    const refused = await call('POST', '/admin/api/knowledge', body, viewer.auth)
    expect(refused.status).toBe(403)
    expect(parsed(refused)).toEqual({ error: 'forbidden', needs: 'admin' })
    const { id } = parsed<{ id: string }>(await call('POST', '/admin/api/knowledge', body))
    expect((await call('PUT', `/admin/api/knowledge/${id}`, { question: 'x', answer: 'y' }, viewer.auth)).status).toBe(403)
    expect((await call('DELETE', `/admin/api/knowledge/${id}`, undefined, viewer.auth)).status).toBe(403)
    expect(parsed(await call('GET', `/admin/api/knowledge/${id}`))).toMatchObject(body)
    expect(await count()).toBe(before + 1)
  })
})

describe('ask', () => {
  it('finds an FAQ entry and says what would be sent, sending nothing', async () => {
    const { id } = parsed<{ id: string }>(
      await call('POST', '/admin/api/knowledge', {
        question: '积分什么时候过期',
        variants: ['积分有效期多久'],
        answer: '积分次年年底过期',
      }),
    )
    const answer = await call('POST', '/admin/api/knowledge/ask', { text: '积分有效期多久？' }, admin.auth)
    expect(answer.status, answer.text).toBe(200)
    expect(v.safeParse(KnowledgeAskAnswer, parsed(answer)).success).toBe(true)
    const body = parsed<{ source: string; answer: unknown; entries: { id: string; score: number }[]; handoff: boolean }>(answer)
    expect(body.entries[0]).toEqual({ id, score: 1 })
    // The rule set in force here may have a rule for anything; an FAQ or a rule answers, never nobody.
    expect(['rule', 'faq']).toContain(body.source)
    if (body.source === 'faq') expect(body.answer).toBe('积分次年年底过期')
    expect(await fakeWechat.calls({ touser: ASK_USER })).toEqual([])
  })

  it('asks the model for a document’s passages and sends nothing: no call reaches WeChat, not even typing', async () => {
    await call('POST', '/admin/api/knowledge', {
      title: '会员等级',
      text: '## 升级\n\n会员等级按近一年的消费金额计算，每月 1 日更新一次。',
    })
    const question = '会员等级多久更新一次 zqasknothing'
    const answer = await call('POST', '/admin/api/knowledge/ask', { text: question })
    expect(answer.status, answer.text).toBe(200)
    expect(parsed(answer)).toMatchObject({ source: 'ai', answer: '会员等级按近一年的消费金额计算，每月 1 日更新一次。' })
    expect(await fakeLlm.calls('zqasknothing')).toHaveLength(1)
    // Whatever "try a question" did would be to its made-up user: the fake WeChat saw nothing for them.
    expect(await fakeWechat.calls({ touser: ASK_USER })).toEqual([])
    expect(await fakeWechat.calls({ appid: APPID, path: '/cgi-bin/message/custom/business/typing', touser: ASK_USER })).toEqual([])
  })

  it('is refused to a viewer (403, needs admin) before the model is asked: it may cost money', async () => {
    await call('POST', '/admin/api/knowledge', { title: '会员权益', text: '## 生日\n\n会员生日当月可领一张生日券。' })
    const refused = await call('POST', '/admin/api/knowledge/ask', { text: '会员生日有什么权益 zqviewer' }, viewer.auth)
    expect(refused.status).toBe(403)
    expect(parsed(refused)).toEqual({ error: 'forbidden', needs: 'admin' })
    expect(await fakeLlm.calls('zqviewer')).toEqual([])
  })

  it('refuses an empty or oversized text', async () => {
    expect(parsed<{ error: string }>(await call('POST', '/admin/api/knowledge/ask', { text: '' })).error).toMatch(
      /^text: must not be empty/,
    )
    expect((await call('POST', '/admin/api/knowledge/ask', { text: 'x'.repeat(4097) })).status).toBe(400)
    expect((await call('POST', '/admin/api/knowledge/ask', { text: 'x'.repeat(20 * 1024) })).status).toBe(413)
    expect((await call('POST', '/admin/api/knowledge/ask', { text: 'hi', more: 1 })).status).toBe(400)
  })
})
