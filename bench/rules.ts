/**
 * Rule matching at 10, 1,000 and 10,000 rules: the compiled index (`decide`) against a naive
 * in-order scan of the same rules, plus what loading a rule set costs. Shared by
 * `npm run bench` (section "rules") and `npm run rules:bench` (scripts/rules-bench.ts).
 *
 * Rule sets are generated (seeded, reproducible): mixed exact/contains rules with 1.5 keywords
 * per rule, 70 % CJK, five regexes among the first 1,000 rules, and two event/msgtype rules.
 * Messages are 100 characters, half with a planted `contains` keyword.
 */
import { encodeCompiled, decodeCompiled } from '../src/rules/codec'
import { compileRules, toRuleSet } from '../src/rules/compile'
import { decide } from '../src/rules/match'
import { foldText, MAX_REGEX_INPUT, REGEX_FLAGS, regexText } from '../src/rules/normalize'
import type { RuleSetSource } from '../src/rules/schema'
import { validateRuleSetText } from '../src/rules/validate'
import type { InboundMessage } from '../src/wechat/message'
import { medianMs } from './timing'

const CJK =
  '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严'
const LATIN = 'abcdefghijklmnopqrstuvwxyz'
/** The messages' time: fixed, so no clock read is timed (these sets have no conditions). */
const BENCH_NOW = Date.parse('2026-09-30T10:00+08:00')

/**
 * A seeded generator, so every run benchmarks the same rule sets and messages (mulberry32:
 * 32-bit integer arithmetic; an LCG in floating point would lose bits past 2^53 and repeat
 * after some 10,000 draws). Shared with bench/record.ts.
 */
export function generator(initialSeed = 42) {
  let state = initialSeed >>> 0
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
  const pick = (chars: string, n: number) => Array.from({ length: n }, () => chars[Math.floor(random() * chars.length)]).join('')
  const keyword = () => (random() < 0.7 ? pick(CJK, 2 + Math.floor(random() * 4)) : pick(LATIN, 4 + Math.floor(random() * 6)))
  return { random, pick, keyword }
}

export type Generator = ReturnType<typeof generator>

export function ruleSetSource(size: number, g: Generator): RuleSetSource {
  const { random, pick, keyword } = g
  const rules: RuleSetSource['rules'] = []
  // `size` rules in all, the two fixed ones below included: 10,000 is also the most a set may hold.
  for (let i = 0; i < size - 2; i++) {
    const reply = { type: 'text' as const, text: `回复 ${i}：${pick(CJK, 20)}` }
    if (i % 200 === 5 && i < 1000) rules.push({ id: `re${i}`, when: { regex: `^${pick(CJK, 2)}\\s*(\\d{6,})$` }, reply })
    else if (i % 2 === 0) rules.push({ id: `t${i}`, when: { text: [keyword(), keyword()] }, reply })
    else rules.push({ id: `c${i}`, when: { contains: random() < 0.5 ? [keyword()] : [keyword(), keyword()] }, reply })
  }
  rules.push({ id: 'enter', when: { event: 'user_enter_tempsession', session_from: 'pay' }, reply: { type: 'text', text: 'hi' } })
  rules.push({ id: 'img', when: { msgtype: 'image' }, reply: { type: 'transfer' } })
  return { rules, default: { type: 'text', text: '您好' } }
}

export function textMessages(source: RuleSetSource, g: Generator, count = 200): InboundMessage[] {
  const { random, pick } = g
  const keywords = source.rules.flatMap((r) => r.when.contains ?? [])
  return Array.from({ length: count }, (_, i) => {
    let content = pick(CJK + LATIN + '，。 ', 100)
    if (i % 2 === 0 && keywords.length > 0) {
      const k = keywords[Math.floor(random() * keywords.length)]!
      content = content.slice(0, 50) + k + content.slice(50 + k.length)
    }
    return { toUserName: 'gh', fromUserName: 'o', createTime: 0, type: 'text', msgId: String(i), content }
  })
}

