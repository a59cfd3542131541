/**
 * The model's turn for a 微信客服 customer (settings/kf-view.ts): the answer goes out through
 * kf/send_msg, and no "typing…" is asked of the mini program's API — WeChat Work's kf API has
 * none, and the mini program's would refuse a customer it does not know (a subrequest wasted).
 * The strict stand-ins of dev/: WeChat Work's (fake-wecom.ts), WeChat's and the model's.
 */
import { env } from 'cloudflare:workers'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { addKnowledge } from '../../src/knowledge/store'
import { fakeWechat } from '../support/fake-wechat-client'
import { fakeWecom, uniqueExternalUserid, uniqueOpenKfId, workerCorp } from '../support/fake-wecom-client'
import { workerFetch } from '../support/helpers'
import { TEST_SETTINGS } from '../support/settings'
import { fakeLlm } from '../support/fake-llm-client'

const CORP = workerCorp.corpid
const APPID = TEST_SETTINGS.WECHAT_APPID
const TYPING = '/cgi-bin/message/custom/business/typing'
const DESCALE = '云雀咖啡机每使用两个月需要用专用除垢剂清洗一次水箱。'

beforeAll(async () => {
  await env.RULES.put(
    'rules',
    JSON.stringify({ ai: { enabled: true, passage_threshold: 0.3 }, rules: [], default: { type: 'text', text: '您好' } }),
  )
  await addKnowledge(env.DB, APPID, { kind: 'doc', title: '云雀咖啡机使用说明', text: `## 除垢\n\n${DESCALE}` })
})

describe('a 微信客服 customer’s question the model answers', () => {
  it('kf/send_msg carries the answer; no typing call reaches WeChat', async () => {
    const openKfId = uniqueOpenKfId()
    await fakeWecom.account(CORP, openKfId, ['servicer-1'])
    const customer = uniqueExternalUserid()
    const question = '云雀咖啡机多久需要除垢一次 zqkf'
    const { callback } = await fakeWecom.message({ corpid: CORP, openKfId, externalUserid: customer, content: question })
    expect((await workerFetch(`/wecom/kf?${callback!.query}`, { method: 'POST', body: callback!.body })).status).toBe(200)
    await vi.waitFor(
      async () => {
        const sent = (await fakeWecom.sent(CORP, openKfId)).filter((s) => s.externalUserid === customer)
        expect(sent.map((s) => (s.body.text as { content?: string } | undefined)?.content)).toEqual([DESCALE])
      },
      { timeout: 10_000, interval: 100 },
    )
    const calls = await fakeLlm.calls('zqkf')
    expect(calls.map((c) => c.status)).toEqual([200])
    expect(await fakeWechat.calls({ appid: APPID, touser: customer, path: TYPING })).toEqual([])
    expect(await fakeWechat.calls({ touser: customer })).toEqual([])
  })
})
