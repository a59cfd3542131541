/**
 * The journal's marks (journal.ts): the rows a change of the record is written on carry a
 * mark, `journal_seq`, and the object keeps in `meta` (row `journal`) the last mark of each
 * table that D1 has. Here only what the tables' own modules need to mark a row.
 */

/** The tables whose rows the record copies. */
export type JournalTable = 'seen' | 'outbox' | 'subscriptions'

/** The `meta` row of the marks D1 has, JSON: `{ seen, outbox, subscriptions, failures }`. */
export const JOURNAL_META_KEY = 'journal'

/**
 * The next mark of `table`, as SQL for the statement that writes the change: one more than
 * the highest mark in the table and than the last one copied from it — so a row pruned after
 * its copy never lets a new mark fall to one D1 is taken to have.
 */
export function nextMark(table: JournalTable): string {
  return `(SELECT max(COALESCE(MAX(journal_seq), 0), COALESCE((SELECT json_extract(value, '$.${table}') FROM meta WHERE key = '${JOURNAL_META_KEY}'), 0)) + 1 FROM ${table})`
}
