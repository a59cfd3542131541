/**
 * When a Conversation's one alarm should next fire. While replies are pending, for the
 * earliest due one; otherwise to prune, or to delete the idle object; sooner when the D1
 * record's journal waits for another try. Never sooner than a
 * second from now: a pass that left a row due (or a bug that left one untouched) must not
 * turn the alarm into a loop.
 */

export const ALARM_FLOOR_MS = 1000

export interface AlarmInputs {
  now: number
  /** When the earliest waiting push is due; null when nothing is pending. */
  due: number | null
  /** After a pass stopped at a transport failure: the failed row's retry, not sooner. */
  resumeAt: number | null
  /** When the idle object may delete its storage. */
  deleteAt: number
  /** When the next prune is worth running; null when nothing will need pruning. */
  pruneAt: number | null
  /** When the D1 record's journal should be copied again; null when it is empty. */
  recordAt: number | null
}

export function nextAlarm(inputs: AlarmInputs): number {
  const at =
    inputs.due !== null
      ? Math.max(inputs.due, inputs.resumeAt ?? inputs.due)
      : Math.min(inputs.deleteAt, inputs.pruneAt ?? Number.POSITIVE_INFINITY)
  return Math.max(Math.min(at, inputs.recordAt ?? Number.POSITIVE_INFINITY), inputs.now + ALARM_FLOOR_MS)
}
