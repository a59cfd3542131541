/**
 * Delivery passes (`delivery.ts`), one run at a time inside the object: calls while a run is
 * in progress share it, and a push that arrived during a pass gets another pass in the same
 * run — all sharing one subrequest budget, since they run in one invocation. After each pass
 * the object prunes, deletes itself when idle, or sets its alarm (`afterPass`).
 */
import type { Env } from '../settings/env'
import { log } from '../log'
import { SubrequestBudget } from './budget'
import { DeliveryPass, type PassResult } from './delivery'
import { describe } from './failure'
import { nextDue } from './outbox'

/** What the runs use of the object, read at each call (the bill bench meters storage and bindings after construction). */
export interface PassHost {
  storage(): DurableObjectStorage
  miniProgram(): Env
  /** REPLY_MAX_AGE_SECONDS, in ms. */
  maxAgeMs(): number
  /** Attempts marked in flight with their push (the Conversation's `receive`). */
  readonly claimed: Set<number>
  /** After each pass: prunes, deletes the object when idle (true), or sets the alarm. */
  afterPass(fromAlarm: boolean, result: PassResult): Promise<boolean>
}

export class Deliveries {
  readonly #host: PassHost
  #running: Promise<void> | null = null
  #rerun = false

  constructor(host: PassHost) {
    this.#host = host
  }

  /** A run in progress: it sets the alarm when it ends. */
  get running(): boolean {
    return this.#running !== null
  }

  /** Sends what is due; a call during a run asks that run for one more pass. */
  run(fromAlarm: boolean): Promise<void> {
    if (this.#running) {
      this.#rerun = true
      return this.#running
    }
    this.#running = this.#passes(fromAlarm).finally(() => {
      this.#running = null
    })
    return this.#running
  }

  /** Passes until no push arrived during the last one. */
  async #passes(fromAlarm: boolean): Promise<void> {
    const budget = new SubrequestBudget()
    const maxAgeMs = this.#host.maxAgeMs()
    let alarm = fromAlarm
    for (;;) {
      this.#rerun = false
      const result = await this.#pass(alarm, budget, maxAgeMs)
      alarm = false
      if (await this.#host.afterPass(fromAlarm, result)) return
      // A pass cut short leaves the rest to the alarm, which the schedule has set.
      if (!this.#rerun || result.stopped !== null) return
    }
  }

  async #pass(fromAlarm: boolean, budget: SubrequestBudget, maxAgeMs: number): Promise<PassResult> {
    const now = Date.now()
    const storage = this.#host.storage()
    // The alarm is the earliest scheduled retry: that row is due even if its backoff has
    // not quite run out by this clock.
    const dueBy = fromAlarm ? Math.max(now, nextDue(storage.sql) ?? 0) : now
    try {
      return await new DeliveryPass(storage, this.#host.miniProgram(), { dueBy, budget, maxAgeMs, claimed: this.#host.claimed }).run()
    } catch (error) {
      // Each row had its backoff written before its request left; the alarm floor does the rest.
      log.error('delivery.pass_failed', { reason: describe(error) })
      return { stopped: 'error' }
    }
  }
}
