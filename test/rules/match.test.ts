import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import shipped from '../../rules/rules.json'
import { buildAutomaton, lowestMatch, NONE } from '../../src/rules/automaton'
import { decodeCompiled, encodeCompiled } from '../../src/rules/codec'
import { compileRules, toAction, toRuleSet } from '../../src/rules/compile'
import { decide } from '../../src/rules/match'
import { foldText, MAX_REGEX_INPUT, REGEX_FLAGS, regexText } from '../../src/rules/normalize'
import type { RuleSet } from '../../src/rules/rule-set'
import type { RuleSetSource } from '../../src/rules/schema'
import { validateRuleSet } from '../../src/rules/validate'
import type { ReplyPlan } from '../../src/replies'
import type { InboundMessage } from '../../src/wechat/message'

const VERSION = '0123456789abcdef'
const base = { toUserName: 'gh_test', fromUserName: 'oUser', createTime: 1 }
const text = (content: string): InboundMessage => ({ ...base, type: 'text', msgId: '1', content })
const image: InboundMessage = { ...base, type: 'image', msgId: '2', picUrl: 'https://x', mediaId: 'm' }
const card: InboundMessage = {
  ...base,
  type: 'miniprogrampage',
  msgId: '3',
  title: '',
  appId: '',
  pagePath: '',
  thumbUrl: '',
  thumbMediaId: '',
}
const enter = (sessionFrom: string): InboundMessage => ({ ...base, type: 'user_enter_tempsession', sessionFrom })
const popup: InboundMessage = { ...base, type: 'subscribe_msg_popup_event', items: [] }
const unknown: InboundMessage = { ...base, type: 'unknown', msgType: 'voice' }

function valid(input: unknown): RuleSetSource {
  const result = validateRuleSet(input)
  if (!result.ok) throw new Error(JSON.stringify(result.issues))
  return result.value
}

/** Both ways a Worker gets a rule set: compiled here, and decoded from rules:push's bytes. */
function builds(source: RuleSetSource): [string, RuleSet][] {
  const compiled = compileRules(source, VERSION)
  return [
    ['compiled in the Worker', toRuleSet(compiled)],
    ['decoded from rules:compiled', decodeCompiled(encodeCompiled(compiled).buffer as ArrayBuffer)],
  ]
}

const say = (t: string) => ({ type: 'text' as const, text: t })

describe.each(builds(valid(shipped)))('the shipped rule set, %s', (_, rules) => {
  const cases: [string, InboundMessage, string | null, Partial<ReplyPlan>?][] = [
    ['exact text', text('下载'), 'download'],
    ['full-width digit (NFKC)', text('１'), 'download'],
    ['case and spaces', text('  APP '), 'download'],
    ['exact is whole-text only', text('我要下载'), 'default'],
    ['contains', text('怎么加微信呀'), 'qr'],
    ['regex with a group', text('订单 １２３４５６７'), 'order', { sends: [say('订单 1234567 已收到，稍后回复您')] }],
    ['regex named groups', text('退款 1234567 买错了'), 'refund'],
    ['transfer with a text first', text('转人工'), 'human', { transfer: true, sends: [say('正在为您转接人工客服，请稍候～')] }],
    ['default only for text', text('随便说说'), 'default'],
    ['image by msgtype, transfer', image, 'photos-to-human', { transfer: true, sends: [] }],
    ['card by msgtype', card, 'card-received'],
    ['event with its session_from', enter('pay'), 'welcome-pay'],
    ['event with another session_from', enter('home'), 'welcome'],
    ['event without session_from', enter(''), 'welcome'],
    ['an event no rule names', popup, null, { transfer: false, sends: [] }],
    ['an unknown message', unknown, null, { transfer: false, sends: [] }],
  ]
  for (const [name, message, ruleId, more] of cases) {
    it(name, () => {
      const plan = decide(rules, message, Date.now())
      expect(plan.ruleId).toBe(ruleId)
      expect(plan.ruleSetVersion).toBe(VERSION)
      if (more) expect(plan).toMatchObject(more)
    })
  }

  it('fills named groups, and an unmatched group with nothing', () => {
    expect(decide(rules, text('退款 1234567 买错了'), Date.now()).sends[0]).toEqual(say('退款申请已记录：订单 1234567（买错了）'))
    expect(decide(rules, text('退款1234567'), Date.now()).sends[0]).toEqual(say('退款申请已记录：订单 1234567（）'))
  })
})

