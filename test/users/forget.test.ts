/**
 * A user's data, end to end (issue 31): a user who wrote, was answered, waited at the desk,
 * got a note, accepted a template and sent an image — then WeChat says they closed their
 * account. Every store is asked, one by one, what it still holds of them: nothing but counts.
 * A retried push changes nothing; a revoke of 14 takes their images only; the export holds what
 * the record holds; the admin API's deletion does what WeChat's push does. Real local Durable
 * Objects, D1, KV and R2; pushes signed and encrypted as WeChat sends them.
 */
import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { popupEvent, textMessage } from '../../dev/push'
import { addNote } from '../../src/desk/notes'
import { dayOf } from '../../src/record/day'
import { writeRecord } from '../../src/record/write'
import { unmatchedKey } from '../../src/record/write'
import { userMediaKey } from '../../src/media/user-media'
import { prepare } from '../../src/record/sql'
import { conversationOf, deskOf } from '../../src/settings/mini-program-state'
import { taskOf } from '../../src/webhooks/events'
import { recordFailure } from '../../src/webhooks/store'
import type { FlatFields } from '../../src/wechat/message'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { captureLogs, push, workerFetch } from '../support/helpers'
import { consoleSession, OWNER_AUTH } from '../support/operators'
import { recordSeed } from '../support/record-seed'
import { receivedFor } from '../support/webhook-receiver'
import { TEST_SETTINGS } from '../support/settings'

const APPID = TEST_SETTINGS.WECHAT_APPID
/** The platform's push service: the sender of the authorization events, never a user of ours. */
const PLATFORM = 'owAqB1v0ahK_Xlc7GshIDdf2yf7E'
const QUESTION = '你们招聘兼职吗'
/** A question only this user asked: once they go, no rollup may hold it. */
const ownQuestion = (openid: string) => `${openid.slice(-8)} 的快递到哪了`
const OWNER = { id: 'owner', name: 'Owner' }
const logs = captureLogs()
const seed = recordSeed(7_340_000_000_000_000_000n)
let msgIds = 7_300_000_000_000_000_000n
const nextMsgId = () => String(++msgIds)

beforeAll(async () => {
  await env.RULES.put(
    'rules',
    JSON.stringify({
      rules: [{ id: 'hi', when: { text: ['你好'] }, reply: { type: 'text', text: '您好！' } }],
      default: { type: 'text', text: '请稍候' },
    }),
  )
})

function authorizationEvent(event: string, openid: string, extra: Record<string, string> = {}): FlatFields {
  return {
    ToUserName: 'gh_97417a04a28d',
    FromUserName: PLATFORM,
    CreateTime: Math.floor(Date.now() / 1000),
    MsgType: 'event',
    Event: event,
    OpenID: openid,
    AppID: APPID,
    ...extra,
  }
}

const rows = async (sql: string, ...params: unknown[]) =>
  (
    await env.DB.prepare(sql)
      .bind(...params)
      .all()
  ).results

/** The Desk object's rows (any status: `item` shows only the open ones). */
const deskRows = (sql: string, ...params: unknown[]) =>
  runInDurableObject(deskOf(env), (_instance, state) => state.storage.sql.exec(sql, ...params).toArray())

