/**
 * What the rules remember about one user, in their Conversation object (rows `rule:<key>` of
 * `meta`; schema 4 to 10 had a table of their own): how many texts in a row no rule answered, for the rule set's hand-off, and
 * when each `once_per_hours` rule last answered them. The rule engine stays pure and
 * stateless; the object applies these to its plan inside the transaction that records the
 * push, so a retry of the push (a duplicate) never counts twice.
 */
import { log } from '../log'
import { fallbackPlan } from '../ai/plan'
import { AI_FALLBACK_RULE_ID, AI_RULE_ID, HANDOFF_RULE_ID, type ReplyPlan } from '../replies'
import { isUserMessageType } from '../wechat/message'
import type { RecordInput } from './contract'

const STREAK = 'unmatched_in_a_row'
/** Answers by the model today (`AI_DAY`: the day, China time, as days since the epoch). */
const AI_TODAY = 'ai_answers_today'
const AI_DAY = 'ai_answers_day'
const CHINA_OFFSET_MS = 8 * 3_600_000
const answeredKey = (ruleId: string): string => `answered:${ruleId}`

/** What the user's memory holds for one push. */
export interface Memory {
  unmatchedInARow: number
  /** Answers the model was asked for today, for `ai.daily_budget`. */
  aiToday: number
  /** When the plan's rule last answered this user (epoch ms); null: never, or not a once-per rule. */
  ruleAnsweredAt: number | null
}

export interface Recall {
  plan: ReplyPlan
  memory: Memory
  /** What happened, for the log: the hand-off fired, or a once-per rule stayed quiet. */
  outcome: 'handoff' | 'quiet' | 'ai_budget' | null
}

/**
 * A text no rule answered (the default reply counts): the questions the rules miss. One the
 * model is asked for counts too, until it answers (delivery.ts ends the run then).
 */
export function isUnmatched(kind: string, ruleId: string | null): boolean {
  return (
    kind === 'text' &&
    (ruleId === null || ruleId === 'default' || ruleId === HANDOFF_RULE_ID || ruleId === AI_RULE_ID || ruleId === AI_FALLBACK_RULE_ID)
  )
}

/**
 * The plan as this user's memory changes it, and the memory after it. Pure. Any user message
 * a rule answers ends a run of unmatched texts; events leave it as it is. The hand-off comes
 * before the model: a user who has gone unanswered often enough gets a person. A question for
 * the model past the user's daily budget gets the fallback instead.
 */
export function recall(plan: ReplyPlan, kind: string, memory: Memory, now: number): Recall {
  const recalled = recallRules(plan, kind, memory, now)
  const { ai } = recalled.plan
  if (ai === undefined) return recalled
  if (recalled.memory.aiToday >= ai.dailyBudget) return { ...recalled, plan: fallbackPlan(recalled.plan), outcome: 'ai_budget' }
  return { ...recalled, memory: { ...recalled.memory, aiToday: recalled.memory.aiToday + 1 } }
}

function recallRules(plan: ReplyPlan, kind: string, memory: Memory, now: number): Recall {
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
  const { ai: _asked, ...handedOff } = plan
  return {
    plan: { ...handedOff, ruleId: HANDOFF_RULE_ID, transfer: true, sends: text === null ? [] : [{ type: 'text', text }] },
    memory: { ...memory, unmatchedInARow: 0 },
    outcome: 'handoff',
  }
}

/** Reads the memory, applies it to the input's plan and writes it back. Call inside the record transaction. */
export function applyMemory(sql: SqlStorage, input: RecordInput, now: number): ReplyPlan {
  const { plan } = input
  const onceKey = plan.oncePerHours !== undefined && plan.ruleId !== null ? answeredKey(plan.ruleId) : null
  const today = Math.floor((now + CHINA_OFFSET_MS) / 86_400_000)
  const before: Memory = {
    unmatchedInARow: read(sql, STREAK) ?? 0,
    aiToday: plan.ai !== undefined && read(sql, AI_DAY) === today ? (read(sql, AI_TODAY) ?? 0) : 0,
    ruleAnsweredAt: onceKey === null ? null : read(sql, onceKey),
  }
  const after = recall(plan, input.kind, before, now)
  if (after.memory.unmatchedInARow !== before.unmatchedInARow) write(sql, STREAK, after.memory.unmatchedInARow)
  if (onceKey !== null && after.memory.ruleAnsweredAt !== null && after.memory.ruleAnsweredAt !== before.ruleAnsweredAt) {
    write(sql, onceKey, after.memory.ruleAnsweredAt)
  }
  if (after.memory.aiToday !== before.aiToday) {
    write(sql, AI_DAY, today)
    write(sql, AI_TODAY, after.memory.aiToday)
  }
  if (after.outcome === 'ai_budget') {
    log.info('ai.budget_spent', { openid: input.openid, msgId: input.msgId, dailyBudget: plan.ai?.dailyBudget })
  }
  if (after.outcome === 'handoff') {
    log.info('rules.handoff', { openid: input.openid, msgId: input.msgId, afterUnmatched: plan.handoff?.afterUnmatched })
  }
  if (after.outcome === 'quiet') {
    log.info('rules.once_quiet', { openid: input.openid, ruleId: plan.ruleId, answeredAt: before.ruleAnsweredAt })
  }
  return after.plan
}

/** The memory's rows in `meta`: `rule:<key>`, a number written as text. */
const metaKey = (key: string): string => `rule:${key}`

function read(sql: SqlStorage, key: string): number | null {
  const value = sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', metaKey(key)).toArray()[0]?.value
  return value === undefined ? null : Number(value)
}

function write(sql: SqlStorage, key: string, value: number): void {
  sql.exec(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    metaKey(key),
    String(value),
  )
}

/** An answer by the model (delivery.ts) ends the run of unmatched texts, as a rule's answer does. */
export function endUnmatchedRun(sql: SqlStorage): void {
  sql.exec("UPDATE meta SET value = '0' WHERE key = ?", metaKey(STREAK))
}
