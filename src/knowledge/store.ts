/**
 * The knowledge base in D1 (migrations/0006_knowledge.sql): a mini program's FAQ entries and
 * documents, and the passages they are searched by (passages.ts), each indexed by its terms
 * (text.ts) in the FTS5 table `knowledge_terms`. Every write replaces an entry's passages in
 * the same batch (one transaction), so search never sees an entry half written. The list is
 * newest first, keyset-paged like the record's lists.
 */
import { decodeCursor, encodeCursor, type Position } from '../record/cursor'
import { page } from '../record/page'
import { all, first, prepare, statement, type Statement } from '../record/sql'
import type { Page } from '../record/views'
import type { RuleReplySource } from '../rules/schema'
import { documentPassages, faqPassages } from './passages'
import { terms } from './text'

/** An FAQ entry's answer: a string is a text reply; otherwise a reply, a list or `{ random }` as in rules.json. */
export type FaqAnswer = string | RuleReplySource

export interface FaqInput {
  kind: 'faq'
  question: string
  variants: string[]
  answer: FaqAnswer
}

export interface DocumentInput {
  kind: 'doc'
  title: string
  text: string
}

export type EntryInput = FaqInput | DocumentInput

interface Dates {
  id: string
  /** Epoch ms. */
  createdAt: number
  updatedAt: number
}

export type FaqEntry = Dates & FaqInput
export type DocumentEntry = Dates & DocumentInput & { passages: number }
export type KnowledgeEntry = FaqEntry | DocumentEntry

/** A row of the list: a document without its text (up to 100 KB), with its length. */
export type KnowledgeItem = FaqEntry | (Dates & { kind: 'doc'; title: string; chars: number; passages: number })

interface Row {
  id: string
  kind: 'faq' | 'doc'
  question: string | null
  variants: string | null
  answer: string | null
  title: string | null
  text: string | null
  chars: number | null
  passages: number
  created_at: number
  updated_at: number
}

/** `k-<uuid>`: what the API takes as an entry id. */
export const ENTRY_ID = /^k-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const PASSAGE_COUNT = '(SELECT count(*) FROM knowledge_passages p WHERE p.appid = k.appid AND p.entry_id = k.id) AS passages'

/** A page of entries, newest first. */
export async function listKnowledge(
  db: D1Database,
  query: { appid: string; limit: number; after?: Position },
): Promise<Page<KnowledgeItem>> {
  const params: (string | number)[] = [query.appid]
  let where = 'k.appid = ?'
  if (query.after !== undefined) {
    where += ' AND (k.created_at < ? OR (k.created_at = ? AND k.id < ?))'
    params.push(query.after.at, query.after.at, query.after.id)
  }
  const rows = await all<Row>(
    db,
    statement(
      `SELECT k.id, k.kind, k.question, k.variants, k.answer, k.title, NULL AS text, length(k.text) AS chars, ${PASSAGE_COUNT}, k.created_at, k.updated_at
       FROM knowledge k WHERE ${where} ORDER BY k.created_at DESC, k.id DESC LIMIT ?`,
      [...params, query.limit + 1],
    ),
  )
  return page(rows, query.limit, itemOf, (row) => encodeCursor('knowledge', { at: row.created_at, id: row.id }))
}

export function decodeKnowledgeCursor(cursor: string): Position | null {
  return decodeCursor('knowledge', cursor)
}

/** One entry, whole; null when the mini program has none with this id. */
export async function getKnowledge(db: D1Database, appid: string, id: string): Promise<KnowledgeEntry | null> {
  const row = await first<Row>(
    db,
    statement(
      `SELECT k.id, k.kind, k.question, k.variants, k.answer, k.title, k.text, length(k.text) AS chars, ${PASSAGE_COUNT}, k.created_at, k.updated_at
       FROM knowledge k WHERE k.appid = ? AND k.id = ?`,
      [appid, id],
    ),
  )
  if (row === null) return null
  if (row.kind === 'faq') return faqOf(row)
  return { ...datesOf(row), kind: 'doc', title: row.title ?? '', text: row.text ?? '', passages: row.passages }
}

/** What a write did: the entry's id and how many passages it is now searched by. */
export interface Written {
  id: string
  passages: number
}