/** What a hand-written handler does: every rule in file order, first match wins. */
export interface NaiveRules {
  /** The id of the first rule matching a text message, `default` or null. */
  match(content: string): { ruleId: string; groups: RegExpExecArray | null } | null
}

/**
 * The naive in-order scan, made as fair as it can be: keywords are folded and regexes
 * compiled once up front, so the per-message work is only the scan itself. Same semantics
 * as `decide` for text messages (exact on folded text, `contains` on folded text, regexes
 * on NFKC text up to MAX_REGEX_INPUT, a `msgtype: text` rule, then the default).
 */
export function naiveRules(source: RuleSetSource): NaiveRules {
  type Test = (folded: string, input: string) => RegExpExecArray | true | null
  const tests: { id: string; test: Test }[] = source.rules.map((rule) => {
    const { when } = rule
    if (when.text) {
      const texts = when.text.map(foldText)
      return { id: rule.id, test: (folded) => (texts.includes(folded) ? true : null) }
    }
    if (when.contains) {
      const keywords = when.contains.map(foldText)
      return { id: rule.id, test: (folded) => (keywords.some((k) => folded.includes(k)) ? true : null) }
    }
    if (when.regex !== undefined) {
      const regex = new RegExp(when.regex, REGEX_FLAGS)
      return { id: rule.id, test: (_, input) => (input.length > MAX_REGEX_INPUT ? null : regex.exec(input)) }
    }
    if (when.msgtype === 'text') return { id: rule.id, test: () => true }
    return { id: rule.id, test: () => null }
  })
  const hasDefault = source.default !== undefined
  return {
    match(content) {
      const folded = foldText(content)
      const input = regexText(content)
      for (const { id, test } of tests) {
        const result = test(folded, input)
        if (result) return { ruleId: id, groups: result === true ? null : result }
      }
      return hasDefault ? { ruleId: 'default', groups: null } : null
    },
  }
}

export interface RulesRow {
  rules: number
  keywords: number
  sourceBytes: number
  compiledBytes: number
  /** check + compile + encode, as rules:push does it. */
  pushMs: number
  /** decode of the compiled form (a Worker after rules:push). */
  coldCompiledMs: number
  /** validate + compile in the Worker (a rule set put by hand). */
  coldSourceMs: number
  /** decide(), µs per 100-character message. */
  indexedUs: number
  /** naive in-order scan, µs per message. */
  naiveUs: number
  /** naive / indexed. */
  speedup: number
  /** Messages where the two picked different rules (must be 0). */
  disagreements: number
}

export function runRulesBench(sizes: readonly number[] = [10, 1_000, 10_000]): RulesRow[] {
  const g = generator(42)
  const rows: RulesRow[] = []
  for (const size of sizes) {
    const source = ruleSetSource(size, g)
    const text = JSON.stringify(source, null, 2)
    const keywords = source.rules.reduce((n, r) => n + (r.when.text?.length ?? 0) + (r.when.contains?.length ?? 0), 0)
    const version = '0123456789abcdef'
    const fromSource = () => toRuleSet(compileRules(validated(text), version))
    const bytes = encodeCompiled(compileRules(source, version))
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    // Warm the code paths once, as a live isolate would have them after its first request.
    fromSource()
    decodeCompiled(buffer)
    const pushMs = medianMs(5, () => encodeCompiled(compileRules(validated(text), version)))
    const coldCompiledMs = medianMs(9, () => decodeCompiled(buffer))
    const coldSourceMs = medianMs(5, fromSource)

    const set = decodeCompiled(buffer)
    const naive = naiveRules(source)
    const msgs = textMessages(source, g)
    let disagreements = 0
    for (const m of msgs) {
      if (m.type !== 'text') continue
      if (decide(set, m, BENCH_NOW).ruleId !== (naive.match(m.content)?.ruleId ?? null)) disagreements++
    }
    const indexedUs = perMessageUs(msgs, (m) => decide(set, m, BENCH_NOW))
    const naiveUs = perMessageUs(msgs, (m) => (m.type === 'text' ? naive.match(m.content) : null))
    rows.push({
      rules: size,
      keywords,
      sourceBytes: text.length,
      compiledBytes: bytes.length,
      pushMs,
      coldCompiledMs,
      coldSourceMs,
      indexedUs,
      naiveUs,
      speedup: naiveUs / indexedUs,
      disagreements,
    })
  }
  return rows
}

