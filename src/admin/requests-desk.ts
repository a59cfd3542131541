/**
 * The desk API's requests (`/admin/api/queue`, `/admin/api/conversations/:openid/claim` …) as
 * valibot schemas, in the style of requests.ts: the routes validate with them and
 * `scripts/openapi/document.ts` documents them.
 */
import * as v from 'valibot'
import { MAX_CANNED_TEXT, MAX_CANNED_TITLE, MAX_NOTE_TEXT } from '../desk/notes'
import { countParam } from './requests'

/** A desk body: a status, or an operator's id. */
export const DESK_MAX_BYTES = 1024
/** A canned answer's or a note's body: its text, with room for JSON's escapes. */
export const DESK_TEXT_MAX_BYTES = 16 * 1024

export const TransferBody = v.strictObject({
  to: v.pipe(
    v.string(),
    v.regex(/^(?:owner|[A-Za-z0-9_-]{12})$/, 'is not an operator id'),
    v.description('The operator who takes it: their id (`owner` for ADMIN_TOKEN), one who may reply in this mini program.'),
  ),
})

export const StatusBody = v.strictObject({
  status: v.pipe(v.picklist(['online', 'away']), v.description('online: takes conversations (auto-assignment too); away: does not.')),
})

export const FiguresQuery = v.strictObject({
  days: countParam(1, 90, 14, 'Days of closed conversations counted'),
})

/** Letters, digits and a few marks, after a slash: `/退货`, `/invoice-2`. */
const SHORTCUT = /^\/[\p{L}\p{N}_-]{1,20}$/u

const nonBlank = (max: number, what: string) =>
  v.pipe(
    v.string(),
    v.trim(),
    v.nonEmpty('must not be empty'),
    v.maxLength(max, `must be at most ${max} characters`),
    v.description(`${what}: 1 to ${max} characters.`),
  )

export const CannedBody = v.strictObject({
  title: nonBlank(MAX_CANNED_TITLE, 'What agents pick it by'),
  text: nonBlank(MAX_CANNED_TEXT, 'The text put into the reply'),
  shortcut: v.optional(
    v.pipe(
      v.string(),
      v.regex(SHORTCUT, 'must be / and 1 to 20 letters, digits, _ or -'),
      v.description('Typed in the reply box, e.g. /退货.'),
    ),
  ),
})

export const CannedIdParam = v.strictObject({
  id: v.pipe(
    v.string(),
    v.regex(/^c-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'is not a canned answer id'),
    v.description('c-<uuid>'),
  ),
})

export const NoteBody = v.strictObject({
  text: nonBlank(MAX_NOTE_TEXT, 'The note, for agents only (never sent)'),
})
