/**
 * Retention of the subscribe data in the D1 record (src/record/retention.ts), against the real
 * local D1 with the migrations applied:
 *
 * - a user's `subscriptions` rows go once their Conversation object may have deleted its
 *   own: nothing reaches them (no one-time grant, no accept of a long-term template), their
 *   last push and the last outcome of a send to them are RETENTION_DAYS old, their window has
 *   closed; a user still reached, or active, keeps every row;
 * - `campaign_targets` go CAMPAIGN_TARGET_MIN_DAYS after the campaign's last page ran, its
 *   counts kept on its row, and a late task of it changes nothing;
 * - every statement searches an index.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it } from 'vitest'
import worker from '../../src/index'
import { DAY_MS, dayOf } from '../../src/record/day'
import {
  ACTIVITY_MARGIN_MS,
  appidsQuery,
  CAMPAIGN_TARGET_MIN_DAYS,
  campaignSteps,
  pruneRecord,
  subscriptionWindow,
} from '../../src/record/retention'
import { all, first, prepare, statement, type Statement } from '../../src/record/sql'
import { campaignView, readCampaign } from '../../src/subscribe/campaign-store'
import type { CampaignTask } from '../../src/subscribe/campaign-task'
import { uniqueAppid, uniqueOpenid } from '../support/fake-wechat-client'
import { captureLogs, push } from '../support/helpers'
import { popupEvent } from '../../dev/push'
import { TEST_SETTINGS } from '../support/settings'

const db = env.DB
const NOW = Date.now()
const RETENTION_DAYS = 7
const logs = captureLogs()

const run = (sql: string, ...params: (string | number | null)[]) => prepare(db, statement(sql, params)).run()

async function subscription(
  appid: string,
  openid: string,
  template: string,
  row: { grants?: number; status?: string | null; at?: number } = {},
) {
  await run(
    `INSERT INTO subscriptions (appid, template_id, openid, grants, status, accepted, rejected, last_send_at, last_errcode, updated_at)
     VALUES (?, ?, ?, ?, ?, 1, 0, NULL, NULL, ?)`,
    appid,
    template,
    openid,
    row.grants ?? 0,
    row.status === undefined ? 'accept' : row.status,
    row.at ?? NOW - 30 * DAY_MS,
  )
}

/** The user's conversation as D1 has it: the last push at `lastAt`, the window closing 48 h later (or at `closesAt`). */
async function conversation(appid: string, openid: string, lastAt: number, closesAt = lastAt + 2 * DAY_MS) {
  await run(
    `INSERT INTO conversations (appid, openid, first_at, last_at, window_remaining, window_closes_at, window_at) VALUES (?, ?, ?, ?, 0, ?, ?)`,
    appid,
    openid,
    lastAt,
    lastAt,
    closesAt,
    lastAt,
  )
}

/** A reply to a push at `at` whose last outcome came at `updatedAt`. */
async function reply(appid: string, openid: string, at: number, updatedAt: number) {
  await run(
    `INSERT INTO messages (appid, id, openid, direction, kind, status, at, pushed_at, updated_at, day) VALUES (?, ?, ?, 'out', 'text', 'failed', ?, ?, ?, ?)`,
    appid,
    `out:${openid}:1`,
    openid,
    at,
    at,
    updatedAt,
    dayOf(at),
  )
}

const templatesOf = async (appid: string, openid: string) =>
  (
    await all<{ template_id: string }>(
      db,
      statement('SELECT template_id FROM subscriptions WHERE appid = ? AND openid = ? ORDER BY template_id', [appid, openid]),
    )
  ).map((r) => r.template_id)

