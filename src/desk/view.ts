/**
 * What the desk shows: a queue item as the admin API and the console read it, the events its
 * live channel sends, and the agents' figures. Pure.
 */
import type { HandledRow } from './handled'
import type { AgentStatus, DeskReason, DeskRow, DeskStatus } from './queue'

/** A window closing within this long, or with one send left, makes a waiting user urgent. */
export const URGENT_MS = 2 * 3_600_000

export interface Agent {
  id: string
  name: string
  status?: AgentStatus
}

export interface DeskItem {
  /** The mini program the user wrote to (the Desk's own: one per mini program). */
  appid: string
  openid: string
  status: Exclude<DeskStatus, 'closed'> | 'closed'
  reason: DeskReason
  /** Who has it; null while it waits. */
  assignee: { id: string; name: string } | null
  /** When the user asked for a person (epoch ms), and how long ago. */
  queuedAt: number
  waitingMs: number
  lastText: string
  lastAt: number
  /** The send window: when it closes, the sends left, and whether it is closing (urgent). */
  window: { closesAt: number; remaining: number; urgent: boolean }
  /** Waiting past DESK_ALERT_MINUTES. */
  overdue: boolean
  /** The first reply by an agent (epoch ms); null until then. */
  firstResponseAt: number | null
}

export interface QueueView {
  items: DeskItem[]
  agents: Agent[]
  /** When the view was taken (epoch ms). */
  at: number
}

/** What a console's live channel receives. */
export type DeskEvent =
  | ({ type: 'queue' } & QueueView)
  | { type: 'message'; openid: string; direction: 'in' | 'out'; text: string; at: number }

export function itemOf(row: DeskRow, now: number, alertMs: number, appid: string): DeskItem {
  const open = row.status !== 'closed'
  const remainingMs = row.window_closes_at - now
  return {
    appid,
    openid: row.openid,
    status: row.status,
    reason: row.reason,
    assignee: row.assignee === null ? null : { id: row.assignee, name: row.assignee_name ?? '' },
    queuedAt: row.queued_at,
    waitingMs: Math.max(0, now - row.queued_at),
    lastText: row.last_text,
    lastAt: row.last_at,
    window: {
      closesAt: row.window_closes_at,
      remaining: remainingMs > 0 ? row.window_remaining : 0,
      urgent: open && (remainingMs < URGENT_MS || row.window_remaining <= 1),
    },
    overdue: row.status === 'waiting' && now - row.queued_at >= alertMs,
    firstResponseAt: row.first_response_at,
  }
}

export interface AgentFigures {
  agent: { id: string; name: string }
  /** Conversations they closed. */
  handled: number
  /** From the user asking to the agent's first reply (ms): median and 90th percentile; null without any. */
  firstResponseMs: { median: number; p90: number } | null
  /** The users' satisfaction ratings (1–5): their mean and how many; null without any. */
  rating: { mean: number; count: number } | null
}

/** Per agent, of closed conversations: how many, how fast the first reply came, the ratings. */
export function agentFigures(rows: readonly HandledRow[]): AgentFigures[] {
  const byAgent = new Map<string, { name: string; handled: number; times: number[]; ratings: number[] }>()
  for (const row of rows) {
    const held = byAgent.get(row.agent) ?? { name: row.agent_name, handled: 0, times: [], ratings: [] }
    held.handled++
    if (row.first_response_at !== null) held.times.push(Math.max(0, row.first_response_at - row.queued_at))
    if (row.rating !== null) held.ratings.push(row.rating)
    byAgent.set(row.agent, held)
  }
  return [...byAgent.entries()]
    .map(([id, { name, handled, times, ratings }]) => ({
      agent: { id, name },
      handled,
      firstResponseMs: times.length === 0 ? null : { median: nearestRank(times, 0.5), p90: nearestRank(times, 0.9) },
      rating:
        ratings.length === 0
          ? null
          : { mean: Math.round((ratings.reduce((a, b) => a + b, 0) / ratings.length) * 10) / 10, count: ratings.length },
    }))
    .sort((a, b) => b.handled - a.handled || a.agent.name.localeCompare(b.agent.name))
}

/** The nearest-rank percentile of `values`. */
function nearestRank(values: readonly number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(share * sorted.length) - 1)] ?? 0
}
