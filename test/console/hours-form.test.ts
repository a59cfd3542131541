/**
 * The office hours as a weekly grid and dates (src/console/hours-form.ts), and the rules
 * form's other non-JSON pieces (src/console/rule-form.ts): times in China time, the default
 * reply as entries, and the buttons' names read back as changes.
 */
import { describe, expect, it } from 'vitest'
import {
  applyHoursOp,
  hoursDraftOf,
  hoursFields,
  hoursFromForm,
  hoursOf,
  hoursPlaceOf,
  newHours,
  periodRowOf,
} from '../../src/console/hours-form'
import { applyOp, formFields, fromForm, isoOf, localOf, opOf } from '../../src/console/rule-form'
import { draftOf } from '../../src/console/rule-draft'
import { ruleSetOf } from '../../src/console/draft-rule-set'

const HOURS = {
  tz: 'Asia/Shanghai',
  weekly: { mon: ['09:00-12:00', '13:00-18:00'], sat: ['10:00-16:00'] },
  closed: ['2026-10-01', '2026-10-02'],
  open: ['2026-09-27'],
  open_hours: ['09:00-17:00'],
}

const read = (fields: Record<string, string>) => (name: string) => fields[name] ?? ''

describe('the office hours through the form', () => {
  it('keeps a block unchanged: split days, holidays, make-up days and their hours', () => {
    expect(hoursOf(hoursFromForm(read(hoursFields(hoursDraftOf(HOURS))))!)).toEqual(HOURS)
  })

  it('has no block when the box is not ticked, whatever the grid holds', () => {
    expect(hoursFromForm(read({ ...hoursFields(newHours()), 'hours.on': '' }))).toBeNull()
    expect(hoursFields(null)).toEqual({ 'hours.on': '' })
  })

  it('drops periods and dates left empty, so the page may always offer a blank one', () => {
    const draft = applyHoursOp(applyHoursOp(newHours(), { op: 'date-add', list: 'closed' }), { op: 'period-add', row: 'sun' })
    draft.periods.sun = [{ start: '', end: '' }]
    expect(hoursOf(draft)).toEqual({
      tz: 'Asia/Shanghai',
      weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((day) => [day, ['09:00-18:00']])),
    })
  })

  it('a new period starts where the day’s last one ended; periods and dates are removed by index', () => {
    const split = applyHoursOp(newHours(), { op: 'period-add', row: 'mon' })
    expect(split.periods.mon).toEqual([
      { start: '09:00', end: '18:00' },
      { start: '18:00', end: '' },
    ])
    expect(applyHoursOp(split, { op: 'period-delete', row: 'mon', index: 0 }).periods.mon).toEqual([{ start: '18:00', end: '' }])
    expect(applyHoursOp(newHours(), { op: 'period-add', row: 'sat' }).periods.sat).toEqual([{ start: '09:00', end: '18:00' }])
    const dated = { ...newHours(), open: ['2026-09-27', '2026-10-11'] }
    expect(applyHoursOp(dated, { op: 'date-delete', list: 'open', index: 0 }).open).toEqual(['2026-10-11'])
  })

  it('puts a problem on its weekday row', () => {
    expect(periodRowOf('hours.weekly.mon[1]')).toBe('mon')
    expect(periodRowOf('hours.open_hours[0]')).toBe('open_hours')
    expect(periodRowOf('hours.closed[0]')).toBeNull()
    expect(periodRowOf('hours.tz')).toBeNull()
  })

  it('puts a problem beside its time zone, row or date: the rule set’s date index is the form’s without its blanks', () => {
    const draft = { ...newHours(), closed: ['2026-10-01', '', '2026-02-30'], open: ['2026-10-08'] }
    expect(hoursPlaceOf(draft, 'hours.tz')).toEqual({ at: 'tz' })
    expect(hoursPlaceOf(draft, 'hours.weekly.mon[0]')).toEqual({ at: 'row', row: 'mon' })
    expect(hoursPlaceOf(draft, 'hours.closed[1]')).toEqual({ at: 'date', list: 'closed', index: 2 })
    expect(hoursPlaceOf(draft, 'hours.open[0]')).toEqual({ at: 'date', list: 'open', index: 0 })
    expect(hoursPlaceOf(draft, 'hours.open')).toEqual({ at: 'date', list: 'open', index: null })
    expect(hoursPlaceOf(draft, 'hours.closed[7]')).toEqual({ at: 'date', list: 'closed', index: null })
    expect(hoursPlaceOf(draft, 'hours.weekly')).toBeNull()
    expect(hoursPlaceOf(draft, 'hours')).toBeNull()
  })

  it('bounds the counts a form may claim', () => {
    const draft = hoursFromForm(read({ 'hours.on': 'on', 'hours.mon.count': '99999', 'hours.closed.count': '99999' }))!
    expect(draft.periods.mon.length).toBeLessThanOrEqual(12)
    expect(draft.closed.length).toBeLessThanOrEqual(200)
  })
})

