/**
 * Delivery faults: a receiver that answers 500 gets the event again with the same delivery id
 * (the queue's retries, driven here batch by batch); one that keeps failing is recorded in D1,
 * shown on the console's webhooks page, and sent again by its retry button; a replayed body
 * is detectable by the receiver. The retention of what is recorded.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { describe, expect, it, vi } from 'vitest'
import worker from '../../src/index'
import { taskOf, type QueuedDelivery, type WebhookTask } from '../../src/webhooks/events'
import { WEBHOOK_ATTEMPTS } from '../../src/webhooks/deliver'
import { listFailures, pruneFailures, readFailure, run } from '../../src/webhooks/store'
import { uniqueOpenid } from '../support/fake-wechat-client'
import { BASE, captureLogs, workerFetch } from '../support/helpers'
import { addTestOperator, consoleForm, consoleSession } from '../support/operators'
import { TEST_SETTINGS } from '../support/settings'
import { bodyOf, failNext, received, receivedFor, scopeUrl, verify } from '../support/webhook-receiver'

const APPID = TEST_SETTINGS.WECHAT_APPID
const SECRET = TEST_SETTINGS.WEBHOOK_SECRET
const logs = captureLogs()

const newScope = () => `t${crypto.randomUUID().replaceAll('-', '')}`
const handoffTask = (openid: string): WebhookTask =>
  taskOf(APPID, { event: 'handoff', data: { openid, msg_id: null, reason: 'transfer', desk: 'wechat', rule_id: 'to-human' } }, Date.now())

let deliveries = 0
/** One delivery of the message by the queue, on this attempt, to the receiver at `url`. */
async function deliver(message: QueuedDelivery, attempts: number, url: string) {
  const batch = createMessageBatch<QueuedDelivery>('kefu-edge-webhooks', [
    { id: `webhook-${++deliveries}`, timestamp: new Date(), attempts, body: message },
  ])
  const ctx = createExecutionContext()
  await worker.queue(batch, { ...env, WEBHOOK_URL: url })
  return getQueueResult(batch, ctx)
}

