/**
 * Compiles a validated rule set into lookup tables: exact texts in a map, `contains`
 * keywords in one automaton, msgtypes and events in maps — each keyed to the lowest rule
 * index, which keeps file-order precedence exact. Runs in `rules:push` (Node) and, for rule
 * sets put into KV by hand, in the Worker.
 */
import { buildAutomaton, type Automaton } from './automaton'
import { foldText } from './normalize'
import { compileRegex } from './regex'
import { eventKey, type Action, type RuleSet } from './rule-set'
import type { ReplySource, RuleSetSource } from './schema'
import type { ReplyMessage } from '../replies'

/** The compiled form as plain, serialisable data (see codec.ts). */
export interface CompiledRules {
  version: string
  ruleIds: string[]
  actions: Action[]
  defaultAction: Action | null
  exact: [string, number][]
  automaton: Automaton
  regexes: [number, string][]
  msgtypes: [string, number][]
  events: [string, number][]
}

export function compileRules(source: RuleSetSource, version: string): CompiledRules {
  const exact = new Map<string, number>()
  const keywords: [string, number][] = []
  const regexes: [number, string][] = []
  const msgtypes = new Map<string, number>()
  const events = new Map<string, number>()
  const first = (map: Map<string, number>, key: string, index: number) => {
    if (!map.has(key)) map.set(key, index)
  }
  source.rules.forEach(({ when }, index) => {
    for (const text of when.text ?? []) first(exact, foldText(text), index)
    for (const keyword of when.contains ?? []) keywords.push([foldText(keyword), index])
    if (when.regex !== undefined) regexes.push([index, when.regex])
    if (when.msgtype !== undefined) first(msgtypes, when.msgtype, index)
    if (when.event !== undefined) first(events, eventKey(when.event, when.session_from), index)
  })
  return {
    version,
    ruleIds: source.rules.map((rule) => rule.id),
    actions: source.rules.map((rule) => toAction(rule.reply)),
    defaultAction: source.default === undefined ? null : toAction(source.default),
    exact: [...exact],
    automaton: buildAutomaton(keywords),
    regexes,
    msgtypes: [...msgtypes],
    events: [...events],
  }
}

export function toRuleSet(compiled: CompiledRules): RuleSet {
  const { actions, ruleIds } = compiled
  return {
    version: compiled.version,
    size: ruleIds.length,
    ruleId: (index) => ruleIds[index]!,
    action: (index) => actions[index]!,
    defaultAction: compiled.defaultAction,
    exact: new Map(compiled.exact),
    automaton: compiled.automaton,
    regexes: compiled.regexes.map(([index, pattern]) => ({ index, pattern, program: compileRegex(pattern) })),
    msgtypes: new Map(compiled.msgtypes),
    events: new Map(compiled.events),
  }
}

export function toAction(reply: ReplySource | ReplySource[]): Action {
  const list = Array.isArray(reply) ? reply : [reply]
  const sends: ReplyMessage[] = []
  let transfer = false
  for (const r of list) {
    const send = toReplyMessage(r)
    if (send) sends.push(send)
    else transfer = true
  }
  return { transfer, sends }
}

/** The source shapes allow either/or fields the validator has already paired up. */
function toReplyMessage(reply: ReplySource): ReplyMessage | null {
  switch (reply.type) {
    case 'transfer':
      return null
    case 'text':
      return { type: 'text', text: reply.text }
    case 'image':
      return reply.media_id !== undefined
        ? { type: 'image', media_id: reply.media_id }
        : { type: 'image', url: reply.url ?? '' }
    case 'link':
      return {
        type: 'link',
        title: reply.title,
        description: reply.description,
        url: reply.url,
        thumb_url: reply.thumb_url,
      }
    case 'miniprogrampage': {
      const base = {
        type: 'miniprogrampage' as const,
        title: reply.title,
        pagepath: reply.pagepath,
        ...(reply.appid === undefined ? {} : { appid: reply.appid }),
      }
      return reply.thumb_media_id !== undefined
        ? { ...base, thumb_media_id: reply.thumb_media_id }
        : { ...base, thumb_url: reply.thumb_url ?? '' }
    }
  }
}
