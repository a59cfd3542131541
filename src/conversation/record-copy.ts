/**
 * The copy of the journal (`journal.ts`) to the operator's D1 record, through the mini
 * program's Recorder (record/recorder.ts, which batches many users' copies), after the
 * object's own writes and never in their way: one copy at a time, at most MAX_COPY_BATCHES
 * batches, the rest left to the alarm. A failed copy is logged and tried again from the alarm, with its
 * backoff; a copy that finds the storage deleted under it (and perhaps created again by a new
 * push) stops without touching the new storage's journal.
 */
import { log } from '../log'
import type { RecordEvent } from '../record/event'
import { describe } from './failure'
import { clearJournal, journalFailed, journalState, takeJournal } from './journal'
import { SAFETY_ALARM_MS } from './policy'

/** Journal batches one copy may write before it leaves the rest to the alarm. */
const MAX_COPY_BATCHES = 10

/** What a copy uses of the object, read at each call (the bill bench meters storage and bindings after construction). */
export interface CopyHost {
  sql(): SqlStorage
  /** Writes one batch of the journal into D1 (through the app's Recorder): null, or why it failed. */
  write(events: RecordEvent[]): Promise<string | null>
  appid(): string
  /** Counts deletions of the storage; null while there is none. */
  generation(): number | null
  ensureAlarm(at: number): Promise<void>
  /** The journal is empty (no need to ask the table): the alarm goes back to the schedule. */
  caughtUp(now: number): Promise<void>
}

export class RecordCopy {
  readonly #host: CopyHost
  /** The copy in progress. */
  #copying: Promise<void> | null = null
  #retryAt: number | null = null

  constructor(host: CopyHost) {
    this.#host = host
  }

  /** After a failed copy, when to try again; null while copies succeed. */
  get retryAt(): number | null {
    return this.#retryAt
  }

  /** The storage is gone, and its failures with it. */
  forget(): void {
    this.#retryAt = null
  }

  /** Once the copy in progress (if any) has ended: its D1 batch has landed or failed. */
  async settled(): Promise<void> {
    await this.#copying
  }

  /** Copies the journal to D1, sharing a copy in progress; never throws. */
  run(): Promise<void> {
    this.#copying ??= this.#copy()
      .catch((error: unknown) => log.error('record.copy_failed', { reason: describe(error) }))
      .finally(() => {
        this.#copying = null
      })
    return this.#copying
  }

  async #copy(): Promise<void> {
    const host = this.#host
    const sql = host.sql()
    const generation = host.generation()
    const gone = () => {
      const current = host.generation()
      return current === null || current !== generation
    }
    let drained = false
    for (let i = 0; i < MAX_COPY_BATCHES; i++) {
      if (gone()) return
      const batch = takeJournal(sql, host.appid(), Date.now())
      if (!batch) {
        drained = true
        break
      }
      const failure = await host.write(batch.events).catch((error: unknown) => describe(error))
      if (failure !== null) {
        if (gone()) return
        const { failures, retryAt } = journalFailed(sql, Date.now())
        this.#retryAt = retryAt
        log.error('record.write_failed', { openid: batch.openid, events: batch.events.length, failures, retryAt, reason: failure })
        await host.ensureAlarm(retryAt)
        return
      }
      // Deleted while the batch was on its way: nothing is left to clear.
      if (gone()) return
      clearJournal(sql, batch)
      if (this.#retryAt !== null) log.info('record.caught_up', { openid: batch.openid, events: batch.events.length })
      this.#retryAt = null
    }
    const now = Date.now()
    if (!drained && journalState(sql).backlog > 0) {
      // More than one copy should take: the alarm goes on with the rest.
      await host.ensureAlarm(now + SAFETY_ALARM_MS)
      return
    }
    await host.caughtUp(now)
  }
}
