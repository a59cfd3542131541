/**
 * `npm run doctor`'s test push, from the reserved openid: verified, decrypted, parsed and
 * recorded like any push (its Conversation object and the D1 record have it), but no rule
 * runs and nothing reaches the WeChat API — while the same text from a user is answered.
 * It is no user's: the list of conversations and the stats leave it out, while the doctor
 * still finds it in its own conversation. A doctor push that is not signed with the Token is
 * refused like any other and leaves nothing.
 */
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { textMessage } from '../../dev/push'
import type { ConversationState } from '../../src/conversation/contract'
import type { ConversationView, MessageView, Page, Stats } from '../../src/record/views'
import { DOCTOR_KIND, DOCTOR_OPENID } from '../../src/doctor'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { captureLogs, keepAnswer, push, workerFetch } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'

const logs = captureLogs()
const AUTH = { authorization: `Bearer ${TEST_SETTINGS.ADMIN_TOKEN}` }
const SEND = '/cgi-bin/message/custom/send'
let msgIds = 9_400_000_000_000_000_000n
const nextMsgId = () => String(++msgIds)

beforeAll(async () => {
  // Every text would be answered: by the rule, or else by the default reply.
  await env.RULES.put(
    'rules',
    JSON.stringify({
      rules: [{ id: 'doctor-word', when: { contains: ['doctor'] }, reply: { type: 'text', text: 'a rule answered' } }],
      default: { type: 'text', text: 'the default answered' },
    }),
  )
})

async function admin<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await workerFetch(path, { headers: AUTH })
  const text = await res.text()
  keepAnswer(text)
  return { status: res.status, body: JSON.parse(text) as T }
}

const objectState = async () => (await admin<ConversationState>(`/admin/api/conversations/${DOCTOR_OPENID}/state`)).body

async function recordedInD1(msgId: string): Promise<MessageView> {
  return vi.waitFor(
    async () => {
      const { status, body } = await admin<{ messages: { items: MessageView[] } }>(`/admin/api/conversations/${DOCTOR_OPENID}`)
      expect(status).toBe(200)
      const row = body.messages.items.find((m) => m.id === `msg:${msgId}`)
      expect(row).toBeDefined()
      return row as MessageView
    },
    { timeout: 5000, interval: 50 },
  )
}

describe('the doctor push', () => {
  for (const [mode, format] of [
    ['safe', 'xml'],
    ['compatible', 'json'],
    ['plaintext', 'xml'],
  ] as const) {
    it(`${mode} ${format}: accepted, recorded, and answered by nothing`, async () => {
      const msgId = nextMsgId()
      const res = await push(textMessage(DOCTOR_OPENID, 'kefu-edge doctor', msgId), mode, format)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('success')

      const events = logs.events()
      expect(events.find((e) => e.event === 'push.doctor')).toMatchObject({
        openid: DOCTOR_OPENID,
        msgId,
        format,
        encrypted: mode !== 'plaintext',
        duplicate: false,
      })
      expect(events.filter((e) => e.event === 'push.received')).toEqual([])

      // The user's object has it as it is: no rule, nothing planned, no window opened.
      const state = await objectState()
      expect(state.inbound.find((m) => m.msgId === msgId)).toMatchObject({ kind: DOCTOR_KIND, ruleId: null })
      expect(state.outbound).toEqual([])
      expect(state.window.open).toBe(false)

      // The D1 record too, after the answer; not as an unmatched question.
      expect(await recordedInD1(msgId)).toMatchObject({ direction: 'in', kind: DOCTOR_KIND, ruleId: null, unmatched: false })
      // The copy to D1 comes after the (empty) delivery pass: by now anything sent was sent.
      expect(await fakeWechat.calls({ touser: DOCTOR_OPENID })).toEqual([])
    })
  }

  it('is in no list of conversations and no count of the stats', async () => {
    // Before any user's push of this file: nothing else is on its way to D1.
    const stats = async () => (await admin<Stats>('/admin/api/stats?days=1')).body
    const before = await stats()
    const msgId = nextMsgId()
    expect((await push(textMessage(DOCTOR_OPENID, 'kefu-edge doctor', msgId))).status).toBe(200)
    // Where the doctor looks, it is there.
    await recordedInD1(msgId)

    for (const filter of ['', '&filter=open', '&filter=unmatched', '&filter=failed']) {
      const { status, body } = await admin<Page<ConversationView>>(`/admin/api/conversations?limit=200${filter}`)
      expect(status).toBe(200)
      expect(body.items.map((c) => c.openid)).not.toContain(DOCTOR_OPENID)
    }
    const after = await stats()
    expect(after.daily).toEqual(before.daily)
    expect(after.unmatched).toEqual(before.unmatched)
  })

  it('the same text from a user is answered by the rules (the silence is the doctor push’s own)', async () => {
    const openid = uniqueOpenid()
    expect((await push(textMessage(openid, 'kefu-edge doctor', nextMsgId()))).status).toBe(200)
    await vi.waitFor(async () => expect(await fakeWechat.calls({ touser: openid, path: SEND })).toHaveLength(1), {
      timeout: 5000,
      interval: 50,
    })
  })

  it('a repeat is a duplicate: still success, nothing new', async () => {
    const msgId = nextMsgId()
    const message = textMessage(DOCTOR_OPENID, 'kefu-edge doctor', msgId)
    expect((await push(message)).status).toBe(200)
    const res = await push(message)
    expect(await res.text()).toBe('success')
    expect(
      logs
        .events()
        .filter((e) => e.event === 'push.doctor')
        .map((e) => e.duplicate),
    ).toEqual([false, true])
    expect((await objectState()).inbound.filter((m) => m.msgId === msgId)).toHaveLength(1)
  })

  it('still needs the Token: a doctor push signed with another is refused and leaves nothing', async () => {
    const msgId = nextMsgId()
    const res = await push(textMessage(DOCTOR_OPENID, 'kefu-edge doctor', msgId), 'safe', 'xml', { token: 'notTheWorkersToken' })
    expect(res.status).toBe(401)
    expect(await res.text()).toBe('bad msg_signature')
    expect(logs.events().filter((e) => e.event === 'push.doctor')).toEqual([])
    expect((await objectState()).inbound.filter((m) => m.msgId === msgId)).toEqual([])
    expect(await fakeWechat.calls({ touser: DOCTOR_OPENID })).toEqual([])
  })
})
