/**
 * The console's 知识库 page (src/console/routes-knowledge.tsx) end to end, with a session as
 * an operator has one: entries added, listed, paged, edited and deleted (a delete needs its
 * confirmation); a CSV import with a quoted comma and a bad row, a Markdown import; "try a
 * question" showing the entries with their scores and the reply that would be sent, with no
 * call reaching the WeChat API; every change audited without its text; a viewer reads and
 * tries, sees no form to change anything, and gets 403 on every change with nothing changed.
 * Each test serves its own mini program (a unique appid), so its knowledge base, its audit
 * entries and the fake WeChat API's calls for it are its own. Real local D1.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import { listAudit } from '../../src/admin/audit'
import { addOperator } from '../../src/auth/operators'
import { app } from '../../src/app'
import { addKnowledge, getKnowledge, listKnowledge } from '../../src/knowledge/store'
import { fakeWechat, uniqueAppid } from '../support/fake-wechat-client'
import { BASE, keepAnswer } from '../support/helpers'
import { watchSecrets, WORKER, type Answer } from '../support/hygiene'
import { consoleSession } from '../support/operators'
import { TEST_SETTINGS } from '../support/settings'

const hygiene = watchSecrets('console-knowledge')

let owner = ''
let viewer = ''

beforeAll(async () => {
  await env.RULES.put('rules', JSON.stringify({ rules: [{ id: 'hi', when: { text: ['hi'] }, reply: { type: 'text', text: 'hello' } }] }))
  owner = await consoleSession(TEST_SETTINGS.ADMIN_TOKEN)
  const { token } = await addOperator(env.DB, { name: 'the viewer', role: 'viewer', apps: null, email: null }, Date.now())
  viewer = await consoleSession(token)
})

/** The Worker serving `appid`, as the console's browser calls it. */
async function call(appid: string, cookie: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const headers = new Headers(init.headers)
  headers.set('cookie', cookie)
  if (init.method === 'POST') headers.set('origin', BASE)
  const ctx = createExecutionContext()
  const res = await app.fetch(
    new Request(`${WORKER}${path}`, { ...init, headers, redirect: 'manual' }),
    { ...env, WECHAT_APPID: appid },
    ctx,
  )
  const text = await res.text()
  await waitOnExecutionContext(ctx)
  keepAnswer(text)
  hygiene.bodies.push(text)
  return { status: res.status, text, headers: res.headers }
}

const page = (appid: string, path: string, cookie = owner) => call(appid, cookie, path)

const submit = (appid: string, path: string, fields: Record<string, string>, cookie = owner) =>
  call(appid, cookie, path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  })

function upload(appid: string, file: { name: string; text: string | Uint8Array }, fields: Record<string, string> = {}, cookie = owner) {
  const form = new FormData()
  form.set('file', new File([file.text], file.name, { type: file.name.endsWith('.csv') ? 'text/csv' : 'text/markdown' }))
  for (const [name, value] of Object.entries(fields)) form.set(name, value)
  return call(appid, cookie, '/admin/knowledge/import', { method: 'POST', body: form })
}

const entries = async (appid: string) => (await listKnowledge(env.DB, { appid, limit: 100 })).items

const knowledgeAudit = async (appid: string) =>
  (await listAudit(env.DB, { appid, limit: 100, action: 'knowledge_change' })).items.filter((e) => e.appid === appid)

const FAQ = {
  kind: 'faq',
  question: '签收后多久还能退货？',
  variants: '退货期限是多久\n过了七天还能退吗\n',
  answer: '签收次日起 7 天内可以申请无理由退货。',
}

