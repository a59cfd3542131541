/** How a row scores against a text: greetings and question words are no subject; a passage's heading says what it is about. */
import { describe, expect, it } from 'vitest'
import { faqScore, PASSAGE_SCALE, passageScore, queryOf, sectionScore } from '../../src/knowledge/score'
import { terms } from '../../src/knowledge/text'

const query = (text: string) => queryOf(text, terms(text))
const score = (text: string, row: string) => faqScore(query(text), row)

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

describe('sectionScore', () => {
  const question = '签收后多久还能退货'
  // knowledge/returns-policy.md's two sections, as passages.ts heads them.
  const noReason = '七天无理由退货\n签收次日起 7 天内，商品完好的，可申请无理由退货。'
  const quality = '质量问题退换货\n签收后 15 天内发现质量问题，可申请退货、换货或补发。'

  it('puts the section whose heading names the question first, where coverage alone puts the other', () => {
    expect(passageScore(query(question), quality)).toBeGreaterThan(passageScore(query(question), noReason))
    expect(sectionScore(query(question), noReason)).toBeGreaterThan(sectionScore(query(question), quality))
  })

  it('is coverage for a passage whose heading shares nothing, never more than PASSAGE_SCALE, 0 without a subject', () => {
    expect(sectionScore(query(question), quality)).toBe(passageScore(query(question), quality))
    expect(sectionScore(query('退货'), '退货\n退货')).toBe(PASSAGE_SCALE)
    expect(sectionScore(query('怎么'), '怎么\n怎么退货')).toBe(0)
  })
})
