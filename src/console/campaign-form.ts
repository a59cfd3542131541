/**
 * The campaign form: its fields as typed, the body a campaign is checked with, and each
 * problem on the field it names. Pure. The data is one keyword a line, `thing1=您的订单已发货`,
 * or the API's JSON (`{ "thing1": { "value": "…" } }`, a plain string standing for `{ value }`);
 * the body then goes through parseCampaignMessage, the admin API's own check, so a value is
 * held to its keyword's rule in the words the API uses (`data.thing1.value: thing is at most
 * 20 characters (got 21)`).
 */
import { isPlainObject } from '../wechat/body-check'

export const CAMPAIGN_FIELDS = ['template_id', 'page', 'miniprogram_state', 'lang', 'data'] as const
export type CampaignField = (typeof CAMPAIGN_FIELDS)[number]

/** The form as the operator typed it: shown again, unchanged, with its problems. */
export type CampaignForm = Record<CampaignField, string>

export const EMPTY_FORM: CampaignForm = { template_id: '', page: '', miniprogram_state: '', lang: '', data: '' }

/** The form's fields from a parsed form body (anything not a string is empty). */
export function campaignFormOf(fields: Record<string, unknown>): CampaignForm {
  const form = { ...EMPTY_FORM }
  for (const name of CAMPAIGN_FIELDS) {
    const value = fields[name]
    if (typeof value === 'string') form[name] = value
  }
  return form
}

/**
 * The body the form stands for, as the API would be posted it: empty optional fields left
 * out; or the problems of a data field that is neither lines nor JSON.
 */
export function campaignBodyOf(form: CampaignForm): { ok: true; body: Record<string, unknown> } | { ok: false; problems: string[] } {
  const data = dataOf(form.data)
  if (!data.ok) return data
  const body: Record<string, unknown> = { template_id: form.template_id.trim(), data: data.value }
  for (const name of ['page', 'miniprogram_state', 'lang'] as const) {
    const value = form[name].trim()
    if (value !== '') body[name] = value
  }
  return { ok: true, body }
}

/** The data field: JSON when it starts with `{`, else `key=value` lines (blank lines skipped). */
export function dataOf(text: string): { ok: true; value: Record<string, unknown> } | { ok: false; problems: string[] } {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    let parsed: unknown
    try {
      parsed = JSON.parse(trimmed)
    } catch (error) {
      return { ok: false, problems: [`data: is not valid JSON (${(error as Error).message})`] }
    }
    if (!isPlainObject(parsed)) return { ok: false, problems: ['data: must be a JSON object of keyword keys'] }
    // Object.entries/fromEntries: a key such as __proto__ stays a key, never the prototype.
    return {
      ok: true,
      value: Object.fromEntries(Object.entries(parsed).map(([key, value]) => [key, typeof value === 'string' ? { value } : value])),
    }
  }
  const entries: [string, { value: string }][] = []
  const lineOf = new Map<string, number>()
  const problems: string[] = []
  const lines = text.split(/\r\n?|\n/)
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue
    const at = line.indexOf('=')
    if (at < 0) {
      problems.push(`data: line ${i + 1} is not key=value (e.g. thing1=您的订单已发货)`)
      continue
    }
    const key = line.slice(0, at).trim()
    const first = lineOf.get(key)
    if (first !== undefined) {
      problems.push(`data.${key}: is given twice (lines ${first} and ${i + 1})`)
      continue
    }
    lineOf.set(key, i + 1)
    entries.push([key, { value: line.slice(at + 1).trim() }])
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: Object.fromEntries(entries) }
}

/** A problem's field: the first key of its path (`data.thing1.value: …` → data); null for the form as a whole. */
export function problemField(problem: string): CampaignField | null {
  const path = /^([a-z_]+)[.[:]/.exec(problem)?.[1]
  return (CAMPAIGN_FIELDS as readonly string[]).includes(path ?? '') ? (path as CampaignField) : null
}
