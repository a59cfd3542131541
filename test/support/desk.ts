/**
 * The human desk's tests (test/desk/): pushes through the Worker's app with HUMAN_DESK =
 * console (or the default, wechat), admin API calls with an operator's token, the Desk
 * object of the test app, and the texts the fake WeChat API accepted. Each file puts its
 * own rule set (DESK_RULES, or its own) in KV before anything loads the rules.
 */
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { expect, vi } from 'vitest'
import { buildPush, textMessage } from '../../dev/push'
import { app } from '../../src/app'
import type { AgentFigures, DeskItem, QueueView } from '../../src/desk/view'
import { fakeWechat } from './fake-wechat-client'
import { BASE, keepAnswer, workerFetch } from './helpers'
import { consoleForm, OWNER_AUTH, type TestOperator } from './operators'
import { TEST_SETTINGS } from './settings'

export const APPID = TEST_SETTINGS.WECHAT_APPID
export const SEND = '/cgi-bin/message/custom/send'
export const TRANSFER_TEXT = '正在为您转接人工客服'
export const HANDOFF_TEXT = '稍等，人工客服马上就来'
export const RATE_TEXT = '请为本次服务打分（1–5）'

export const DESK_RULES = {
  handoff: { after_unmatched: 2, text: HANDOFF_TEXT },
  satisfaction: { enabled: true, text: RATE_TEXT, minutes: 30, thanks: '谢谢！' },
  rules: [
    { id: 'human', when: { text: ['人工'] }, reply: [{ type: 'text', text: TRANSFER_TEXT }, { type: 'transfer' }] },
    { id: 'hi', when: { text: ['hi'] }, reply: { type: 'text', text: 'hello' } },
  ],
}

export type Mode = 'console' | 'wechat'

let msgIds = 7_900_000_000_000_000_000n

/**
 * A plaintext push of a text from `openid`, as WeChat sends it, to the Worker with HUMAN_DESK
 * = `mode`. `settle` waits for the route's waitUntil (the desk shown a queued user's push).
 */
export async function pushText(openid: string, content: string, mode: Mode = 'console', settle = true) {
  const { query, body } = await buildPush(textMessage(openid, content, String(++msgIds)), {
    token: TEST_SETTINGS.WECHAT_TOKEN,
    mode: 'plaintext',
    format: 'xml',
  })
  const ctx = createExecutionContext()
  const res = await app.fetch(
    new Request(`${BASE}/wechat?${query}`, { method: 'POST', body }),
    { ...env, WECHAT_PUSH_MODE: 'plaintext', ...(mode === 'console' ? { HUMAN_DESK: 'console' } : {}) },
    ctx,
  )
  const text = await res.text()
  keepAnswer(text)
  const settled = waitOnExecutionContext(ctx)
  if (settle) await settled
  return { status: res.status, text, settled }
}

export interface Answer<T> {
  status: number
  body: T
}

/** An admin API call with `auth` (the owner's token unless given). */
export async function api<T = Record<string, unknown>>(
  path: string,
  options: { auth?: { authorization: string }; method?: string; json?: unknown } = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { ...(options.auth ?? OWNER_AUTH) }
  if (options.json !== undefined) headers['content-type'] = 'application/json'
  const res = await workerFetch(path, {
    method: options.method ?? (options.json === undefined ? 'GET' : 'POST'),
    headers,
    ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
  })
  const text = await res.text()
  keepAnswer(text)
  let body: unknown = text === '' ? null : text
  try {
    body = JSON.parse(text)
  } catch {
    // A plain-text answer (a 500's "internal error") is kept as the text.
  }
  return { status: res.status, body: body as T }
}

/** A desk move over the admin API, as `who` (the owner when null). */
export const act = (who: TestOperator | null, openid: string, move: 'claim' | 'release' | 'close' | 'transfer', to?: string) =>
  api<{ item?: DeskItem; error?: string; holder?: { id: string; name: string } }>(`/admin/api/conversations/${openid}/${move}`, {
    method: 'POST',
    ...(who ? { auth: who.auth } : {}),
    ...(to === undefined ? {} : { json: { to } }),
  })

/** A reply by hand over the admin API, as `who` (the owner when null). */
export const reply = (who: TestOperator | null, openid: string, text: string) =>
  api<{ outcome?: { status: string }; error?: string; holder?: { id: string; name: string } }>(`/admin/api/conversations/${openid}/reply`, {
    ...(who ? { auth: who.auth } : {}),
    json: { type: 'text', text },
  })

export const desk = () => env.DESK.getByName(APPID)

/** The queue as the Desk object has it (its `view`, over RPC as the routes call it). */
export async function queue(): Promise<QueueView> {
  return desk().view()
}

export const itemOf = async (openid: string) => (await queue()).items.find((item) => item.openid === openid)

/** The texts WeChat accepted for the user once `count` sends succeeded. */
export async function sentTexts(openid: string, count: number): Promise<string[]> {
  return vi.waitFor(
    async () => {
      const ok = (await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).filter((call) => call.errcode === 0)
      expect(ok).toHaveLength(count)
      return ok.map((call) => (call.body as { text?: { content?: string } }).text?.content ?? '')
    },
    { timeout: 5000, interval: 25 },
  )
}

/** Nothing more reaches WeChat for the user than `count` sends (after a moment for any to come). */
export async function stillSent(openid: string, count: number) {
  await new Promise((resolve) => setTimeout(resolve, 300))
  const ok = (await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).filter((call) => call.errcode === 0)
  expect(ok).toHaveLength(count)
}

/** The agent's figures over the last day, from the admin API (undefined: they handled nothing). */
export const figuresOf = async (who: TestOperator) =>
  (await api<{ agents: AgentFigures[] }>('/admin/api/desk/figures?days=1')).body.agents.find((row) => row.agent.id === who.id)

export async function setStatus(who: TestOperator, status: 'online' | 'away') {
  const answer = await api<{ agents: { id: string; status: string }[] }>('/admin/api/desk/status', {
    method: 'PUT',
    auth: who.auth,
    json: { status },
  })
  expect(answer.status).toBe(200)
  expect(answer.body.agents).toContainEqual(expect.objectContaining({ id: who.id, status }))
}

/** A console form post as the signed-in `cookie`: the answer's status and where it sends the browser. */
export async function consolePost(cookie: string, path: string, fields: Record<string, string> = {}) {
  const res = await workerFetch(path, consoleForm(fields, { cookie }))
  const text = await res.text()
  keepAnswer(text)
  const location = res.headers.get('location')
  const to = location === null ? null : new URL(location, BASE)
  return { status: res.status, text, path: to?.pathname ?? null, query: to ? Object.fromEntries(to.searchParams) : {} }
}

/** A console page as the signed-in `cookie`. */
export async function consoleGet(cookie: string, path: string) {
  const res = await workerFetch(path, { headers: { cookie } })
  const text = await res.text()
  keepAnswer(text)
  return { status: res.status, text }
}

/** The user's conversation page, once the record has them. */
export async function conversationPage(cookie: string, openid: string): Promise<string> {
  return vi.waitFor(
    async () => {
      const page = await consoleGet(cookie, `/admin/conversations/${openid}`)
      expect(page.status).toBe(200)
      return page.text
    },
    { timeout: 5000, interval: 50 },
  )
}
