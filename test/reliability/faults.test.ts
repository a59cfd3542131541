/**
 * Faults of the WeChat API, injected per call by the fake, during real deliveries: pushes
 * through the Worker, the Conversation Durable Object, retries driven by its alarm.
 *
 * The invariant, checked for every planned reply against the fake's own record of calls:
 * it ends either delivered (exactly one call WeChat accepted, with its content) or failed
 * with a reason; none stays pending, none is lost, none is accepted twice. A call whose
 * answer never arrived (hang, reset, malformed answer) is "ambiguous": the fake did not act
 * on it, but WeChat might have, and then our retry would be a second send — those are
 * counted and reported, since custom/send has no idempotency key.
 */
import { env } from 'cloudflare:workers'
import { evictDurableObject, runDurableObjectAlarm } from 'cloudflare:test'
import fc from 'fast-check'
import { beforeAll, describe, expect, it as vitestIt, vi } from 'vitest'
import { buildPush, textMessage } from '../../dev/push'
import type { ConversationState } from '../../src/conversation/conversation'
import { fakeWechat, uniqueOpenid, type FakeCall, type FaultSpec } from '../support/fake-wechat-client'
import { pushOptions } from '../support/helpers'
import { APPID, watchSecrets } from '../support/hygiene'

const hygiene = watchSecrets('faults')
const it = (name: string, fn: () => Promise<void>) => vitestIt(name, fn, 90_000)
const SEND = '/cgi-bin/message/custom/send'
let msgIds = 8_200_000_000_000_000_000n
const nextMsgId = () => String(++msgIds)
/** Image rules, one URL each, so a fault on one image's download touches no other test. */
const IMAGES = ['flaky', 'missing', 'hang', 'reset'] as const
const imageUrl = (name: (typeof IMAGES)[number]) => fakeWechat.imageUrl(`faults-${name}`, name === 'missing' ? 'missing.png' : 'pic.png')

beforeAll(async () => {
  await env.RULES.put(
    'rules',
    JSON.stringify({
      rules: [
        {
          id: 'pair',
          when: { regex: '^pair (\\w+)$' },
          reply: [
            { type: 'text', text: '{{1}}/1' },
            { type: 'text', text: '{{1}}/2' },
          ],
        },
        ...IMAGES.map((name) => ({
          id: `img-${name}`,
          when: { text: [`img ${name}`] },
          reply: [
            { type: 'image', url: imageUrl(name) },
            { type: 'text', text: `after img ${name}` },
          ],
        })),
      ],
    }),
  )
})

const stub = (openid: string) => env.CONVERSATIONS.getByName(openid)

async function push(openid: string, content: string): Promise<void> {
  const { query, body } = await buildPush(textMessage(openid, content, nextMsgId()), await pushOptions('safe', 'xml'))
  const answer = await hygiene.fetch(`/wechat?${query}`, { method: 'POST', body })
  expect(answer.status).toBe(200)
  hygiene.count('pushes')
}

async function fault(openid: string, ...faults: Omit<FaultSpec, 'appid' | 'touser'>[]): Promise<void> {
  if (faults.length === 0) return
  await fakeWechat.fault(...faults.map((f) => ({ ...f, appid: APPID, touser: openid })))
  hygiene.count(
    'faultsInjected',
    faults.reduce((n, f) => n + (f.times ?? 1), 0),
  )
}

/** Drives retries with the alarm until nothing is pending; returns the final state. */
async function settle(openid: string, timeout = 30_000): Promise<ConversationState> {
  return vi.waitFor(
    async () => {
      await runDurableObjectAlarm(stub(openid))
      const state = await stub(openid).state()
      expect(state.outbound.length).toBeGreaterThan(0)
      expect(state.outbound.filter((row) => row.status === 'pending')).toEqual([])
      return state
    },
    { timeout, interval: 50 },
  )
}

interface Outcome {
  delivered: number
  failed: number
  ambiguous: number
  duplicates: number
}

const contentOf = (call: FakeCall): string | null => {
  const body = call.body as { text?: { content?: string }; image?: { media_id?: string } } | null
  return body?.text?.content ?? (body?.image ? 'image' : null)
}
/** WeChat took the send: answered 0, or carried it out and lost the answer. */
const accepted = (call: FakeCall) => (call.fault === null || call.fault === 'lost_answer') && call.errcode === 0
const lostAnswer = (call: FakeCall) => call.fault === 'lost_answer' && call.errcode === 0

/**
 * The invariant for one user: each planned reply is sent (and WeChat accepted exactly one
 * call carrying it) or failed with a reason (and WeChat accepted none).
 */
