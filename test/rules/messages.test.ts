/**
 * The catalogue (rules/messages.ts): every code speaks both languages, and every problem the
 * validator can find comes with a code whose Chinese is Chinese and whose English is the
 * message the issue has always carried.
 */
import { describe, expect, it } from 'vitest'
import { issueMessage, MESSAGE_CODES, message } from '../../src/rules/messages'
import {
  type RuleIssue,
  issueLine,
  MAX_RULES,
  ruleCountIssue,
  validateReply,
  validateRuleSet,
  validateRuleSetText,
} from '../../src/rules/validate'

const HAN = /\p{Script=Han}/u
/** Three English words in a row: a sentence left untranslated (field names and values are single words). */
const ENGLISH_SENTENCE = /[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}/

const text = (t: string) => ({ type: 'text', text: t })
const rule = (id: string, extra: Record<string, unknown> = {}) => ({ id, when: { contains: ['hi'] }, reply: text('hello'), ...extra })
const HOURS = { tz: 'Asia/Shanghai', weekly: { mon: ['09:00-18:00'] } }

/** Every kind of mistake an operator can make, each set on its own so one does not hide another. */
const BAD_SETS: Record<string, unknown> = {
  'empty text': { rules: [rule('a', { reply: text('') })] },
  'text too long': { rules: [rule('a', { reply: text('字'.repeat(700)) })] },
  'long title, bad urls': {
    rules: [rule('a', { reply: { type: 'link', title: 'x'.repeat(65), description: '', url: 'ftp://x', thumb_url: 'http://' } })],
  },
  'unknown key': { rules: [rule('a', { colour: 'red' })] },
  'wrong type': { rules: [{ ...rule('a'), id: 5 }] },
  'missing field': { rules: [{ id: 'a', when: { contains: ['hi'] } }] },
  'not an object': { rules: [5] },
  'rules not a list': { rules: 'all' },
  'unknown reply type': { rules: [rule('a', { reply: { type: 'video' } })] },
  'unknown msgtype': { rules: [rule('a', { when: { msgtype: 'video' } })] },
  'bad ids': {
    rules: ['a b', 'x'.repeat(65), 'default', 'handoff', 'ai', 'rating', 'faq:1'].map((id) => rule(id)),
  },
  'duplicate id': { rules: [rule('a'), rule('a')] },
  'no when, two whens': { rules: [rule('a', { when: {} }), rule('b', { when: { text: ['x'], contains: ['y'] } })] },
  'empty keywords': {
    rules: [
      rule('a', { when: { contains: [] } }),
      rule('b', { when: { text: ['  '] } }),
      rule('c', { when: { contains: ['x'.repeat(201)] } }),
    ],
  },
  'bad regexes': {
    rules: [
      '(',
      ')',
      '[a',
      'a**',
      '\\',
      'x{2,1}',
      '{',
      '\\p{Foo}',
      '[z-a]',
      '(?<1a>x)',
      '(\\d)\\1',
      '(?<x>a)\\k<x>',
      'x(?=y)',
      '(?<!y)x',
      '(?i:x)',
      '(?<a>x)|(?<a>y)',
      '(?<\\u0061b>x)',
      'a{0,500}',
      'a{201,}',
      '(a{20}){60}',
      '(a*)?b',
      '(a*)*b',
      'x'.repeat(301),
      '',
    ].map((regex, i) => rule(`r${i}`, { when: { regex } })),
  },
  'regex budget, one rule': { rules: [rule('big', { when: { regex: '(x){0,190}y{0,20}' } })] },
  'regex budget, together': { rules: [0, 1].map((i) => rule(`r${i}`, { when: { regex: 'x{0,200}y{0,200}z{0,40}' } })) },
  placeholders: {
    rules: [rule('a', { reply: text('{{1}}') }), rule('b', { when: { regex: '(\\d+)' }, reply: text('{{2}} {{name}}') })],
  },
  'either/or image': {
    rules: [
      rule('a', { reply: { type: 'image' } }),
      rule('b', { reply: { type: 'miniprogrampage', title: 't', pagepath: 'p', thumb_url: 'https://x/a.png', thumb_media_id: 'm' } }),
      rule('c', { reply: { type: 'image', file: 'x.jpg' } }),
    ],
  },
  'mini program': {
    rules: [rule('a', { reply: { type: 'miniprogrampage', title: 't', pagepath: '/pages/a', appid: 'wx1', thumb_media_id: 'm' } })],
  },
  transfers: {
    rules: [
      rule('a', { when: { event: 'user_enter_tempsession' }, reply: { type: 'transfer' } }),
      rule('b', { reply: [{ type: 'transfer' }, { type: 'transfer' }] }),
    ],
  },
  'welcome options without the event': {
    rules: [rule('a', { when: { contains: ['x'], session_from: 's' }, once_per_hours: 24 }), rule('b', { once_per_hours: 1.5 })],
  },
  'numbers out of range': {
    rules: [rule('a', { when: { event: 'user_enter_tempsession' }, once_per_hours: 0 })],
    handoff: { after_unmatched: 1000, text: '' },
    ai: { enabled: true, faq_threshold: 2, persona: 'x'.repeat(301), max_answer_chars: 5 },
  },
  'bad dates': {
    rules: [
      rule('a', { from: 'yesterday' }),
      rule('b', { from: '2026-13-45T00:00+08:00' }),
      rule('c', { from: '2026-10-02T00:00+08:00', until: '2026-10-01T00:00+08:00' }),
    ],
  },
  'during without hours': { rules: [rule('a', { during: 'open' })], default: [{ during: 'closed', reply: text('x') }] },
  'bad hours format': { rules: [], hours: { tz: '', weekly: { tue: ['9-5'] }, closed: ['10/01'] } },
  'bad hours': {
    rules: [],
    hours: {
      tz: 'Mars/Base',
      weekly: { mon: ['18:00-09:00', '09:00-12:00', '11:00-13:00'] },
      closed: ['2026-02-30', '2026-10-01'],
      open: ['2026-10-01'],
    },
  },
  'make-up day without hours': { rules: [], hours: { tz: 'Asia/Shanghai', weekly: { tue: ['09:00-18:00'] }, open: ['2026-10-08'] } },
  'replies and choices': {
    rules: [
      rule('a', { reply: [] }),
      rule('b', { reply: Array.from({ length: 6 }, () => text('x')) }),
      rule('c', { reply: { random: [] } }),
    ],
    default: [],
  },
  'hours with a good block': { rules: [rule('a', { during: 'sometimes' })], hours: HOURS },
}

