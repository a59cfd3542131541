/** Documents cut into passages: within bounds, on boundaries, under their heading, nothing lost. */
import { describe, expect, it } from 'vitest'
import policy from '../../knowledge/returns-policy.md?raw'
import { documentPassages, plainLine, faqPassages, PASSAGE_MAX } from '../../src/knowledge/passages'

const chars = (text: string) => Array.from(text).length
const letters = (text: string) => text.replace(/[\s#]/g, '')

describe('documentPassages', () => {
  it('keeps every passage within PASSAGE_MAX (plus its heading) and loses no text', () => {
    const long = `${'这是一句很长的话，'.repeat(30)}。${'x'.repeat(1200)}`
    const text = `${policy}\n\n${long}`
    const passages = documentPassages('退换货政策', text)
    const headings = new Set(passages.map((p) => p.split('\n')[0]))
    for (const passage of passages) {
      const [, ...body] = passage.split('\n')
      expect(chars(body.join('\n'))).toBeLessThanOrEqual(PASSAGE_MAX)
    }
    // Every character of the text is in some passage (headings aside, which are repeated;
    // Markdown's list marks aside, which go).
    const joined = passages.map((p) => p.split('\n').slice(1).join('')).join('')
    for (const line of text.split('\n')) {
      if (/^#{1,6}\s/.test(line)) expect([...headings]).toContain(line.replace(/^#{1,6}\s+/, '').trim())
      else expect(letters(joined)).toContain(letters(plainLine(line)))
    }
  })

  it('drops Markdown’s marks: bullets, numbers, quotes, emphasis and code', () => {
    expect(documentPassages('退货', '- 签收后 **7 天**内可退\n1. 进入`我的`\n2、点申请\n> 以页面为准')).toEqual([
      '退货\n签收后 7 天内可退\n进入我的\n点申请\n以页面为准',
    ])
    // A number that is not a list's stays.
    expect(plainLine('2025 年起执行')).toBe('2025 年起执行')
  })

  it('heads each passage with its Markdown heading (the title before any), cutting at headings', () => {
    const passages = documentPassages('运费', '满 99 包邮。\n\n## 退货运费\n\n质量问题我们承担。\n\n# 其他\n\n偏远地区另计。')
    expect(passages).toEqual(['运费\n满 99 包邮。', '退货运费\n质量问题我们承担。', '其他\n偏远地区另计。'])
  })

  it('joins short paragraphs up to the target and cuts a long one after sentences', () => {
    expect(documentPassages('t', '一。\n\n二。\n\n三。')).toEqual(['t\n一。\n二。\n三。'])
    const sentences = Array.from({ length: 40 }, (_, i) => `第${i}句话说的是一件事情。`).join('')
    const passages = documentPassages('t', sentences)
    expect(passages.length).toBeGreaterThan(1)
    for (const passage of passages) expect(passage.endsWith('。')).toBe(true)
  })

  it('gives an empty text no passage', () => {
    expect(documentPassages('t', '  \n\n ')).toEqual([])
  })
})

describe('faqPassages', () => {
  it('is the question, then each variant', () => {
    expect(faqPassages('怎么退货', ['退货流程', '如何退'])).toEqual(['怎么退货', '退货流程', '如何退'])
  })
})
