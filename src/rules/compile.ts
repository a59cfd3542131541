/**
 * Compiles a validated rule set into lookup tables: exact texts in a map, `contains`
 * keywords in one automaton, msgtypes and events in maps — each keyed to the lowest rule
 * index, which keeps file-order precedence exact. Rules with a condition (`during`, `from`,
 * `until`) get tables of their own, one set per distinct condition, so a rule that is not in
 * force never hides a later one; `enabled: false` rules get none. Runs in `rules:push` (Node)
 * and, for rule sets put into KV by hand, in the Worker.
 */
import { buildAutomaton, type Automaton } from './automaton'
import { hoursData, hoursTable, type HoursData } from './hours'
import { foldText } from './normalize'
import { compileRegex } from './regex'
import { defaultEntries, isRandom } from './reply-shape'
import {
  eventKey,
  type Action,
  type Answer,
  type Condition,
  type DefaultAnswer,
  type Knowledge,
  type Layer,
  type Satisfaction,
  type RuleSet,
} from './rule-set'
import {
  DEFAULT_AI_FALLBACK,
  DEFAULT_DAILY_BUDGET,
  DEFAULT_FAQ_THRESHOLD,
  DEFAULT_MAX_ANSWER_CHARS,
  DEFAULT_PASSAGE_THRESHOLD,
  DEFAULT_RATING_MINUTES,
  DEFAULT_RATING_TEXT,
  DEFAULT_RATING_THANKS,
  type AiSource,
  type RepliesSource,
  type ReplySource,
  type RuleReplySource,
  type RuleSetSource,
  type RuleSource,
} from './schema'
import type { Handoff, ReplyMessage } from '../replies'

/** One layer's tables as plain data (see rule-set.ts). */
export interface CompiledLayer {
  condition: Condition | null
  exact: [string, number][]
  automaton: Automaton
  regexes: [number, string][]
  msgtypes: [string, number][]
  events: [string, number][]
}

/** The set-wide part of a compiled set: everything but its rules and their tables. */
export type CompiledSettings = Pick<CompiledRules, 'oncePerHours' | 'handoff' | 'defaults' | 'hours' | 'knowledge' | 'satisfaction'>

/** The compiled form as plain, serialisable data (see codec.ts). */
export interface CompiledRules {
  version: string
  ruleIds: string[]
  actions: Answer[]
  /** [rule index, hours] for the rules with once_per_hours (few have it). */
  oncePerHours: [number, number][]
  handoff: Handoff | null
  defaults: DefaultAnswer[]
  hours: HoursData | null
  knowledge: Knowledge | null
  satisfaction: Satisfaction | null
  layers: CompiledLayer[]
}

export function compileRules(source: RuleSetSource, version: string): CompiledRules {
  // Rules that share a condition share tables; the unconditional layer comes first.
  const groups = new Map<string, { condition: Condition | null; indices: number[] }>([['null', { condition: null, indices: [] }]])
  source.rules.forEach((rule, index) => {
    if (rule.enabled === false) return
    const condition = conditionOf(rule)
    const key = JSON.stringify(condition)
    let group = groups.get(key)
    if (group === undefined) {
      group = { condition, indices: [] }
      groups.set(key, group)
    }
    group.indices.push(index)
  })
  return {
    version,
    ruleIds: source.rules.map((rule) => rule.id),
    actions: source.rules.map((rule) => toAnswer(rule.reply)),
    oncePerHours: source.rules.flatMap((rule, index): [number, number][] =>
      rule.once_per_hours === undefined ? [] : [[index, rule.once_per_hours]],
    ),
    handoff: source.handoff === undefined ? null : { afterUnmatched: source.handoff.after_unmatched, text: source.handoff.text ?? null },
    defaults:
      source.default === undefined
        ? []
        : defaultEntries(source.default).map(([, entry]) => ({
            ...(entry.during === undefined ? {} : { during: entry.during }),
            answer: toAnswer(entry.reply),
          })),
    hours: source.hours === undefined ? null : hoursData(source.hours),
    knowledge: source.ai?.enabled === true ? knowledgeOf(source.ai) : null,
    satisfaction:
      source.satisfaction?.enabled === true
        ? {
            text: source.satisfaction.text ?? DEFAULT_RATING_TEXT,
            minutes: source.satisfaction.minutes ?? DEFAULT_RATING_MINUTES,
            thanks: source.satisfaction.thanks ?? DEFAULT_RATING_THANKS,
          }
        : null,
    layers: [...groups.values()]
      .filter((group) => group.condition === null || group.indices.length > 0)
      .map(({ condition, indices }) => compileLayer(source, condition, indices)),
  }
}