describe('the list, add, edit, delete', () => {
  it('adds an FAQ entry and a document, lists both, and audits each without its text', async () => {
    const appid = uniqueAppid()
    const empty = await page(appid, '/admin/knowledge')
    expect(empty.status).toBe(200)
    expect(empty.text).toContain('data-no-knowledge')
    expect(empty.text).toContain('aria-current="page">知识库</a>')

    const added = await submit(appid, '/admin/knowledge', FAQ)
    expect(added.status).toBe(303)
    expect(added.headers.get('location')).toBe('/admin/knowledge?done=added')
    const doc = await submit(appid, '/admin/knowledge', { kind: 'doc', title: '退换货政策', text: '## 换货\n签收后 7 天内可以换尺码。' })
    expect(doc.status).toBe(303)

    const [second, first] = await entries(appid)
    expect(first).toMatchObject({
      kind: 'faq',
      question: FAQ.question,
      variants: ['退货期限是多久', '过了七天还能退吗'],
      answer: FAQ.answer,
    })
    expect(second).toMatchObject({ kind: 'doc', title: '退换货政策' })

    const listed = await page(appid, '/admin/knowledge?done=added')
    expect(listed.text).toContain('data-notice="added"')
    expect(listed.text).toContain(`data-entry="${first!.id}" data-kind="faq"`)
    expect(listed.text).toContain(`data-entry="${second!.id}" data-kind="doc"`)
    expect(listed.text).toContain(FAQ.question)
    expect(listed.text).toContain('另有 2 种问法')
    expect(listed.text).toContain('20 字 · 分成 1 段检索')

    const audit = await knowledgeAudit(appid)
    expect(audit.map((e) => [e.target, e.summary, e.operatorId])).toEqual([
      [second!.id, 'document added, 1 passage', 'owner'],
      [first!.id, 'faq added, 2 variants', 'owner'],
    ])
    expect(JSON.stringify(audit)).not.toContain('退')
  })

  it('refuses an empty or oversized entry with the form kept and its problems, storing nothing', async () => {
    const appid = uniqueAppid()
    const noAnswer = await submit(appid, '/admin/knowledge', { ...FAQ, answer: '  ' })
    expect(noAnswer.status).toBe(400)
    expect(noAnswer.text).toContain('answer: is required')
    expect(noAnswer.text).toContain(`value="${FAQ.question}"`)
    const long = await submit(appid, '/admin/knowledge', { kind: 'doc', title: 'x'.repeat(201), text: 'body' })
    expect(long.status).toBe(400)
    expect(long.text).toContain('title: must be 1 to 200 characters')
    expect(long.text).toContain('<details open="" class="panel" data-add-doc="true">')
    const over = await submit(appid, '/admin/knowledge', { kind: 'doc', title: 't', text: 'a'.repeat(110 * 1024) })
    expect(over.status).toBe(400)
    expect(over.text).toContain('text: must be at most 102400 bytes')
    const huge = await submit(appid, '/admin/knowledge', { kind: 'doc', title: 't', text: '字'.repeat(200_000) })
    expect(huge.status).toBe(413)
    expect(await entries(appid)).toEqual([])
    expect(await knowledgeAudit(appid)).toEqual([])
  })

  it('edits an entry, and deletes it only with the confirmation ticked', async () => {
    const appid = uniqueAppid()
    const { id } = await addKnowledge(env.DB, appid, {
      kind: 'faq',
      question: '发票抬头写错了怎么办',
      variants: [],
      answer: '联系客服重开。',
    })
    const form = await page(appid, `/admin/knowledge/${id}`)
    expect(form.status).toBe(200)
    expect(form.text).toContain(`action="/admin/knowledge/${id}"`)
    expect(form.text).toContain('data-delete')

    const saved = await submit(appid, `/admin/knowledge/${id}`, {
      question: '发票抬头写错了怎么办？',
      variants: '开错发票',
      answer: '在订单页申请重开。',
    })
    expect(saved.status).toBe(303)
    expect(saved.headers.get('location')).toBe('/admin/knowledge?done=changed')
    expect(await getKnowledge(env.DB, appid, id)).toMatchObject({
      question: '发票抬头写错了怎么办？',
      variants: ['开错发票'],
      answer: '在订单页申请重开。',
    })

    const unconfirmed = await submit(appid, `/admin/knowledge/${id}/delete`, {})
    expect(unconfirmed.headers.get('location')).toBe(`/admin/knowledge/${id}?problem=confirm`)
    expect(await getKnowledge(env.DB, appid, id)).not.toBeNull()

    const deleted = await submit(appid, `/admin/knowledge/${id}/delete`, { confirm: '1' })
    expect(deleted.headers.get('location')).toBe('/admin/knowledge?done=deleted')
    expect(await getKnowledge(env.DB, appid, id)).toBeNull()
    expect((await knowledgeAudit(appid)).map((e) => e.summary)).toEqual(['deleted', 'faq updated, 1 variant'])

    // Gone, a bad id, another mini program's entry: back to the list, nothing done.
    const other = await addKnowledge(env.DB, uniqueAppid(), { kind: 'doc', title: 't', text: 'x' })
    for (const path of [`/admin/knowledge/${id}`, '/admin/knowledge/nope', `/admin/knowledge/${other.id}`]) {
      expect((await page(appid, path)).headers.get('location'), path).toBe('/admin/knowledge?problem=no_entry')
      expect((await submit(appid, path, { question: 'q', answer: 'a' })).headers.get('location'), path).toBe(
        '/admin/knowledge?problem=no_entry',
      )
    }
  })

  it('edits an answer that is not one text as JSON, checked like a rule reply', async () => {
    const appid = uniqueAppid()
    const answer = [{ type: 'text' as const, text: '请看这里' }, { type: 'transfer' as const }]
    const { id } = await addKnowledge(env.DB, appid, { kind: 'faq', question: '找人工', variants: [], answer })
    const form = await page(appid, `/admin/knowledge/${id}`)
    expect(form.text).toContain('规则格式的回复')
    const bad = await submit(appid, `/admin/knowledge/${id}`, { question: '找人工', answer: '{"type":"text"}' })
    expect(bad.status).toBe(400)
    expect(bad.text).toContain('answer')
    expect((await getKnowledge(env.DB, appid, id))?.kind === 'faq' && (await getKnowledge(env.DB, appid, id))).toMatchObject({ answer })
    const good = await submit(appid, `/admin/knowledge/${id}`, { question: '找人工', answer: '{"type":"transfer"}' })
    expect(good.status).toBe(303)
    expect(await getKnowledge(env.DB, appid, id)).toMatchObject({ answer: { type: 'transfer' } })
  })

  it('pages the list with the Pager, and a bad cursor says so', async () => {
    const appid = uniqueAppid()
    for (let i = 0; i < 31; i++)
      await addKnowledge(env.DB, appid, { kind: 'faq', question: `问题 ${i}`, variants: [], answer: `答案 ${i}` }, 1_000 + i)
    const first = await page(appid, '/admin/knowledge')
    expect(first.text.match(/data-entry=/g)).toHaveLength(30)
    const next = /href="(\/admin\/knowledge\?cursor=[^"]+)" data-next-page/.exec(first.text)?.[1]?.replaceAll('&amp;', '&')
    expect(next).toBeDefined()
    const second = await page(appid, next!)
    expect(second.text.match(/data-entry=/g)).toHaveLength(1)
    expect(second.text).toContain('问题 0')
    expect(second.text).toContain('data-first-page')
    expect(second.text).not.toContain('data-next-page')
    expect((await page(appid, '/admin/knowledge?cursor=garbage')).headers.get('location')).toBe('/admin/knowledge?problem=bad_cursor')
  })
})