async function checkInvariant(openid: string, state: ConversationState, expected: string[]): Promise<Outcome> {
  const calls = await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })
  const rows = [...state.outbound].sort((a, b) => a.id - b.id)
  expect(rows).toHaveLength(expected.length)
  const outcome: Outcome = { delivered: 0, failed: 0, ambiguous: 0, duplicates: 0 }
  rows.forEach((row, i) => {
    const content = expected[i]!
    const mine = calls.filter((call) => contentOf(call) === content)
    const ok = mine.filter(accepted)
    outcome.ambiguous += mine.filter(
      (call) => call.fault === 'hang' || call.fault === 'reset' || call.fault === 'malformed' || call.fault === 'lost_answer',
    ).length
    // custom/send has no idempotency key: a send whose answer was lost is sent again, and
    // that is the only way a reply may reach the user twice.
    const lost = mine.filter(lostAnswer).length
    if (row.status === 'sent') {
      expect(ok, `${content} accepted once, plus once per lost answer`).toHaveLength(1 + lost)
      outcome.delivered++
    } else {
      expect(row.status).toBe('failed')
      expect(row.reason, `${content} failed with a reason`).toBeTruthy()
      // Only a send whose answer was lost can have reached the user of a failed reply.
      expect(ok).toHaveLength(lost)
      outcome.failed++
    }
    outcome.duplicates += Math.max(0, ok.length - 1)
  })
  hygiene.count('repliesDelivered', outcome.delivered)
  hygiene.count('repliesFailed', outcome.failed)
  hygiene.count('ambiguousCalls', outcome.ambiguous)
  hygiene.count('duplicateSends', outcome.duplicates)
  return outcome
}

describe('each fault kind on custom/send', () => {
  const cases: [string, Omit<FaultSpec, 'appid' | 'touser'>[], ('sent' | 'failed')[]][] = [
    ['-1 (system busy) twice', [{ path: SEND, kind: 'errcode', errcode: -1, times: 2 }], ['sent', 'sent']],
    ['HTTP 500 twice', [{ path: SEND, kind: 'http500', times: 2 }], ['sent', 'sent']],
    ['a hang past the time-out', [{ path: SEND, kind: 'hang' }], ['sent', 'sent']],
    ['connection reset twice', [{ path: SEND, kind: 'reset', times: 2 }], ['sent', 'sent']],
    ['a malformed JSON answer', [{ path: SEND, kind: 'malformed' }], ['sent', 'sent']],
    ['an accepted send whose answer is lost (sent twice: no idempotency key)', [{ path: SEND, kind: 'lost_answer' }], ['sent', 'sent']],
    [
      '45009 (daily quota) then 45011 (minute quota)',
      [
        { path: SEND, kind: 'errcode', errcode: 45009 },
        { path: SEND, kind: 'errcode', errcode: 45011 },
      ],
      ['sent', 'sent'],
    ],
    ['40003 (invalid openid), permanent', [{ path: SEND, kind: 'errcode', errcode: 40003 }], ['failed', 'sent']],
    ['40001 twice: the token refused even after a refresh', [{ path: SEND, kind: 'errcode', errcode: 40001, times: 2 }], ['sent', 'sent']],
  ]
  for (const [name, faults, statuses] of cases) {
    it(name, async () => {
      const openid = uniqueOpenid()
      const tag = `t${crypto.randomUUID().slice(0, 8)}`
      await fault(openid, ...faults)
      await push(openid, `pair ${tag}`)
      const state = await settle(openid)
      const outcome = await checkInvariant(openid, state, [`${tag}/1`, `${tag}/2`])
      const lostAnswers = faults.filter((f) => f.kind === 'lost_answer').reduce((n, f) => n + (f.times ?? 1), 0)
      expect(outcome.duplicates).toBe(lostAnswers)
      const rows = [...state.outbound].sort((a, b) => a.id - b.id)
      expect(rows.map((row) => row.status)).toEqual(statuses)
      const failed = rows.find((row) => row.status === 'failed')
      if (failed) expect(failed).toMatchObject({ errcode: 40003, reason: expect.stringContaining('40003') })
      // Every retry was logged with its reason, and none of them was an unexpected error.
      const retries = hygiene.events().filter((e) => e.event === 'reply.retry' && e.openid === openid)
      for (const retry of retries) expect(String(retry.reason)).toMatch(/^wechat: /)
    })
  }
})