describe('a receiver that fails', () => {
  it('answers 500 twice: the third attempt gets the same delivery id, and it is delivered', async () => {
    const scope = newScope()
    await failNext(scope, 2)
    const message = { task: handoffTask(uniqueOpenid()) }

    const first = await deliver(message, 1, scopeUrl(scope))
    expect(first.retryMessages).toHaveLength(1)
    const second = await deliver(message, 2, scopeUrl(scope))
    expect(second.retryMessages).toHaveLength(1)
    const third = await deliver(message, 3, scopeUrl(scope))
    expect(third.retryMessages).toEqual([])
    expect(third.explicitAcks).toHaveLength(1)

    const got = await received(scope)
    expect(got.map((d) => d.status)).toEqual([500, 500, 200])
    expect(new Set(got.map((d) => d.delivery))).toEqual(new Set([message.task.id]))
    expect(new Set(got.map((d) => bodyOf(d).id))).toEqual(new Set([message.task.id]))
    // Each attempt is signed as it left; the receiver takes the first that gets through.
    const seen = new Set<string>()
    expect(await verify(got[2]!, SECRET, seen)).toBe('ok')
    for (const attempt of got) expect(attempt.signature).toBe(`sha256=${await hmac(attempt.body)}`)
    // Retried later each time (the queue waits delaySeconds).
    const retries = logs.events().filter((e) => e.event === 'webhook.retry' && e.deliveryId === message.task.id)
    expect(retries.map((e) => [e.status, e.retryInSeconds])).toEqual([
      [500, 10],
      [500, 30],
    ])
    expect(await readFailure(env.DB, APPID, message.task.id)).toBeNull()
  })

  it('a replayed delivery is detectable: the same id, and a timestamp inside the signed body', async () => {
    const scope = newScope()
    const message = { task: handoffTask(uniqueOpenid()) }
    await deliver(message, 1, scopeUrl(scope))
    const [original] = await received(scope)
    const seen = new Set<string>()
    expect(await verify(original!, SECRET, seen)).toBe('ok')
    // The same bytes again, at once: the id was seen.
    expect(await verify(original!, SECRET, seen)).toBe('replayed')
    // Later, to a receiver that forgot its ids: the signed timestamp is too old.
    expect(await verify(original!, SECRET, new Set(), bodyOf(original!).timestamp + 6 * 60_000)).toBe('stale')
    // A newer timestamp cannot be put in without the secret.
    const moved = original!.body.replace(`"timestamp":${bodyOf(original!).timestamp}`, `"timestamp":${Date.now() + 60_000}`)
    expect(await verify({ ...original!, body: moved }, SECRET, new Set())).toBe('bad_signature')
  })

  it('keeps failing: recorded after the last attempt, shown in the console, and its retry sends the same id again', async () => {
    const scope = newScope()
    const openid = uniqueOpenid()
    await failNext(scope, 1)
    const message = { task: handoffTask(openid) }
    const last = await deliver(message, WEBHOOK_ATTEMPTS, scopeUrl(scope))
    expect(last.retryMessages).toEqual([])
    expect(last.explicitAcks).toHaveLength(1)
    const row = await readFailure(env.DB, APPID, message.task.id)
    expect(row).toMatchObject({
      event: 'handoff',
      openid,
      status: 'failed',
      attempts: WEBHOOK_ATTEMPTS,
      last_status: 500,
      last_reason: 'the receiver answered HTTP 500',
    })
    expect(JSON.parse(row!.task)).toEqual(message.task)

    // An admin sees it, with its event, attempts and last status, and a retry button.
    const admin = await addTestOperator('admin')
    const cookie = await consoleSession(admin.token)
    const page = await workerFetch('/admin/webhooks', { headers: { cookie } })
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain(`data-delivery-id="${message.task.id}"`)
    expect(html).toContain('HTTP 500')
    expect(html).toContain(`action="/admin/webhooks/${message.task.id}/retry"`)

    // Retry: queued again (the real queue, the test Worker's WEBHOOK_URL), the same id.
    const retried = await workerFetch(`/admin/webhooks/${message.task.id}/retry`, consoleForm({}, { cookie }))
    expect(retried.status).toBe(303)
    expect(retried.headers.get('location')).toBe('/admin/webhooks?done=retried')
    expect(await readFailure(env.DB, APPID, message.task.id)).toMatchObject({ status: 'retrying', retried_by: admin.id })
    await vi.waitFor(async () => expect((await receivedFor(openid)).map((d) => d.delivery)).toEqual([message.task.id]), {
      timeout: 15_000,
      interval: 100,
    })
    expect(await verify((await receivedFor(openid))[0]!, SECRET, new Set())).toBe('ok')
    // Delivered: the row goes.
    await vi.waitFor(async () => expect(await readFailure(env.DB, APPID, message.task.id)).toBeNull(), { timeout: 5_000 })
    const audit = await env.DB.prepare("SELECT operator_id, target FROM audit WHERE action = 'webhook_retry' AND target = ?")
      .bind(message.task.id)
      .first()
    expect(audit).toEqual({ operator_id: admin.id, target: message.task.id })
  })

  it('a retry that fails again is recorded again, its attempts added up', async () => {
    const scope = newScope()
    await failNext(scope, 2)
    const task = handoffTask(uniqueOpenid())
    await deliver({ task }, WEBHOOK_ATTEMPTS, scopeUrl(scope))
    await deliver({ task, before: WEBHOOK_ATTEMPTS }, WEBHOOK_ATTEMPTS, scopeUrl(scope))
    expect(await readFailure(env.DB, APPID, task.id)).toMatchObject({ status: 'failed', attempts: 2 * WEBHOOK_ATTEMPTS })
  })

  it('no answer at all (nothing listening) is a failure with its reason, retried', async () => {
    // workerd prints an "uncaught exception … Network connection lost" for any fetch to a closed port, caught or not.
    const task = handoffTask(uniqueOpenid())
    const result = await deliver({ task }, 1, 'http://127.0.0.1:9/hooks/nobody')
    expect(result.retryMessages).toHaveLength(1)
    expect(logs.events().find((e) => e.event === 'webhook.retry' && e.deliveryId === task.id)).toMatchObject({ status: null })
  })

  it('a missing WEBHOOK_SECRET is a failure naming the setting, never a crash', async () => {
    const task = handoffTask(uniqueOpenid())
    const batch = createMessageBatch<QueuedDelivery>('kefu-edge-webhooks', [
      { id: 'no-secret', timestamp: new Date(), attempts: WEBHOOK_ATTEMPTS, body: { task } },
    ])
    const ctx = createExecutionContext()
    await worker.queue(batch, { ...env, WEBHOOK_SECRET: '' })
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1)
    expect(await readFailure(env.DB, APPID, task.id)).toMatchObject({ last_status: null, last_reason: 'WEBHOOK_SECRET is not set' })
  })
})

