/**
 * The object's transactions (src/conversation/transaction.ts): what the instance keeps of its
 * tables between reads — the window's events, the grants that may reach the user — follows
 * the writes as they run, and a transaction that rolls back leaves no trace in it either.
 * Real local Durable Object storage.
 */
import { env } from 'cloudflare:workers'
import { runInDurableObject } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { migrate } from '../../src/conversation/storage'
import { applySubscribeChanges, holdsGrants } from '../../src/conversation/subscriptions'
import { forgetKept, transaction } from '../../src/conversation/transaction'
import { readWindow, recordGrant, recordSent } from '../../src/conversation/window-store'
import { uniqueOpenid } from '../support/fake-wechat-client'

const HOUR = 3_600_000
const LONG_TERM = new Set(['tplLongTerm'])

function inObject(run: (storage: DurableObjectStorage) => void): Promise<void> {
  return runInDurableObject(env.CONVERSATIONS.getByName(uniqueOpenid()), (_, state) => {
    migrate(state.storage.sql)
    run(state.storage)
    forgetKept(state.storage.sql)
  })
}

const failing = (storage: DurableObjectStorage, write: () => void) =>
  expect(() =>
    transaction(storage, () => {
      write()
      throw new Error('a later statement failed')
    }),
  ).toThrow('a later statement failed')

describe('a transaction rolled back', () => {
  it('leaves the window as it was', () =>
    inObject((storage) => {
      const { sql } = storage
      const t0 = Date.now() - HOUR
      recordGrant(sql, 'message', t0)
      const before = readWindow(sql)
      failing(storage, () => {
        recordSent(sql, t0 + 1_000)
        expect(readWindow(sql).remaining).toBe(4)
      })
      expect(readWindow(sql)).toEqual(before)
      expect(readWindow(sql).remaining).toBe(5)
      forgetKept(sql)
      expect(readWindow(sql)).toEqual(before)
    }))

  it('leaves the grants that reach the user as they were', () =>
    inObject((storage) => {
      const { sql } = storage
      const openid = uniqueOpenid()
      expect(holdsGrants(sql, LONG_TERM)).toBe(false)
      failing(storage, () => {
        applySubscribeChanges(sql, openid, [{ kind: 'popup', templateId: 'tplLongTerm', status: 'accept' }], Date.now())
        expect(holdsGrants(sql, LONG_TERM)).toBe(true)
      })
      expect(holdsGrants(sql, LONG_TERM)).toBe(false)
      // And a change that stays is seen at once.
      applySubscribeChanges(sql, openid, [{ kind: 'popup', templateId: 'tplLongTerm', status: 'accept' }], Date.now())
      expect(holdsGrants(sql, LONG_TERM)).toBe(true)
    }))
})