/** Everything each store holds of `openid`, store by store. */
async function held(openid: string) {
  const today = dayOf(Date.now())
  return {
    object: await conversationOf(env, openid).state(),
    desk: await deskOf(env).item(openid),
    deskRows: await deskRows('SELECT status, last_text FROM desk WHERE openid = ?', openid),
    handled: await deskRows('SELECT agent FROM handled WHERE openid = ?', openid),
    messages: await rows('SELECT id FROM messages WHERE appid = ? AND openid = ?', APPID, openid),
    conversations: await rows('SELECT openid FROM conversations WHERE appid = ? AND openid = ?', APPID, openid),
    subscriptions: await rows('SELECT template_id FROM subscriptions WHERE appid = ? AND openid = ?', APPID, openid),
    campaignTargets: await rows('SELECT campaign_id FROM campaign_targets WHERE appid = ? AND openid = ?', APPID, openid),
    ownQuestion: await rows('SELECT count FROM unmatched WHERE appid = ? AND text = ?', APPID, unmatchedKey(ownQuestion(openid))),
    notes: await rows('SELECT id FROM desk_notes WHERE appid = ? AND openid = ?', APPID, openid),
    audit: await rows("SELECT id FROM audit WHERE appid = ? AND (target = ? OR target LIKE 'out:' || ? || ':%')", APPID, openid, openid),
    media: (await env.MEDIA.list({ prefix: `users/${APPID}/${today}/${openid}/` })).objects.map((o) => o.key),
    webhookFailures: await rows('SELECT id FROM webhook_failures WHERE appid = ? AND openid = ?', APPID, openid),
  }
}

/**
 * A user with something in every store: answered texts (two unmatched, one of them asked by no
 * one else), a template accepted, a campaign sent to them, a note, the desk (waiting, or closed
 * by an agent), an image, an audited reply by hand, a delivery to WEBHOOK_URL given up on.
 */
