/**
 * The send allowance as WeChat computes it: a fold over what happened, in the order it
 * happened by WeChat's clock — not in the order the pushes and answers reached us.
 *
 * - A grant counts at the user's action: the push's CreateTime (capped at our now). CreateTime
 *   is whole seconds, so it is at or before the real action: a grant placed too early lets a
 *   send we made just after it use it up, which errs on the side of withholding.
 * - An accepted send counts when its answer arrived: WeChat counted it somewhere between
 *   request and answer, and the later end again errs on the side of withholding (a grant that
 *   came in meanwhile is used by the send instead of starting fresh).
 * - WeChat's refusals count when the refused send left: 45047 says the count was used up,
 *   45015 that the window was closed, as of that moment. A grant later than that survives
 *   the refusal: had WeChat seen it first, it would have accepted the send.
 *
 * Ties go to the grant (it was at or after its CreateTime), so a send or refusal at the same
 * millisecond acts on it: withholding again.
 */
import { CLOSED, LONGEST_GRANT_MS, widen, type GrantingAction, type Refusal, type SendWindow } from './policy'

export type WindowEvent =
  | { kind: 'grant'; at: number; action: GrantingAction }
  | { kind: 'sent'; at: number }
  | { kind: 'refused'; at: number; refusal: Refusal }
  /** The window as schema 1 stored it, carried over once by migration 2; `at` = its opening. */
  | { kind: 'carried'; at: number; window: SendWindow }

export interface WindowState extends SendWindow {
  /** When the last granting action was (epoch ms); 0 when there was none. */
  openedAt: number
}

export const NO_WINDOW: WindowState = { ...CLOSED, openedAt: 0 }

const HOUR_MS = 60 * 60 * 1000

/**
 * How long an event can matter. A window lasts at most the longest grant, so everything
 * before that long ago describes windows that have closed; the extra hour covers a short
 * grant made in the last moments of such a window, which can carry its count over for a
 * minute. Older events can be deleted without changing the fold from now on.
 */
export const WINDOW_EVENT_TTL_MS = LONGEST_GRANT_MS + HOUR_MS

/** The allowance after `events`, whatever order they are given in. */
export function foldWindow(events: readonly WindowEvent[]): WindowState {
  // Array sort is stable: events at the same time and rank keep the order they were stored in.
  return [...events].sort(byTime).reduce(apply, NO_WINDOW)
}

function byTime(a: WindowEvent, b: WindowEvent): number {
  return a.at - b.at || rank(a) - rank(b)
}

/** Grants (and the carried-over window) before sends and refusals at the same millisecond. */
function rank(event: WindowEvent): number {
  return event.kind === 'grant' || event.kind === 'carried' ? 0 : 1
}

function apply(state: WindowState, event: WindowEvent): WindowState {
  switch (event.kind) {
    case 'carried':
      return { ...event.window, openedAt: event.at }
    case 'grant':
      return { ...widen(state, event.action, event.at), openedAt: Math.max(state.openedAt, event.at) }
    case 'sent':
      return { ...state, remaining: Math.max(0, state.remaining - 1) }
    case 'refused':
      if (event.refusal === 'limit_reached') return { ...state, remaining: 0 }
      return { ...state, remaining: 0, closesAt: Math.min(state.closesAt, event.at) }
  }
}
