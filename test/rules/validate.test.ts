import { describe, expect, it } from 'vitest'
import committedSchema from '../../rules/schema.json'
import shipped from '../../rules/rules.json'
import { ruleSetJsonSchema } from '../../scripts/rules-json-schema'
import { english } from '../../src/rules/messages'
import { regexProblem } from '../../src/rules/regex'
import { formatIssue, validateRuleSet, validateRuleSetText } from '../../src/rules/validate'

const ok = { type: 'text', text: 'ok' }

/** The formatted issues of a rule set made of these rules (and default). */
function problems(rules: unknown[], extra: Record<string, unknown> = {}): string[] {
  const result = validateRuleSet({ rules, ...extra })
  return result.ok ? [] : result.issues.map(formatIssue)
}

describe('the shipped files', () => {
  it('rules/rules.json is valid', () => {
    const result = validateRuleSet(shipped)
    expect(result.ok ? [] : result.issues.map(formatIssue)).toEqual([])
  })

  it('rules/schema.json is what `npm run rules:schema` generates', () => {
    expect(committedSchema).toEqual(JSON.parse(JSON.stringify(ruleSetJsonSchema())))
  })
})

describe('schema errors name the rule id and the JSON path', () => {
  const cases: [string, unknown, string][] = [
    [
      'empty text reply',
      { id: 'a', when: { text: ['x'] }, reply: { type: 'text', text: '' } },
      'rule "a" at rules[0].reply.text: must not be empty',
    ],
    [
      'over-long text',
      { id: 'a', when: { text: ['x'] }, reply: { type: 'text', text: '字'.repeat(700) } },
      'rule "a" at rules[0].reply.text: must be at most 2048 bytes (UTF-8)',
    ],
    [
      'bad URL',
      { id: 'qr', when: { contains: ['码'] }, reply: { type: 'image', url: 'ftp://x/y.png' } },
      'rule "qr" at rules[0].reply.url: must be an http:// or https:// URL',
    ],
    [
      'long title',
      {
        id: 'l',
        when: { text: ['x'] },
        reply: { type: 'link', title: 't'.repeat(65), description: 'd', url: 'https://a.example', thumb_url: 'https://a.example/t.png' },
      },
      'rule "l" at rules[0].reply.title: must be at most 64 characters',
    ],
    ['invalid regex', { id: 'r', when: { regex: '(' }, reply: ok }, 'rule "r" at rules[0].when.regex: is not a valid regular expression'],
    [
      'lookahead regex',
      { id: 'r', when: { regex: '^a(?=b)' }, reply: ok },
      'rule "r" at rules[0].when.regex: uses a lookahead (?=…), which the linear-time regex engine cannot run',
    ],
    [
      'transfer on an event',
      { id: 'e', when: { event: 'user_enter_tempsession' }, reply: { type: 'transfer' } },
      'rule "e" at rules[0].reply.type: transfer answers user messages only, never events',
    ],
    [
      'two kinds in when',
      { id: 'w', when: { text: ['x'], contains: ['y'] }, reply: ok },
      'rule "w" at rules[0].when: needs exactly one of text, contains, regex, msgtype, event (found text, contains)',
    ],
    [
      'empty when',
      { id: 'w', when: {}, reply: ok },
      'rule "w" at rules[0].when: needs exactly one of text, contains, regex, msgtype, event (found none)',
    ],
    [
      'session_from without its event',
      { id: 's', when: { text: ['x'], session_from: 'pay' }, reply: ok },
      'rule "s" at rules[0].when.session_from: only goes with "event": "user_enter_tempsession"',
    ],
    ['unknown key', { id: 'k', when: { txt: ['x'] }, reply: ok }, 'rule "k" at rules[0].when.txt: unknown key "txt"'],
    [
      'unknown reply type',
      { id: 'v', when: { text: ['x'] }, reply: { type: 'video' } },
      'rule "v" at rules[0].reply.type: type must be one of',
    ],
    [
      'blank keyword',
      { id: 'b', when: { contains: ['  '] }, reply: ok },
      'rule "b" at rules[0].when.contains[0]: must not be empty or only spaces',
    ],
    [
      'more than 5 replies',
      { id: 'm', when: { text: ['x'] }, reply: [ok, ok, ok, ok, ok, ok] },
      'rule "m" at rules[0].reply: has more than 5 replies',
    ],
    [
      'image with both url and media_id',
      { id: 'i', when: { text: ['x'] }, reply: [{ type: 'image', url: 'https://a.example/x.png', media_id: 'M' }] },
      'rule "i" at rules[0].reply[0]: an image needs exactly one of url, media_id, file',
    ],
    [
      'card without thumb',
      { id: 'c', when: { text: ['x'] }, reply: { type: 'miniprogrampage', title: 't', pagepath: 'pages/a/a' } },
      'rule "c" at rules[0].reply: a miniprogrampage needs exactly one of thumb_url, thumb_media_id, thumb_file',
    ],
    [
      'placeholder without regex',
      { id: 'p', when: { text: ['x'] }, reply: { type: 'text', text: '{{1}}' } },
      'rule "p" at rules[0].reply.text: uses {{1}}, but only a regex rule has groups to fill it',
    ],
    [
      'placeholder beyond the groups',
      { id: 'p', when: { regex: '^a(b)$' }, reply: { type: 'text', text: '{{2}} {{name}}' } },
      'rule "p" at rules[0].reply.text: uses {{2}}, which is not a group',
    ],
    ['reserved id', { id: 'default', when: { text: ['x'] }, reply: ok }, 'rules[0].id: "default" is reserved'],
    ['text as a string', { id: 't', when: { text: 'x' }, reply: ok }, 'rule "t" at rules[0].when.text: expected Array'],
  ]
  for (const [name, rule, expected] of cases) {
    it(name, () => {
      expect(problems([rule]).join('\n')).toContain(expected)
    })
  }

  it('repeated ids name both places', () => {
    const rule = { id: 'dup', when: { text: ['x'] }, reply: ok }
    expect(problems([rule, rule])).toContain('rule "dup" at rules[1].id: repeats the id of rules[0]')
  })

  it('reports every error in one run, each rule by its own id', () => {
    const found = problems([
      { id: 'one', when: { text: [] }, reply: ok },
      { id: 'two', when: { text: ['x'] }, reply: { type: 'text', text: 42 } },
    ])
    expect(found).toEqual([
      'rule "one" at rules[0].when.text: needs at least one entry',
      'rule "two" at rules[1].reply.text: expected string, received 42',
    ])
  })

  it('checks the default reply too, without a rule id', () => {
    expect(problems([], { default: { type: 'transfer', extra: 1 } })).toEqual(['default.extra: unknown key "extra"'])
    expect(problems([], { default: { type: 'text', text: 'hi {{1}}' } })).toEqual([
      'default.text: uses {{1}}, but only a regex rule has groups to fill it',
    ])
  })

  it('refuses text that is not JSON', () => {
    const result = validateRuleSetText('{ "rules": [ }')
    expect(result.ok).toBe(false)
    if (!result.ok) expect(formatIssue(result.issues[0]!)).toMatch(/^rule set: is not valid JSON/)
  })
})