describe('import', () => {
  it('imports a CSV: a quoted comma and line breaks kept, a bad row refused with its row and why, the rest added', async () => {
    const appid = uniqueAppid()
    const csv = [
      'question,answer,variants',
      '"发票抬头写错了，怎么办？","在「我的 → 订单」申请重开, 一般 1 个工作日内。","开错发票\n发票写错"',
      'too,many,fields,here',
      ',没有问题',
      'How long is shipping?,"2-3 days, usually."',
    ].join('\r\n')
    const res = await upload(appid, { name: 'faq.csv', text: `\uFEFF${csv}` })
    expect(res.status).toBe(200)
    expect(res.text).toContain('data-imported="2" data-refused="2"')
    expect(res.text).toContain('data-refused-row="3"')
    expect(res.text).toContain('字段比表头多')
    expect(res.text).toContain('data-refused-row="4"')
    expect(res.text).toContain('问题是空的')
    const stored = await entries(appid)
    expect(stored.map((e) => (e.kind === 'faq' ? [e.question, e.variants, e.answer] : null)).sort()).toEqual(
      [
        ['发票抬头写错了，怎么办？', ['开错发票', '发票写错'], '在「我的 → 订单」申请重开, 一般 1 个工作日内。'],
        ['How long is shipping?', [], '2-3 days, usually.'],
      ].sort(),
    )
    expect((await knowledgeAudit(appid)).map((e) => e.summary)).toEqual(['import csv: 2 added, 2 refused'])
  })

  it('refuses a file that is not CSV, not UTF-8, has no header, or is of another kind, whole', async () => {
    const appid = uniqueAppid()
    const cases: [{ name: string; text: string | Uint8Array }, string][] = [
      [{ name: 'a.csv', text: 'question,answer\n"never closed,x\n' }, '有个双引号没有配对（第 2 行）'],
      [{ name: 'a.csv', text: 'foo,bar\nq,a\n' }, '第一行需要是表头'],
      [{ name: 'a.csv', text: new Uint8Array([0x71, 0x2c, 0xff, 0xfe, 0x0a]) }, '不是 UTF-8'],
      [{ name: 'a.xlsx', text: 'x' }, '只能导入 .csv 或 .md'],
      [{ name: 'a.md', text: '   \n' }, '没有可导入的内容'],
    ]
    for (const [file, why] of cases) {
      const res = await upload(appid, file)
      expect(res.status, file.name).toBe(400)
      expect(res.text, file.name).toContain('data-import-problem')
      expect(res.text, file.name).toContain(why)
    }
    expect(await entries(appid)).toEqual([])
    expect(await knowledgeAudit(appid)).toEqual([])
  })

  it('refuses a file past the bound unread (413)', async () => {
    const appid = uniqueAppid()
    const res = await upload(appid, { name: 'big.csv', text: `question,answer\n${'q,a\n'.repeat(300_000)}` })
    expect(res.status).toBe(413)
    expect(await entries(appid)).toEqual([])
  })

  it('imports a Markdown file as one document, or one per heading when asked', async () => {
    const md = '# 退换货政策\n\n总则。\n\n## 七天无理由\n\n签收次日起 7 天内。\n\n## 换货\n\n可以换尺码。\n'
    const one = uniqueAppid()
    const res = await upload(one, { name: 'returns-policy.md', text: md })
    expect(res.text).toContain('data-imported="1" data-refused="0"')
    expect((await entries(one)).map((e) => e.kind === 'doc' && e.title)).toEqual(['退换货政策'])

    const split = uniqueAppid()
    const parts = await upload(split, { name: 'returns-policy.md', text: md }, { split: '1' })
    expect(parts.text).toContain('data-imported="3" data-refused="0"')
    expect((await entries(split)).map((e) => e.kind === 'doc' && e.title).sort()).toEqual(
      ['退换货政策', '退换货政策 — 七天无理由', '退换货政策 — 换货'].sort(),
    )
  })
})

