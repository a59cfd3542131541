/**
 * The reserved sender of `npm run doctor`'s test push, which the Worker records but never
 * answers (routes/doctor-push.ts). No imports: the doctor (scripts/doctor-checks.ts) uses it too.
 */
export const DOCTOR_OPENID = 'kefu-edge-doctor'

/**
 * Whether `openid` is the doctor's: its test pushes are kept where the doctor looks for them
 * (its Conversation object, its messages in the D1 record) but are no user's — not a
 * conversation in the list, not counted in the stats.
 */
export function isDoctor(openid: string): boolean {
  return openid === DOCTOR_OPENID
}

/** The record's kind for a doctor push: not a user's text (never an unmatched question). */
export const DOCTOR_KIND = 'doctor'