describe('subscriptions: forgotten with the object that held them', () => {
  const old = NOW - (RETENTION_DAYS + 3) * DAY_MS
  const recent = NOW - 2 * DAY_MS

  it('deletes every row of a user nothing reaches and who has been quiet RETENTION_DAYS; keeps the rest', async () => {
    const appid = uniqueAppid()
    const other = uniqueAppid()
    const user = (name: string) => `o-${name}-${uniqueOpenid()}`
    const users = {
      rejected: user('rejected'),
      spent: user('spent'),
      longTermAccept: user('longTermAccept'),
      granted: user('granted'),
      mixed: user('mixed'),
      recentPush: user('recentPush'),
      recentReply: user('recentReply'),
      openWindow: user('openWindow'),
      noConversation: user('noConversation'),
      justPastRetention: user('justPastRetention'),
      withinMargin: user('withinMargin'),
    }
    await subscription(appid, users.rejected, 'tplA', { status: 'reject' })
    await conversation(appid, users.rejected, old)
    // A one-time grant spent: an accept that reaches no one.
    await subscription(appid, users.spent, 'tplA', { status: 'accept' })
    await subscription(appid, users.spent, 'tplB', { status: null })
    await conversation(appid, users.spent, old)
    await subscription(appid, users.longTermAccept, 'tplLong', { status: 'acceptWithAudio' })
    await conversation(appid, users.longTermAccept, old)
    await subscription(appid, users.granted, 'tplA', { grants: 1 })
    await conversation(appid, users.granted, old)
    await subscription(appid, users.mixed, 'tplA', { grants: 2 })
    await subscription(appid, users.mixed, 'tplB', { status: 'reject' })
    await conversation(appid, users.mixed, old)
    await subscription(appid, users.recentPush, 'tplA', { status: 'reject' })
    await conversation(appid, users.recentPush, recent)
    await subscription(appid, users.recentReply, 'tplA', { status: 'reject' })
    await conversation(appid, users.recentReply, old)
    // Its reply was retried by hand later: the object counts that as activity.
    await reply(appid, users.recentReply, old, recent)
    await subscription(appid, users.openWindow, 'tplA', { status: 'reject' })
    await conversation(appid, users.openWindow, old, NOW + DAY_MS)
    // Quiet for longer than the record keeps conversations (90 days): the row went, the object long before.
    await subscription(appid, users.noConversation, 'tplA', { status: 'reject', at: NOW - 100 * DAY_MS })
    await conversation(appid, users.justPastRetention, NOW - RETENTION_DAYS * DAY_MS - ACTIVITY_MARGIN_MS - 60_000)
    await subscription(appid, users.justPastRetention, 'tplA', { status: 'reject' })
    await conversation(appid, users.withinMargin, NOW - RETENTION_DAYS * DAY_MS - ACTIVITY_MARGIN_MS + 60_000)
    await subscription(appid, users.withinMargin, 'tplA', { status: 'reject' })
    // Another app's user as the first: not this run's.
    await subscription(other, users.rejected, 'tplA', { status: 'reject' })
    await conversation(other, users.rejected, old)

    const longTermTemplates = new Set(['tplLong'])
    const counts = await pruneRecord(db, { appid, now: NOW, retentionDays: RETENTION_DAYS, longTermTemplates })
    const gone = [users.rejected, users.spent, users.noConversation, users.justPastRetention]
    for (const [name, openid] of Object.entries(users)) {
      expect((await templatesOf(appid, openid)).length > 0, name).toBe(!gone.includes(openid))
    }
    expect(counts.subscriptionsDeleted).toBe(5)
    expect(await templatesOf(appid, users.mixed)).toEqual(['tplA', 'tplB'])
    expect(await templatesOf(other, users.rejected)).toEqual(['tplA'])
    expect(logs.events().find((e) => e.event === 'record.pruned' && e.appid === appid)).toMatchObject({ subscriptionsDeleted: 5 })

    // Without the list, every accept may reach the user: kept. Once the template is no longer long-term, it goes.
    expect((await pruneRecord(db, { appid, now: NOW, retentionDays: RETENTION_DAYS })).subscriptionsDeleted).toBe(0)
    expect(
      (await pruneRecord(db, { appid, now: NOW, retentionDays: RETENTION_DAYS, longTermTemplates: new Set() })).subscriptionsDeleted,
    ).toBe(1)
    expect(await templatesOf(appid, users.longTermAccept)).toEqual([])
  })

  it('looks at every user, in windows, from any point of the openid order', async () => {
    const appid = uniqueAppid()
    // Three windows' worth (1,000 rows each) of users to forget, and one to keep among them.
    const openids = Array.from({ length: 2500 }, (_, i) => `o${String(i).padStart(5, '0')}x`)
    for (let i = 0; i < openids.length; i += 100) {
      await db.batch(
        openids
          .slice(i, i + 100)
          .map((openid) =>
            prepare(
              db,
              statement(
                `INSERT INTO subscriptions (appid, template_id, openid, grants, status, accepted, rejected, updated_at) VALUES (?1, 'tplA', ?2, 0, 'reject', 0, 1, ?3)`,
                [appid, openid, old],
              ),
            ),
          ),
      )
    }
    await run('UPDATE subscriptions SET grants = 1 WHERE appid = ? AND openid = ?', appid, openids[1500]!)
    // The sweep starts in the middle, runs to the end and goes on from the start.
    const counts = await pruneRecord(db, {
      appid,
      now: NOW,
      retentionDays: RETENTION_DAYS,
      longTermTemplates: new Set(),
      sweepFrom: openids[1200],
    })
    expect(counts.subscriptionsDeleted).toBe(2499)
    expect(await all(db, statement('SELECT openid FROM subscriptions WHERE appid = ?', [appid]))).toEqual([{ openid: openids[1500] }])
  })

  it('end to end: a user whose only grant a send spent is forgotten once quiet; a new accept writes the row again', async () => {
    const openid = uniqueOpenid()
    const appid = TEST_SETTINGS.WECHAT_APPID
    const template = `tplForgotten${Date.now()}`
    await push(popupEvent('xml', openid, [[template, 'accept']], Math.floor(Date.now() / 1000)))
    const send = await worker.fetch(
      new Request('https://kefu.example/admin/api/subscribe/send', {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ touser: openid, template_id: template, data: { thing1: { value: '已发货' } } }),
      }),
      env,
      createExecutionContext(),
    )
    expect(send.status).toBe(200)
    const row = () =>
      first<{ grants: number; status: string }>(
        db,
        statement('SELECT grants, status FROM subscriptions WHERE appid = ? AND openid = ?', [appid, openid]),
      )
    // The send's copy to D1 follows its answer.
    await expect.poll(row, { timeout: 5000, interval: 50 }).toEqual({ grants: 0, status: 'accept' })

    // Still active: kept.
    await pruneRecord(db, { appid, now: Date.now(), retentionDays: RETENTION_DAYS, longTermTemplates: new Set(), sweepFrom: '' })
    expect(await row()).not.toBeNull()
    // RETENTION_DAYS on (the conversation's times as D1 has them, moved back).
    await run(
      'UPDATE conversations SET last_at = last_at - ?1, window_closes_at = window_closes_at - ?1 WHERE appid = ?2 AND openid = ?3',
      (RETENTION_DAYS + 1) * DAY_MS,
      appid,
      openid,
    )
    await run(
      'UPDATE messages SET at = at - ?1, updated_at = updated_at - ?1 WHERE appid = ?2 AND openid = ?3',
      (RETENTION_DAYS + 1) * DAY_MS,
      appid,
      openid,
    )
    await pruneRecord(db, { appid, now: Date.now(), retentionDays: RETENTION_DAYS, longTermTemplates: new Set(), sweepFrom: '' })
    expect(await row()).toBeNull()

    await push(popupEvent('xml', openid, [[template, 'accept']], Math.floor(Date.now() / 1000) + 1))
    await expect.poll(row, { timeout: 5000, interval: 50 }).toEqual({ grants: 1, status: 'accept' })
  })
})

