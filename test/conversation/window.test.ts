/**
 * The send allowance folded from events in WeChat's order (src/conversation/window.ts):
 * grants at the user's action, sends when their answer came, refusals when the refused send
 * left — whatever order we learnt of them in.
 */
import { describe, expect, it } from 'vitest'
import { foldWindow, NO_WINDOW, WINDOW_EVENT_TTL_MS, type WindowEvent } from '../../src/conversation/window'
import { refusal } from '../../src/conversation/policy'

const HOUR = 60 * 60 * 1000
const t0 = Date.UTC(2026, 10, 26)
const grant = (at: number, action: 'message' | 'enter_session' = 'message'): WindowEvent => ({ kind: 'grant', at, action })
const sent = (at: number): WindowEvent => ({ kind: 'sent', at })
const refused = (at: number, why: 'limit_reached' | 'window_closed'): WindowEvent => ({ kind: 'refused', at, refusal: why })

describe('the window as a fold of events', () => {
  it('no events: closed', () => {
    expect(foldWindow([])).toEqual(NO_WINDOW)
    expect(refusal(foldWindow([]), t0)).toBe('window_closed')
  })

  it('a message grants 5 for 48 hours; each send uses one', () => {
    const window = foldWindow([grant(t0), sent(t0 + 1000), sent(t0 + 2000)])
    expect(window).toEqual({ remaining: 3, closesAt: t0 + 48 * HOUR, openedAt: t0 })
  })

  it('20 messages that all came before the first reply allow 5 sends, however late their pushes arrived', () => {
    // The pushes reach us interleaved with our sends; by WeChat's clock they all came first.
    const events: WindowEvent[] = [grant(t0), sent(t0 + 500)]
    for (let i = 0; i < 19; i++) events.push(grant(t0))
    events.push(sent(t0 + 600), sent(t0 + 700), sent(t0 + 800))
    expect(foldWindow(events).remaining).toBe(1)
    events.push(sent(t0 + 900))
    expect(refusal(foldWindow(events), t0 + 1000)).toBe('limit_reached')
  })

  it('a message after a send starts a fresh count', () => {
    expect(foldWindow([grant(t0), sent(t0 + 1000), sent(t0 + 2000), grant(t0 + 3000)]).remaining).toBe(5)
  })

  it('a grant at the same millisecond as a send counts first: the send uses it', () => {
    expect(foldWindow([sent(t0), grant(t0)]).remaining).toBe(4)
  })

  it('45047 empties the count as of the refused send; a grant after it survives', () => {
    const refusedAt = t0 + 10_000
    expect(foldWindow([grant(t0), refused(refusedAt, 'limit_reached')]).remaining).toBe(0)
    // The new message's push arrived while the refused send was awaited: stored before the refusal.
    const window = foldWindow([grant(t0), grant(refusedAt + 1), refused(refusedAt, 'limit_reached')])
    expect(window).toMatchObject({ remaining: 5, closesAt: refusedAt + 1 + 48 * HOUR })
    expect(refusal(window, refusedAt + 2)).toBeNull()
  })

  it('45015 closes the window as of the refused send; a grant after it opens a new one', () => {
    const refusedAt = t0 + 10_000
    const closed = foldWindow([grant(t0), refused(refusedAt, 'window_closed')])
    expect(refusal(closed, refusedAt)).toBe('window_closed')
    const reopened = foldWindow([grant(t0), grant(refusedAt + 1, 'enter_session'), refused(refusedAt, 'window_closed')])
    expect(reopened).toMatchObject({ remaining: 2, closesAt: refusedAt + 1 + 60_000 })
  })

  it('a grant from before the refused send does not survive it', () => {
    expect(foldWindow([grant(t0), refused(t0 + 10_000, 'limit_reached'), grant(t0 + 5000)]).remaining).toBe(0)
  })

  it('allowances do not add up: entering the session leaves a larger count as it is', () => {
    expect(foldWindow([grant(t0), sent(t0 + 1), grant(t0 + 2, 'enter_session')])).toMatchObject({
      remaining: 4,
      closesAt: t0 + 48 * HOUR,
      openedAt: t0 + 2,
    })
  })

  it('the window carried over from schema 1 goes on from where it was', () => {
    const carried: WindowEvent = { kind: 'carried', at: t0, window: { remaining: 2, closesAt: t0 + 48 * HOUR } }
    expect(foldWindow([carried, sent(t0 + HOUR)])).toEqual({ remaining: 1, closesAt: t0 + 48 * HOUR, openedAt: t0 })
  })

  it('dropping events older than the TTL changes nothing from now on', () => {
    const now = t0 + 100 * HOUR
    const cutoff = now - WINDOW_EVENT_TTL_MS
    const events: WindowEvent[] = [
      grant(cutoff - 1),
      sent(cutoff - 1 + 47 * HOUR),
      // A short grant in the last minute of the old window, which carries its count over.
      grant(cutoff - 1 + 48 * HOUR - 30_000, 'enter_session'),
      grant(now - 10 * HOUR),
      sent(now - 9 * HOUR),
    ]
    const kept = events.filter((event) => event.at >= cutoff)
    for (const at of [now, now + HOUR, now + 40 * HOUR]) {
      expect(refusal(foldWindow(kept), at)).toBe(refusal(foldWindow(events), at))
    }
    expect(foldWindow(kept).remaining).toBe(foldWindow(events).remaining)
  })
})
