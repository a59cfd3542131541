/**
 * The compiled rule set: what `decide` matches against. Built from a validated source by
 * `compile.ts` (at push time or in the Worker) or decoded from bytes by `codec.ts`. Plain
 * data; indices are positions in the file, so the lowest matching index is the rule that
 * comes first.
 */
import type { ReplyMessage } from '../replies'
import { EMPTY_AUTOMATON, type Automaton } from './automaton'
import type { RegexProgram } from './regex'

/** What a rule does: the sends, and whether the push is answered with a transfer. */
export interface Action {
  transfer: boolean
  sends: ReplyMessage[]
}

export interface RegexRule {
  index: number
  pattern: string
  /** Compiled when the set is built or decoded, so a pattern the engine refuses never gets this far. */
  program: RegexProgram
}

export interface RuleSet {
  /** The rule set's version: the first 16 hex digits of the SHA-256 of the KV value. */
  readonly version: string
  /** How many rules the set has. */
  readonly size: number
  /** The id of the rule at an index. */
  readonly ruleId: (index: number) => string
  /** The action of the rule at an index. */
  readonly action: (index: number) => Action
  /** For text that no rule matched. */
  readonly defaultAction: Action | null
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
  defaultAction: null,
  exact: new Map(),
  automaton: EMPTY_AUTOMATON,
  regexes: [],
  msgtypes: new Map(),
  events: new Map(),
}