describe('precedence: the first rule in file order wins, whatever the kind', () => {
  const kinds = {
    exact: { when: { text: ['Hello 世界'] } },
    contains: { when: { contains: ['世界'] } },
    regex: { when: { regex: '^hello' } },
    msgtype: { when: { msgtype: 'text' } },
  }
  const names = Object.keys(kinds) as (keyof typeof kinds)[]
  for (const first of names) {
    it(`${first} before the others`, () => {
      const order = [first, ...names.filter((n) => n !== first)]
      const source = valid({ rules: order.map((n) => ({ id: n, ...kinds[n], reply: say(n) })), default: say('default') })
      for (const [, rules] of builds(source)) expect(decide(rules, text('ＨＥＬＬＯ 世界'), Date.now()).ruleId).toBe(first)
    })
  }

  it('a later exact text does not beat an earlier contains', () => {
    const source = valid({
      rules: [
        { id: 'c', when: { contains: ['a'] }, reply: say('c') },
        { id: 'e', when: { text: ['abc'] }, reply: say('e') },
      ],
    })
    for (const [, rules] of builds(source)) expect(decide(rules, text('ABC'), Date.now()).ruleId).toBe('c')
  })

  it('session_from-specific and generic event rules keep file order', () => {
    const source = valid({
      rules: [
        { id: 'any', when: { event: 'user_enter_tempsession' }, reply: say('any') },
        { id: 'pay', when: { event: 'user_enter_tempsession', session_from: 'pay' }, reply: say('pay') },
      ],
    })
    for (const [, rules] of builds(source)) expect(decide(rules, enter('pay'), Date.now()).ruleId).toBe('any')
  })

  it('default answers neither events nor images', () => {
    const source = valid({ rules: [], default: say('hi') })
    for (const [, rules] of builds(source)) {
      expect(decide(rules, image, Date.now()).ruleId).toBeNull()
      expect(decide(rules, enter('pay'), Date.now()).ruleId).toBeNull()
      expect(decide(rules, text('x'), Date.now()).ruleId).toBe('default')
    }
  })

  it('regex rules skip over-long messages', () => {
    const source = valid({ rules: [{ id: 'r', when: { regex: '^a+$' }, reply: say('r') }] })
    const [[, rules]] = builds(source) as [[string, RuleSet]]
    expect(decide(rules, text('a'.repeat(MAX_REGEX_INPUT)), Date.now()).ruleId).toBe('r')
    expect(decide(rules, text('a'.repeat(MAX_REGEX_INPUT + 1)), Date.now()).ruleId).toBeNull()
  })

  it('plans do not share objects with the rule set', () => {
    const [[, rules]] = builds(valid({ rules: [{ id: 'a', when: { text: ['a'] }, reply: say('x') }] })) as [[string, RuleSet]]
    const plan = decide(rules, text('a'), Date.now())
    ;(plan.sends[0] as { text: string }).text = 'changed'
    expect(decide(rules, text('a'), Date.now()).sends[0]).toEqual(say('x'))
  })
})

describe('case folding and NFKC', () => {
  const source = valid({
    rules: [
      { id: 'strasse', when: { text: ['straße'] }, reply: say('1') },
      { id: 'sigma', when: { contains: ['ΟΔΟΣ'] }, reply: say('2') },
      { id: 'fi', when: { contains: ['ﬁle'] }, reply: say('3') },
      { id: 'emoji', when: { contains: ['𠮷'] }, reply: say('4') },
    ],
  })
  const cases: [string, string][] = [
    ['STRASSE', 'strasse'],
    ['  Straße  ', 'strasse'],
    ['η οδοσ μας', 'sigma'],
    ['ΟΔΟΣ', 'sigma'],
    ['my FILE', 'fi'],
    ['吉野家𠮷野家', 'emoji'],
  ]
  for (const [, rules] of builds(source)) {
    for (const [message, id] of cases) it(`${message} → ${id}`, () => expect(decide(rules, text(message), Date.now()).ruleId).toBe(id))
  }
})

