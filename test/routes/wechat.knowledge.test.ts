/**
 * FAQ first (issue 27), end to end: a push through the Worker's fetch, rules from real KV, the
 * knowledge base in real D1, the Conversation object, the D1 record, and the strict fake WeChat
 * API. The first app answers from its knowledge base (`ai` enabled, threshold 0.6); the second
 * has the same rules and entries with `ai` off.
 */
import { env, exports } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { buildPush, textMessage } from '../../dev/push'
import { addKnowledge } from '../../src/knowledge/store'
import { search } from '../../src/knowledge/search'
import { importCipher } from '../../src/wechat/cipher'
import type { FlatFields } from '../../src/wechat/message'
import { fakeWechat, uniqueOpenid } from '../support/fake-wechat-client'
import { captureLogs } from '../support/helpers'
import { SECOND_APP, TEST_SETTINGS } from '../support/settings'

const A = TEST_SETTINGS.WECHAT_APPID
const B = SECOND_APP.appid
const SEND = '/cgi-bin/message/custom/send'
const logs = captureLogs()
let msgIds = 7_700_000_000_000_000_000n

const KEYS: Record<string, { token: string; aesKey: string }> = {
  [A]: { token: TEST_SETTINGS.WECHAT_TOKEN, aesKey: TEST_SETTINGS.WECHAT_ENCODING_AES_KEY },
  [B]: { token: SECOND_APP.token, aesKey: SECOND_APP.aesKey },
}

const RETURNS = '签收后多久还能退货'
const RETURNS_ANSWER = '签收后 7 天内可申请无理由退货，在「我的订单」里点「申请售后」。'
const DEFAULT = '您好，回复 1 下载 App'
/** The FAQ entries' ids, per app. */
const ids: Record<string, { returns: string; invoice: string; card: string }> = {}

function ruleSet(ai: Record<string, unknown>): string {
  return JSON.stringify({
    ai,
    handoff: { after_unmatched: 2, text: '正在为您转接人工客服' },
    rules: [
      // A rule that also matches the FAQ's words: the operator's rules win.
      { id: 'refund-rule', when: { contains: ['退款'] }, reply: { type: 'text', text: '退款请联系客服' } },
      { id: 'download', when: { text: ['1'] }, reply: { type: 'text', text: '下载链接' } },
    ],
    default: { type: 'text', text: DEFAULT },
  })
}

beforeAll(async () => {
  // The model (the tests' stand-in) is asked only for passages scoring 0.95 or more: this file
  // is about the FAQ; test/routes/wechat.ai.test.ts takes the model's turn.
  await env.RULES.put('rules', ruleSet({ enabled: true, faq_threshold: 0.6, passage_threshold: 0.95 }))
  await env.RULES.put(`app:${B}:rules`, ruleSet({ enabled: false, faq_threshold: 0.6 }))
  for (const appid of [A, B]) {
    const returns = await addKnowledge(env.DB, appid, {
      kind: 'faq',
      question: RETURNS,
      variants: ['收到货后还能退吗', '退款多久到账'],
      answer: RETURNS_ANSWER,
    })
    const invoice = await addKnowledge(env.DB, appid, {
      kind: 'faq',
      question: '发票抬头写错了怎么办',
      variants: [],
      answer: [
        { type: 'text', text: '发票抬头写错可以重开：' },
        {
          type: 'link',
          title: '重开发票',
          description: '填写正确的抬头',
          url: 'https://example.com/invoice',
          thumb_url: 'https://example.com/t.png',
        },
      ],
    })
    const card = await addKnowledge(env.DB, appid, {
      kind: 'faq',
      question: '会员卡怎么激活',
      variants: [],
      answer: '在「我的」里点「会员卡」激活。',
    })
    ids[appid] = { returns: returns.id, invoice: invoice.id, card: card.id }
  }
})

/** A safe-mode push of a text from `openid` to `appid`'s push URL. */
async function pushText(appid: string, openid: string, content: string): Promise<Response> {
  const keys = KEYS[appid]!
  const message: FlatFields = { ...textMessage(openid, content, String(++msgIds)), ToUserName: 'gh_test' }
  const { query, body } = await buildPush(message, {
    token: keys.token,
    mode: 'safe',
    format: 'xml',
    cipher: await importCipher(keys.aesKey, appid),
  })
  const path = appid === A ? '/wechat' : `/wechat/${appid}`
  return exports.default.fetch(`https://kefu.example${path}?${query}`, { method: 'POST', body })
}

/** What WeChat received for this user once `count` sends succeeded; waits a moment more to be sure nothing else follows. */
async function received(appid: string, openid: string, count: number): Promise<unknown[]> {
  const bodies = await vi.waitFor(
    async () => {
      const ok = (await fakeWechat.calls({ appid, touser: openid, path: SEND })).filter((call) => call.errcode === 0)
      expect(ok).toHaveLength(count)
      return ok.map((call) => call.body)
    },
    { timeout: 5000, interval: 25 },
  )
  await new Promise((resolve) => setTimeout(resolve, 150))
  expect(await fakeWechat.calls({ appid, touser: openid, path: SEND })).toHaveLength(count)
  return bodies
}

const textTo = (openid: string, content: string) => ({ touser: openid, msgtype: 'text', text: { content } })

/** The rule id the D1 record holds for the user's text, once the copy is there. */
async function recordedRuleId(appid: string, openid: string): Promise<{ rule_id: string | null; unmatched: number }> {
  return vi.waitFor(
    async () => {
      const row = await env.DB.prepare("SELECT rule_id, unmatched FROM messages WHERE appid = ? AND openid = ? AND direction = 'in'")
        .bind(appid, openid)
        .first<{ rule_id: string | null; unmatched: number }>()
      expect(row).not.toBeNull()
      return row!
    },
    { timeout: 5000, interval: 25 },
  )
}

