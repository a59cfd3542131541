/** What counts as a satisfaction rating (src/conversation/rating.ts): a score of 1 to 5, and nothing else. */
import { describe, expect, it } from 'vitest'
import { scoreOf } from '../../src/conversation/rating'

describe('scoreOf', () => {
  it.each([
    ['5', 5],
    [' 4 ', 4],
    ['3分', 3],
    ['1 星', 1],
    ['5！', 5],
  ])('%j is %i', (text, score) => expect(scoreOf(text)).toBe(score))

  it.each(['0', '6', '10', '5 分，服务很好', '五', 'ok', ''])('%j is no rating', (text) => expect(scoreOf(text)).toBeNull())
})
