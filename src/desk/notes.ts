/**
 * The desk's shared words (D1, migrations/0008_desk.sql): canned answers per mini program and
 * private notes on a user's conversation. Every statement on `desk_canned` and `desk_notes` is
 * here. Notes are never sent: they are for agents, and the audit log says who wrote one.
 */
import { all, prepare, statement, type Statement } from '../record/sql'

export const MAX_CANNED = 200
export const MAX_CANNED_TITLE = 50
export const MAX_CANNED_TEXT = 600
export const MAX_NOTE_TEXT = 1000
/** Notes a conversation shows, newest first. */
export const NOTES_SHOWN = 50

export interface Canned {
  id: string
  title: string
  text: string
  shortcut: string | null
  updatedAt: number
}

export interface Note {
  id: string
  operator: { id: string; name: string }
  text: string
  at: number
}

interface CannedRow {
  id: string
  title: string
  text: string
  shortcut: string | null
  updated_at: number
}

interface NoteRow {
  id: string
  operator_id: string
  operator_name: string
  text: string
  at: number
}

/** Runs a write; how many rows it changed. */
async function changes(db: D1Database, query: Statement): Promise<number> {
  return (await prepare(db, query).run()).meta.changes
}

export async function listCanned(db: D1Database, appid: string): Promise<Canned[]> {
  const rows = await all<CannedRow>(
    db,
    statement('SELECT id, title, text, shortcut, updated_at FROM desk_canned WHERE appid = ?1 ORDER BY title, id LIMIT ?2', [
      appid,
      MAX_CANNED,
    ]),
  )
  return rows.map((r) => ({ id: r.id, title: r.title, text: r.text, shortcut: r.shortcut, updatedAt: r.updated_at }))
}

/** A new canned answer; null when the mini program has MAX_CANNED, or the shortcut is taken. */
export async function addCanned(
  db: D1Database,
  appid: string,
  input: { title: string; text: string; shortcut: string | null },
  now: number,
): Promise<{ id: string } | { problem: 'full' | 'shortcut_taken' }> {
  const id = `c-${crypto.randomUUID()}`
  // One statement: the count and the shortcut are checked where the row is written.
  const changed = await changes(
    db,
    statement(
      `INSERT INTO desk_canned (appid, id, title, text, shortcut, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6
       WHERE (SELECT COUNT(*) FROM desk_canned WHERE appid = ?1) < ?7
         AND NOT EXISTS (SELECT 1 FROM desk_canned WHERE appid = ?1 AND ?5 IS NOT NULL AND shortcut = ?5)`,
      [appid, id, input.title, input.text, input.shortcut, now, MAX_CANNED],
    ),
  )
  if (changed === 1) return { id }
  const taken = input.shortcut !== null && (await listCanned(db, appid)).some((c) => c.shortcut === input.shortcut)
  return { problem: taken ? 'shortcut_taken' : 'full' }
}

export async function deleteCanned(db: D1Database, appid: string, id: string): Promise<boolean> {
  return (await changes(db, statement('DELETE FROM desk_canned WHERE appid = ?1 AND id = ?2', [appid, id]))) === 1
}

export async function listNotes(db: D1Database, appid: string, openid: string): Promise<Note[]> {
  const rows = await all<NoteRow>(
    db,
    statement(
      'SELECT id, operator_id, operator_name, text, at FROM desk_notes WHERE appid = ?1 AND openid = ?2 ORDER BY at DESC, id DESC LIMIT ?3',
      [appid, openid, NOTES_SHOWN],
    ),
  )
  return rows.map((r) => ({ id: r.id, operator: { id: r.operator_id, name: r.operator_name }, text: r.text, at: r.at }))
}

export async function addNote(
  db: D1Database,
  appid: string,
  openid: string,
  operator: { id: string; name: string },
  text: string,
  now: number,
): Promise<{ id: string }> {
  const id = `n-${crypto.randomUUID()}`
  await changes(
    db,
    statement('INSERT INTO desk_notes (appid, openid, id, operator_id, operator_name, text, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)', [
      appid,
      openid,
      id,
      operator.id,
      operator.name,
      text,
      now,
    ]),
  )
  return { id }
}

/** Every note on the user, oldest first: their export. */
export function userNotesQuery(appid: string, openid: string): Statement {
  return statement('SELECT id, operator_id, operator_name, text, at FROM desk_notes WHERE appid = ?1 AND openid = ?2 ORDER BY at, id', [
    appid,
    openid,
  ])
}

/** The notes on the user go with their data (users/forget.ts). */
export function forgetNotesStatement(appid: string, openid: string): Statement {
  return statement('DELETE FROM desk_notes WHERE appid = ?1 AND openid = ?2', [appid, openid])
}

/** Notes deleted per statement; the next hourly run goes on. */
const PRUNE_NOTES = 1000

/**
 * Notes are about a user and may hold their personal data: like what users wrote, they go
 * RETENTION_DAYS after they were written (the cron, src/scheduled.ts), through desk_notes_at.
 */
export async function pruneNotes(db: D1Database, before: number): Promise<number> {
  return changes(
    db,
    statement(
      'DELETE FROM desk_notes WHERE (appid, openid, id) IN (SELECT appid, openid, id FROM desk_notes INDEXED BY desk_notes_at WHERE at < ?1 LIMIT ?2)',
      [before, PRUNE_NOTES],
    ),
  )
}