describe('regex rules anchored at ^ (the first character can rule them out before the engine runs)', () => {
  const cases: [string, string[]][] = [
    ['^订单\\s*(\\d+)$', ['订单 123', '订单123', 'x订单 123', '', ' 订单 1 ', '订']],
    ['^order', ['ORDER 5', 'Order', 'an order']],
    ['^(?:a|订)b', ['ab', '订b', 'Ab', 'bb']],
    ['^(?:\\d{3})?-', ['-', '123-', 'x-']],
    ['^a*', ['', 'b', 'aaa']],
    ['^\\bword', ['word up', 'Word', '-word']],
    ['^.', ['', 'x']],
    ['^𠮷+', ['𠮷𠮷', 'a𠮷']],
    ['^ſ', ['S', 's', 't']],
  ]
  for (const [pattern, messages] of cases) {
    const source = valid({ rules: [{ id: 'r', when: { regex: pattern }, reply: say('r') }], default: say('d') })
    for (const [how, rules] of builds(source)) {
      it(`${pattern}, ${how}`, () => {
        for (const m of messages) {
          const expected = new RegExp(pattern, REGEX_FLAGS).test(regexText(m)) ? 'r' : 'default'
          expect([m, decide(rules, text(m), Date.now()).ruleId]).toEqual([m, expected])
        }
      })
    }
  }
})

describe('the automaton', () => {
  it('takes every code unit as a keyword (more classes than 16 bits hold)', () => {
    const keywords: [string, number][] = Array.from({ length: 0x10000 }, (_, c) => [String.fromCharCode(c), c])
    keywords.push(['zz', 7])
    const a = buildAutomaton(keywords)
    expect(lowestMatch(a, '\uffff')).toBe(0xffff)
    expect(lowestMatch(a, 'yz')).toBe(0x79)
    expect(lowestMatch(a, 'zz')).toBe(7)
    expect(lowestMatch(a, '\ud842\udfb7')).toBe(0xd842)
    expect(lowestMatch(a, '')).toBe(NONE)
  })

  it('matches keywords that overlap, nest and share prefixes, in a set too big to search by hand', () => {
    // 3,000 keywords over 40 code units: many states have many children, and fail links matter.
    const units = [...'的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同']
    let seed = 7
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed / 2 ** 32
    }
    const word = (n: number) => Array.from({ length: n }, () => units[Math.floor(next() * units.length)]).join('')
    const keywords: [string, number][] = Array.from({ length: 3000 }, (_, i) => [word(1 + Math.floor(next() * 5)), 3000 - i])
    const a = buildAutomaton(keywords)
    for (let t = 0; t < 300; t++) {
      const message = word(Math.floor(next() * 30))
      const expected = Math.min(NONE, ...keywords.filter(([k]) => message.includes(k)).map(([, i]) => i))
      expect(lowestMatch(a, message)).toBe(expected)
    }
  })
})

/** The specification, executed literally: every rule in order, nothing precomputed. */
function naiveDecide(source: RuleSetSource, message: InboundMessage): string | null {
  for (const rule of source.rules) {
    const { when } = rule
    if (message.type === 'text') {
      const folded = foldText(message.content)
      if (when.text?.some((t) => foldText(t) === folded)) return rule.id
      if (when.contains?.some((k) => folded.includes(foldText(k)))) return rule.id
      const input = regexText(message.content)
      if (when.regex !== undefined && input.length <= MAX_REGEX_INPUT && new RegExp(when.regex, REGEX_FLAGS).test(input)) return rule.id
    }
    if (when.msgtype === message.type) return rule.id
    if (when.event !== undefined && when.event === message.type) {
      if (when.session_from === undefined) return rule.id
      if (message.type === 'user_enter_tempsession' && message.sessionFrom === when.session_from) return rule.id
    }
  }
  return message.type === 'text' && source.default !== undefined ? 'default' : null
}

