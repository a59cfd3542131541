/**
 * A new Conversation object creates its tables from the current schema in one script; one
 * created before that replayed every migration. Both must leave the same database: the same
 * tables with the same columns (name, type, not-null, default, key) and storage (rowid or
 * WITHOUT ROWID, AUTOINCREMENT or not), the same triggers, and no index the other lacks — or an object would
 * behave differently by when it was created.
 */
import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { expect, it } from 'vitest'
import type { Conversation } from '../../src/conversation/conversation'
import { addReplies } from '../../src/conversation/outbox'
import { migrate, SCHEMA_VERSION } from '../../src/conversation/storage'
import { uniqueOpenid } from '../support/fake-wechat-client'

type Shape = Record<string, unknown>

function shapeOf(sql: SqlStorage): Shape {
  const objects = sql
    .exec<{ type: string; name: string; tbl_name: string; sql: string | null }>(
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY type, name",
    )
    .toArray()
  const shape: Shape = {}
  for (const object of objects) {
    if (object.type === 'table') {
      shape[`table ${object.name}`] = {
        columns: sql.exec(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info('${object.name}') ORDER BY cid`).toArray(),
        withoutRowid: /\)\s*WITHOUT ROWID\s*$/i.test(object.sql ?? ''),
        autoincrement: /\bAUTOINCREMENT\b/i.test(object.sql ?? ''),
      }
    } else {
      // Triggers and indexes by their statement, spaces and IF NOT EXISTS aside.
      shape[`${object.type} ${object.name}`] = (object.sql ?? '').replace(/IF NOT EXISTS /g, '').replace(/\s+/g, ' ')
    }
  }
  return shape
}

it('the current schema is what the migrations leave', async () => {
  const build = (replay: boolean) =>
    runInDurableObject(env.CONVERSATIONS.getByName(uniqueOpenid()) as DurableObjectStub<Conversation>, (_instance, state) => {
      state.storage.transactionSync(() => migrate(state.storage.sql, SCHEMA_VERSION, replay))
      return shapeOf(state.storage.sql)
    })
  const [fresh, replayed] = [await build(false), await build(true)]
  // Five tables of the object's own, and schema_version.
  expect(Object.keys(fresh).length).toBeGreaterThanOrEqual(6)
  expect(fresh).toEqual(replayed)
})

/**
 * What SQLite holds once the migrations have run, as the module a new object creates its
 * database from (`CURRENT`) and the row type of each table (`Tables`). `npm run schema` runs
 * this file with --update to write it; without, it fails while the file differs.
 */
function generatedSchema(sql: SqlStorage): string {
  const objects = sql
    .exec<{ type: string; name: string; sql: string }>(
      `SELECT type, name, sql FROM sqlite_master
       WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'schema_version'
       ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, name`,
    )
    .toArray()
  const tsType = (sqlType: string): string => {
    if (sqlType === 'INTEGER') return 'number'
    if (sqlType === 'TEXT') return 'string'
    throw new Error(`no TypeScript type for the SQL type ${sqlType}`)
  }
  const tables = objects
    .filter((object) => object.type === 'table')
    .map(({ name }) => {
      const columns = sql
        .exec<{ name: string; type: string; notnull: number; pk: number }>(
          `SELECT name, type, "notnull", pk FROM pragma_table_info('${name}') ORDER BY cid`,
        )
        .toArray()
        .map((column) => `    ${column.name}: ${tsType(column.type)}${column.notnull === 0 && column.pk === 0 ? ' | null' : ''}\n`)
      return `  ${name}: {\n${columns.join('')}  }\n`
    })
  return [
    '/**',
    ` * Generated from the migrations in storage.ts (schema ${SCHEMA_VERSION}) by \`npm run schema\`: do not edit.`,
    ' * What SQLite holds once they have run: the script a new Conversation object creates its',
    ' * tables with, and the row of each table as a query returns it.',
    ' */',
    `export const CURRENT_VERSION = ${SCHEMA_VERSION}`,
    '',
    'export const CURRENT = `',
    ...objects.map((object) => `${object.sql};`),
    '`',
    '',
    'export interface Tables {',
    `${tables.join('')}}`,
    '',
  ].join('\n')
}

it('the generated schema is what the migrations leave (npm run schema writes it)', async () => {
  const text = await runInDurableObject(
    env.CONVERSATIONS.getByName(uniqueOpenid()) as DurableObjectStub<Conversation>,
    (_instance, state) => {
      state.storage.transactionSync(() => migrate(state.storage.sql, SCHEMA_VERSION, true))
      return generatedSchema(state.storage.sql)
    },
  )
  await expect(text).toMatchFileSnapshot('../../src/conversation/schema.generated.ts')
})

it('an object of schema 7 keeps every row through schema 8’s rebuild, schema 11’s move into meta and schema 13’s journal on the rows', async () => {
  const stub = env.CONVERSATIONS.getByName(uniqueOpenid()) as DurableObjectStub<Conversation>
  const tables = ['seen', 'record_journal', 'rule_memory', 'subscriptions', 'campaign_sends', 'meta', 'window_events']
  const rowsOf = (sql: SqlStorage) =>
    Object.fromEntries(
      tables
        .filter((table) => sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", table).toArray().length > 0)
        .map((table) => [table, sql.exec(`SELECT * FROM ${table} ORDER BY 1`).toArray()]),
    )
  const before = await runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql
    state.storage.transactionSync(() => {
      migrate(sql, 7)
      sql.exec("INSERT INTO seen VALUES ('msg:1', 'text', '你好', '1', 'hello', 0, 1000, 'v1')")
      sql.exec("INSERT INTO record_journal (ref, event, seq, since) VALUES ('in:msg:1', '{}', 1, 1000)")
      sql.exec("INSERT INTO rule_memory VALUES ('unmatched', 2)")
      sql.exec("INSERT INTO subscriptions (template_id, openid, grants, status, updated_at) VALUES ('tpl', 'o', 1, 'accept', 1000)")
      sql.exec("INSERT INTO campaign_sends VALUES ('c1', 'sent', 0, 1000)")
      sql.exec("INSERT OR REPLACE INTO meta VALUES ('scope', '')")
      sql.exec("INSERT INTO window_events (at, kind) VALUES (1000, 'message'), (1000, 'sent')")
    })
    return rowsOf(sql)
  })
  // The next call finds schema 7 and migrates.
  await stub.state()
  const after = await runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql
    return { rows: rowsOf(sql), shape: shapeOf(sql) }
  })
  // Schema 11 moved what the rules remember and the campaigns sent into meta; schema 13 put
  // the journal's entry on its push's row, in its order, and the marks D1 has into meta.
  const { rule_memory: _memory, campaign_sends: _campaigns, record_journal: _journal, meta, seen, subscriptions, ...kept } = before
  expect(after.rows).toEqual({
    ...kept,
    seen: seen?.map((row) => ({ ...row, event: '{}', journal_seq: 1 })),
    // Its insert was journaled by schema 5's trigger, after the push's entry.
    subscriptions: subscriptions?.map((row) => ({ ...row, journal_seq: 2 })),
    meta: [
      { key: 'campaign:c1', value: JSON.stringify({ status: 'sent', errcode: 0, at: 1000 }) },
      { key: 'journal', value: JSON.stringify({ seen: 0, outbox: 0, subscriptions: 0, failures: 0 }) },
      { key: 'rule:unmatched', value: '2' },
      ...(meta ?? []),
    ],
  })
  expect(before.subscriptions).toHaveLength(1)
  const fresh = await runInDurableObject(
    env.CONVERSATIONS.getByName(uniqueOpenid()) as DurableObjectStub<Conversation>,
    (_instance, state) => {
      state.storage.transactionSync(() => migrate(state.storage.sql))
      return shapeOf(state.storage.sql)
    },
  )
  expect(after.shape).toEqual(fresh)
  expect(after.shape['table seen']).toMatchObject({ withoutRowid: true })
})

