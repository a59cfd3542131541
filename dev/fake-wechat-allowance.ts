/**
 * WeChat's customer-service allowance as the fake enforces it, by WeChat's own clock: a user
 * action resets the count and the deadline to the larger of what is left and what it grants
 * (wechat-protocol.md §5), and each accepted custom/send uses one. Written apart from the
 * Worker's model (src/conversation/window.ts) on purpose: the fake is the referee.
 */
import type { FakeUserAction } from './fake-wechat-types'

const GRANTS: Record<FakeUserAction['kind'], { count: number; ms: number }> = {
  message: { count: 5, ms: 48 * 60 * 60 * 1000 },
  enter_session: { count: 2, ms: 60 * 1000 },
}

interface Allowance {
  remaining: number
  closesAt: number
}

export const WINDOW_CLOSED = { errcode: 45015, errmsg: 'response out of time limit or subscription is canceled' }
export const COUNT_USED_UP = { errcode: 45047, errmsg: 'out of response count limit' }

export class FakeAllowances {
  readonly #users = new Map<string, Allowance>()

  constructor(readonly now: () => number) {}

  act(action: FakeUserAction): void {
    const key = userKey(action.appid, action.openid)
    const at = action.at ?? this.now()
    const grant = GRANTS[action.kind]
    const current = this.#users.get(key)
    const left = current && current.closesAt > at ? current.remaining : 0
    this.#users.set(key, {
      remaining: Math.max(left, grant.count),
      closesAt: Math.max(current?.closesAt ?? 0, at + grant.ms),
    })
  }

  /**
   * Takes one send from the user's allowance; the refusal WeChat gives when none is left,
   * or null (also for users the fake knows no action of: they are not limited).
   */
  spend(appid: string, openid: string): { errcode: number; errmsg: string } | null {
    const allowance = this.#users.get(userKey(appid, openid))
    if (!allowance) return null
    if (this.now() >= allowance.closesAt) return WINDOW_CLOSED
    if (allowance.remaining <= 0) return COUNT_USED_UP
    allowance.remaining--
    return null
  }

  forget(appid?: string): void {
    if (appid === undefined) {
      this.#users.clear()
      return
    }
    for (const key of this.#users.keys()) if (key.startsWith(`${appid}:`)) this.#users.delete(key)
  }
}

const userKey = (appid: string, openid: string) => `${appid}:${openid}`