describe('dates and times in China time', () => {
  it('shows an instant as a datetime-local value in China time, and reads one back with +08:00', () => {
    expect(localOf('2026-10-01T00:00+08:00')).toBe('2026-10-01T00:00')
    expect(localOf('2026-09-30T16:00Z')).toBe('2026-10-01T00:00')
    expect(isoOf('2026-10-01T00:00')).toBe('2026-10-01T00:00+08:00')
    expect(isoOf('2026-10-01T00:00:30')).toBe('2026-10-01T00:00+08:00')
    // What a script posts with its own offset, or garbage, goes to the validator as typed.
    expect(isoOf('2026-10-01T00:00Z')).toBe('2026-10-01T00:00Z')
    expect(isoOf('tomorrow')).toBe('tomorrow')
    expect(localOf('')).toBe('')
  })
})

describe('the default reply as entries', () => {
  it('keeps one reply for any time plain, and entries per office hours as a list', () => {
    for (const fallback of [
      { type: 'text', text: '请稍候' },
      [{ during: 'closed', reply: { type: 'text', text: '休息中' } }, { reply: [{ type: 'text', text: '请稍候' }, { type: 'transfer' }] }],
    ]) {
      const set = { hours: HOURS, rules: [], default: fallback }
      const posted = fromForm(formFields(draftOf(set)))
      if (!posted.ok) throw new Error(posted.issue.message)
      expect(ruleSetOf(posted.draft).value).toEqual(set)
    }
  })

  it('adds an entry for the hours out of office, and removing the last one removes the default', () => {
    const draft = draftOf({ hours: HOURS, rules: [], default: { type: 'text', text: '请稍候' } })
    const two = applyOp(draft, { op: 'entry-add' })
    expect(two.fallback?.entries.map((entry) => entry.during)).toEqual(['', 'closed'])
    const none = applyOp(applyOp(two, { op: 'entry-delete', index: 1 }), { op: 'entry-delete', index: 0 })
    expect(none.fallback).toBeNull()
  })
})

describe('the buttons’ names', () => {
  const field = (name: string) => (name === 'r2.c1.add_type' ? 'link' : '')

  it('reads each button as its change', () => {
    expect(opOf('add', field)).toEqual({ op: 'add' })
    expect(opOf('down:3', field)).toEqual({ op: 'down', index: 3 })
    expect(opOf('part-add:r2.c1', field)).toEqual({ op: 'reply', prefix: 'r2', change: { op: 'part-add', choice: 1, type: 'link' } })
    expect(opOf('part-delete:d.e1.c0.p2', field)).toEqual({
      op: 'reply',
      prefix: 'd.e1',
      change: { op: 'part-delete', choice: 0, part: 2 },
    })
    expect(opOf('choice-add:r0', field)).toEqual({ op: 'reply', prefix: 'r0', change: { op: 'choice-add' } })
    expect(opOf('period-delete:sat.1', field)).toEqual({ op: 'hours', change: { op: 'period-delete', row: 'sat', index: 1 } })
    expect(opOf('date-add:open', field)).toEqual({ op: 'hours', change: { op: 'date-add', list: 'open' } })
    expect(opOf('entry-delete:1', field)).toEqual({ op: 'entry-delete', index: 1 })
  })

  it('reads anything else as no change (check, publish, or a forged name)', () => {
    for (const op of ['check', 'publish', 'part-add:x0.c0', 'period-add:funday', 'up:-1', 'part-up:r0.c0', 'date-add:closed.1.2', '']) {
      expect(opOf(op, field)).toBeNull()
    }
  })

  it('a change to a reply that is not there leaves the draft as it was', () => {
    const draft = draftOf({ rules: [] })
    expect(applyOp(draft, { op: 'reply', prefix: 'r5', change: { op: 'choice-add' } })).toEqual(draft)
    expect(applyOp(draft, { op: 'reply', prefix: 'd.e0', change: { op: 'choice-add' } })).toEqual(draft)
  })
})