describe('try a question', () => {
  it('shows the entries found with their scores and the answer that would be sent, and sends nothing', async () => {
    const appid = uniqueAppid()
    const faq = await addKnowledge(env.DB, appid, {
      kind: 'faq',
      question: '签收后多久还能退货？',
      variants: ['退货期限是多久'],
      answer: '签收次日起 7 天内可以申请无理由退货。',
    })
    await addKnowledge(env.DB, appid, { kind: 'doc', title: '退换货政策', text: '签收次日起 7 天内可以退货，质量问题 15 天内可退可换。' })
    const res = await submit(appid, '/admin/knowledge/ask', { text: '签收后多久还能退货' })
    expect(res.status).toBe(200)
    expect(res.text).toContain('data-source="faq"')
    expect(res.text).toContain('data-try-answer="true">签收次日起 7 天内可以申请无理由退货。</div>')
    expect(res.text).toContain(`data-try-entry="${faq.id}"`)
    const score = Number(/data-try-entry="[^"]+" data-score="([0-9.]+)"/.exec(res.text)?.[1])
    expect(score).toBeGreaterThan(0.6)
    expect(res.text).toContain('value="签收后多久还能退货"')
    expect(res.text).toContain('预览：没有发送')

    // A text no entry answers: no answer but the default (none here), no entries.
    const none = await submit(appid, '/admin/knowledge/ask', { text: 'zzzz qqqq' })
    expect(none.text).toContain('data-source="none"')
    expect(none.text).toContain('data-try-no-answer')

    // A rule of the operator's wins over the FAQ.
    const rule = await submit(appid, '/admin/knowledge/ask', { text: 'hi' })
    expect(rule.text).toContain('data-source="rule"')
    expect(rule.text).toContain('data-try-answer="true">hello</div>')

    expect(await fakeWechat.calls({ appid })).toEqual([])
    expect(await knowledgeAudit(appid)).toEqual([])
  })
})

