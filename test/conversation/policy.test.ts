import { describe, expect, it } from 'vitest'
import { CLOSED, GRANTS, refusal, retryDelay, widen, RETRY_CAP_MS } from '../../src/conversation/policy'

const HOUR = 60 * 60 * 1000
const t0 = Date.UTC(2026, 10, 26)

describe('send window', () => {
  it('a user message opens 5 sends for 48 hours', () => {
    const w = widen(CLOSED, 'message', t0)
    expect(w).toEqual({ remaining: 5, closesAt: t0 + 48 * HOUR })
    expect(refusal(w, t0 + 48 * HOUR - 1)).toBeNull()
    expect(refusal(w, t0 + 48 * HOUR)).toBe('window_closed')
  })

  it('entering the session opens 2 sends for 1 minute', () => {
    expect(widen(CLOSED, 'enter_session', t0)).toEqual({ remaining: 2, closesAt: t0 + 60_000 })
  })

  it('allowances do not add up: each takes the larger count and the later deadline', () => {
    const afterMessage = { remaining: 1, closesAt: t0 + 47 * HOUR }
    expect(widen(afterMessage, 'enter_session', t0)).toEqual({ remaining: 2, closesAt: t0 + 47 * HOUR })
    const plenty = { remaining: 4, closesAt: t0 + HOUR }
    expect(widen(plenty, 'enter_session', t0)).toEqual({ remaining: 4, closesAt: t0 + HOUR })
    expect(widen(plenty, 'message', t0)).toEqual({ remaining: 5, closesAt: t0 + 48 * HOUR })
  })

  it('what is left of a closed window counts as nothing', () => {
    const expired = { remaining: 4, closesAt: t0 - 1 }
    expect(widen(expired, 'enter_session', t0)).toEqual({ remaining: 2, closesAt: t0 + 60_000 })
  })

  it('refuses when the count is used up', () => {
    expect(refusal({ remaining: 0, closesAt: t0 + HOUR }, t0)).toBe('limit_reached')
    expect(refusal(CLOSED, t0)).toBe('window_closed')
  })

  it('grants come from one table', () => {
    expect(GRANTS.message.count).toBe(5)
    expect(GRANTS.enter_session.count).toBe(2)
  })
})

describe('retry delay', () => {
  it('grows exponentially with jitter and is capped', () => {
    expect(retryDelay(1, 0)).toBe(1000)
    expect(retryDelay(1, 1)).toBe(2000)
    expect(retryDelay(3, 0.5)).toBe(6000)
    expect(retryDelay(50, 1)).toBe(RETRY_CAP_MS)
    for (let attempt = 1; attempt < 20; attempt++) {
      expect(retryDelay(attempt + 1, 0)).toBeGreaterThanOrEqual(retryDelay(attempt, 0))
    }
  })
})
