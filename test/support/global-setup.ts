/**
 * Vitest globalSetup (runs in Node, once for the whole run): starts the one fake WeChat API
 * every test file shares, and hands its port to vitest.config.ts, which points the test
 * Worker's WECHAT_API_BASE at it. Tests never reach api.weixin.qq.com. Beside it, the stand-in
 * for a Cloudflare Access team's keys (dev/fake-access.ts): its port is `inject`ed by the tests
 * that sign in through Access, which give the Worker its URL as ACCESS_TEAM_DOMAIN. And the
 * stand-in model (dev/fake-llm.ts): vitest.config.ts points the Worker's LLM_API_BASE at it, so
 * tests never reach a real provider; its port is `inject`ed by tests that queue its faults.
 * And the webhook receiver (dev/fake-webhook.ts): vitest.config.ts points WEBHOOK_URL at it.
 * And the 微信客服 stand-in (dev/fake-wecom.ts), knowing the test corp of TEST_WECOM:
 * vitest.config.ts points WECOM_API_BASE at it.
 */
import type { TestProject } from 'vitest/node'
import { startFakeAccess } from '../../dev/fake-access'
import { startFakeLlm } from '../../dev/fake-llm'
import { startFakeWebhook } from '../../dev/fake-webhook'
import { startFakeWechat } from '../../dev/fake-wechat'
import { startFakeWecom } from '../../dev/fake-wecom'
import { TEST_WECOM } from './settings'

declare module 'vitest' {
  export interface ProvidedContext {
    fakeWechatPort: number
    fakeAccessPort: number
    fakeLlmPort: number
    fakeWebhookPort: number
    fakeWecomPort: number
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [fake, access, llm, webhook, wecom] = await Promise.all([
    startFakeWechat(),
    startFakeAccess(),
    startFakeLlm(),
    startFakeWebhook(),
    startFakeWecom({
      corps: [
        {
          corpid: TEST_WECOM.WECOM_CORPID,
          secret: TEST_WECOM.WECOM_KF_SECRET,
          callbackToken: TEST_WECOM.WECOM_KF_TOKEN,
          aesKey: TEST_WECOM.WECOM_KF_ENCODING_AES_KEY,
        },
      ],
    }),
  ])
  project.provide('fakeWechatPort', fake.port)
  project.provide('fakeAccessPort', access.port)
  project.provide('fakeLlmPort', llm.port)
  project.provide('fakeWebhookPort', webhook.port)
  project.provide('fakeWecomPort', wecom.port)
  return async () => {
    await Promise.all([fake.close(), access.close(), llm.close(), webhook.close(), wecom.close()])
  }
}
