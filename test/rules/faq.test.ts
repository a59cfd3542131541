/**
 * The `ai` block (issue 27, FAQ first): its validation, how it is compiled (in the Worker and
 * into rules:push's bytes), when a plan leaves the text to the knowledge base, and how an FAQ
 * hit becomes the plan. The lookup itself is the route's (test/routes/wechat.knowledge.test.ts).
 */
import { describe, expect, it } from 'vitest'
import { decodeCompiled, encodeCompiled } from '../../src/rules/codec'
import { compileRules, toRuleSet } from '../../src/rules/compile'
import { knowledgeQuestion, withFaq, type SearchHit } from '../../src/rules/faq'
import { decide } from '../../src/rules/match'
import { previewDraft } from '../../src/rules/preview'
import type { RuleSet } from '../../src/rules/rule-set'
import type { RuleSetSource } from '../../src/rules/schema'
import { formatIssue, validateReply, validateRuleSet } from '../../src/rules/validate'
import type { InboundMessage } from '../../src/wechat/message'

const VERSION = '0123456789abcdef'
const base = { toUserName: 'gh_test', fromUserName: 'oUser', createTime: 1 }
const text = (content: string): InboundMessage => ({ ...base, type: 'text', msgId: '1', content })
const image: InboundMessage = { ...base, type: 'image', msgId: '2', picUrl: 'https://x', mediaId: 'm' }

const RULES = [{ id: 'hello', when: { text: ['你好'] }, reply: { type: 'text', text: '您好' } }]
const DEFAULT = { type: 'text', text: '没听懂' }

function problems(input: unknown): string[] {
  const result = validateRuleSet(input)
  return result.ok ? [] : result.issues.map(formatIssue)
}

function valid(input: unknown): RuleSetSource {
  const result = validateRuleSet(input)
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'))
  return result.value
}

/** Both ways a Worker gets a rule set: compiled in the isolate, and decoded from rules:push's bytes. */
function builds(input: unknown): [string, RuleSet][] {
  const compiled = compileRules(valid(input), VERSION)
  return [
    ['compiled', toRuleSet(compiled)],
    ['decoded', decodeCompiled(encodeCompiled(compiled).buffer as ArrayBuffer)],
  ]
}

/** The set as compiled in the isolate. */
const built = (input: unknown): RuleSet => toRuleSet(compileRules(valid(input), VERSION))

const faq = (id: string, score: number, answer: unknown = `answer ${id}`): SearchHit => ({ id, kind: 'faq', score, answer })

