/**
 * Office hours, rule dates, enabled: false and random replies (issue 16), on fixed clocks:
 * every case runs on the set compiled in the Worker and on the one decoded from rules:push's
 * bytes, so the compiled form is shown to carry all of it.
 */
import { describe, expect, it } from 'vitest'
import { compiledVersion, decodeCompiled, encodeCompiled, FORMAT } from '../../src/rules/codec'
import { compileRules, toRuleSet } from '../../src/rules/compile'
import { isOpen, hoursData, hoursTable, localClock } from '../../src/rules/hours'
import { decide, randomPick } from '../../src/rules/match'
import type { RuleSet } from '../../src/rules/rule-set'
import type { RuleSetSource } from '../../src/rules/schema'
import { formatIssue, validateRuleSet } from '../../src/rules/validate'
import type { InboundMessage } from '../../src/wechat/message'

const VERSION = '0123456789abcdef'
const base = { toUserName: 'gh_test', fromUserName: 'oUser', createTime: 1 }
const text = (content: string): InboundMessage => ({ ...base, type: 'text', msgId: '1', content })
const image: InboundMessage = { ...base, type: 'image', msgId: '2', picUrl: 'https://x', mediaId: 'm' }
const say = (t: string) => ({ type: 'text' as const, text: t })
const at = (iso: string) => Date.parse(iso)

function valid(input: unknown): RuleSetSource {
  const result = validateRuleSet(input)
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'))
  return result.value
}

function builds(input: unknown): [string, RuleSet][] {
  const compiled = compileRules(valid(input), VERSION)
  return [
    ['compiled in the Worker', toRuleSet(compiled)],
    ['decoded from rules:compiled', decodeCompiled(encodeCompiled(compiled).buffer as ArrayBuffer)],
  ]
}

const HOURS = {
  tz: 'Asia/Shanghai',
  weekly: {
    mon: ['09:00-12:00', '13:00-18:00'],
    tue: ['09:00-18:00'],
    wed: ['09:00-18:00'],
    thu: ['09:00-18:00'],
    fri: ['09:00-18:00'],
    sat: ['22:00-24:00'],
    sun: ['00:00-02:00'],
  },
  closed: ['2026-10-01'],
  open: ['2026-09-27'],
}

const OFFICE = {
  hours: HOURS,
  rules: [
    { id: 'human-open', during: 'open', when: { text: ['人工'] }, reply: [say('正在转接'), { type: 'transfer' }] },
    { id: 'human-closed', during: 'closed', when: { text: ['人工'] }, reply: say('下班了，明天 9 点见') },
    { id: 'photo-open', during: 'open', when: { msgtype: 'image' }, reply: say('收到图片') },
  ],
  default: [{ during: 'closed', reply: say('现在是休息时间') }, { reply: say('请稍候') }],
}

describe.each(builds(OFFICE))('office hours in Asia/Shanghai, %s', (_, rules) => {
  const cases: [string, string, string, string | null][] = [
    ['inside hours', '2026-09-30T10:00+08:00', '人工', 'human-open'],
    ['the lunch gap', '2026-09-28T12:30+08:00', '人工', 'human-closed'],
    ['the first minute (start inclusive)', '2026-09-30T09:00+08:00', '人工', 'human-open'],
    ['the end minute (end exclusive)', '2026-09-30T18:00+08:00', '人工', 'human-closed'],
    ['09:30 local is 01:30 UTC', '2026-09-30T01:30Z', '人工', 'human-open'],
    ['08:30 local is 00:30 UTC', '2026-09-30T00:30Z', '人工', 'human-closed'],
    ['a holiday on a weekday (closed)', '2026-10-01T10:00+08:00', '人工', 'human-closed'],
    ['a make-up Sunday (open, Monday hours)', '2026-09-27T10:00+08:00', '人工', 'human-open'],
    ['a make-up Sunday in Monday’s lunch gap', '2026-09-27T12:30+08:00', '人工', 'human-closed'],
    ['an ordinary Saturday morning', '2026-10-10T10:00+08:00', '人工', 'human-closed'],
    ['across midnight: Saturday 23:00', '2026-10-10T23:00+08:00', '人工', 'human-open'],
    ['across midnight: Sunday 01:00', '2026-10-11T01:00+08:00', '人工', 'human-open'],
    ['across midnight: Sunday 02:00', '2026-10-11T02:00+08:00', '人工', 'human-closed'],
  ]
  for (const [name, when, content, ruleId] of cases) {
    it(`${name} → ${ruleId}`, () => expect(decide(rules, text(content), at(when)).ruleId).toBe(ruleId))
  }

  it('the default follows the hours too', () => {
    expect(decide(rules, text('?'), at('2026-10-01T10:00+08:00')).sends).toEqual([say('现在是休息时间')])
    expect(decide(rules, text('?'), at('2026-09-30T10:00+08:00')).sends).toEqual([say('请稍候')])
  })

  it('non-text messages: only the rule in force answers', () => {
    expect(decide(rules, image, at('2026-09-30T10:00+08:00')).ruleId).toBe('photo-open')
    expect(decide(rules, image, at('2026-09-30T20:00+08:00')).ruleId).toBeNull()
  })
})