/** Median over 5 timed runs of enough passes over the messages to take ≥ 50 ms each. */
function perMessageUs(msgs: InboundMessage[], fn: (m: InboundMessage) => unknown): number {
  let sink = 0
  const pass = () => {
    for (const m of msgs) if (fn(m)) sink++
  }
  pass()
  const start = performance.now()
  pass()
  const once = Math.max(performance.now() - start, 0.001)
  const loops = Math.max(1, Math.ceil(50 / once))
  const ms = medianMs(5, () => {
    for (let i = 0; i < loops; i++) pass()
  })
  if (sink < 0) console.log(sink)
  return (ms * 1000) / (loops * msgs.length)
}

function validated(text: string): RuleSetSource {
  const v = validateRuleSetText(text)
  if (!v.ok) throw new Error(v.issues[0]?.message)
  return v.value
}

export interface ConditionsRow {
  name: string
  /** Tables a message runs (layers in force) of all the set has. */
  layers: string
  /** decide(), µs per 100-character message. */
  us: number
}

/**
 * What office hours and dated rules add to matching (issue 16): the 1,000-rule set as is;
 * with office hours, every fifth rule `during` open or closed and a default per hours; and
 * that plus 20 campaign rules, 10 of them running (in 7 distinct windows). One Intl formatting
 * per message, one table scan per condition in force.
 */
export function runConditionsBench(): ConditionsRow[] {
  const g = generator(7)
  const plain = ruleSetSource(1_000, g)
  const hours = {
    tz: 'Asia/Shanghai',
    weekly: { mon: ['09:00-12:00', '13:00-18:00'], tue: ['09:00-18:00'], wed: ['09:00-18:00'], thu: ['09:00-18:00'], fri: ['09:00-18:00'] },
    closed: ['2026-10-01', '2026-10-02', '2026-10-03'],
    open: ['2026-09-27'],
  }
  const withHours: RuleSetSource = {
    hours,
    rules: plain.rules.map((rule, i) => (i % 5 === 0 ? { ...rule, during: i % 10 === 0 ? ('open' as const) : ('closed' as const) } : rule)),
    default: [{ during: 'closed', reply: { type: 'text', text: '休息中' } }, { reply: { type: 'text', text: '您好' } }],
  }
  const now = Date.parse('2026-09-30T10:00+08:00')
  const day = 86_400_000
  const campaigns: RuleSetSource = {
    ...withHours,
    rules: withHours.rules.map((rule, i) =>
      i % 50 === 1
        ? {
            ...rule,
            from: new Date(now - day * (i % 100 === 1 ? 1 : -1)).toISOString(),
            until: new Date(now + day * (2 + (i % 7))).toISOString(),
          }
        : rule,
    ),
  }
  const msgs = textMessages(plain, g)
  return (
    [
      ['1,000 rules, no conditions', plain],
      ['+ hours, 20 % during, default by hours', withHours],
      ['+ 20 campaign rules (10 running, in 7 date windows)', campaigns],
    ] as const
  ).map(([name, source]) => {
    const set = toRuleSet(compileRules(validated(JSON.stringify(source)), '0123456789abcdef'))
    const inForce = set.layers.filter(
      (l) =>
        l.condition === null ||
        ((l.condition.from ?? -Infinity) <= now && now < (l.condition.until ?? Infinity) && l.condition.during !== 'closed'),
    ).length
    return { name, layers: `${inForce} of ${set.layers.length}`, us: perMessageUs(msgs, (m) => decide(set, m, now)) }
  })
}
