/**
 * The example shop's knowledge base (knowledge/): its FAQ (knowledge/faq.csv, read as the
 * console's import reads a CSV) and its returns-policy document (knowledge/returns-policy.md,
 * one document as the import makes of a Markdown file), and loading them into a running
 * service through the admin API (`POST /admin/api/knowledge`), the same store code a console
 * import runs. `npm start` loads them for the first mini program; `npm run kb:eval` asks
 * questions against them.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { documentsFromMarkdown, type DocumentPart, type FaqRow, faqsFromCsv } from '../src/console/knowledge-import'

/** Where the example knowledge base lives, from the repository's root. */
export const KNOWLEDGE_DIR = 'knowledge'
export const FAQ_FILE = 'faq.csv'
export const DOCUMENT_FILES = ['returns-policy.md'] as const

export interface ExampleKnowledge {
  faqs: FaqRow[]
  documents: DocumentPart[]
}

/** The files of `dir`, parsed; throws naming the file and row of anything the import would refuse. */
export function readExampleKnowledge(dir: string = KNOWLEDGE_DIR): ExampleKnowledge {
  const csv = faqsFromCsv(readFileSync(join(dir, FAQ_FILE), 'utf8'))
  if (!csv.ok) throw new Error(`${join(dir, FAQ_FILE)}: ${csv.problem}${csv.row === undefined ? '' : ` (row ${csv.row})`}`)
  const [refused] = csv.refused
  if (refused) throw new Error(`${join(dir, FAQ_FILE)} row ${refused.row}: ${refused.problem}`)
  const documents = DOCUMENT_FILES.flatMap((name) => documentsFromMarkdown(readFileSync(join(dir, name), 'utf8'), name, false))
  return { faqs: csv.faqs, documents }
}

/** A running service's admin API: its address, the bearer token, and the mini program (`?app=`; none for the first). */
export interface AdminApi {
  url: string
  token: string
  app?: string
}

/** An entry of the knowledge base as `GET /admin/api/knowledge` lists it (the fields read here). */
export interface ListedEntry {
  id: string
  kind: 'faq' | 'doc'
  /** The FAQ's question, or the document's title. */
  label: string
}

/** A request to the admin API; the answer's JSON, or an error naming the route and status (never the token). */
export async function adminJson(api: AdminApi, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
  const url = new URL(path, api.url)
  if (api.app) url.searchParams.set('app', api.app)
  const res = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${api.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${url.pathname}: ${res.status} ${text.slice(0, 200)}`)
  return text === '' ? null : JSON.parse(text)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Every entry of the mini program's knowledge base, following the list's cursor. */
export async function listKnowledge(api: AdminApi): Promise<ListedEntry[]> {
  const entries: ListedEntry[] = []
  let cursor: string | null = null
  do {
    const page = await adminJson(api, 'GET', `/admin/api/knowledge${cursor === null ? '' : `?cursor=${encodeURIComponent(cursor)}`}`)
    if (!isRecord(page) || !Array.isArray(page.items)) throw new Error('GET /admin/api/knowledge: no items in the answer')
    for (const item of page.items) {
      if (!isRecord(item) || typeof item.id !== 'string') continue
      const kind = item.kind === 'doc' || (item.kind === undefined && typeof item.title === 'string') ? 'doc' : 'faq'
      const label = kind === 'faq' ? item.question : item.title
      entries.push({ id: item.id, kind, label: typeof label === 'string' ? label : '' })
    }
    cursor = typeof page.nextCursor === 'string' ? page.nextCursor : null
  } while (cursor !== null)
  return entries
}

/**
 * Puts `knowledge` into the mini program's knowledge base, unless it already holds entries
 * (the operator's, or an earlier run's: nothing is added twice, nothing edited is overwritten).
 * Returns whether it loaded, and the entries the base holds afterwards.
 */
export async function loadKnowledge(api: AdminApi, knowledge: ExampleKnowledge): Promise<{ loaded: boolean; entries: ListedEntry[] }> {
  const before = await listKnowledge(api)
  if (before.length > 0) return { loaded: false, entries: before }
  const entries: ListedEntry[] = []
  // One after another: the list stays in the file's order, and a local Worker is not flooded.
  for (const faq of knowledge.faqs) {
    const id = createdId(
      await adminJson(api, 'POST', '/admin/api/knowledge', {
        question: faq.question,
        variants: faq.variants,
        answer: faq.answer,
      }),
    )
    entries.push({ id, kind: 'faq', label: faq.question })
  }
  for (const doc of knowledge.documents) {
    const id = createdId(await adminJson(api, 'POST', '/admin/api/knowledge', { title: doc.title, text: doc.text }))
    entries.push({ id, kind: 'doc', label: doc.title })
  }
  return { loaded: true, entries }
}

function createdId(answer: unknown): string {
  if (isRecord(answer) && typeof answer.id === 'string') return answer.id
  throw new Error('POST /admin/api/knowledge: no id in the answer')
}