function issuesOf(input: unknown): RuleIssue[] {
  const result = validateRuleSet(input)
  return result.ok ? [] : result.issues
}

const sampled: [string, RuleIssue][] = [
  ...Object.entries(BAD_SETS).flatMap(([name, set]) => issuesOf(set).map((issue): [string, RuleIssue] => [name, issue])),
  ...(validateReply('') as { issues: RuleIssue[] }).issues.map((issue): [string, RuleIssue] => ['reply', issue]),
  ...(validateReply([{ type: 'transfer' }, { type: 'transfer' }]) as { issues: RuleIssue[] }).issues.map((issue): [string, RuleIssue] => [
    'reply',
    issue,
  ]),
  ...['{"rules": [}', '{"rules": [', '{"rules": [] x}'].flatMap((json) =>
    (validateRuleSetText(json) as { issues: RuleIssue[] }).issues.map((issue): [string, RuleIssue] => ['json', issue]),
  ),
  ['over the limit', ruleCountIssue(MAX_RULES + 1)!],
]

describe('the catalogue', () => {
  it('has English and Chinese for every code', () => {
    const values = { max: 64, min: 1, count: 3, first: 0, detail: 'x', key: 'k', expected: 'string', received: 'number' }
    for (const code of MESSAGE_CODES) {
      const en = message(code, values, 'en')
      const zh = message(code, values, 'zh')
      expect(en, code).not.toBe('')
      expect(en, code).not.toMatch(HAN)
      expect(zh, code).toMatch(HAN)
      expect(zh, code).not.toBe(en)
    }
  })

  it('keeps an uncoded issue as written', () => {
    expect(issueMessage({ message: 'as typed' }, 'zh')).toBe('as typed')
  })

  it('shows upload sizes in MB', () => {
    expect(message('upload_too_large', { max: 2 * 1024 * 1024 }, 'zh')).toBe('图片不能超过 2 MB')
    expect(message('upload_too_large', { max: 1.5 * 1024 * 1024 }, 'en')).toBe('is larger than 1.5 MB')
  })
})

describe('every problem the validator finds', () => {
  it('provokes a broad sample', () => {
    const codes = new Set(sampled.map(([, issue]) => issue.code))
    expect(codes.size).toBeGreaterThan(55)
    for (const name of Object.keys(BAD_SETS))
      expect(
        sampled.some(([set]) => set === name),
        name,
      ).toBe(true)
  })

  for (const [name, issue] of sampled) {
    it(`${name}: ${issue.path} ${issue.message.slice(0, 50)}`, () => {
      expect(issue.code).toBeDefined()
      expect(issue.code, 'a valibot message the catalogue lacks').not.toBe('invalid')
      expect(issueMessage(issue, 'en')).toBe(issue.message)
      const zh = issueMessage(issue, 'zh')
      expect(zh).toMatch(HAN)
      expect(zh).not.toMatch(ENGLISH_SENTENCE)
      expect(zh).not.toContain('undefined')
    })
  }

  it('reads naturally to an operator (spot checks)', () => {
    const zh = (set: unknown) => issuesOf(set).map((issue) => issueLine(issue, 'zh'))
    expect(zh(BAD_SETS['empty text'])).toEqual(['规则 "a" 的 rules[0].reply.text：不能为空'])
    expect(zh(BAD_SETS['long title, bad urls'])).toContain('规则 "a" 的 rules[0].reply.title：最多 64 个字符')
    expect(zh(BAD_SETS['long title, bad urls'])).toContain('规则 "a" 的 rules[0].reply.url：必须是 http:// 或 https:// 开头的网址')
    expect(zh(BAD_SETS['either/or image'])).toContain('规则 "a" 的 rules[0].reply：图片需要恰好一个：网址、media_id 或上传的图片')
    expect(zh({ rules: [rule('a', { when: { regex: '(' } })] })).toEqual([
      '规则 "a" 的 rules[0].when.regex：不是有效的正则表达式：括号 ( 没有闭合',
    ])
    expect(issueLine(ruleCountIssue(MAX_RULES + 1)!, 'zh')).toBe('rules：共有 10,001 条规则，超过了上限 10,000 条')
  })
})
