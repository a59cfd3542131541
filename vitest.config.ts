import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import type {} from './test/global-setup.ts'
import { TEST_SETTINGS } from './test/settings.ts'

export default defineConfig({
  plugins: [
    // A function, so the fake WeChat API's port (known only once globalSetup ran) can go
    // into the Worker's bindings.
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          ...TEST_SETTINGS,
          WECHAT_API_BASE: `http://127.0.0.1:${inject('fakeWechatPort')}`,
        },
      },
    })),
  ],
  test: {
    globalSetup: ['./test/global-setup.ts'],
    include: ['test/**/*.test.ts'],
  },
})
