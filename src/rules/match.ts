/**
 * decide: which rule answers a message, and with what. Pure: the caller passes the time and
 * (for random answers) the choice. The cost per message is, for every layer in force (one
 * per distinct condition; see compile.ts), one map lookup and one automaton scan (linear in
 * the text), plus the regex rules that come before the best match so far (each linear in the
 * text too: see regex.ts; one anchored at `^` whose first character cannot be the message's
 * costs a character test) — independent of how many exact and `contains` rules there are.
 * Office hours cost one Intl formatting per message, and only when something asks for them.
 */
import type { ReplyMessage, ReplyPlan } from '../replies'
import { isUserMessage, type InboundMessage } from '../wechat/message'
import { hasKeywords, lowestMatch, NONE } from './automaton'
import { isOpen } from './hours'
import { foldCase, MAX_REGEX_INPUT, PLACEHOLDER, regexText } from './normalize'
import { regexExec, type RegexMatch } from './regex'
import { CHAR, JMP, MATCH, SPLIT, type RegexProgram } from './regex-vm'
import { eventKey, type Action, type Answer, type Condition, type Layer, type RuleSet } from './rule-set'

/** Picks one of `count` choices: an integer in [0, count). */
export type Pick = (count: number) => number

/** crypto.getRandomValues: the modulo bias for at most 20 choices is below 1 in 2^27. */
export const randomPick: Pick = (count) => crypto.getRandomValues(new Uint32Array(1))[0]! % count

export function decide(ruleSet: RuleSet, message: InboundMessage, now: number, pick: Pick = randomPick): ReplyPlan {
  const clock = new Clock(ruleSet, now, message.channel ?? 'miniprogram')
  const { index, groups } = winner(ruleSet, message, clock)
  if (index !== NONE) {
    const found = plan(ruleSet, ruleSet.ruleId(index), choose(ruleSet.action(index), pick), message, groups)
    const once = ruleSet.oncePerHours(index)
    return once === undefined ? found : { ...found, oncePerHours: once }
  }
  if (message.type !== 'text') return { ruleId: null, ruleSetVersion: ruleSet.version, transfer: false, sends: [] }
  const entry = ruleSet.defaults.find((d) => d.during === undefined || clock.during(d.during))
  const unmatched: ReplyPlan = entry
    ? plan(ruleSet, 'default', choose(entry.answer, pick), message, null)
    : { ruleId: null, ruleSetVersion: ruleSet.version, transfer: false, sends: [] }
  // The Conversation object knows how many came before in a row, and hands off when it is time.
  return ruleSet.handoff === null ? unmatched : { ...unmatched, handoff: ruleSet.handoff }
}

/**
 * The plan for an answer kept outside the rule set (an FAQ entry's, see faq.ts) under
 * `ruleId`: chosen (random) and copied exactly as a rule's answer, with no groups to fill.
 */
export function answerPlan(ruleSet: RuleSet, ruleId: string, answer: Answer, message: InboundMessage, pick: Pick = randomPick): ReplyPlan {
  return plan(ruleSet, ruleId, choose(answer, pick), message, null)
}

/** Whether conditions hold at `now`; the office-hours check runs at most once per message. */
class Clock {
  private open: boolean | undefined
  constructor(
    private readonly ruleSet: RuleSet,
    readonly now: number,
    /** The message's channel, for `when.channel`. */
    readonly channel: 'miniprogram' | 'kf' = 'miniprogram',
  ) {}

  during(when: 'open' | 'closed'): boolean {
    const { hours } = this.ruleSet
    // The validator requires hours for `during`; without them nothing is ever open.
    this.open ??= hours !== null && isOpen(hours, this.now)
    return this.open === (when === 'open')
  }

  holds(condition: Condition | null): boolean {
    if (condition === null) return true
    if (condition.channel !== undefined && condition.channel !== this.channel) return false
    if (condition.from !== undefined && this.now < condition.from) return false
    if (condition.until !== undefined && this.now >= condition.until) return false
    return condition.during === undefined || this.during(condition.during)
  }
}

function choose(answer: Answer, pick: Pick): Action {
  if (!('random' in answer)) return answer
  const { random } = answer
  // Clamped: an injected pick that strays never reads past the list.
  return random[Math.min(random.length - 1, Math.max(0, Math.floor(pick(random.length))))]!
}

interface Winner {
  index: number
  /** The winning regex rule's match, for `{{1}}` and `{{name}}`. */
  groups: RegexMatch | null
}

function winner(ruleSet: RuleSet, message: InboundMessage, clock: Clock): Winner {
  if (message.type === 'text') return textWinner(ruleSet, message.content, clock)
  let best = NONE
  for (const layer of ruleSet.layers) {
    if (layer.condition !== null && !clock.holds(layer.condition)) continue
    best = Math.min(best, otherIndex(layer, message))
  }
  return { index: best, groups: null }
}

