/**
 * The upload API's request (`POST /admin/api/media`) as a valibot schema, in the style of
 * requests.ts: the route validates its query with it and `scripts/openapi/document.ts`
 * documents it. The body is the image itself, read within the use's limit (media/uploads.ts).
 */
import * as v from 'valibot'
import { MEDIA_USES } from '../media/uploads'

export const MediaUploadQuery = v.strictObject({
  use: v.pipe(
    v.picklist(MEDIA_USES, `must be one of ${MEDIA_USES.join(', ')}`),
    v.description(
      "What the image is for, which sets WeChat's limits: a reply's image, a mini-program card's cover, a link's thumbnail (public).",
    ),
  ),
})

/** The body's declared types an upload may come as; what it is, is read from its bytes. */
export const UPLOAD_CONTENT_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'application/octet-stream']
