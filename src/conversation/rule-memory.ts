/**
 * What the rules remember about one user, in their Conversation object (`rule_memory`,
 * schema 4): how many texts in a row no rule answered, for the rule set's hand-off, and
 * when each `once_per_hours` rule last answered them. The rule engine stays pure and
 * stateless; the object applies these to its plan inside the transaction that records the
 * push, so a retry of the push (a duplicate) never counts twice.
 */
import { log } from '../log'
import { HANDOFF_RULE_ID, type ReplyPlan } from '../replies'
import { isUserMessageType } from '../wechat/message'
import type { RecordInput } from './contract'

const STREAK = 'unmatched_in_a_row'
const answeredKey = (ruleId: string): string => `answered:${ruleId}`

/** What the user's memory holds for one push. */
export interface Memory {
  unmatchedInARow: number
  /** When the plan's rule last answered this user (epoch ms); null: never, or not a once-per rule. */
  ruleAnsweredAt: number | null
}

export interface Recall {
  plan: ReplyPlan
  memory: Memory
  /** What happened, for the log: the hand-off fired, or a once-per rule stayed quiet. */
  outcome: 'handoff' | 'quiet' | null
}

/** A text no rule answered (the default reply counts): the questions the rules miss. */
export function isUnmatched(kind: string, ruleId: string | null): boolean {
  return kind === 'text' && (ruleId === null || ruleId === 'default' || ruleId === HANDOFF_RULE_ID)
}

/**
 * The plan as this user's memory changes it, and the memory after it. Pure. Any user message
 * a rule answers ends a run of unmatched texts; events leave it as it is.
 */
export function recall(plan: ReplyPlan, kind: string, memory: Memory, now: number): Recall {
  if (plan.oncePerHours !== undefined && plan.ruleId !== null) {
    const quiet = memory.ruleAnsweredAt !== null && now - memory.ruleAnsweredAt < plan.oncePerHours * 3_600_000
    if (quiet) return { plan: { ...plan, sends: [], transfer: false }, memory, outcome: 'quiet' }
    return { plan, memory: { ...memory, ruleAnsweredAt: now }, outcome: null }
  }
  if (!isUserMessageType(kind)) return { plan, memory, outcome: null }
  if (!isUnmatched(kind, plan.ruleId) || plan.handoff === undefined) {
    // A rule of the operator's answered: the run ends. Anything else (an image no rule names) leaves it.
    const answered = plan.ruleId !== null && plan.ruleId !== 'default'
    return { plan, memory: answered ? { ...memory, unmatchedInARow: 0 } : memory, outcome: null }
  }
  const unmatchedInARow = memory.unmatchedInARow + 1
  if (unmatchedInARow < plan.handoff.afterUnmatched) return { plan, memory: { ...memory, unmatchedInARow }, outcome: null }
  const { text } = plan.handoff
  return {
    plan: { ...plan, ruleId: HANDOFF_RULE_ID, transfer: true, sends: text === null ? [] : [{ type: 'text', text }] },
    memory: { ...memory, unmatchedInARow: 0 },
    outcome: 'handoff',
  }
}

/** Reads the memory, applies it to the input's plan and writes it back. Call inside the record transaction. */
export function applyMemory(sql: SqlStorage, input: RecordInput, now: number): ReplyPlan {
  const { plan } = input
  const onceKey = plan.oncePerHours !== undefined && plan.ruleId !== null ? answeredKey(plan.ruleId) : null
  const before: Memory = {
    unmatchedInARow: read(sql, STREAK) ?? 0,
    ruleAnsweredAt: onceKey === null ? null : read(sql, onceKey),
  }
  const after = recall(plan, input.kind, before, now)
  if (after.memory.unmatchedInARow !== before.unmatchedInARow) write(sql, STREAK, after.memory.unmatchedInARow)
  if (onceKey !== null && after.memory.ruleAnsweredAt !== null && after.memory.ruleAnsweredAt !== before.ruleAnsweredAt) {
    write(sql, onceKey, after.memory.ruleAnsweredAt)
  }
  if (after.outcome === 'handoff') {
    log.info('rules.handoff', { openid: input.openid, msgId: input.msgId, afterUnmatched: plan.handoff?.afterUnmatched })
  }
  if (after.outcome === 'quiet') {
    log.info('rules.once_quiet', { openid: input.openid, ruleId: plan.ruleId, answeredAt: before.ruleAnsweredAt })
  }
  return after.plan
}

function read(sql: SqlStorage, key: string): number | null {
  return sql.exec<{ value: number }>('SELECT value FROM rule_memory WHERE key = ?', key).toArray()[0]?.value ?? null
}

function write(sql: SqlStorage, key: string, value: number): void {
  sql.exec('INSERT INTO rule_memory (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value)
}
