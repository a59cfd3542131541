/**
 * `/admin/api/knowledge`: the mini program's knowledge base (src/knowledge/) — FAQ entries and
 * documents listed, read, added, replaced and deleted, and "try a question" (`/ask`), which
 * says what a text would be answered with and sends nothing. Reading needs `read`; writing and
 * asking `rules` — asking may call the model, which costs money, so it is for those who edit
 * the knowledge base. Each write leaves an audit entry (`knowledge_change`, the entry's id,
 * what changed — never its text).
 */
import { Hono } from 'hono/tiny'
import { appidOf } from '../settings/env'
import { auditDone } from '../admin/audit'
import { ASK_MAX_BYTES, AskBody, EntryBody, EntryIdParam, KNOWLEDGE_MAX_BYTES, KnowledgeQuery } from '../admin/requests-knowledge'
import { ask } from '../knowledge/ask'
import { summaryOf } from '../knowledge/audit-summary'
import { addKnowledge, deleteKnowledge, getKnowledge, listKnowledge, updateKnowledge, type EntryInput } from '../knowledge/store'
import { log } from '../log'
import { jsonBody, params, refuse, type ApiEnv } from './admin-validation'
import { allow } from './allow'
import type * as v from 'valibot'

export const adminKnowledge = new Hono<ApiEnv>()

adminKnowledge.get('/admin/api/knowledge', allow('read'), params('query', KnowledgeQuery), async (c) => {
  const { cursor, limit } = c.req.valid('query')
  return c.json(await listKnowledge(c.env.DB, { appid: appidOf(c.env), limit, ...(cursor ? { after: cursor } : {}) }))
})

adminKnowledge.post('/admin/api/knowledge/ask', allow('rules'), jsonBody(AskBody, ASK_MAX_BYTES), async (c) => {
  return c.json(await ask(c.env, appidOf(c.env), c.req.valid('json').text))
})

adminKnowledge.get('/admin/api/knowledge/:id', allow('read'), params('param', EntryIdParam), async (c) => {
  const entry = await getKnowledge(c.env.DB, appidOf(c.env), c.req.valid('param').id)
  return entry ? c.json(entry) : refuse(c, 404, 'not_found')
})

adminKnowledge.post('/admin/api/knowledge', allow('rules'), jsonBody(EntryBody, KNOWLEDGE_MAX_BYTES), async (c) => {
  const appid = appidOf(c.env)
  const input = inputOf(c.req.valid('json'))
  const written = await addKnowledge(c.env.DB, appid, input)
  await auditDone(c.env.DB, {
    appid,
    operator: c.var.operator,
    action: 'knowledge_change',
    target: written.id,
    summary: summaryOf(input, 'added', written.passages),
  })
  log.info('knowledge.added', { by: c.var.operator.id, id: written.id, kind: input.kind, passages: written.passages })
  return c.json({ id: written.id }, 201)
})

adminKnowledge.put(
  '/admin/api/knowledge/:id',
  allow('rules'),
  params('param', EntryIdParam),
  jsonBody(EntryBody, KNOWLEDGE_MAX_BYTES),
  async (c) => {
    const appid = appidOf(c.env)
    const { id } = c.req.valid('param')
    const input = inputOf(c.req.valid('json'))
    const written = await updateKnowledge(c.env.DB, appid, id, input)
    if (written === null) return refuse(c, 404, 'not_found')
    await auditDone(c.env.DB, {
      appid,
      operator: c.var.operator,
      action: 'knowledge_change',
      target: id,
      summary: summaryOf(input, 'updated', written.passages),
    })
    log.info('knowledge.updated', { by: c.var.operator.id, id, kind: input.kind, passages: written.passages })
    return c.json({ id })
  },
)

adminKnowledge.delete('/admin/api/knowledge/:id', allow('rules'), params('param', EntryIdParam), async (c) => {
  const appid = appidOf(c.env)
  const { id } = c.req.valid('param')
  if (!(await deleteKnowledge(c.env.DB, appid, id))) return refuse(c, 404, 'not_found')
  await auditDone(c.env.DB, { appid, operator: c.var.operator, action: 'knowledge_change', target: id, summary: 'deleted' })
  log.info('knowledge.deleted', { by: c.var.operator.id, id })
  return c.body(null, 204)
})

function inputOf(body: v.InferOutput<typeof EntryBody>): EntryInput {
  if ('question' in body) return { kind: 'faq', question: body.question, variants: body.variants, answer: body.answer }
  return { kind: 'doc', title: body.title, text: body.text }
}
