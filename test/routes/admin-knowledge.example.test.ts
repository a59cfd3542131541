/**
 * The example shop (knowledge/, rules/rules.json) asked through `POST /admin/api/knowledge/ask`
 * with the stand-in model, as `npm start` and `npm run chat -- "签收后多久还能退货"` run it: the
 * README's example answers from the policy's 七天无理由退货 section, not only its
 * quality-problem one (knowledge/eval.jsonl labels the question "7 天").
 */
import { env, exports } from 'cloudflare:workers'
import { beforeAll, describe, expect, it } from 'vitest'
import faqCsv from '../../knowledge/faq.csv?raw'
import policy from '../../knowledge/returns-policy.md?raw'
import rules from '../../rules/rules.json?raw'
import { documentsFromMarkdown, faqsFromCsv } from '../../src/console/knowledge-import'
import { OWNER_AUTH } from '../support/operators'
import { fakeLlm, messagesOf } from '../support/fake-llm-client'

async function post(path: string, body: unknown): Promise<Response> {
  return exports.default.fetch(`https://kefu.example${path}`, {
    method: 'POST',
    headers: { ...OWNER_AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

beforeAll(async () => {
  await env.RULES.put('rules', rules)
  const imported = faqsFromCsv(faqCsv)
  if (!imported.ok) throw new Error('knowledge/faq.csv does not import')
  const entries = [
    ...imported.faqs.map((faq) => ({ question: faq.question, variants: faq.variants, answer: faq.answer })),
    ...documentsFromMarkdown(policy, 'returns-policy.md', false),
  ]
  for (const entry of entries) expect((await post('/admin/api/knowledge', entry)).status).toBe(201)
})

describe('the example knowledge base', () => {
  it('签收后多久还能退货: the model answers from the 七天无理由退货 section, given to it first', async () => {
    const question = '签收后多久还能退货'
    const res = await post('/admin/api/knowledge/ask', { text: question })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { source: string; answer: unknown }
    expect(body.source).toBe('ai')
    expect(typeof body.answer).toBe('string')
    expect((body.answer as string).replace(/\s+/g, '')).toContain('7天')
    expect(body.answer).toContain('签收次日起 7 天内')

    const calls = await fakeLlm.calls(question)
    const messages = messagesOf(calls.at(-1)!)
    const passages = messages[1]!.content
    expect(passages.indexOf('七天无理由退货')).toBeGreaterThan(-1)
    expect(passages.indexOf('七天无理由退货')).toBeLessThan(passages.indexOf('质量问题退换货'))
  })
})
