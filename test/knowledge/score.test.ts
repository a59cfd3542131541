/** How a row scores against a text: greetings and question words are no subject. */
import { describe, expect, it } from 'vitest'
import { faqScore, queryOf } from '../../src/knowledge/score'
import { terms } from '../../src/knowledge/text'

const score = (text: string, row: string) => faqScore(queryOf(text, terms(text)), row)

describe('faqScore', () => {
  it('is 1 for the question itself, and less for a paraphrase', () => {
    expect(score('签收后多久还能退货', '签收后多久还能退货？')).toBe(1)
    expect(score('签收以后多久能退货', '签收后多久还能退货')).toBeGreaterThan(0)
    expect(score('签收以后多久能退货', '签收后多久还能退货')).toBeLessThan(1)
  })

  it('gives a greeting no FAQ: "在吗" is not about "退款了券还在吗"', () => {
    for (const greeting of ['在吗', '你好', '您好，在吗', '在不在', 'hello', '谢谢']) {
      expect(score(greeting, '退款了券还在吗'), greeting).toBeLessThan(0.45)
      expect(score(greeting, '你好，请问怎么开发票'), greeting).toBeLessThan(0.45)
    }
  })
})
