/**
 * The console's one way to read a posted form: every console POST route reads its body here,
 * within its own bound (admin/body.ts: the declared length first, then the bytes as they come,
 * never a body buffered past the bound), as urlencoded or multipart.
 */
import { readBounded } from '../admin/body'

/** A form's fields by name; a repeated name keeps its first value, as `FormData.get` reads it. */
export type FormFields = Readonly<Record<string, string | File>>

export interface PostedForm {
  fields: FormFields
  /** False when the body is not a form (another media type, or multipart that does not parse): no fields. */
  parsed: boolean
}

/**
 * The form posted with `request`, or null when its body is larger than `maxBytes`.
 *
 * @example
 * const form = await readForm(c.req.raw, 4096)
 * if (form === null) return c.text('too large', 413)
 * const token = textField(form.fields, 'token')
 */
export async function readForm(request: Request, maxBytes: number): Promise<PostedForm | null> {
  const bytes = await readBounded(request, maxBytes)
  if (bytes === null) return null
  const contentType = request.headers.get('content-type') ?? ''
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase()
  let entries: Iterable<[string, string | File]>
  try {
    if (mediaType === 'application/x-www-form-urlencoded') entries = new URLSearchParams(new TextDecoder().decode(bytes))
    else if (mediaType === 'multipart/form-data')
      entries = await new Response(bytes, { headers: { 'content-type': contentType } }).formData()
    else return { fields: {}, parsed: false }
  } catch {
    return { fields: {}, parsed: false }
  }
  // No prototype: a field named __proto__ or constructor is a field like any other.
  const fields: Record<string, string | File> = Object.create(null)
  for (const [name, value] of entries) if (!Object.hasOwn(fields, name)) fields[name] = value
  return { fields, parsed: true }
}

/** A field's text; empty when it is absent or a file. */
export const textField = (fields: FormFields, name: string): string => {
  const value = fields[name]
  return typeof value === 'string' ? value : ''
}
