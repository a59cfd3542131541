/**
 * The reserved sender of `npm run doctor`'s test push, which the Worker records but never
 * answers (routes/doctor-push.ts). No imports: the doctor (scripts/doctor-checks.ts) uses it too.
 */
export const DOCTOR_OPENID = 'kefu-edge-doctor'

/** The record's kind for a doctor push: not a user's text (never an unmatched question). */
export const DOCTOR_KIND = 'doctor'
