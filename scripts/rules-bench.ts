/**
 * `npm run rules:bench`: what rule sets cost, in Node (V8, like workerd; not a timed test).
 * For 10, 1,000 and 10,000 rules (mixed exact/contains, five regexes, events; 1.5 keywords
 * per rule, 70 % CJK): check + compile as rules:push does it; a cold load from the compiled
 * form (the Worker after rules:push); a cold load from source (after a hand put); and the
 * match time per 100-character message.
 */
import { encodeCompiled, decodeCompiled } from '../src/rules/codec'
import { compileRules, toRuleSet } from '../src/rules/compile'
import { decide } from '../src/rules/match'
import type { RuleSetSource } from '../src/rules/schema'
import { validateRuleSetText } from '../src/rules/validate'
import type { InboundMessage } from '../src/wechat/message'

let seed = 42
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
const pick = (chars: string, n: number) => Array.from({ length: n }, () => chars[Math.floor(random() * chars.length)]).join('')
const CJK = '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严'
const LATIN = 'abcdefghijklmnopqrstuvwxyz'
const keyword = () => (random() < 0.7 ? pick(CJK, 2 + Math.floor(random() * 4)) : pick(LATIN, 4 + Math.floor(random() * 6)))

function ruleSet(size: number): RuleSetSource {
  const rules: RuleSetSource['rules'] = []
  for (let i = 0; i < size; i++) {
    const reply = { type: 'text' as const, text: `回复 ${i}：${pick(CJK, 20)}` }
    if (i % 200 === 5 && i < 1000) rules.push({ id: `re${i}`, when: { regex: `^${pick(CJK, 2)}\\s*(\\d{6,})$` }, reply })
    else if (i % 2 === 0) rules.push({ id: `t${i}`, when: { text: [keyword(), keyword()] }, reply })
    else rules.push({ id: `c${i}`, when: { contains: random() < 0.5 ? [keyword()] : [keyword(), keyword()] }, reply })
  }
  rules.push({ id: 'enter', when: { event: 'user_enter_tempsession', session_from: 'pay' }, reply: { type: 'text', text: 'hi' } })
  rules.push({ id: 'img', when: { msgtype: 'image' }, reply: { type: 'transfer' } })
  return { rules, default: { type: 'text', text: '您好' } }
}

function messages(source: RuleSetSource): InboundMessage[] {
  const keywords = source.rules.flatMap((r) => r.when.contains ?? [])
  return Array.from({ length: 200 }, (_, i) => {
    let content = pick(CJK + LATIN + '，。 ', 100)
    if (i % 2 === 0 && keywords.length > 0) {
      const k = keywords[Math.floor(random() * keywords.length)]!
      content = content.slice(0, 50) + k + content.slice(50 + k.length)
    }
    return { toUserName: 'gh', fromUserName: 'o', createTime: 0, type: 'text', msgId: String(i), content }
  })
}

/** Median of `runs` timings of fn, in ms. */
function time(runs: number, fn: () => void): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    fn()
    times.push(performance.now() - start)
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!
}

const fmt = (ms: number) => (ms < 1 ? ms.toFixed(3) : ms.toFixed(1))
console.log('| rules | keywords | rules.json | compiled | check+compile (push) ms | cold load, compiled ms | cold load, source ms | match µs/msg |')
console.log('|---|---|---|---|---|---|---|---|')
for (const size of [10, 1_000, 10_000]) {
  const source = ruleSet(size)
  const text = JSON.stringify(source, null, 2)
  const keywords = source.rules.reduce((n, r) => n + (r.when.text?.length ?? 0) + (r.when.contains?.length ?? 0), 0)
  const version = '0123456789abcdef'
  const fromSource = () => {
    const v = validateRuleSetText(text)
    if (!v.ok) throw new Error(v.issues[0]?.message)
    return toRuleSet(compileRules(v.value, version))
  }
  const bytes = encodeCompiled(compileRules(source, version))
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  // Warm the code paths once, as a live isolate would have them after its first request.
  fromSource()
  decodeCompiled(buffer)
  const push = time(5, () => encodeCompiled(compileRules(fromSourceValue(text), version)))
  const coldCompiled = time(9, () => decodeCompiled(buffer))
  const coldSource = time(5, fromSource)
  const set = decodeCompiled(buffer)
  const msgs = messages(source)
  for (const m of msgs) decide(set, m)
  const loops = 20
  const matchMs = time(5, () => {
    for (let i = 0; i < loops; i++) for (const m of msgs) decide(set, m)
  })
  const perMsg = (matchMs * 1000) / (loops * msgs.length)
  console.log(
    `| ${size.toLocaleString('en')} | ${keywords.toLocaleString('en')} | ${kb(text.length)} | ${kb(bytes.length)} | ${fmt(push)} | ${fmt(coldCompiled)} | ${fmt(coldSource)} | ${perMsg.toFixed(2)} |`,
  )
}

function fromSourceValue(text: string): RuleSetSource {
  const v = validateRuleSetText(text)
  if (!v.ok) throw new Error(v.issues[0]?.message)
  return v.value
}

function kb(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${Math.round(bytes / 1024)} KiB`
}