describe('property: the compiled matcher answers exactly as an in-order scan', () => {
  // A small alphabet (with full-width and upper-case forms) so that keywords overlap often.
  const letter = fc.constantFrom('a', 'b', 'A', 'Ａ', '订', '单', '１', '1', ' ')
  const word = fc
    .array(letter, { minLength: 1, maxLength: 4 })
    .map((cs) => cs.join(''))
    .filter((w) => foldText(w) !== '')
  const when = fc.oneof(
    fc.array(word, { minLength: 1, maxLength: 3 }).map((text) => ({ text })),
    fc.array(word, { minLength: 1, maxLength: 3 }).map((contains) => ({ contains })),
    fc.constantFrom('^a', 'b$', '^订单\\s*(\\d+)$', 'a{2}').map((regex) => ({ regex })),
    fc.constantFrom('text', 'image', 'miniprogrampage').map((msgtype) => ({ msgtype })),
    fc.constantFrom(
      { event: 'user_enter_tempsession' },
      { event: 'user_enter_tempsession', session_from: 'pay' },
      { event: 'subscribe_msg_popup_event' },
    ),
  )
  const ruleSet = fc
    .tuple(fc.array(when, { maxLength: 12 }), fc.boolean())
    .map(([whens, withDefault]) =>
      valid({ rules: whens.map((w, i) => ({ id: `r${i}`, when: w, reply: say(`r${i}`) })), ...(withDefault ? { default: say('d') } : {}) }),
    )
  const message = fc.oneof(
    fc.array(letter, { maxLength: 10 }).map((cs) => text(cs.join(''))),
    fc.constantFrom(image, card, enter('pay'), enter(''), popup, unknown),
  )

  it('for random rule sets and messages, both builds', () => {
    fc.assert(
      fc.property(ruleSet, fc.array(message, { minLength: 1, maxLength: 8 }), (source, messages) => {
        for (const [, rules] of builds(source)) {
          for (const m of messages) expect(decide(rules, m, Date.now()).ruleId).toBe(naiveDecide(source, m))
        }
      }),
      { numRuns: 300 },
    )
  })

  // Big sets over a wide alphabet: the automaton's double array packs hundreds of states with
  // many children each (CJK starts), astral characters are two code units, and characters
  // in no keyword reset the scan. Messages mix planted keywords, their prefixes and overlaps.
  const wide = [
    ...'的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面',
    ...'abcxyzABC１２３',
    '𠮷',
    '😀',
    '𝒜',
  ]
  const wideWord = fc.array(fc.constantFrom(...wide), { minLength: 1, maxLength: 5 }).map((cs) => cs.join(''))
  const wideSet = fc.array(fc.array(wideWord, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 400 }).map((lists) =>
    valid({
      rules: lists.map((words, i) => ({ id: `r${i}`, when: i % 3 === 0 ? { text: words } : { contains: words }, reply: say(`r${i}`) })),
      default: say('d'),
    }),
  )
  const wideText = (source: RuleSetSource) => {
    const keywords = source.rules.flatMap((r) => [...(r.when.contains ?? []), ...(r.when.text ?? [])])
    const piece = fc.oneof(
      fc.constantFrom(...keywords),
      fc.constantFrom(...keywords).map((k) => k.slice(0, -1)),
      fc.array(fc.constantFrom(...wide, '。', ' ', '?'), { maxLength: 6 }).map((cs) => cs.join('')),
    )
    return fc.array(piece, { maxLength: 12 }).map((ps) => text(ps.join('')))
  }

  it('for big rule sets over a wide alphabet, both builds', () => {
    fc.assert(
      fc.property(
        wideSet.chain((source) => fc.tuple(fc.constant(source), fc.array(wideText(source), { minLength: 1, maxLength: 20 }))),
        ([source, messages]) => {
          for (const [, rules] of builds(source)) {
            for (const m of messages) expect(decide(rules, m, Date.now()).ruleId).toBe(naiveDecide(source, m))
          }
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('toAction', () => {
  it('splits transfer from the sends and keeps their order', () => {
    expect(toAction([say('a'), { type: 'transfer' }, { type: 'image', media_id: 'M' }])).toEqual({
      transfer: true,
      sends: [say('a'), { type: 'image', media_id: 'M' }],
    })
  })
})

describe('when.channel: a rule for one way of coming only', () => {
  const source = {
    rules: [
      { id: 'kf-hello', when: { text: ['你好'], channel: 'kf' }, reply: { type: 'text', text: '微信客服您好' } },
      { id: 'hello', when: { text: ['你好'] }, reply: { type: 'text', text: '小程序您好' } },
      { id: 'mp-photo', when: { msgtype: 'image', channel: 'miniprogram' }, reply: { type: 'text', text: '收到图片' } },
    ],
  } as RuleSetSource

  it.each(builds(source))('answers each channel by its own rule first (%s)', (_, ruleSet) => {
    expect(decide(ruleSet, text('你好'), 0).ruleId).toBe('hello')
    expect(decide(ruleSet, { ...text('你好'), channel: 'kf' }, 0).ruleId).toBe('kf-hello')
    const photo: InboundMessage = { ...base, type: 'image', msgId: '2', picUrl: '', mediaId: 'm' }
    expect(decide(ruleSet, photo, 0).ruleId).toBe('mp-photo')
    expect(decide(ruleSet, { ...photo, channel: 'kf' }, 0).ruleId).toBeNull()
  })
})