it('an object of schema 11 keeps its sends through schema 12’s rebuild, and numbers new ones after them, from the time they are made', async () => {
  const stub = env.CONVERSATIONS.getByName(uniqueOpenid()) as DurableObjectStub<Conversation>
  const sends = (sql: SqlStorage) => sql.exec('SELECT * FROM outbox ORDER BY id').toArray()
  const before = await runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql
    state.storage.transactionSync(() => {
      migrate(sql, 11)
      // Numbered by AUTOINCREMENT from the object's creation time, as schema 11 did.
      sql.exec("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', 1000)")
      for (const part of [1, 2])
        sql.exec(
          "INSERT INTO outbox (openid, dedup_key, part, reply, status, next_attempt_at, created_at, updated_at) VALUES ('o', 'msg:1', ?, '{}', 'sent', 0, 1000, 1000)",
          part,
        )
    })
    return sends(sql)
  })
  expect(before.map((row) => row.id)).toEqual([1001, 1002])
  await stub.state()
  const after = await runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql
    const rows = sends(sql)
    const now = Date.now()
    const ids = addReplies(
      sql,
      {
        openid: 'o',
        msgId: '2',
        dedupKey: 'msg:2',
        ruleId: null,
        replies: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
      },
      now,
    )
    return {
      rows,
      ids,
      now,
      counter: sql.exec("SELECT * FROM sqlite_sequence WHERE name = 'outbox'").toArray(),
      marked: sql
        .exec<{ id: number }>('SELECT id FROM outbox WHERE journal_seq > 0 ORDER BY id')
        .toArray()
        .map((r) => r.id),
    }
  })
  // Schema 13 put the journal's entries on the rows: marked, not yet copied.
  expect(after.rows).toEqual(before.map((row) => ({ ...row, journal_seq: expect.any(Number) })))
  // From the time they were made, above every earlier send; no counter row written.
  expect(after.ids).toEqual([after.now, after.now + 1])
  expect(after.counter).toEqual([])
  // Marked for the journal, as schema 12's triggers journaled the first two.
  expect(after.marked).toEqual([1001, 1002, ...after.ids])
})
