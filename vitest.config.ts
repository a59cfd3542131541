import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import { TEST_SETTINGS } from './test/settings.ts'

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: { bindings: { ...TEST_SETTINGS } },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts'],
  },
})
