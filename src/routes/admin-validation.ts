/**
 * What every admin API route checks its input with: query and path parameters and JSON bodies
 * against valibot schemas (admin/requests.ts), bodies read within a bound, and the one
 * shape of a refusal, `{ "error": "where: what" }` with a 4xx.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { validator } from 'hono/validator'
import * as v from 'valibot'
import { readBounded } from '../admin/body'
import type { Operator } from '../auth/operators'
import type { Env } from '../settings/env'
import { utf8Strict } from '../wechat/bytes'
import { MINI_PROGRAM_PARAM } from './mini-program-param'

/** The admin API's Hono environment: the bindings, as the mini program's view (`?app=`). */
export type ApiEnv = { Bindings: Env; Variables: { operator: Operator } }
type ApiContext = Context<ApiEnv>

/** `{ error }` with a 4xx status: the one shape of every refusal. */
export const refuse = (c: ApiContext, status: 400 | 404 | 409 | 413 | 415, error: string) => c.json({ error }, status)

/** The first problem, as `where: what` (e.g. `limit: must be an integer from 1 to 200`). */
export function problem(issues: readonly v.BaseIssue<unknown>[], where: string): string {
  const issue = issues[0]
  if (!issue) return `${where}: is invalid`
  const path = v.getDotPath(issue)
  // strictObject reports an unknown key as "expected never": name the key instead.
  if (issue.expected === 'never' && path !== null) return `${path}: is not a known ${where === 'body' ? 'field' : 'parameter'}`
  // A required key left out: the object's issue, at that key.
  if ((issue.type === 'object' || issue.type === 'strict_object') && path !== null && issue.received === 'undefined')
    return `${path}: is required`
  const message = issue.type === 'object' || issue.type === 'strict_object' ? 'must be an object' : issue.message
  return `${path ?? where}: ${message}`
}

/**
 * Checks query or path parameters with `schema`; a 400 naming the first problem. An empty
 * query value is the parameter left out: a client that fills `cursor=` from a null
 * `nextCursor`, or sends a form's empty fields, asks for the default.
 */
export function params<S extends v.GenericSchema<unknown, object>>(target: 'query' | 'param', schema: S) {
  return validator(target, (value, c): v.InferOutput<S> | Response => {
    // `app` chose the mini program already (mini-program-param.ts): it is no route's own parameter.
    const given =
      target === 'query'
        ? Object.fromEntries(Object.entries(value).filter(([key, text]) => text !== '' && key !== MINI_PROGRAM_PARAM))
        : value
    const parsed = v.safeParse(schema, given)
    return parsed.success ? parsed.output : c.json({ error: problem(parsed.issues, target) }, 400)
  })
}

export type BytesRead = { ok: true; bytes: Uint8Array<ArrayBuffer> } | { ok: false; status: 413 | 415; error: string }
export type BodyRead = { ok: true; value: unknown } | { ok: false; status: 400 | 413 | 415; error: string }

/** A JSON body's bytes, within `maxBytes` (readBounded). */
export async function readBytes(request: Request, maxBytes: number): Promise<BytesRead> {
  const mediaType = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase()
  if (mediaType !== 'application/json') return { ok: false, status: 415, error: 'body: must be application/json' }
  const bytes = await readBounded(request, maxBytes)
  if (bytes === null) return { ok: false, status: 413, error: `body: larger than ${maxBytes} bytes` }
  return { ok: true, bytes }
}

/** Reads and parses a JSON body of at most `maxBytes` (readBytes). */
export async function readJson(request: Request, maxBytes: number): Promise<BodyRead> {
  const read = await readBytes(request, maxBytes)
  if (!read.ok) return read
  try {
    return { ok: true, value: JSON.parse(utf8Strict.decode(read.bytes)) }
  } catch {
    return { ok: false, status: 400, error: 'body: is not valid JSON (UTF-8)' }
  }
}

/** Checks a JSON body with `schema`, after reading it within `maxBytes`. */
export function jsonBody<S extends v.GenericSchema<unknown, object>>(
  schema: S,
  maxBytes: number,
): MiddlewareHandler<ApiEnv, string, { in: { json: v.InferInput<S> }; out: { json: v.InferOutput<S> } }> {
  return async (c, next) => {
    const body = await readJson(c.req.raw, maxBytes)
    if (!body.ok) return c.json({ error: body.error }, body.status)
    const parsed = v.safeParse(schema, body.value)
    if (!parsed.success) return c.json({ error: problem(parsed.issues, 'body') }, 400)
    c.req.addValidatedData('json', parsed.output)
    await next()
  }
}
