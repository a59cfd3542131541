/**
 * The copies of many users' journals to the D1 record, written as one batch (issue 33): one
 * object per mini program, named by its appid. Each Conversation object hands its journal
 * batch here (`write`) and clears it once the answer comes back. While a D1 batch is on its
 * way, the copies that arrive wait, and the first of them then writes itself and the others in
 * one batch: under load a batch carries many users and the counts move once for all of them
 * (write.ts); a lone copy goes at once, with no timer to wait for.
 *
 * It stores nothing. The journal in each user's object stays the copy's durable source: a
 * Recorder restarted with copies waiting loses no event (their objects' calls fail and they
 * try again from the alarm, as after any D1 failure). A batch D1 refuses is written again one
 * copy at a time, so a copy D1 cannot take fails only its own user's.
 */
import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../settings/env'
import type { RecordEvent } from './event'
import { writeRecord } from './write'

/**
 * Events one batch takes at most: each is one to three statements, and the batch is one D1
 * transaction that holds the database while it runs.
 */
export const MAX_BATCH_EVENTS = 200

/** A copy waiting for its batch. */
interface Copy {
  events: RecordEvent[]
  /** Set once its batch has landed (null) or failed (what D1 said). */
  outcome?: string | null
}

/** The Recorder of the mini program `appid`. */
export function recorderOf(env: Env, appid: string): DurableObjectStub<Recorder> {
  return env.RECORDER.getByName(appid)
}

export class Recorder extends DurableObject<Env> {
  #waiting: Copy[] = []
  /** The batch on its way, if any. */
  #writing: Promise<void> | null = null

  /**
   * Writes one user's journal batch with whatever others are waiting; answers once it has
   * landed in D1 (null), or with what D1 said when it failed. A failure is an answer, not a
   * throw: the caller decides what it means (record-copy.ts retries), and the runtime does
   * not report it as this object's error.
   */
  async write(events: RecordEvent[]): Promise<string | null> {
    const copy: Copy = { events }
    this.#waiting.push(copy)
    // Each call writes at most one batch, its own (a batch runs in the call that leads it).
    while (copy.outcome === undefined) {
      if (this.#writing) {
        await this.#writing
        continue
      }
      this.#writing = this.#writeBatch(this.#take(copy)).finally(() => {
        this.#writing = null
      })
    }
    return copy.outcome
  }

  /** `leader` and the copies waiting longest, up to MAX_BATCH_EVENTS events (the leader's own always). */
  #take(leader: Copy): Copy[] {
    const batch = [leader]
    let events = leader.events.length
    const rest: Copy[] = []
    for (const copy of this.#waiting) {
      if (copy === leader) continue
      if (events + copy.events.length <= MAX_BATCH_EVENTS) {
        batch.push(copy)
        events += copy.events.length
      } else {
        rest.push(copy)
      }
    }
    this.#waiting = rest
    return batch
  }

  async #writeBatch(batch: Copy[]): Promise<void> {
    try {
      await writeRecord(
        this.env.DB,
        batch.flatMap((copy) => copy.events),
      )
      for (const copy of batch) copy.outcome = null
      return
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.outcome = failureOf(error)
        return
      }
    }
    // One copy may be what D1 refused: each on its own, so the others land.
    for (const copy of batch) {
      try {
        await writeRecord(this.env.DB, copy.events)
        copy.outcome = null
      } catch (error) {
        copy.outcome = failureOf(error)
      }
    }
  }
}

/** What D1 said, for the caller's log: its message names tables and constraints, never the values bound. */
function failureOf(error: unknown): string {
  return `d1: ${error instanceof Error ? error.message.slice(0, 200) : 'error'}`
}
