/**
 * decide: which rule answers a message, and with what. Pure; the cost per message is one map
 * lookup and one automaton scan (linear in the text), plus the regex rules that come before
 * the best match so far (each linear in the text too: see regex.ts) — independent of how many exact and `contains` rules there are.
 */
import type { ReplyMessage, ReplyPlan } from '../replies'
import { isUserMessage, type InboundMessage } from '../wechat/message'
import { lowestMatch, NONE } from './automaton'
import { foldCase, MAX_REGEX_INPUT, PLACEHOLDER, regexText } from './normalize'
import { regexExec, type RegexMatch } from './regex'
import { eventKey, type Action, type RuleSet } from './rule-set'

export function decide(ruleSet: RuleSet, message: InboundMessage): ReplyPlan {
  const { index, groups } = winner(ruleSet, message)
  if (index !== NONE) return plan(ruleSet, ruleSet.ruleId(index), ruleSet.action(index), message, groups)
  if (message.type === 'text' && ruleSet.defaultAction) {
    return plan(ruleSet, 'default', ruleSet.defaultAction, message, null)
  }
  return { ruleId: null, ruleSetVersion: ruleSet.version, transfer: false, sends: [] }
}

interface Winner {
  index: number
  /** The winning regex rule's match, for `{{1}}` and `{{name}}`. */
  groups: RegexMatch | null
}

function winner(ruleSet: RuleSet, message: InboundMessage): Winner {
  switch (message.type) {
    case 'text':
      return textWinner(ruleSet, message.content)
    case 'image':
    case 'miniprogrampage':
      return { index: ruleSet.msgtypes.get(message.type) ?? NONE, groups: null }
    case 'user_enter_tempsession': {
      const any = ruleSet.events.get(eventKey(message.type)) ?? NONE
      const from = ruleSet.events.get(eventKey(message.type, message.sessionFrom)) ?? NONE
      return { index: Math.min(any, from), groups: null }
    }
    case 'subscribe_msg_popup_event':
    case 'subscribe_msg_change_event':
    case 'subscribe_msg_sent_event':
      return { index: ruleSet.events.get(eventKey(message.type)) ?? NONE, groups: null }
    case 'unknown':
      return { index: NONE, groups: null }
  }
}

function textWinner(ruleSet: RuleSet, content: string): Winner {
  const input = regexText(content)
  const folded = foldCase(input)
  let best = Math.min(ruleSet.exact.get(folded) ?? NONE, ruleSet.msgtypes.get('text') ?? NONE)
  if (best > 0) best = Math.min(best, lowestMatch(ruleSet.automaton, folded))
  if (ruleSet.regexes.length === 0) return { index: best, groups: null }
  if (input.length > MAX_REGEX_INPUT) return { index: best, groups: null }
  // Regex rules are in file order: the first that matches and precedes `best` wins.
  for (const rule of ruleSet.regexes) {
    if (rule.index >= best) break
    const match = regexExec(rule.program, input)
    if (match) return { index: rule.index, groups: match }
  }
  return { index: best, groups: null }
}

function plan(
  ruleSet: RuleSet,
  ruleId: string,
  action: Action,
  message: InboundMessage,
  groups: RegexMatch | null,
): ReplyPlan {
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