describe('the ai block', () => {
  it('{ "enabled": true } alone is valid, and so is a threshold from 0 to 1', () => {
    for (const ai of [{ enabled: true }, { enabled: false }, { enabled: true, faq_threshold: 0 }, { enabled: true, faq_threshold: 1 }]) {
      expect(problems({ rules: RULES, ai })).toEqual([])
    }
    expect(problems({ rules: RULES, ai: { enabled: true, faq_threshold: 0.75 } })).toEqual([])
  })

  it('refuses a bad threshold, an unknown key and a missing enabled, with the validator’s messages', () => {
    const cases: [unknown, string][] = [
      [{ enabled: true, faq_threshold: 1.5 }, 'ai.faq_threshold: must be at most 1'],
      [{ enabled: true, faq_threshold: -0.1 }, 'ai.faq_threshold: must be at least 0'],
      [{ enabled: true, faq_threshold: '0.6' }, 'ai.faq_threshold: expected number, received "0.6"'],
      [{ enabled: true, personality: '客服小美' }, 'ai.personality: unknown key "personality"'],
      [{ enabled: true, max_answer_chars: 5000 }, 'ai.max_answer_chars: must be at most 600'],
      [{ enabled: true, daily_budget: 1.5 }, 'ai.daily_budget: must be a whole number'],
      [{ enabled: true, off_hours: 'sleep' }, 'ai.off_hours: expected ("answer" | "fallback"), received "sleep"'],
      [{ enabled: true, persona: '客'.repeat(301) }, 'ai.persona: must be at most 300 characters'],
      [{ faq_threshold: 0.5 }, 'ai.enabled: is required ("enabled")'],
      [{ enabled: 'yes' }, 'ai.enabled: expected boolean, received "yes"'],
      [true, 'ai: expected Object, received true'],
    ]
    for (const [ai, message] of cases) expect(problems({ rules: RULES, ai })).toEqual([message])
  })

  it('reserves faq: ids for answers from the knowledge base', () => {
    expect(problems({ rules: [{ id: 'faq:1', when: { text: ['x'] }, reply: DEFAULT }] })).toEqual([
      'rule "faq:1" at rules[0].id: "faq:" starts the ids of answers from the knowledge base (reserved)',
    ])
  })

  for (const [how, ruleSet] of builds({ rules: RULES, default: DEFAULT, ai: { enabled: true } })) {
    it(`compiles to the default threshold 0.6 and the model's defaults (${how})`, () =>
      expect(ruleSet.knowledge).toEqual({
        faqThreshold: 0.6,
        model: {
          passageThreshold: 0.2,
          persona: '',
          maxChars: 300,
          dailyBudget: 20,
          offHours: 'answer',
          fallback: '抱歉，这个问题我暂时答不上来。您可以换个说法再问一次。',
        },
      }))
  }
  for (const [how, ruleSet] of builds({ rules: RULES, ai: { enabled: true, faq_threshold: 0.8 } })) {
    it(`keeps the threshold given (${how})`, () => expect(ruleSet.knowledge).toMatchObject({ faqThreshold: 0.8 }))
  }
  const model = {
    enabled: true,
    passage_threshold: 0.4,
    persona: '小美',
    max_answer_chars: 120,
    daily_budget: 3,
    off_hours: 'fallback',
    fallback: '稍后回复',
  } as const
  for (const [how, ruleSet] of builds({ rules: RULES, ai: model })) {
    it(`keeps the model's settings given (${how})`, () =>
      expect(ruleSet.knowledge?.model).toEqual({
        passageThreshold: 0.4,
        persona: '小美',
        maxChars: 120,
        dailyBudget: 3,
        offHours: 'fallback',
        fallback: '稍后回复',
      }))
  }
  for (const [how, ruleSet] of builds({ rules: RULES, ai: { enabled: false, faq_threshold: 0.8 } })) {
    it(`off when not enabled (${how})`, () => expect(ruleSet.knowledge).toBeNull())
  }
  for (const [how, ruleSet] of builds({ rules: RULES })) {
    it(`off without the block (${how})`, () => expect(ruleSet.knowledge).toBeNull())
  }
})

describe('which texts ask the knowledge base', () => {
  const [on, decoded] = builds({ rules: RULES, default: DEFAULT, ai: { enabled: true } }).map(([, ruleSet]) => ruleSet) as [
    RuleSet,
    RuleSet,
  ]
  const noDefault = built({ rules: RULES, ai: { enabled: true } })
  const off = built({ rules: RULES, default: DEFAULT })
  const ask = (ruleSet: RuleSet, message: InboundMessage) => knowledgeQuestion(ruleSet, message, decide(ruleSet, message, 0))

  it('a text the default answers, or nothing answers, is looked up (trimmed)', () => {
    expect(ask(on, text('  签收后多久还能退 '))).toBe('签收后多久还能退')
    expect(ask(decoded, text('签收后多久还能退'))).toBe('签收后多久还能退')
    expect(ask(noDefault, text('签收后多久还能退'))).toBe('签收后多久还能退')
  })

  it('never a text a rule answered, an image, a blank text, or with ai off', () => {
    expect(ask(on, text('你好'))).toBeNull()
    expect(ask(on, image)).toBeNull()
    expect(ask(on, text('   '))).toBeNull()
    expect(ask(off, text('签收后多久还能退'))).toBeNull()
  })
})