describe('campaign targets: deleted long after the last page, counts kept', () => {
  async function campaign(appid: string, pagedAt: number | null, targets: [string, string][]): Promise<string> {
    const id = `c-${crypto.randomUUID()}`
    await run(
      `INSERT INTO campaigns (appid, id, template_id, message, long_term, total, created_at, paged_at) VALUES (?, ?, 'tplA', ?, 0, ?, ?, ?)`,
      appid,
      id,
      JSON.stringify({ template_id: 'tplA', data: { thing1: { value: 'x' } } }),
      targets.length,
      (pagedAt ?? NOW) - DAY_MS,
      pagedAt,
    )
    for (const [openid, status] of targets) {
      await run(
        `INSERT INTO campaign_targets (appid, campaign_id, openid, status, errcode, reason, updated_at) VALUES (?, ?, ?, ?, NULL, NULL, ?)`,
        appid,
        id,
        openid,
        status,
        pagedAt ?? NOW,
      )
    }
    return id
  }
  const targetsOf = async (appid: string, id: string) =>
    (
      await first<{ n: number }>(
        db,
        statement('SELECT COUNT(*) AS n FROM campaign_targets WHERE appid = ? AND campaign_id = ?', [appid, id]),
      )
    )?.n

  it(`after ${CAMPAIGN_TARGET_MIN_DAYS} days (or RETENTION_DAYS when longer); the list and the page still show the counts`, async () => {
    const appid = uniqueAppid()
    const outcomes: [string, string][] = [
      ['o1', 'sent'],
      ['o2', 'sent'],
      ['o3', 'failed'],
      ['o4', 'skipped'],
      // Its task was dropped before tasks were settled: it counts as failed.
      ['o5', 'queued'],
    ]
    const past = await campaign(appid, NOW - (CAMPAIGN_TARGET_MIN_DAYS + 1) * DAY_MS, outcomes)
    const recent = await campaign(appid, NOW - (CAMPAIGN_TARGET_MIN_DAYS - 1) * DAY_MS, outcomes)
    const running = await campaign(appid, null, [['o1', 'queued']])

    const counts = await pruneRecord(db, { appid, now: NOW, retentionDays: RETENTION_DAYS, longTermTemplates: new Set() })
    expect(counts).toMatchObject({ campaignsSummarised: 1, campaignTargetsDeleted: 5 })
    expect(await targetsOf(appid, past)).toBe(0)
    expect(await targetsOf(appid, recent)).toBe(5)
    expect(await targetsOf(appid, running)).toBe(1)
    const view = await campaignView(db, (await readCampaign(db, appid, past))!)
    expect(view).toMatchObject({ done: true, total: 5, counts: { queued: 0, sent: 2, failed: 2, skipped: 1 } })

    // A longer retention keeps them longer; a second run finds nothing to do.
    expect(await pruneRecord(db, { appid, now: NOW, retentionDays: 30, longTermTemplates: new Set() })).toMatchObject({
      campaignsSummarised: 0,
      campaignTargetsDeleted: 0,
    })
    expect(await targetsOf(appid, recent)).toBe(5)
    expect(
      await pruneRecord(db, { appid, now: NOW + 2 * DAY_MS, retentionDays: RETENTION_DAYS, longTermTemplates: new Set() }),
    ).toMatchObject({
      campaignsSummarised: 1,
      campaignTargetsDeleted: 5,
    })
  })

  it('a late task of a campaign whose targets are gone changes nothing', async () => {
    const appid = TEST_SETTINGS.WECHAT_APPID
    const id = await campaign(appid, NOW - (CAMPAIGN_TARGET_MIN_DAYS + 1) * DAY_MS, [['o1', 'sent']])
    await run('UPDATE campaigns SET sent = 1, failed = 0, skipped = 0 WHERE appid = ? AND id = ?', appid, id)
    await run('DELETE FROM campaign_targets WHERE appid = ? AND campaign_id = ?', appid, id)
    const tasks: CampaignTask[] = [
      { kind: 'page', appid, campaignId: id, after: '' },
      { kind: 'send', appid, campaignId: id, openid: 'o1' },
    ]
    const batch = createMessageBatch<CampaignTask>(
      'kefu-edge-campaigns',
      tasks.map((body, i) => ({ id: `late-${i}`, timestamp: new Date(), attempts: 1, body })),
    )
    const ctx = createExecutionContext()
    await worker.queue(batch, env)
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(2)
    expect(await targetsOf(appid, id)).toBe(0)
    expect(logs.events().filter((e) => e.event === 'campaign.late_task' && e.campaignId === id)).toHaveLength(2)
  })
})