/** Adds an entry; its id. */
export async function addKnowledge(db: D1Database, appid: string, input: EntryInput, now = Date.now()): Promise<Written> {
  const id = `k-${crypto.randomUUID()}`
  const fields = fieldsOf(input)
  const rows = passagesOf(input)
  await db.batch(
    [
      statement(
        'INSERT INTO knowledge (appid, id, kind, question, variants, answer, title, text, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [appid, id, input.kind, fields.question, fields.variants, fields.answer, fields.title, fields.text, now, now],
      ),
      ...insertPassages(appid, id, rows),
    ].map((s) => prepare(db, s)),
  )
  return { id, passages: rows.length }
}

/** Replaces an entry (its kind may change; created_at stays); null when there is none with this id. */
export async function updateKnowledge(
  db: D1Database,
  appid: string,
  id: string,
  input: EntryInput,
  now = Date.now(),
): Promise<Written | null> {
  const fields = fieldsOf(input)
  const rows = passagesOf(input)
  const [updated] = await db.batch(
    [
      statement(
        'UPDATE knowledge SET kind = ?, question = ?, variants = ?, answer = ?, title = ?, text = ?, updated_at = ? WHERE appid = ? AND id = ?',
        [input.kind, fields.question, fields.variants, fields.answer, fields.title, fields.text, now, appid, id],
      ),
      ...deletePassages(appid, id),
      ...insertPassages(appid, id, rows),
    ].map((s) => prepare(db, s)),
  )
  return (updated?.meta.changes ?? 0) === 0 ? null : { id, passages: rows.length }
}

/** Deletes an entry and its passages; false when there was none. */
export async function deleteKnowledge(db: D1Database, appid: string, id: string): Promise<boolean> {
  const results = await db.batch(
    [...deletePassages(appid, id), statement('DELETE FROM knowledge WHERE appid = ? AND id = ?', [appid, id])].map((s) => prepare(db, s)),
  )
  return (results[results.length - 1]?.meta.changes ?? 0) > 0
}

/** The searchable rows of an entry. */
export function passagesOf(input: EntryInput): string[] {
  return input.kind === 'faq' ? faqPassages(input.question, input.variants) : documentPassages(input.title, input.text)
}

function fieldsOf(input: EntryInput) {
  return input.kind === 'faq'
    ? { question: input.question, variants: JSON.stringify(input.variants), answer: JSON.stringify(input.answer), title: null, text: null }
    : { question: null, variants: null, answer: null, title: input.title, text: input.text }
}

/**
 * Two statements whatever the entry's size: the passages from one JSON array, then their
 * terms into the index with the passages' ids as rowids. Both only when the entry exists, so
 * an update of an entry deleted meanwhile leaves nothing behind.
 */
function insertPassages(appid: string, id: string, rows: readonly string[]): Statement[] {
  const exists = 'EXISTS (SELECT 1 FROM knowledge WHERE appid = ? AND id = ?)'
  return [
    statement(`INSERT INTO knowledge_passages (appid, entry_id, seq, text) SELECT ?, ?, key, value FROM json_each(?) WHERE ${exists}`, [
      appid,
      id,
      JSON.stringify(rows),
      appid,
      id,
    ]),
    statement(
      `INSERT INTO knowledge_terms (rowid, appid, terms) SELECT p.id, p.appid, t.value FROM knowledge_passages p JOIN json_each(?) t ON t.key = p.seq
       WHERE p.appid = ? AND p.entry_id = ?`,
      [JSON.stringify(rows.map((row) => terms(row).join(' '))), appid, id],
    ),
  ]
}

function deletePassages(appid: string, id: string): Statement[] {
  return [
    statement('DELETE FROM knowledge_terms WHERE rowid IN (SELECT id FROM knowledge_passages WHERE appid = ? AND entry_id = ?)', [
      appid,
      id,
    ]),
    statement('DELETE FROM knowledge_passages WHERE appid = ? AND entry_id = ?', [appid, id]),
  ]
}

function datesOf(row: Row): Dates {
  return { id: row.id, createdAt: row.created_at, updatedAt: row.updated_at }
}

function faqOf(row: Row): FaqEntry {
  return {
    ...datesOf(row),
    kind: 'faq',
    question: row.question ?? '',
    variants: JSON.parse(row.variants ?? '[]') as string[],
    answer: JSON.parse(row.answer ?? '""') as FaqAnswer,
  }
}

function itemOf(row: Row): KnowledgeItem {
  if (row.kind === 'faq') return faqOf(row)
  return { ...datesOf(row), kind: 'doc', title: row.title ?? '', chars: row.chars ?? 0, passages: row.passages }
}
