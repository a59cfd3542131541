/**
 * The pure rules that pace a Conversation: when its alarm fires, how many subrequests an
 * attempt may cost, and how long what it stores is kept.
 */
import { describe, expect, it } from 'vitest'
import { attemptCost, PASS_SUBREQUESTS, SubrequestBudget, TOKEN_FETCHES } from '../../src/conversation/budget'
import { deletableAt, retention, SEEN_MAX_MS } from '../../src/conversation/retention'
import { ALARM_FLOOR_MS, nextAlarm } from '../../src/conversation/schedule'
import type { ReplyMessage } from '../../src/replies'

const now = Date.UTC(2026, 10, 26)
const DAY = 24 * 60 * 60 * 1000
const idle = { resumeAt: null, deleteAt: now + 7 * DAY, pruneAt: now + DAY, recordAt: null }

describe('the next alarm', () => {
  it('is the earliest due retry while replies are pending', () => {
    expect(nextAlarm({ now, due: now + 5000, ...idle })).toBe(now + 5000)
  })

  it('is never sooner than a second away, even for a row already due', () => {
    expect(nextAlarm({ now, due: now - 60_000, ...idle })).toBe(now + ALARM_FLOOR_MS)
    expect(nextAlarm({ now, due: now + 10, ...idle })).toBe(now + ALARM_FLOOR_MS)
    expect(nextAlarm({ now, due: null, resumeAt: null, deleteAt: now - DAY, pruneAt: null, recordAt: null })).toBe(now + ALARM_FLOOR_MS)
  })

  it('after a transport failure waits for the failed row, though other rows are due', () => {
    expect(nextAlarm({ now, due: now - 1, ...idle, resumeAt: now + 4000 })).toBe(now + 4000)
  })

  it('when idle, is the next prune or the deletion, whichever comes first', () => {
    expect(nextAlarm({ now, due: null, ...idle })).toBe(now + DAY)
    expect(nextAlarm({ now, due: null, ...idle, pruneAt: null })).toBe(now + 7 * DAY)
    expect(nextAlarm({ now, due: null, ...idle, pruneAt: now + 8 * DAY })).toBe(now + 7 * DAY)
  })

  it('comes back for the D1 record’s journal before anything later, but not within the floor', () => {
    expect(nextAlarm({ now, due: null, ...idle, recordAt: now + 30_000 })).toBe(now + 30_000)
    expect(nextAlarm({ now, due: now + 60_000, ...idle, recordAt: now + 30_000 })).toBe(now + 30_000)
    expect(nextAlarm({ now, due: now + 5000, ...idle, recordAt: now + 30_000 })).toBe(now + 5000)
    expect(nextAlarm({ now, due: null, ...idle, recordAt: now - 1 })).toBe(now + ALARM_FLOOR_MS)
  })
})

describe('the subrequest budget of a pass', () => {
  const text: ReplyMessage = { type: 'text', text: 'hi' }
  const image: ReplyMessage = { type: 'image', url: 'https://example.com/a.png' }
  const cachedImage: ReplyMessage = { type: 'image', media_id: 'm' }

  it('reserves the token fetches, then each attempt at its worst case', () => {
    const budget = new SubrequestBudget()
    expect(budget.left).toBe(PASS_SUBREQUESTS - TOKEN_FETCHES)
    let attempts = 0
    while (budget.take(attemptCost(text, false))) attempts++
    expect(attempts).toBe(Math.floor((PASS_SUBREQUESTS - TOKEN_FETCHES) / attemptCost(text, false)))
    expect(TOKEN_FETCHES + attempts * attemptCost(text, false)).toBeLessThanOrEqual(PASS_SUBREQUESTS)
  })

  it('stays under the Free plan limit of 50 subrequests per invocation', () => {
    expect(PASS_SUBREQUESTS).toBeLessThan(50)
  })

  it('an image by URL may cost typing, download, redirects and upload besides the send', () => {
    expect(attemptCost(image, false)).toBeGreaterThan(attemptCost(image, true))
    expect(attemptCost(image, true)).toBeGreaterThan(attemptCost(text, false))
    expect(attemptCost(cachedImage, false)).toBe(attemptCost(text, false))
  })

  it('refuses what does not fit and reserves nothing for it', () => {
    const budget = new SubrequestBudget(TOKEN_FETCHES + 3)
    expect(budget.take(4)).toBe(false)
    expect(budget.left).toBe(3)
    expect(budget.take(3)).toBe(true)
    expect(budget.take(1)).toBe(false)
  })
})

describe('retention', () => {
  it('keeps seen rows (what the user wrote) two days, never longer than RETENTION_DAYS', () => {
    expect(retention(7 * DAY)).toEqual({ keepMs: 7 * DAY, seenMs: SEEN_MAX_MS, finishedMs: 7 * DAY })
    expect(retention(1 * DAY).seenMs).toBe(DAY)
  })

  it('deletes RETENTION_DAYS after the last activity, not while the window is open', () => {
    const policy = retention(DAY)
    expect(deletableAt(now, 0, policy)).toBe(now + DAY)
    expect(deletableAt(now, now + 2 * DAY, policy)).toBe(now + 2 * DAY)
    expect(deletableAt(null, 0, policy)).toBe(0)
  })
})
