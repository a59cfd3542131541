/** The upload API's answer as a valibot schema (the OpenAPI document's components) and its type. */
import * as v from 'valibot'

export const MediaUploadAnswer = v.object({
  name: v.pipe(
    v.string(),
    v.description(
      "The image's name, <sha256 of its bytes>.jpg|png: a rule's `file` or `thumb_file` (the same bytes always get the same name).",
    ),
  ),
  type: v.pipe(v.picklist(['image/jpeg', 'image/png']), v.description('Its type, read from its bytes.')),
  bytes: v.pipe(v.number(), v.description('Its size.')),
  url: v.optional(
    v.pipe(
      v.string(),
      v.description("For a link's thumbnail only: its public URL, for the link's `thumb_url` (WeChat's client fetches it)."),
    ),
  ),
})
export type MediaUploadAnswer = v.InferOutput<typeof MediaUploadAnswer>

export const MEDIA_ANSWERS = { MediaUploadAnswer }