/** The `ai` block with every default filled in. */
export function knowledgeOf(ai: AiSource): Knowledge {
  return {
    faqThreshold: ai.faq_threshold ?? DEFAULT_FAQ_THRESHOLD,
    model: {
      passageThreshold: ai.passage_threshold ?? DEFAULT_PASSAGE_THRESHOLD,
      persona: ai.persona ?? '',
      maxChars: ai.max_answer_chars ?? DEFAULT_MAX_ANSWER_CHARS,
      dailyBudget: ai.daily_budget ?? DEFAULT_DAILY_BUDGET,
      offHours: ai.off_hours ?? 'answer',
      fallback: ai.fallback ?? DEFAULT_AI_FALLBACK,
    },
  }
}

function conditionOf(rule: RuleSource): Condition | null {
  const condition: Condition = {}
  if (rule.during !== undefined) condition.during = rule.during
  if (rule.from !== undefined) condition.from = Date.parse(rule.from)
  if (rule.until !== undefined) condition.until = Date.parse(rule.until)
  if (rule.when.channel !== undefined) condition.channel = rule.when.channel
  return Object.keys(condition).length === 0 ? null : condition
}

function compileLayer(source: RuleSetSource, condition: Condition | null, indices: number[]): CompiledLayer {
  const exact = new Map<string, number>()
  const keywords: [string, number][] = []
  const regexes: [number, string][] = []
  const msgtypes = new Map<string, number>()
  const events = new Map<string, number>()
  const first = (map: Map<string, number>, key: string, index: number) => {
    if (!map.has(key)) map.set(key, index)
  }
  for (const index of indices) {
    const { when } = source.rules[index]!
    for (const text of when.text ?? []) first(exact, foldText(text), index)
    for (const keyword of when.contains ?? []) keywords.push([foldText(keyword), index])
    if (when.regex !== undefined) regexes.push([index, when.regex])
    if (when.msgtype !== undefined) first(msgtypes, when.msgtype, index)
    if (when.event !== undefined) first(events, eventKey(when.event, when.session_from), index)
  }
  return {
    condition,
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
    ...settingsOf(compiled),
    layers: compiled.layers.map(toLayer),
  }
}

/** The set-wide settings of a compiled set, as the RuleSet exposes them (shared with codec.ts). */
export function settingsOf(compiled: CompiledSettings): Pick<RuleSet, keyof CompiledSettings> {
  const once = new Map(compiled.oncePerHours)
  return {
    oncePerHours: (index) => once.get(index),
    handoff: compiled.handoff,
    defaults: compiled.defaults,
    hours: compiled.hours === null ? null : hoursTable(compiled.hours),
    knowledge: compiled.knowledge,
    satisfaction: compiled.satisfaction,
  }
}

/** Tables as data → the lookups decide uses (shared with codec.ts, which passes its own exact). */
export function toLayer(layer: Omit<CompiledLayer, 'exact'> & { exact: Layer['exact'] | [string, number][] }): Layer {
  return {
    condition: layer.condition,
    exact: Array.isArray(layer.exact) ? new Map(layer.exact) : layer.exact,
    automaton: layer.automaton,
    regexes: layer.regexes.map(([index, pattern]) => ({ index, pattern, program: compileRegex(pattern) })),
    msgtypes: new Map(layer.msgtypes),
    events: new Map(layer.events),
  }
}

export function toAnswer(reply: RuleReplySource): Answer {
  return isRandom(reply) ? { random: reply.random.map(toAction) } : toAction(reply)
}

export function toAction(reply: RepliesSource): Action {
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
      if (reply.media_id !== undefined) return { type: 'image', media_id: reply.media_id }
      if (reply.file !== undefined) return { type: 'image', file: reply.file }
      return { type: 'image', url: reply.url ?? '' }
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
      if (reply.thumb_media_id !== undefined) return { ...base, thumb_media_id: reply.thumb_media_id }
      if (reply.thumb_file !== undefined) return { ...base, thumb_file: reply.thumb_file }
      return { ...base, thumb_url: reply.thumb_url ?? '' }
    }
  }
}