async function busyUser(desk: 'waiting' | 'closed' = 'waiting'): Promise<string> {
  const openid = uniqueOpenid()
  expect((await push(textMessage(openid, '你好', nextMsgId()))).status).toBe(200)
  expect((await push(textMessage(openid, QUESTION, nextMsgId()))).status).toBe(200)
  expect((await push(textMessage(openid, ownQuestion(openid), nextMsgId()))).status).toBe(200)
  expect((await push(popupEvent('xml', openid, [['tmpl-forget', 'accept']]))).status).toBe(200)
  const reply = await workerFetch(`/admin/api/conversations/${openid}/reply`, {
    method: 'POST',
    headers: { ...OWNER_AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'text', text: '人工回复' }),
  })
  expect(reply.status).toBe(200)
  await deskOf(env).arrive({
    openid,
    reason: 'transfer',
    text: ownQuestion(openid),
    at: Date.now(),
    window: { closesAt: Date.now() + 3_600_000, remaining: 3, openedAt: Date.now() },
  })
  if (desk === 'closed') expect((await deskOf(env).close(openid, OWNER, true)).ok).toBe(true)
  await addNote(env.DB, APPID, openid, OWNER, '老客户，优先处理', Date.now())
  const campaign = `c-${crypto.randomUUID()}`
  await rows(
    "INSERT INTO campaigns (appid, id, template_id, message, long_term, total, created_at, paged_at) VALUES (?, ?, 'tmpl-forget', '{}', 0, 1, ?, ?)",
    APPID,
    campaign,
    Date.now(),
    Date.now(),
  )
  await rows(
    "INSERT INTO campaign_targets (appid, campaign_id, openid, status, errcode, reason, updated_at) VALUES (?, ?, ?, 'sent', NULL, NULL, ?)",
    APPID,
    campaign,
    openid,
    Date.now(),
  )
  // The image they sent, as the archive leaves it: its row `archived`, its bytes in MEDIA.
  const image = seed.inbound(APPID, openid, Date.now(), { kind: 'image', text: 'https://mmbiz.qpic.cn/x', ruleId: null })
  await writeRecord(env.DB, [image])
  await rows("UPDATE messages SET media = 'archived' WHERE appid = ? AND id = ?", APPID, image.key)
  await env.MEDIA.put(userMediaKey(APPID, dayOf(image.at), openid, image.msgId!, 'image/png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47]))
  // The receiver was down for all eight attempts: the row keeps the event, and the event their text.
  const received = taskOf(
    APPID,
    { event: 'message.received', data: { openid, msg_id: null, kind: 'text', text: QUESTION, rule_id: null } },
    Date.now(),
  )
  await prepare(env.DB, recordFailure(received, 8, { status: 500, reason: 'HTTP 500' }, Date.now())).run()
  // The record is copied to D1 after the answers: wait until every store has the user.
  await vi.waitFor(
    async () => {
      const now = await held(openid)
      expect(now.messages.length).toBeGreaterThanOrEqual(7)
      expect(now.subscriptions).toHaveLength(1)
      expect(now.ownQuestion).toEqual([{ count: 1 }])
      expect(now.audit.length).toBeGreaterThan(0)
      expect(now.webhookFailures).toHaveLength(1)
    },
    { timeout: 10_000, interval: 100 },
  )
  return openid
}

const unmatchedCount = async () =>
  ((await rows('SELECT count FROM unmatched WHERE appid = ? AND text = ?', APPID, QUESTION))[0]?.count as number | undefined) ?? 0
const dailyMessages = async () =>
  ((await rows('SELECT messages FROM daily WHERE appid = ? AND day = ?', APPID, dayOf(Date.now())))[0]?.messages as number | undefined) ?? 0
/** Closed desk conversations kept for the figures under a made-up name (they hold no text of the user's). */
const renamedAtDesk = async () => (await deskRows("SELECT 1 FROM handled WHERE openid LIKE 'deleted:%'")).length
/** Long enough for an event queued now to have reached the receiver: the WEBHOOKS queue batches for up to 1 s (wrangler.toml). */
const quietQueue = () => new Promise((resolve) => setTimeout(resolve, 2_500))
/** The `user.deleted` events the stand-in receiver got for `openid`. */
const deletedEvents = async (openid: string) => (await receivedFor(openid)).filter((d) => d.event === 'user.deleted')
const deletions = async () => rows("SELECT target, summary, operator_id FROM audit WHERE appid = ? AND action = 'user_delete'", APPID)

describe('user_authorization_cancellation', () => {
  it('deletes the user it names from every store, keeps counts and one audit line naming no one; a retry changes nothing', async () => {
    const openid = await busyUser('closed')
    const other = await busyUser()
    expect(await held(openid)).toMatchObject({ deskRows: [], handled: [{ agent: 'owner' }] })
    const before = {
      unmatched: await unmatchedCount(),
      daily: await dailyMessages(),
      deletions: (await deletions()).length,
      renamed: await renamedAtDesk(),
    }

    const cancellation = authorizationEvent('user_authorization_cancellation', openid)
    const answer = await push(cancellation)
    expect(answer.status).toBe(200)
    expect(await answer.text()).toBe('success')

    const after = await held(openid)
    expect(after.object).toMatchObject({ inbound: [], outbound: [] })
    expect(after).toMatchObject({
      desk: null,
      deskRows: [],
      handled: [],
      messages: [],
      conversations: [],
      subscriptions: [],
      campaignTargets: [],
      notes: [],
      audit: [],
      media: [],
      webhookFailures: [],
      ownQuestion: [],
    })
    // Their closed conversation still counts in the agents' figures, under a made-up name and without their text.
    expect(await renamedAtDesk()).toBe(before.renamed + 1)
    expect(await deskRows('SELECT 1 FROM desk WHERE last_text = ?', ownQuestion(openid))).toEqual([])
    // Their question counted once for them: the other user's ask is still counted; the one they alone asked is gone.
    expect(await unmatchedCount()).toBe(before.unmatched - 1)
    expect(await dailyMessages()).toBe(before.daily)
    const lines = await deletions()
    expect(lines).toHaveLength(before.deletions + 1)
    const line = lines.at(-1)!
    expect(JSON.stringify(line)).not.toContain(openid)
    expect(line).toMatchObject({ operator_id: 'wechat', summary: expect.stringContaining('account closed') })
    // The other user is untouched.
    expect((await held(other)).messages.length).toBeGreaterThanOrEqual(5)
    // The sender is WeChat's push service: no object, no row for it.
    expect((await held(PLATFORM)).messages).toEqual([])

    // The team's other systems hear of it once (WEBHOOK_URL), with the openid to delete there too.
    await vi.waitFor(async () => expect(await deletedEvents(openid)).toHaveLength(1), { timeout: 10_000, interval: 100 })

    // WeChat retries the same push: nothing more happens.
    expect((await push(cancellation)).status).toBe(200)
    expect(await deletions()).toHaveLength(before.deletions + 1)
    expect(await held(openid)).toMatchObject({ messages: [], conversations: [], media: [] })
    await quietQueue()
    expect(await deletedEvents(openid)).toHaveLength(1)
  })

  it('refuses an event without an OpenID of an openid’s shape, and acts on no other app’s word', async () => {
    const openid = await busyUser()
    expect((await push(authorizationEvent('user_authorization_cancellation', 'not an openid!'))).status).toBe(400)
    const otherApp = await push(authorizationEvent('user_authorization_cancellation', openid, { AppID: 'wx0000000000000000' }))
    expect(otherApp.status).toBe(200)
    expect((await held(openid)).messages.length).toBeGreaterThanOrEqual(5)
  })
})

describe('user_authorization_revoke', () => {
  it('with 14 (images and videos they chose) deletes their images and nothing else; their rows and the console say deleted', async () => {
    const openid = await busyUser()
    await push(authorizationEvent('user_authorization_revoke', openid, { RevokeInfo: '14' }))
    const after = await held(openid)
    expect(after.media).toEqual([])
    expect(after.messages.length).toBeGreaterThanOrEqual(7)
    expect(after.subscriptions).toHaveLength(1)
    // Not `archived` any more: the console draws no picture that would be a 404, the export says deleted.
    const images = await rows("SELECT id, media FROM messages WHERE appid = ? AND openid = ? AND kind = 'image'", APPID, openid)
    expect(images).toEqual([{ id: expect.stringMatching(/^msg:/), media: 'deleted' }])
    const msgId = String(images[0]!.id).slice('msg:'.length)
    const page = await workerFetch(`/admin/conversations/${openid}`, {
      headers: { cookie: await consoleSession(TEST_SETTINGS.ADMIN_TOKEN) },
    })
    const html = await page.text()
    expect(html).toContain('图片已删除')
    expect(html).not.toContain(`/media/${msgId}"`)
  })

  it('with an item kefu-edge never keeps (6: nickname and avatar) deletes nothing', async () => {
    const openid = await busyUser()
    const before = (await deletions()).length
    await push(authorizationEvent('user_authorization_revoke', openid, { RevokeInfo: '6' }))
    const after = await held(openid)
    expect(after.media).toHaveLength(1)
    expect(after.messages.length).toBeGreaterThanOrEqual(5)
    expect(await deletions()).toHaveLength(before)
  })
})

describe('in plaintext mode (WECHAT_PUSH_MODE=plaintext)', () => {
  it('deletes nothing on a user_authorization_* push: its signature does not cover the body, so the OpenID could be anyone’s', async () => {
    const openid = await busyUser()
    const before = (await deletions()).length
    for (const forged of [
      authorizationEvent('user_authorization_cancellation', openid),
      authorizationEvent('user_authorization_revoke', openid, { RevokeInfo: '14' }),
    ]) {
      const answer = await push(forged, 'plaintext')
      expect(answer.status).toBe(200)
      expect(await answer.text()).toBe('success')
    }
    const after = await held(openid)
    expect(after.messages.length).toBeGreaterThanOrEqual(7)
    expect(after).toMatchObject({ conversations: [{ openid }], subscriptions: [{}], media: [expect.any(String)] })
    expect(await deletions()).toHaveLength(before)
    const refused = logs.events().filter((e) => e.event === 'user.authorization_refused')
    expect(refused.map((e) => e.type)).toEqual(['user_authorization_cancellation', 'user_authorization_revoke'])
    expect(refused[0]).toMatchObject({ level: 'warn', openid, reason: expect.stringContaining('plaintext') })
  })
})

describe('on request', () => {
  it('exports what the record holds, and deletes as the push does', async () => {
    const openid = await busyUser()
    const named = await rows(
      'SELECT id FROM audit WHERE appid = ? AND (target = ? OR target LIKE ?) ORDER BY at, id',
      APPID,
      openid,
      `out:${openid}:%`,
    )
    expect(named.length).toBeGreaterThan(0)
    const exported = await workerFetch(`/admin/api/users/${openid}/export`, { headers: OWNER_AUTH })
    expect(exported.status).toBe(200)
    expect(exported.headers.get('content-disposition')).toContain(`kefu-user-${openid}.json`)
    const document = (await exported.json()) as {
      record: { messages: { id: string; text: string | null }[]; subscriptions: unknown[]; conversation: { openid: string } }
      desk: { queue: { openid: string } | null; notes: { text: string }[] }
      media: unknown[]
      audit: { id: string; action: string; target: string }[]
      webhookFailures: { id: string; event: string; openid: string; task: string }[]
    }
    const inRecord = await rows('SELECT id FROM messages WHERE appid = ? AND openid = ? ORDER BY at, id', APPID, openid)
    expect(document.record.messages.map((m) => m.id)).toEqual(inRecord.map((r) => r.id))
    expect(document.record.messages.map((m) => m.text)).toContain(QUESTION)
    expect(document.record.conversation.openid).toBe(openid)
    expect(document.record.subscriptions).toHaveLength(1)
    expect(document.desk.queue?.openid).toBe(openid)
    expect(document.desk.notes.map((n) => n.text)).toEqual(['老客户，优先处理'])
    expect(document.media).toHaveLength(1)
    // The audit lines that name them (their reply by hand; the export's own line comes after it), and the deliveries about them given up on, with their text.
    expect(document.audit.map((line) => line.id)).toEqual(named.map((r) => r.id))
    expect(document.audit[0]).toMatchObject({ action: 'reply', target: openid })
    expect(document.webhookFailures).toEqual([expect.objectContaining({ event: 'message.received', openid, status: 'failed' })])
    expect(document.webhookFailures[0]!.task).toContain(QUESTION)
    const exportLine = await rows("SELECT target FROM audit WHERE appid = ? AND action = 'user_export' AND target = ?", APPID, openid)
    expect(exportLine).toHaveLength(1)

    const deleted = await workerFetch(`/admin/api/users/${openid}`, { method: 'DELETE', headers: OWNER_AUTH })
    expect(deleted.status).toBe(200)
    expect(await deleted.json()).toMatchObject({ deleted: true, conversation: true, desk: true, media: 1 })
    // The export line named them: it stays, without them.
    expect(await held(openid)).toMatchObject({
      messages: [],
      conversations: [],
      subscriptions: [],
      campaignTargets: [],
      notes: [],
      audit: [],
      media: [],
      webhookFailures: [],
      ownQuestion: [],
      desk: null,
      deskRows: [],
    })
    const again = await workerFetch(`/admin/api/users/${openid}`, { method: 'DELETE', headers: OWNER_AUTH })
    expect(await again.json()).toMatchObject({ deleted: true, conversation: false, desk: false, rows: 0, media: 0 })
    // The other systems heard of the first deletion; the second found nothing and tells them nothing.
    await vi.waitFor(async () => expect(await deletedEvents(openid)).toHaveLength(1), { timeout: 10_000, interval: 100 })
    await quietQueue()
    expect(await deletedEvents(openid)).toHaveLength(1)
    // Nothing was sent to WeChat for any of it.
    expect(
      (await fakeWechat.calls({ path: '/cgi-bin/message/custom/send' })).some((call) => JSON.stringify(call.body).includes('删除')),
    ).toBe(false)
  })

  it('refuses an openid of the wrong shape', async () => {
    const res = await workerFetch('/admin/api/users/not-an-openid!/export', { headers: OWNER_AUTH })
    expect(res.status).toBe(400)
  })
})