describe('a DST-observing zone: America/New_York around 8 March 2026', () => {
  const hours = hoursTable(hoursData({ tz: 'America/New_York', weekly: { mon: ['09:00-17:00'], sun: ['01:00-02:00', '03:00-04:00'] } }))
  it('09:30 local is 14:30 UTC in winter and 13:30 UTC in summer', () => {
    expect(isOpen(hours, at('2026-03-02T14:30Z'))).toBe(true)
    expect(isOpen(hours, at('2026-03-02T13:30Z'))).toBe(false) // 08:30 EST
    expect(isOpen(hours, at('2026-03-09T13:30Z'))).toBe(true) // 09:30 EDT
    expect(isOpen(hours, at('2026-03-09T21:30Z'))).toBe(false) // 17:30 EDT
  })
  it('the night the clocks skip 02:00–03:00', () => {
    expect(localClock('America/New_York', at('2026-03-08T06:30Z'))).toEqual({ date: '2026-03-08', weekday: 6, minute: 90 })
    expect(isOpen(hours, at('2026-03-08T06:30Z'))).toBe(true) // 01:30 EST
    expect(localClock('America/New_York', at('2026-03-08T07:30Z')).minute).toBe(3 * 60 + 30) // 03:30 EDT
    expect(isOpen(hours, at('2026-03-08T07:30Z'))).toBe(true)
    expect(isOpen(hours, at('2026-03-08T08:30Z'))).toBe(false) // 04:30 EDT
  })
})

const CAMPAIGN = {
  rules: [
    {
      id: 'national-day',
      from: '2026-10-01T00:00+08:00',
      until: '2026-10-08T00:00+08:00',
      when: { contains: ['优惠'] },
      reply: say('国庆 8 折'),
    },
    { id: 'old-campaign', enabled: false, when: { contains: ['优惠'] }, reply: say('早就结束了') },
    { id: 'deals', when: { contains: ['优惠'] }, reply: say('看看本周特价') },
  ],
}

describe.each(builds(CAMPAIGN))('rules with dates and enabled: false, %s', (_, rules) => {
  const cases: [string, string, string][] = [
    ['before its dates', '2026-09-30T23:59:59+08:00', 'deals'],
    ['at its start (inclusive)', '2026-10-01T00:00+08:00', 'national-day'],
    ['during', '2026-10-05T12:00+08:00', 'national-day'],
    ['at its end (exclusive)', '2026-10-08T00:00+08:00', 'deals'],
    ['after', '2026-11-01T00:00+08:00', 'deals'],
  ]
  for (const [name, when, ruleId] of cases) {
    it(`${name} → ${ruleId}`, () => expect(decide(rules, text('有优惠吗'), at(when)).ruleId).toBe(ruleId))
  }
  it('a disabled rule never answers, and later rules answer in its place', () => {
    const seen = new Set(['2026-01-01T00:00Z', '2026-10-03T00:00Z'].map((t) => decide(rules, text('优惠'), at(t)).ruleId))
    expect(seen.has('old-campaign')).toBe(false)
  })
  it('only "from" or only "until" bound one side', () => {
    const [[, open]] = builds({
      rules: [
        { id: 'soon', from: '2026-12-01T00:00Z', when: { text: ['a'] }, reply: say('x') },
        { id: 'ending', until: '2026-12-01T00:00Z', when: { text: ['a'] }, reply: say('y') },
      ],
    }) as [[string, RuleSet]]
    expect(decide(open, text('a'), at('2026-11-30T23:59Z')).ruleId).toBe('ending')
    expect(decide(open, text('a'), at('2026-12-01T00:00Z')).ruleId).toBe('soon')
  })
})