function otherIndex(layer: Layer, message: InboundMessage): number {
  switch (message.type) {
    case 'text':
    case 'unknown':
    // The platform's word about a user's data: never a rule's to answer (routes/user-data.ts acts on it).
    case 'user_authorization_revoke':
    case 'user_authorization_cancellation':
      return NONE
    case 'image':
    case 'miniprogrampage':
      return layer.msgtypes.get(message.type) ?? NONE
    case 'user_enter_tempsession': {
      const any = layer.events.get(eventKey(message.type)) ?? NONE
      const from = layer.events.get(eventKey(message.type, message.sessionFrom)) ?? NONE
      return Math.min(any, from)
    }
    case 'subscribe_msg_popup_event':
    case 'subscribe_msg_change_event':
    case 'subscribe_msg_sent_event':
      return layer.events.get(eventKey(message.type)) ?? NONE
  }
}

function textWinner(ruleSet: RuleSet, content: string, clock: Clock): Winner {
  const input = regexText(content)
  const folded = foldCase(input)
  let best: Winner = { index: NONE, groups: null }
  for (const layer of ruleSet.layers) {
    if (layer.condition !== null && !clock.holds(layer.condition)) continue
    best = layerWinner(layer, input, folded, best)
    if (best.index === 0) break
  }
  return best
}

/** The better of `best` and this layer's match: lower indices only. */
function layerWinner(layer: Layer, input: string, folded: string, best: Winner): Winner {
  let index = Math.min(best.index, layer.exact.get(folded) ?? NONE, layer.msgtypes.get('text') ?? NONE)
  // A layer without keywords: skip the scan.
  if (index > 0 && hasKeywords(layer.automaton)) index = Math.min(index, lowestMatch(layer.automaton, folded))
  const found: Winner = index === best.index ? best : { index, groups: null }
  if (layer.regexes.length === 0 || input.length > MAX_REGEX_INPUT) return found
  // Regex rules are in file order: the first that matches and precedes `index` wins.
  for (const rule of layer.regexes) {
    if (rule.index >= index) break
    if (cannotStart(rule.program, input)) continue
    const match = regexExec(rule.program, input)
    if (match) return { index: rule.index, groups: match }
  }
  return found
}

/**
 * Whether a regex anchored at `^` certainly fails on `input` because no character it can
 * start with is the input's first: most messages fail such a rule right there, and this
 * answers without setting up the VM. false means "run it".
 */
function cannotStart(program: RegexProgram, input: string): boolean {
  let atoms = firstAtoms.get(program)
  if (atoms === undefined) {
    atoms = startAtoms(program)
    firstAtoms.set(program, atoms)
  }
  if (atoms === null) return false
  if (input.length === 0) return true
  const cp = input.codePointAt(0)!
  for (const atom of atoms) if (program.tests[atom]!(input, 0, cp)) return false
  return true
}

const firstAtoms = new WeakMap<RegexProgram, Int32Array | null>()

/**
 * The atoms a match's first character must match, for an anchored program; null when it is not
 * anchored (a match may start anywhere) or can match without consuming anything. Follows
 * every path from the start that consumes nothing, taking each assertion as holding.
 */
function startAtoms(program: RegexProgram): Int32Array | null {
  if (!program.anchored) return null
  const { op, x, y } = program
  const seen = new Uint8Array(op.length)
  const atoms = new Set<number>()
  const stack = [0]
  while (stack.length > 0) {
    const s = stack.pop()!
    if (seen[s] === 1) continue
    seen[s] = 1
    switch (op[s]) {
      case MATCH:
        return null
      case CHAR:
        atoms.add(x[s]!)
        break
      case JMP:
        stack.push(x[s]!)
        break
      case SPLIT:
        stack.push(x[s]!, y[s]!)
        break
      default:
        // SAVE, RESET, ASSERT: go on to the next state.
        stack.push(s + 1)
    }
  }
  return Int32Array.from(atoms)
}

function plan(ruleSet: RuleSet, ruleId: string, action: Action, message: InboundMessage, groups: RegexMatch | null): ReplyPlan {
  return {
    ruleId,
    ruleSetVersion: ruleSet.version,
    // The validator refuses transfer on events; this keeps the guarantee for any rule set.
    transfer: action.transfer && isUserMessage(message),
    sends: groups ? action.sends.map((send) => fill(send, groups)) : action.sends.map(copy),
  }
}

/** Each plan gets its own objects: the rule set is shared by every request of the isolate. */
function copy(send: ReplyMessage): ReplyMessage {
  return { ...send }
}

function fill(send: ReplyMessage, match: RegexMatch): ReplyMessage {
  if (send.type !== 'text') return { ...send }
  const text = send.text.replace(PLACEHOLDER, (_, raw: string) => {
    const name = raw.trim()
    const value = /^\d+$/.test(name) ? match.captures[Number(name)] : match.groups[name]
    return value ?? ''
  })
  return { type: 'text', text }
}
