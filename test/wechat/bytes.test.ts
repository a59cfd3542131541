/**
 * Base64 as WeChat writes Encrypt (src/wechat/bytes.ts): `isBase64` says what the anchored
 * pattern it replaced said, for any text — the alphabet, and `=` only as up to two at the end.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromBase64, isBase64 } from '../../src/wechat/bytes'

const ANCHORED = /^[A-Za-z0-9+/]*={0,2}$/
const nearBase64 = fc.string({ unit: fc.constantFrom(...'AZaz09+/=-_ \n.中'.split('')), maxLength: 24 })

describe('isBase64', () => {
  it('agrees with ^[A-Za-z0-9+/]*={0,2}$ on any text', () => {
    fc.assert(
      fc.property(fc.oneof(nearBase64, fc.string()), (text) => isBase64(text) === ANCHORED.test(text)),
      { numRuns: 2_000 },
    )
  })

  it('takes padding at the end only, two at most', () => {
    for (const text of ['', 'QQ==', 'QUI=', 'QUJD', 'a+/9']) expect(isBase64(text), text).toBe(true)
    for (const text of ['Q===', 'Q=Q=', '=QQQ', 'QQ=Q', 'QQ =', 'QQ\n=', 'Q-_Q', '中文']) expect(isBase64(text), text).toBe(false)
  })

  it('a text it refuses does not decode', () => {
    expect(fromBase64('QQ=Q')).toBeNull()
    expect(fromBase64('QUJD')).toEqual(new Uint8Array([0x41, 0x42, 0x43]))
  })
})