describe('the console page', () => {
  it('a viewer or an agent is refused; a bad id is a 400', async () => {
    for (const role of ['viewer', 'agent'] as const) {
      const cookie = await consoleSession((await addTestOperator(role)).token)
      expect((await workerFetch('/admin/webhooks', { headers: { cookie } })).status).toBe(403)
      expect((await workerFetch('/admin/webhooks/wh-00000000-0000-4000-8000-000000000000/retry', consoleForm({}, { cookie }))).status).toBe(
        403,
      )
    }
    const cookie = await consoleSession((await addTestOperator('owner')).token)
    expect((await workerFetch('/admin/webhooks/nope/retry', consoleForm({}, { cookie }))).status).toBe(400)
    const missing = await workerFetch('/admin/webhooks/wh-00000000-0000-4000-8000-000000000000/retry', consoleForm({}, { cookie }))
    expect(missing.headers.get('location')).toBe('/admin/webhooks?problem=not_found')
    const en = await workerFetch(`${BASE}/admin/webhooks?lang=en`, { headers: { cookie } })
    expect(await en.text()).toContain('Webhooks are on')
  })
})

describe('retention', () => {
  it('rows go once they last failed before the cut-off', async () => {
    const scope = newScope()
    await failNext(scope, 1)
    const task = handoffTask(uniqueOpenid())
    await deliver({ task }, WEBHOOK_ATTEMPTS, scopeUrl(scope))
    expect((await listFailures(env.DB, APPID, 100)).some((r) => r.id === task.id)).toBe(true)
    await run(env.DB, pruneFailures(Date.now() + 1))
    expect(await readFailure(env.DB, APPID, task.id)).toBeNull()
  })
})

async function hmac(body: string): Promise<string> {
  const { hmacHex } = await import('../../src/webhooks/sign')
  return hmacHex(SECRET, body)
}

describe('the admin API', () => {
  it('lists the deliveries given up on and retries one by id; an unknown or malformed id is a 4xx', async () => {
    const scope = newScope()
    await failNext(scope, 1)
    const task = handoffTask(uniqueOpenid())
    await deliver({ task }, WEBHOOK_ATTEMPTS, scopeUrl(scope))
    const auth = { authorization: `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}` }
    const list = await workerFetch('/admin/api/webhooks/failed', { headers: auth })
    expect(list.status).toBe(200)
    const { items } = (await list.json()) as { items: { id: string; lastStatus: number | null; attempts: number }[] }
    expect(items.find((i) => i.id === task.id)).toMatchObject({ lastStatus: 500, attempts: WEBHOOK_ATTEMPTS })
    const retry = await workerFetch(`/admin/api/webhooks/${task.id}/retry`, { method: 'POST', headers: auth })
    expect(retry.status).toBe(202)
    expect(await retry.json()).toEqual({ id: task.id, status: 'retrying' })
    expect((await workerFetch('/admin/api/webhooks/nope/retry', { method: 'POST', headers: auth })).status).toBe(400)
    const unknown = await workerFetch('/admin/api/webhooks/wh-00000000-0000-4000-8000-000000000001/retry', {
      method: 'POST',
      headers: auth,
    })
    expect(unknown.status).toBe(404)
  })

  it('queues a delivery again once: a repeat with the same Idempotency-Key replays the answer, one already retrying is a 409', async () => {
    const scope = newScope()
    await failNext(scope, 1)
    const task = handoffTask(uniqueOpenid())
    await deliver({ task }, WEBHOOK_ATTEMPTS, scopeUrl(scope))
    const headers = { authorization: `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}`, 'idempotency-key': crypto.randomUUID() }
    const first = await workerFetch(`/admin/api/webhooks/${task.id}/retry`, { method: 'POST', headers })
    expect(first.status).toBe(202)
    const repeat = await workerFetch(`/admin/api/webhooks/${task.id}/retry`, { method: 'POST', headers })
    expect(repeat.status).toBe(202)
    expect(repeat.headers.get('idempotent-replayed')).toBe('true')
    // Without a key, a row still retrying (delivered or not yet) is not queued a second time.
    await env.DB.prepare("UPDATE webhook_failures SET status = 'retrying' WHERE appid = ? AND id = ?").bind(APPID, task.id).run()
    const again = await workerFetch(`/admin/api/webhooks/${task.id}/retry`, {
      method: 'POST',
      headers: { authorization: headers.authorization },
    })
    expect(again.status).toBe(409)
    expect(await again.json()).toEqual({ error: 'retrying' })
    const audits = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit WHERE action = 'webhook_retry' AND target = ?")
      .bind(task.id)
      .first<{ n: number }>()
    expect(audits?.n).toBe(1)
  })
})