const RANDOM = {
  rules: [
    {
      id: 'hello',
      when: { text: ['你好'] },
      reply: { random: [say('你好呀'), [say('嗨'), say('有什么可以帮您？')], say('在的')] },
    },
    { id: 'regex', when: { regex: '^订单(\\d+)$' }, reply: { random: [say('查 {{1}}'), say('稍等，{{1}}')] } },
  ],
  default: { random: [say('A'), say('B')] },
}

describe.each(builds(RANDOM))('random replies, %s', (_, rules) => {
  const NOW = at('2026-10-01T10:00+08:00')
  it('the injected pick chooses the reply', () => {
    expect(decide(rules, text('你好'), NOW, () => 0).sends).toEqual([say('你好呀')])
    expect(decide(rules, text('你好'), NOW, () => 1).sends).toEqual([say('嗨'), say('有什么可以帮您？')])
    expect(decide(rules, text('你好'), NOW, () => 2).sends).toEqual([say('在的')])
    expect(decide(rules, text('订单42'), NOW, () => 1).sends).toEqual([say('稍等，42')])
    expect(decide(rules, text('?'), NOW, () => 1).sends).toEqual([say('B')])
  })

  it('crypto-random choices cover every reply over many messages, one choice per message', () => {
    const choices = [[say('你好呀')], [say('嗨'), say('有什么可以帮您？')], [say('在的')]].map((s) => JSON.stringify(s))
    const counts = new Map<string, number>()
    for (let i = 0; i < 600; i++) {
      const sends = JSON.stringify(decide(rules, text('你好'), NOW).sends)
      expect(choices).toContain(sends)
      counts.set(sends, (counts.get(sends) ?? 0) + 1)
    }
    // Each of 3 choices has p = 1/3: fewer than 100 of 600 is beyond 10 standard deviations.
    for (const choice of choices) expect(counts.get(choice) ?? 0).toBeGreaterThan(100)
  })

  it('randomPick stays in range', () => {
    for (let i = 0; i < 200; i++) {
      const n = randomPick(3)
      expect(Number.isInteger(n) && n >= 0 && n < 3).toBe(true)
    }
  })
})

