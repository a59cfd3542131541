/**
 * Vitest globalSetup (runs in Node, once for the whole run): starts the one fake WeChat API
 * every test file shares, and hands its port to vitest.config.ts, which points the test
 * Worker's WECHAT_API_BASE at it. Tests never reach api.weixin.qq.com.
 */
import type { TestProject } from 'vitest/node'
import { startFakeWechat } from '../../dev/fake-wechat'

declare module 'vitest' {
  export interface ProvidedContext {
    fakeWechatPort: number
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fake = await startFakeWechat()
  project.provide('fakeWechatPort', fake.port)
  return () => fake.close()
}