describe('the order of answers for a text', () => {
  it('a rule still wins over a perfect FAQ', async () => {
    const openid = uniqueOpenid()
    // "退款多久到账" is a variant of the returns FAQ (score 1), and contains the rule's 退款.
    expect((await search(env.DB, A, '退款多久到账', 1))[0]).toMatchObject({ id: ids[A]!.returns, score: 1 })
    expect(await (await pushText(A, openid, '退款多久到账')).text()).toBe('success')
    expect(await received(A, openid, 1)).toEqual([textTo(openid, '退款请联系客服')])
    expect((await recordedRuleId(A, openid)).rule_id).toBe('refund-rule')
  })

  it('an unmatched text whose FAQ clears the threshold gets the FAQ answer, once, recorded as faq:<id>', async () => {
    const openid = uniqueOpenid()
    expect(await (await pushText(A, openid, RETURNS)).text()).toBe('success')
    expect(await received(A, openid, 1)).toEqual([textTo(openid, RETURNS_ANSWER)])
    const id = ids[A]!.returns
    expect(await recordedRuleId(A, openid)).toEqual({ rule_id: `faq:${id}`, unmatched: 0 })
    expect(logs.events().find((e) => e.event === 'push.received' && e.openid === openid)).toMatchObject({ ruleId: `faq:${id}`, sends: 1 })
    // The stats count it under its rule id, and not among the unmatched questions.
    await vi.waitFor(async () => {
      const hits = await env.DB.prepare('SELECT SUM(hits) AS n FROM rule_daily WHERE appid = ? AND rule_id = ?')
        .bind(A, `faq:${id}`)
        .first<{ n: number }>()
      expect(hits?.n).toBeGreaterThanOrEqual(1)
    })
    const unmatched = await env.DB.prepare('SELECT COUNT(*) AS n FROM unmatched WHERE appid = ? AND text = ?')
      .bind(A, RETURNS)
      .first<{ n: number }>()
    expect(unmatched?.n).toBe(0)
  })

  it('a close paraphrase above the threshold answers too; an answer in the rules’ format is sent as a rule’s would be', async () => {
    const openid = uniqueOpenid()
    const [hit] = await search(env.DB, A, '发票抬头写错了', 1)
    expect(hit).toMatchObject({ id: ids[A]!.invoice })
    expect(hit!.score).toBeGreaterThanOrEqual(0.6)
    await pushText(A, openid, '发票抬头写错了')
    const bodies = await received(A, openid, 2)
    expect(bodies[0]).toEqual(textTo(openid, '发票抬头写错可以重开：'))
    expect(bodies[1]).toMatchObject({ msgtype: 'link', link: { title: '重开发票', url: 'https://example.com/invoice' } })
    expect((await recordedRuleId(A, openid)).rule_id).toBe(`faq:${ids[A]!.invoice}`)
  })

  it('under the threshold: the default', async () => {
    const openid = uniqueOpenid()
    const text = '我的会员卡'
    const [hit] = await search(env.DB, A, text, 1)
    expect(hit).toMatchObject({ id: ids[A]!.card })
    expect(hit!.score).toBeLessThan(0.6)
    await pushText(A, openid, text)
    expect(await received(A, openid, 1)).toEqual([textTo(openid, DEFAULT)])
    expect(await recordedRuleId(A, openid)).toEqual({ rule_id: 'default', unmatched: 1 })
  })

  it('with ai off: the default, even with a perfect FAQ', async () => {
    const openid = uniqueOpenid()
    expect((await search(env.DB, B, RETURNS, 1))[0]).toMatchObject({ id: ids[B]!.returns, score: 1 })
    await pushText(B, openid, RETURNS)
    expect(await received(B, openid, 1)).toEqual([textTo(openid, DEFAULT)])
    expect(await recordedRuleId(B, openid)).toEqual({ rule_id: 'default', unmatched: 1 })
  })

  it('an FAQ answer ends a run of unmatched texts: the hand-off counts only what nobody answered', async () => {
    const openid = uniqueOpenid()
    await pushText(A, openid, '随便问问')
    await received(A, openid, 1)
    await pushText(A, openid, RETURNS)
    await received(A, openid, 2)
    // Without the FAQ this would be the second unmatched text in a row: the hand-off.
    const answer = await pushText(A, openid, '还是随便问问')
    expect(await answer.text()).toBe('success')
    const bodies = await received(A, openid, 3)
    expect(bodies).toEqual([textTo(openid, DEFAULT), textTo(openid, RETURNS_ANSWER), textTo(openid, DEFAULT)])
  })

  it('the lookup failing (the knowledge tables gone) answers the push with the default and logs knowledge.search_failed', async () => {
    const openid = uniqueOpenid()
    await env.DB.exec('ALTER TABLE knowledge RENAME TO knowledge_away')
    let res: Response
    try {
      res = await pushText(A, openid, RETURNS)
    } finally {
      await env.DB.exec('ALTER TABLE knowledge_away RENAME TO knowledge')
    }
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('success')
    expect(await received(A, openid, 1)).toEqual([textTo(openid, DEFAULT)])
    const failed = logs.events().find((e) => e.event === 'knowledge.search_failed' && e.openid === openid)
    expect(failed).toMatchObject({ level: 'error', msgId: expect.any(String) })
    // The user's text is not in the log line.
    expect(JSON.stringify(failed)).not.toContain(RETURNS)
    expect(await recordedRuleId(A, openid)).toEqual({ rule_id: 'default', unmatched: 1 })
  })
})