describe('regex patterns', () => {
  // Patterns the old backtracking guard refused are fine on the linear-time engine.
  const accepted = [
    '^订单\\s*(\\d{6,})$',
    '^退款\\s*(?<order>\\d{6,})\\s*(?<reason>.{0,50})$',
    '[a-z]+@[a-z]+\\.com',
    '^(?:abc){2}$',
    '\\p{Script=Han}+',
    '(a+)+$',
    '^(?:a|ab)+$',
    '.*.*.*.*x',
    'a{0,64}a{0,64}a{0,64}a{0,64}a{0,64}b',
    '订单.*\\d+.*号',
  ]
  const refused: [string, RegExp][] = [
    ['(a*)\\1', /uses a backreference \\1, which the linear-time regex engine cannot run/],
    ['(?<x>a)\\k<x>', /uses a backreference \\k<x>/],
    ['x(?=y)', /uses a lookahead \(\?=…\)/],
    ['x(?!y)', /uses a lookahead \(\?!…\)/],
    ['(?<=y)x', /uses a lookbehind \(\?<=…\)/],
    ['(?<!y)x', /uses a lookbehind \(\?<!…\)/],
    ['a{0,500}', /repeats \{0,500\}: counts go up to 200 \(for "any number", write \{0,\}\)/],
    ['a{201,}', /repeats \{201,\}: counts go up to 200$/],
    ['a{201}', /repeats \{201\}: counts go up to 200$/],
    ['(?<a>x)|(?<a>y)', /uses the group name <a> twice, which the linear-time regex engine cannot run/],
    ['(?<\\u0061b>x)', /uses an escaped group name \(\?<\\u0061b>…\)/],
    ['(a{20}){60}', /unrolls to 1,\d{3} states, over the limit of 1,000 \(counted repeats multiply/],
    ['(?:\\w{100}){0,20}', /unrolls to 2,\d{3} states, over the limit of 1,000/],
    ['(a*)?b', /optional a part that can already match nothing/],
    ['(.*?){2,}(a)', /repeats without end a part that can already match nothing/],
    ['(?:a?b?)*c', /repeats without end a part that can already match nothing/],
    ['x'.repeat(301), /longer than 300/],
    ['(', /is not a valid regular expression/],
  ]
  for (const pattern of accepted) it(`accepts ${pattern}`, () => expect(regexProblem(pattern)).toBeNull())
  for (const [pattern, why] of refused) it(`refuses ${pattern.slice(0, 30)}`, () => expect(english(regexProblem(pattern)!)).toMatch(why))

  it('rules:check names the rule and the construct', () => {
    const result = validateRuleSet({
      rules: [
        { id: 'ok', when: { regex: '^hi$' }, reply: { type: 'text', text: 'hello' } },
        { id: 'order', when: { regex: '(\\d+)-\\1' }, reply: { type: 'text', text: '{{1}}' } },
      ],
    })
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.issues.map(formatIssue)).toEqual([
        'rule "order" at rules[1].when.regex: uses a backreference \\1, which the linear-time regex engine cannot run',
      ])
    }
  })

  it('refuses a set whose regex rules together exceed the work budget, naming the rule that crosses it', () => {
    // 900 steps per character each (180,900 per message at the cap): one is fine, two are not.
    const big = 'x{0,200}y{0,200}z{0,40}'
    const rules = [0, 1].map((i) => ({ id: `r${i}`, when: { regex: big }, reply: { type: 'text', text: 'x' } }))
    expect(regexProblem(big)).toBeNull()
    expect(problems(rules)).toEqual([
      'rule "r1" at rules[1].when.regex: costs up to 180,900 steps per message (900 per character), which brings the regex rules to 361,800 together, over the limit of 200,000 (every message may run them all; shorten counted repeats, drop the groups inside them, or use contains rules)',
    ])
    expect(validateRuleSet({ rules: rules.slice(0, 1) }).ok).toBe(true)
  })

  it('refuses 16 rules of (?:(a)(a?)){0,20}z<i> (issue 25: 2,966 states, but ~12 ms a message), naming the sixth', () => {
    const rules = Array.from({ length: 16 }, (_, i) => ({ id: `r${i}`, when: { regex: `(?:(a)(a?)){0,20}z${i}` }, reply: ok }))
    expect(rules.every((rule) => regexProblem(rule.when.regex) === null)).toBe(true)
    expect(problems(rules)).toEqual([
      'rule "r5" at rules[5].when.regex: costs up to 39,597 steps per message (197 per character), which brings the regex rules to 237,582 together, over the limit of 200,000 (every message may run them all; shorten counted repeats, drop the groups inside them, or use contains rules)',
    ])
    // Five fit; so would sixteen without the groups, written (?:aa?){0,8}z<i>.
    expect(problems(rules.slice(0, 5))).toEqual([])
    expect(problems(rules.map((rule, i) => ({ ...rule, when: { regex: `(?:aa?){0,8}z${i}` } })))).toEqual([])
  })

  it('refuses one rule that costs more than the whole budget by itself', () => {
    expect(problems([{ id: 'huge', when: { regex: 'x{0,150}y{0,150}z{0,100}(\\d{0,90})q' }, reply: ok }])).toEqual([
      'rule "huge" at rules[0].when.regex: costs up to 203,613 steps per message (1,013 per character), over the limit of 200,000 for all regex rules together (every message may run them all; shorten counted repeats, drop the groups inside them, or use contains rules)',
    ])
  })
})
