/**
 * The window as the object keeps it between reads (src/conversation/window-store.ts): the
 * table is read once per instance and kept in step by the module's own writes, so what a
 * push sees is always what the table holds — after writes out of time order and a prune
 * (a transaction rolled back: transaction.test.ts). Real local Durable Object storage.
 */
import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { migrate } from '../../src/conversation/storage'
import { WINDOW_EVENT_TTL_MS } from '../../src/conversation/window'
import {
  forgetWindow,
  lastWindowEventAt,
  pruneWindowEvents,
  readWindow,
  recordGrant,
  recordSent,
  windowEventsPrunableAt,
} from '../../src/conversation/window-store'
import { uniqueOpenid } from '../support/fake-wechat-client'

const HOUR = 3_600_000

/** The window folded from the table itself, as a fresh instance would read it. */
function fromTable(sql: SqlStorage) {
  forgetWindow(sql)
  return readWindow(sql)
}

function inObject(run: (storage: DurableObjectStorage) => void): Promise<void> {
  return runInDurableObject(env.CONVERSATIONS.getByName(uniqueOpenid()), (_, state) => {
    migrate(state.storage.sql)
    run(state.storage)
    forgetWindow(state.storage.sql)
  })
}

describe('the window between reads', () => {
  it('follows its own writes, in WeChat’s order whatever order they were written in', () =>
    inObject(({ sql }) => {
      const t0 = Date.now() - HOUR
      expect(readWindow(sql).remaining).toBe(0)
      recordGrant(sql, 'message', t0)
      recordSent(sql, t0 + 2_000)
      // A grant learnt late, from before the send.
      recordGrant(sql, 'message', t0 + 1_000)
      const kept = readWindow(sql)
      expect(kept).toEqual(fromTable(sql))
      expect(kept.remaining).toBe(4)
    }))

  it('a prune leaves it as the table', () =>
    inObject(({ sql }) => {
      const now = Date.now()
      recordGrant(sql, 'message', now - WINDOW_EVENT_TTL_MS - HOUR)
      recordGrant(sql, 'message', now - HOUR)
      readWindow(sql)
      pruneWindowEvents(sql, now)
      expect(readWindow(sql)).toEqual(fromTable(sql))
      expect(windowEventsPrunableAt(sql)).toBe(now - HOUR + WINDOW_EVENT_TTL_MS)
      expect(lastWindowEventAt(sql)).toBe(now - HOUR)
    }))
})
