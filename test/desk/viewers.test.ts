/**
 * A console's live channel is checked again while it is open (desk/viewers.ts): once a
 * socket's last check is older than RECHECK_MS, the next change asks whether its session is
 * still open and its operator still there — a removed operator's or a signed-out session's
 * socket is closed and gets nothing more, while the others still get every change.
 */
import { runInDurableObject } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import type { DeskEvent } from '../../src/desk/view'
import type { Viewer } from '../../src/desk/viewers'
import { api, consolePost, desk, DESK_RULES, pushText } from '../support/desk'
import { uniqueOpenid } from '../support/fake-wechat-client'
import { BASE, workerFetch } from '../support/helpers'
import { addTestOperator, consoleSession } from '../support/operators'
import { TEST_SETTINGS } from '../support/settings'

beforeAll(async () => {
  await env.RULES.put('rules', JSON.stringify(DESK_RULES))
})

interface Watch {
  socket: WebSocket
  events: DeskEvent[]
  closed: Promise<number>
}

/** The console's live channel, opened through its route with the session `cookie`. */
async function watch(cookie: string): Promise<Watch> {
  const res = await workerFetch('/admin/queue/live', { headers: { upgrade: 'websocket', cookie, origin: BASE } })
  expect(res.status).toBe(101)
  const socket = res.webSocket!
  const events: DeskEvent[] = []
  socket.addEventListener('message', (event) => {
    if (typeof event.data === 'string' && event.data !== 'pong') events.push(JSON.parse(event.data) as DeskEvent)
  })
  const closed = new Promise<number>((resolve) => socket.addEventListener('close', (event) => resolve(event.code)))
  socket.accept()
  await vi.waitFor(() => expect(events.length).toBeGreaterThan(0), { timeout: 2000, interval: 10 })
  return { socket, events, closed }
}

const shows = (w: Watch, openid: string) => w.events.some((e) => e.type === 'queue' && e.items.some((item) => item.openid === openid))

/** Every socket's last check as if it were long ago: the next change asks again. */
const age = () =>
  runInDurableObject(desk(), (_instance, state) => {
    for (const socket of state.getWebSockets()) socket.serializeAttachment({ ...(socket.deserializeAttachment() as Viewer), checkedAt: 0 })
  })

describe('live sockets and sign-in', () => {
  it("a removed operator's socket is closed at the next change after the recheck, and gets nothing more", async () => {
    const agent = await addTestOperator('agent')
    const [theirs, owners] = await Promise.all([
      consoleSession(agent.token).then(watch),
      consoleSession(TEST_SETTINGS.ADMIN_TOKEN).then(watch),
    ])
    try {
      const before = uniqueOpenid()
      await pushText(before, '人工')
      await vi.waitFor(() => expect(shows(theirs, before)).toBe(true), { timeout: 2000, interval: 10 })

      expect((await api(`/admin/api/operators/${agent.id}`, { method: 'DELETE' })).status).toBe(204)
      await age()
      const after = uniqueOpenid()
      await pushText(after, '人工')
      expect(await theirs.closed).toBe(1008)
      await vi.waitFor(() => expect(shows(owners, after)).toBe(true), { timeout: 2000, interval: 10 })
      expect(shows(theirs, after)).toBe(false)
    } finally {
      owners.socket.close(1000, 'done')
    }
  })

  it("a signed-out session's socket is closed; the same operator's other session keeps watching", async () => {
    const agent = await addTestOperator('agent')
    const [firstCookie, secondCookie] = await Promise.all([consoleSession(agent.token), consoleSession(agent.token)])
    const [first, second] = await Promise.all([watch(firstCookie), watch(secondCookie)])
    try {
      expect((await consolePost(firstCookie, '/admin/logout')).status).toBe(303)
      await age()
      const openid = uniqueOpenid()
      await pushText(openid, '人工')
      expect(await first.closed).toBe(1008)
      await vi.waitFor(() => expect(shows(second, openid)).toBe(true), { timeout: 2000, interval: 10 })
      expect(shows(first, openid)).toBe(false)
    } finally {
      second.socket.close(1000, 'done')
    }
  })
})