describe('the subscribe retention statements', () => {
  const appid = 'wxplanplanplanplan00'
  const TABLES = ['subscriptions', 'conversations', 'messages', 'campaigns', 'campaign_targets']

  async function plan({ sql, params }: Statement): Promise<string[]> {
    const { results } = await db
      .prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .bind(...params)
      .all<{ detail: string }>()
    return results.map((row) => row.detail)
  }

  /** Each line on a table searches an index or the primary key by appid: no scan of a table, none sorting rows. */
  function expectSearches(lines: string[], name: string) {
    const onTables = lines.filter((line) => TABLES.some((table) => new RegExp(`^(SCAN|SEARCH) ${table}\\b`).test(line)))
    expect(onTables.length, `${name}: ${lines.join(' | ')}`).toBeGreaterThan(0)
    for (const line of onTables) {
      expect(line, `${name}: ${lines.join(' | ')}`).toMatch(
        /^SEARCH \w+( AS \w+)? USING ((COVERING )?INDEX \w+ \(appid=\?|PRIMARY KEY \(appid=\?)/,
      )
    }
    expect(lines.join(' | '), name).not.toMatch(/TEMP B-TREE/)
  }

  it('search an index', async () => {
    const window = subscriptionWindow(appid, 'o1', { now: NOW, retentionDays: 7, longTermTemplates: new Set(['tplLong']) })
    expectSearches(await plan(window.until), 'until')
    expectSearches(await plan(window.forget), 'forget')
    for (const step of campaignSteps(appid, NOW, 7)) expectSearches(await plan(step.statement), step.name)
  })

  it('the apps with subscriptions or campaigns are pruned too', async () => {
    const appid = uniqueAppid()
    await subscription(appid, 'o1', 'tplA')
    expect((await all<{ appid: string }>(db, appidsQuery())).map((r) => r.appid)).toContain(appid)
    for (const line of await plan(appidsQuery())) expect(line).not.toMatch(/^SCAN (subscriptions|campaigns)$/)
  })
})