describe('rules:check for hours, dates and random replies', () => {
  const ok = say('ok')
  const problems = (input: Record<string, unknown>): string[] => {
    const result = validateRuleSet(input)
    return result.ok ? [] : result.issues.map(formatIssue)
  }
  const withHours = (hours: Record<string, unknown>) => problems({ hours, rules: [] })

  it('old rule sets stay valid', () => {
    expect(problems({ rules: [{ id: 'a', when: { text: ['x'] }, reply: ok }], default: [ok, ok] })).toEqual([])
  })
  it('an unknown time zone', () => {
    expect(withHours({ tz: 'Mars/Olympus', weekly: {} })).toEqual([
      'hours.tz: "Mars/Olympus" is not a time zone this runtime knows (use an IANA name like Asia/Shanghai)',
    ])
  })
  it('malformed, backwards, across-midnight and overlapping hours', () => {
    expect(withHours({ tz: 'UTC', weekly: { mon: ['9-18'] } })).toEqual(['hours.weekly.mon[0]: must be HH:MM-HH:MM, like 09:00-18:00'])
    expect(withHours({ tz: 'UTC', weekly: { tue: ['25:00-26:00'] } })[0]).toMatch(
      /^hours\.weekly\.tue\[0\]: "25:00-26:00" is not HH:MM-HH:MM/,
    )
    expect(withHours({ tz: 'UTC', weekly: { fri: ['22:00-02:00'] } })[0]).toMatch(
      /^hours\.weekly\.fri\[0\]: "22:00-02:00" .*across midnight goes on two days/,
    )
    expect(withHours({ tz: 'UTC', weekly: { wed: ['09:00-12:00', '11:00-18:00'] } })).toEqual([
      'hours.weekly.wed[1]: "11:00-18:00" overlaps weekly.wed[0]',
    ])
    expect(withHours({ tz: 'UTC', weekly: { holiday: [] } })).toEqual(['hours.weekly.holiday: unknown key "holiday"'])
  })
  it('malformed dates, and a date both closed and open', () => {
    expect(withHours({ tz: 'UTC', weekly: { mon: ['09:00-18:00'] }, closed: ['2026-02-30', '10/01'], open: ['2026-10-01'] })).toEqual([
      'hours.closed[1]: must be a date, YYYY-MM-DD',
    ])
    expect(withHours({ tz: 'UTC', weekly: { mon: ['09:00-18:00'] }, closed: ['2026-02-30', '2026-10-01'], open: ['2026-10-01'] })).toEqual([
      'hours.closed[0]: "2026-02-30" is not a date (YYYY-MM-DD)',
      'hours.open[0]: 2026-10-01 is also in closed',
    ])
  })
  it('make-up days need hours', () => {
    expect(withHours({ tz: 'UTC', weekly: { tue: ['09:00-18:00'] }, open: ['2026-09-27'] })).toEqual([
      'hours.open: make-up days need hours: set open_hours, or Monday hours in weekly.mon',
    ])
    expect(withHours({ tz: 'UTC', weekly: {}, open: ['2026-09-27'], open_hours: ['10:00-16:00'] })).toEqual([])
  })
  it('during without hours, in a rule and in the default', () => {
    expect(
      problems({ rules: [{ id: 'night', during: 'closed', when: { text: ['x'] }, reply: ok }], default: [{ during: 'open', reply: ok }] }),
    ).toEqual([
      'rule "night" at rules[0].during: needs office hours: add a top-level "hours" block',
      'default[0].during: needs office hours: add a top-level "hours" block',
    ])
    expect(problems({ rules: [{ id: 'n', during: 'lunch', when: { text: ['x'] }, reply: ok }] })[0]).toMatch(
      /^rule "n" at rules\[0\]\.during: /,
    )
  })
  it('until before from, and malformed date-times', () => {
    const rule = (extra: Record<string, unknown>) => problems({ rules: [{ id: 'c', when: { text: ['x'] }, reply: ok, ...extra }] })
    expect(rule({ from: '2026-10-08T00:00+08:00', until: '2026-10-01T00:00+08:00' })).toEqual([
      'rule "c" at rules[0].until: is not after from (2026-10-08T00:00+08:00): the rule would never apply',
    ])
    expect(rule({ from: '2026-10-01' })).toEqual([
      'rule "c" at rules[0].from: must be an ISO date-time with an offset, like 2026-10-01T00:00+08:00',
    ])
    expect(rule({ until: '2026-13-45T99:00Z' })).toEqual(['rule "c" at rules[0].until: is not a real date-time'])
    expect(rule({ enabled: 'no' })).toEqual(['rule "c" at rules[0].enabled: expected boolean, received "no"'])
  })
  it('random replies are checked choice by choice', () => {
    const rule = (reply: unknown) => problems({ rules: [{ id: 'r', when: { text: ['x'] }, reply }] })
    expect(rule({ random: [] })).toEqual(['rule "r" at rules[0].reply.random: needs at least one choice'])
    expect(rule({ random: [ok, { type: 'text', text: '' }] })).toEqual(['rule "r" at rules[0].reply.random[1].text: must not be empty'])
    expect(rule({ random: [ok, [ok, { type: 'image' }]] })).toEqual([
      'rule "r" at rules[0].reply.random[1][1]: an image needs exactly one of url, media_id, file',
    ])
    expect(rule({ random: [say('{{1}}')] })).toEqual([
      'rule "r" at rules[0].reply.random[0].text: uses {{1}}, but only a regex rule has groups to fill it',
    ])
    expect(rule({ random: [ok], extra: 1 })).toEqual(['rule "r" at rules[0].reply.extra: unknown key "extra"'])
  })
  it('once_per_hours only on an entry-event rule, in whole hours', () => {
    const rule = (when: unknown, once: unknown) => problems({ rules: [{ id: 'w', when, once_per_hours: once, reply: ok }] })
    expect(rule({ event: 'user_enter_tempsession' }, 24)).toEqual([])
    expect(rule({ text: ['hi'] }, 24)).toEqual([
      'rule "w" at rules[0].once_per_hours: only goes with "event": "user_enter_tempsession" (a welcome)',
    ])
    expect(rule({ event: 'user_enter_tempsession' }, 1.5)).toEqual(['rule "w" at rules[0].once_per_hours: must be a whole number of hours'])
    expect(rule({ event: 'user_enter_tempsession' }, 0)).toEqual(['rule "w" at rules[0].once_per_hours: must be at least 1'])
  })
  it('the hand-off: a count from 1 to 100, an optional text; "handoff" is no rule id', () => {
    expect(problems({ handoff: { after_unmatched: 3, text: '转人工' }, rules: [] })).toEqual([])
    expect(problems({ handoff: { after_unmatched: 0 }, rules: [] })).toEqual(['handoff.after_unmatched: must be at least 1'])
    expect(problems({ handoff: { after_unmatched: 101 }, rules: [] })).toEqual(['handoff.after_unmatched: must be at most 100'])
    expect(problems({ handoff: { text: 'x' }, rules: [] })).toEqual(['handoff.after_unmatched: is required ("after_unmatched")'])
    expect(problems({ handoff: { after_unmatched: 2, text: '' }, rules: [] })).toEqual(['handoff.text: must not be empty'])
    expect(problems({ rules: [{ id: 'handoff', when: { text: ['x'] }, reply: ok }] })).toEqual([
      'rule "handoff" at rules[0].id: "handoff" is reserved for the hand-off',
    ])
  })
  it('default entries are checked with their paths', () => {
    expect(problems({ hours: { tz: 'UTC', weekly: {} }, rules: [], default: [{ during: 'closed', reply: { type: 'text' } }] })).toEqual([
      'default[0].reply.text: is required ("text")',
    ])
  })
})