describe('tokens and media', () => {
  it('a token invalidated mid-delivery is refreshed and every part delivered once', async () => {
    const openid = uniqueOpenid()
    const tag = `t${crypto.randomUUID().slice(0, 8)}`
    // Part 1 is refused once, so delivery pauses for its retry; meanwhile the token dies.
    await fault(openid, { path: SEND, kind: 'errcode', errcode: -1 })
    await push(openid, `pair ${tag}`)
    await vi.waitFor(async () => expect(await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).toHaveLength(1))
    await fakeWechat.expireTokens(APPID)
    hygiene.count('faultsInjected')
    const state = await settle(openid)
    await checkInvariant(openid, state, [`${tag}/1`, `${tag}/2`])
    expect(state.outbound.every((row) => row.status === 'sent')).toBe(true)
  })

  const mediaCases: [(typeof IMAGES)[number], Omit<FaultSpec, 'path'> | null, 'sent' | 'failed'][] = [
    ['flaky', { kind: 'http500', times: 2 }, 'sent'],
    ['hang', { kind: 'hang' }, 'sent'],
    ['reset', { kind: 'reset' }, 'sent'],
    ['missing', null, 'failed'],
  ]
  for (const [name, imageFault, status] of mediaCases) {
    it(`an image whose download fails (${name}) is ${status === 'sent' ? 'retried and delivered' : 'failed with the reason'}; the text after it is sent`, async () => {
      const openid = uniqueOpenid()
      if (imageFault) {
        await fakeWechat.imageFault(imageUrl(name), imageFault)
        hygiene.count('faultsInjected', imageFault.times ?? 1)
      }
      await push(openid, `img ${name}`)
      const state = await settle(openid)
      const rows = [...state.outbound].sort((a, b) => a.id - b.id)
      expect(rows.map((row) => row.status)).toEqual([status, 'sent'])
      await checkInvariant(openid, state, ['image', `after img ${name}`])
      if (status === 'failed') expect(rows[0]!.reason).toMatch(/image fetch.*404/)
    })
  }
})

describe('a Durable Object reset between record and delivery', () => {
  it('evicted while a send hangs: delivered once after the restart', async () => {
    const openid = uniqueOpenid()
    const tag = `t${crypto.randomUUID().slice(0, 8)}`
    await fault(openid, { path: SEND, kind: 'hang' })
    await push(openid, `pair ${tag}`)
    await vi.waitFor(async () => expect(await fakeWechat.calls({ appid: APPID, touser: openid, path: SEND })).toHaveLength(1))
    await evictDurableObject(stub(openid))
    hygiene.count('evictions')
    const state = await settle(openid)
    const outcome = await checkInvariant(openid, state, [`${tag}/1`, `${tag}/2`])
    expect(outcome.delivered).toBe(2)
  })

  it('evicted right after the push was answered: nothing lost', async () => {
    for (let i = 0; i < 5; i++) {
      const openid = uniqueOpenid()
      const tag = `t${crypto.randomUUID().slice(0, 8)}`
      await push(openid, `pair ${tag}`)
      await evictDurableObject(stub(openid))
      hygiene.count('evictions')
      const state = await settle(openid)
      expect((await checkInvariant(openid, state, [`${tag}/1`, `${tag}/2`])).delivered).toBe(2)
    }
  })
})

describe('random fault sequences, many users at once', () => {
  const FAULTS: fc.Arbitrary<Omit<FaultSpec, 'appid' | 'touser'>> = fc.oneof(
    fc.constantFrom(-1, 45009, 45011, 40001, 42001).map((errcode) => ({ path: SEND, kind: 'errcode' as const, errcode })),
    fc.constantFrom(40003, 45015, 45047, 47001, 48001).map((errcode) => ({ path: SEND, kind: 'errcode' as const, errcode })),
    fc.constant({ path: SEND, kind: 'http500' as const }),
    fc.constant({ path: SEND, kind: 'reset' as const }),
    fc.constant({ path: SEND, kind: 'malformed' as const }),
    fc.constant({ path: SEND, kind: 'lost_answer' as const }),
    { arbitrary: fc.constant({ path: SEND, kind: 'hang' as const }), weight: 1 },
  )
  // At most one hang per user: each costs the client's whole time-out.
  const plan = fc.array(FAULTS, { maxLength: 5 }).filter((faults) => faults.filter((f) => f.kind === 'hang').length <= 1)

  it('every planned reply ends delivered once or failed with a reason', async () => {
    let users = 0
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(plan, fc.boolean()), { minLength: 12, maxLength: 12 }), async (userPlans) => {
        await Promise.all(
          userPlans.map(async ([faults, evict]) => {
            const openid = uniqueOpenid()
            const tag = `t${crypto.randomUUID().slice(0, 8)}`
            await fault(openid, ...faults)
            await push(openid, `pair ${tag}`)
            if (evict) {
              await evictDurableObject(stub(openid))
              hygiene.count('evictions')
            }
            const state = await settle(openid, 60_000)
            await checkInvariant(openid, state, [`${tag}/1`, `${tag}/2`])
            users++
          }),
        )
      }),
      { numRuns: 4 },
    )
    hygiene.count('randomFaultUsers', users)
    expect(users).toBe(48)
  })
})