describe('an FAQ hit as the plan', () => {
  const ruleSet = built({
    rules: RULES,
    default: DEFAULT,
    handoff: { after_unmatched: 2 },
    ai: { enabled: true, faq_threshold: 0.6 },
  })
  const message = text('签收后多久还能退')
  const plan = decide(ruleSet, message, 0)

  it('the best FAQ at the threshold answers as written, recorded as faq:<id>, with no hand-off count', () => {
    const outcome = withFaq(ruleSet, message, [
      { id: 'doc1', kind: 'doc', score: 0.99 },
      faq('r1', 0.6, '签收后 7 天内可退 {{1}}'),
      faq('r0', 0.59),
    ])
    expect(outcome).toMatchObject({ kind: 'answer', hit: { id: 'r1' } })
    if (outcome.kind !== 'answer') return
    expect(outcome.plan).toEqual({
      ruleId: 'faq:r1',
      ruleSetVersion: VERSION,
      transfer: false,
      sends: [{ type: 'text', text: '签收后 7 天内可退 {{1}}' }],
    })
  })

  it('an answer in the rules’ reply format: a list, a link, a transfer', () => {
    const answer = [
      { type: 'text', text: '请看这里' },
      { type: 'link', title: '退货', description: '七天无理由', url: 'https://example.com/r', thumb_url: 'https://example.com/t.png' },
      { type: 'transfer' },
    ]
    const outcome = withFaq(ruleSet, message, [faq('r2', 0.9, answer)])
    expect(outcome.kind === 'answer' && outcome.plan).toMatchObject({
      ruleId: 'faq:r2',
      transfer: true,
      sends: [{ type: 'text' }, { type: 'link', url: 'https://example.com/r' }],
    })
  })

  it('below the threshold, or only documents: the plan stays (the default)', () => {
    expect(withFaq(ruleSet, message, [faq('r1', 0.5999)])).toEqual({ kind: 'below', best: faq('r1', 0.5999) })
    expect(withFaq(ruleSet, message, [{ id: 'd', kind: 'doc', score: 1 }])).toEqual({ kind: 'below', best: null })
    expect(withFaq(ruleSet, message, [])).toEqual({ kind: 'below', best: null })
    expect(plan.ruleId).toBe('default')
  })

  it('an answer that is no reply the rules could send is refused, with why', () => {
    const outcome = withFaq(ruleSet, message, [faq('bad', 0.9, { type: 'image' })])
    expect(outcome).toEqual({
      kind: 'invalid',
      hit: faq('bad', 0.9, { type: 'image' }),
      issues: [{ path: 'answer', message: 'an image needs exactly one of url, media_id, file', code: 'image_either_or', values: {} }],
    })
    expect(withFaq(ruleSet, message, [{ id: 'none', kind: 'faq', score: 0.9 }]).kind).toBe('invalid')
    expect(withFaq(ruleSet, message, [faq('empty', 0.9, '')]).kind).toBe('invalid')
  })

  it('with ai off nothing is sent from an FAQ, however well it matches', () => {
    const off = built({ rules: RULES, default: DEFAULT })
    expect(withFaq(off, message, [faq('r1', 1)]).kind).toBe('below')
  })
})

describe('validateReply (an FAQ answer)', () => {
  it('takes a text as a text reply and the rules’ shapes as they are', () => {
    expect(validateReply('好的')).toEqual({ ok: true, value: { type: 'text', text: '好的' } })
    expect(
      validateReply({
        random: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      }).ok,
    ).toBe(true)
  })

  it('names what is wrong, from the path given', () => {
    const issues = (input: unknown) => {
      const result = validateReply(input, 'answer')
      return result.ok ? [] : result.issues.map(formatIssue)
    }
    expect(issues('字'.repeat(700))).toEqual(['answer.text: must be at most 2048 bytes (UTF-8)'])
    expect(
      issues([
        { type: 'text', text: 'a' },
        { type: 'image', url: 'ftp://x' },
      ]),
    ).toEqual(['answer[1].url: must be an http:// or https:// URL'])
    expect(issues([{ type: 'transfer' }, { type: 'transfer' }])).toEqual(['answer: has more than one transfer'])
    expect(issues({ type: 'video' })).toEqual([
      'answer.type: type must be one of ("text" | "image" | "link" | "miniprogrampage" | "transfer"), not "video"',
    ])
  })
})

describe('the preview says when the knowledge base would be asked', () => {
  const at = Date.parse('2026-10-01T10:00+08:00')
  const preview = (input: unknown, textSent: string) => previewDraft(valid(input), { type: 'text', text: textSent }, at)

  it('an unmatched text with ai on: faqThreshold, the default still shown as the fallback', () => {
    expect(preview({ rules: RULES, default: DEFAULT, ai: { enabled: true, faq_threshold: 0.7 } }, '发票抬头写错了')).toMatchObject({
      ruleId: 'default',
      faqThreshold: 0.7,
      replies: [{ type: 'text', text: '没听懂' }],
    })
  })

  it('null when a rule answers, when ai is off or absent', () => {
    expect(preview({ rules: RULES, default: DEFAULT, ai: { enabled: true } }, '你好').faqThreshold).toBeNull()
    expect(preview({ rules: RULES, default: DEFAULT, ai: { enabled: false } }, '发票').faqThreshold).toBeNull()
    expect(preview({ rules: RULES, default: DEFAULT }, '发票').faqThreshold).toBeNull()
  })
})