describe('the compiled form (rules:compiled)', () => {
  it('carries the hours, the defaults, each layer’s condition and random answers', () => {
    const compiled = compileRules(valid({ ...OFFICE, rules: [...OFFICE.rules, ...CAMPAIGN.rules, ...RANDOM.rules] }), VERSION)
    const decoded = decodeCompiled(encodeCompiled(compiled).buffer as ArrayBuffer)
    const direct = toRuleSet(compiled)
    expect(decoded.hours).toEqual(direct.hours)
    expect(decoded.defaults).toEqual(direct.defaults)
    expect(decoded.layers.map((layer) => layer.condition)).toEqual([
      null,
      { during: 'open' },
      { during: 'closed' },
      { from: at('2026-10-01T00:00+08:00'), until: at('2026-10-08T00:00+08:00') },
    ])
    for (let i = 0; i < direct.size; i++) expect(decoded.action(i)).toEqual(direct.action(i))
    expect(decoded.handoff).toBeNull()
    expect(decoded.action(6)).toEqual({
      random: [
        { transfer: false, sends: [say('你好呀')] },
        { transfer: false, sends: [say('嗨'), say('有什么可以帮您？')] },
        { transfer: false, sends: [say('在的')] },
      ],
    })
  })

  it('carries once_per_hours and the hand-off, and decide puts them in the plan', () => {
    const source = valid({
      handoff: { after_unmatched: 2, text: '转人工' },
      rules: [
        { id: 'hi', when: { text: ['hi'] }, reply: say('hi') },
        { id: 'welcome', when: { event: 'user_enter_tempsession' }, once_per_hours: 24, reply: say('欢迎') },
      ],
    })
    const compiled = compileRules(source, VERSION)
    for (const rules of [toRuleSet(compiled), decodeCompiled(encodeCompiled(compiled).buffer as ArrayBuffer)]) {
      expect(rules.handoff).toEqual({ afterUnmatched: 2, text: '转人工' })
      expect([rules.oncePerHours(0), rules.oncePerHours(1)]).toEqual([undefined, 24])
      const enter: InboundMessage = { ...base, type: 'user_enter_tempsession', sessionFrom: '' }
      expect(decide(rules, enter, 0)).toMatchObject({ ruleId: 'welcome', oncePerHours: 24 })
      expect(decide(rules, text('hi'), 0).handoff).toBeUndefined()
      expect(decide(rules, text('what?'), 0)).toMatchObject({ ruleId: null, handoff: { afterUnmatched: 2, text: '转人工' } })
    }
  })

  it('a value of another format is not read (the loader recompiles from source)', () => {
    const bytes = encodeCompiled(compileRules(valid(OFFICE), VERSION))
    expect(compiledVersion(bytes.buffer as ArrayBuffer)).toBe(VERSION)
    new DataView(bytes.buffer).setUint32(4, FORMAT - 1, true)
    expect(compiledVersion(bytes.buffer as ArrayBuffer)).toBeNull()
  })
})
