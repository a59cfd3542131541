/**
 * The hourly cron (src/scheduled.ts, `[triggers] crons` in wrangler.toml), through the
 * Worker's own `scheduled` export: it prunes the D1 record (desk notes too) past RETENTION_DAYS and the
 * operators' idempotency keys past their 24 hours, and keeps what is younger. A failed run is
 * logged and thrown, so Cloudflare shows the cron as failed; the next hour starts over.
 * (What each step prunes is tested in test/record/retention.test.ts and
 * test/admin/idempotency.test.ts; here, that the cron runs them.)
 */
import { createScheduledController } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import { IDEMPOTENCY_MS } from '../src/admin/idempotency'
import { retentionDays } from '../src/settings/conversation'
import type { Env } from '../src/settings/env'
import worker from '../src/index'
import { DAY_MS } from '../src/record/day'
import { uniqueAppid } from './support/fake-wechat-client'
import { captureLogs } from './support/helpers'

const logs = captureLogs()

/** One run of the cron, as Cloudflare starts it (wrangler.toml: 17 minutes past each hour). */
function cron(on: Env): Promise<void> {
  return worker.scheduled(createScheduledController({ cron: '17 * * * *' }), on)
}

async function questions(appid: string): Promise<string[]> {
  const { results } = await env.DB.prepare('SELECT text FROM unmatched WHERE appid = ? ORDER BY text').bind(appid).all<{ text: string }>()
  return results.map((row) => row.text)
}

async function keys(appid: string): Promise<string[]> {
  const { results } = await env.DB.prepare('SELECT key FROM idempotency WHERE appid = ? ORDER BY key').bind(appid).all<{ key: string }>()
  return results.map((row) => row.key)
}

describe('the hourly cron', () => {
  it('prunes the record past RETENTION_DAYS and idempotency keys past 24 h, and keeps the rest', async () => {
    const appid = uniqueAppid()
    const now = Date.now()
    const old = now - (retentionDays(env) + 1) * DAY_MS
    const unmatched = env.DB.prepare('INSERT INTO unmatched (appid, text, count, first_seen, last_seen) VALUES (?, ?, 1, ?, ?)')
    const key = env.DB.prepare('INSERT INTO idempotency (appid, key, fingerprint, created_at, status, body) VALUES (?, ?, ?, ?, 200, ?)')
    const note = env.DB.prepare(
      "INSERT INTO desk_notes (appid, openid, id, operator_id, operator_name, text, at) VALUES (?, 'oNotedUser', ?, 'owner', 'owner', ?, ?)",
    )
    await env.DB.batch([
      note.bind(appid, 'n-old', 'written long ago', old),
      note.bind(appid, 'n-new', 'written today', now),
      unmatched.bind(appid, 'asked long ago', old, old),
      unmatched.bind(appid, 'asked today', now, now),
      key.bind(appid, 'key-a-day-old', 'f1', now - IDEMPOTENCY_MS - 60_000, '{}'),
      key.bind(appid, 'key-of-this-hour', 'f2', now - 60_000, '{}'),
    ])

    await cron(env)

    expect(await questions(appid)).toEqual(['asked today'])
    expect(await keys(appid)).toEqual(['key-of-this-hour'])
    // A desk note may hold personal data: it goes as what users wrote does.
    const { results: notes } = await env.DB.prepare('SELECT id FROM desk_notes WHERE appid = ?').bind(appid).all<{ id: string }>()
    expect(notes.map((n) => n.id)).toEqual(['n-new'])
    expect(logs.events()).toContainEqual(expect.objectContaining({ event: 'record.pruned', appid, questionsForgotten: 1 }))
  })

  it('logs a failed run and throws, so the cron shows as failed', async () => {
    const unreachable = {
      prepare() {
        throw new Error('D1_ERROR: the database is unavailable')
      },
    } as unknown as D1Database
    await expect(cron({ ...env, DB: unreachable })).rejects.toThrow('the database is unavailable')
    expect(logs.events()).toContainEqual(
      expect.objectContaining({ event: 'record.prune_failed', error: 'D1_ERROR: the database is unavailable' }),
    )
  })
})
