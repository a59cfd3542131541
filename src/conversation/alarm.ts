/**
 * The object's one alarm, which is always set while the object holds anything: for the next
 * retry, the next copy to D1, or to prune and in the end delete. `Alarm` sets it only when it
 * changes (it remembers what this instance last set or read, so a busy conversation does not
 * touch the alarm on every push); `plannedAlarm` reads from the tables what `nextAlarm`
 * (`schedule.ts`) decides from.
 */
import { journalState } from './journal'
import { nextDue } from './outbox'
import { SAFETY_ALARM_MS } from './policy'
import { deleteAt, nextPrunableAt, PRUNE_EVERY_MS, readTimes, type Retention, type Times } from './retention'
import { nextAlarm } from './schedule'

export class Alarm {
  /** The alarm as this instance last set or read it (null: none); undefined until known. */
  #at: number | null | undefined = undefined
  readonly #storage: () => DurableObjectStorage

  /** `storage` is read at each call (the bill bench meters it after construction). */
  constructor(storage: () => DurableObjectStorage) {
    this.#storage = storage
  }

  /** Having fired, or gone with the storage, it is no longer set. */
  cleared(): void {
    this.#at = null
  }

  /** Sets the alarm to `at` unless one is already due sooner. */
  async ensure(at: number): Promise<void> {
    if (this.#at === undefined) this.#at = await this.#storage().getAlarm()
    if (this.#at === null || this.#at > at) await this.set(at)
  }

  /** Whatever the object holds, an alarm must be set to prune and delete it in time. */
  async armIfUnset(plan: () => number): Promise<void> {
    if (this.#at === undefined) this.#at = await this.#storage().getAlarm()
    if (this.#at === null) await this.set(plan())
  }

  async set(at: number): Promise<void> {
    // Nothing left to prune or delete (a user who holds grants and nothing else): no alarm.
    if (!Number.isFinite(at)) {
      if (this.#at !== null) await this.#storage().deleteAlarm()
      this.#at = null
      return
    }
    if (this.#at === at) return
    await this.#storage().setAlarm(at)
    this.#at = at
  }
}

export interface AlarmPlan {
  now: number
  policy: Retention
  /** SUBSCRIBE_LONG_TERM_TEMPLATES: a user they reach is kept. */
  longTerm: ReadonlySet<string>
  /** When this instance last pruned: the next prune waits PRUNE_EVERY_MS from it. */
  prunedAt: number
  /** After a failed copy to D1, when to try again; null while copies succeed. */
  recordRetryAt: number | null
  /** After a pass stopped at a transport failure: the failed row's retry. */
  resumeAt: number | null
  /** The caller has just emptied the journal (a copy caught up): no need to count it. */
  journalEmpty?: boolean
  /** The tables' times, when the caller has just read them. */
  times?: Times
}

/** When the alarm should next fire, by what the tables hold now. */
export function plannedAlarm(sql: SqlStorage, plan: AlarmPlan): number {
  const { now } = plan
  const times = plan.times ?? readTimes(sql)
  const prunableAt = nextPrunableAt(times, plan.policy)
  return nextAlarm({
    now,
    due: times.outbox.pending === 0 ? null : nextDue(sql),
    resumeAt: plan.resumeAt,
    deleteAt: deleteAt(sql, plan.policy, plan.longTerm, times),
    pruneAt: prunableAt === null ? null : Math.max(prunableAt, plan.prunedAt + PRUNE_EVERY_MS),
    recordAt: !plan.journalEmpty && journalState(sql).backlog > 0 ? (plan.recordRetryAt ?? now + SAFETY_ALARM_MS) : null,
  })
}