describe('roles', () => {
  it('a viewer reads, sees no form to change anything or to try a question (it may call the model), and gets 403 on each with nothing changed', async () => {
    const appid = uniqueAppid()
    const { id } = await addKnowledge(env.DB, appid, { kind: 'faq', question: '怎么开发票', variants: [], answer: '在订单页申请。' })
    const list = await page(appid, '/admin/knowledge', viewer)
    expect(list.status).toBe(200)
    expect(list.text).toContain('data-knowledge-read-only')
    for (const form of [
      'data-add-faq',
      'data-add-doc',
      'data-import',
      'data-faq-form',
      'data-doc-form',
      'action="/admin/knowledge"',
      'data-try',
    ])
      expect(list.text, form).not.toContain(form)
    const entry = await page(appid, `/admin/knowledge/${id}`, viewer)
    expect(entry.text).toContain('data-entry-read-only')
    expect(entry.text).not.toContain('<form method="post" action="/admin/knowledge/')
    expect(entry.text).not.toContain('data-delete')

    const posts = [
      submit(appid, '/admin/knowledge/ask', { text: '怎么开发票' }, viewer),
      submit(appid, '/admin/knowledge', FAQ, viewer),
      submit(appid, `/admin/knowledge/${id}`, { question: 'changed', answer: 'changed' }, viewer),
      submit(appid, `/admin/knowledge/${id}/delete`, { confirm: '1' }, viewer),
      upload(appid, { name: 'a.csv', text: 'question,answer\nq,a\n' }, {}, viewer),
    ]
    for (const res of await Promise.all(posts)) {
      expect(res.status).toBe(403)
      expect(res.text).toContain('data-needs="admin"')
    }
    expect((await entries(appid)).map((e) => e.id)).toEqual([id])
    expect(await getKnowledge(env.DB, appid, id)).toMatchObject({ question: '怎么开发票' })
    expect(await knowledgeAudit(appid)).toEqual([])
  })

  it('a form posted from another site is refused by the Origin check, nothing stored', async () => {
    const appid = uniqueAppid()
    const headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded', cookie: owner, origin: 'https://evil.example' })
    const ctx = createExecutionContext()
    const body = new URLSearchParams(FAQ).toString()
    const res = await app.fetch(
      new Request(`${WORKER}/admin/knowledge`, { method: 'POST', headers, body }),
      { ...env, WECHAT_APPID: appid },
      ctx,
    )
    await waitOnExecutionContext(ctx)
    expect(res.status).toBe(403)
    expect(await entries(appid)).toEqual([])
  })
})
