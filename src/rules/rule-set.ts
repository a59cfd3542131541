/**
 * The compiled rule set: what `decide` matches against. Built from a validated source by
 * `compile.ts` (at push time or in the Worker) or decoded from bytes by `codec.ts`. Plain
 * data; indices are positions in the file, so the lowest matching index is the rule that
 * comes first.
 */
import type { Handoff, ReplyMessage } from '../replies'
import { EMPTY_AUTOMATON, type Automaton } from './automaton'
import type { HoursTable } from './hours'
import type { RegexProgram } from './regex'
import type { During } from './schema'

/** What a rule does: the sends, and whether the push is answered with a transfer. */
export interface Action {
  transfer: boolean
  sends: ReplyMessage[]
}

/** A rule's or default's answer: one action, or one of several chosen per message. */
export type Answer = Action | { random: Action[] }

/** When a rule applies; from/until are epoch milliseconds (from inclusive, until exclusive). */
export interface Condition {
  during?: During
  from?: number
  until?: number
  /** `when.channel`: only messages that came this way. */
  channel?: 'miniprogram' | 'kf'
}

export interface DefaultAnswer {
  during?: During
  answer: Answer
}

export interface RegexRule {
  index: number
  pattern: string
  /** Compiled when the set is built or decoded, so a pattern the engine refuses never gets this far. */
  program: RegexProgram
}

/**
 * The lookup tables for the rules that share one condition (the unconditional rules are one
 * layer). Indices are file positions across the whole set, so the lowest over the layers in
 * force is the rule that comes first; a layer not in force is skipped whole.
 */
export interface Layer {
  /** null: always in force. */
  readonly condition: Condition | null
  /** Folded exact text → lowest rule index. */
  readonly exact: { get(text: string): number | undefined }
  /** `contains` keywords → lowest rule index. */
  readonly automaton: Automaton
  /** Regex rules in file order. */
  readonly regexes: readonly RegexRule[]
  /** msgtype → lowest rule index. */
  readonly msgtypes: ReadonlyMap<string, number>
  /** eventKey(event[, session_from]) → lowest rule index. */
  readonly events: ReadonlyMap<string, number>
}

/** The rule set's `ai` block when enabled: a text no rule answered asks the knowledge base first. */
export interface Knowledge {
  /** An FAQ entry whose match scores at least this (0–1) answers as written. */
  faqThreshold: number
  /** The model's part, used when the Worker has a model (LLM_* settings). */
  model: ModelPolicy
}

/** `satisfaction`, defaults filled in. */
export interface Satisfaction {
  text: string
  minutes: number
  thanks: string
}

/** `ai`'s settings for the model, defaults filled in (schema.ts says what each means). */
export interface ModelPolicy {
  passageThreshold: number
  persona: string
  maxChars: number
  dailyBudget: number
  offHours: 'answer' | 'fallback'
  fallback: string
}

export interface RuleSet {
  /** The rule set's version: the first 16 hex digits of the SHA-256 of the KV value. */
  readonly version: string
  /** How many rules the set has (disabled ones included: indices are file positions). */
  readonly size: number
  /** The id of the rule at an index. */
  readonly ruleId: (index: number) => string
  /** The answer of the rule at an index. */
  readonly action: (index: number) => Answer
  /** A rule's `once_per_hours`, when it has one. */
  readonly oncePerHours: (index: number) => number | undefined
  /** Transfer after unmatched texts in a row; null when the set has no hand-off. */
  readonly handoff: Handoff | null
  /** For text that no rule matched: the first entry whose `during` fits answers. */
  readonly defaults: readonly DefaultAnswer[]
  /** Office hours, for `during`; null when the set has none. */
  readonly hours: HoursTable | null
  /** The knowledge base before the default reply; null when `ai` is absent or not enabled. */
  readonly knowledge: Knowledge | null
  /** Ask for a rating after a close at the desk; null when `satisfaction` is absent or not enabled. */
  readonly satisfaction: Satisfaction | null
  /** Disabled rules are in no layer. */
  readonly layers: readonly Layer[]
}

/** Rules without session_from are keyed by the event alone. */
export function eventKey(event: string, sessionFrom?: string): string {
  return sessionFrom === undefined ? event : `${event}\u0000${sessionFrom}`
}

/** The set in force when KV has none (or only invalid ones): nothing matches. */
export const EMPTY_RULE_SET: RuleSet = {
  version: 'empty',
  size: 0,
  ruleId: () => '',
  action: () => ({ transfer: false, sends: [] }),
  oncePerHours: () => undefined,
  handoff: null,
  defaults: [],
  hours: null,
  knowledge: null,
  satisfaction: null,
  layers: [{ condition: null, exact: new Map(), automaton: EMPTY_AUTOMATON, regexes: [], msgtypes: new Map(), events: new Map() }],
}
