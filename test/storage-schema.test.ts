/**
 * A new Conversation object creates its tables from the current schema in one script; one
 * created before that replayed every migration. Both must leave the same database: the same
 * tables with the same columns (name, type, not-null, default, key), the same triggers, and no
 * index the other lacks — or an object would behave differently by when it was created.
 */
import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { expect, it } from 'vitest'
import type { Conversation } from '../src/conversation/conversation'
import { migrate, SCHEMA_VERSION } from '../src/conversation/storage'
import { uniqueOpenid } from './fake-wechat-client'

type Shape = Record<string, unknown>

function shapeOf(sql: SqlStorage): Shape {
  const objects = sql
    .exec<{ type: string; name: string; tbl_name: string; sql: string | null }>(
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )
    .toArray()
  const shape: Shape = {}
  for (const object of objects) {
    if (object.type === 'table') {
      shape[`table ${object.name}`] = sql.exec(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info('${object.name}') ORDER BY cid`).toArray()
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
  expect(Object.keys(fresh).length).toBeGreaterThan(10)
  expect(fresh).toEqual(replayed)
})
