import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'
import type {} from './test/support/global-setup.ts'
import { TEST_SETTINGS } from './test/support/settings.ts'

// The D1 record's tables, applied to each test file's database by test/support/apply-migrations.ts.
const migrations = await readD1Migrations('./migrations')

/** Test files that expire the test app's access_token (fakeWechat.expireTokens). */
const SHARED_TOKEN_FILES = ['test/end-to-end/replies.test.ts', 'test/reliability/faults.test.ts']

/**
 * The workerd projects' plugin: the Worker as wrangler.toml builds it, with the tests' bindings.
 * Its options are a function, so the fake WeChat API's and the stand-in model's ports (known only
 * once globalSetup ran) can go into the Worker's bindings.
 */
const workerd = () =>
  cloudflareTest(({ inject }) => ({
    wrangler: { configPath: './wrangler.toml' },
    miniflare: {
      bindings: {
        ...TEST_SETTINGS,
        TEST_MIGRATIONS: migrations,
        WECHAT_API_BASE: `http://127.0.0.1:${inject('fakeWechatPort')}`,
        // Hangs injected by the fault tests end after 2 s instead of the default 8 s;
        // loopback answers take milliseconds, so no real answer is cut off.
        WECHAT_API_TIMEOUT_MS: '2000',
        // Campaigns run at loopback speed: the pacing itself is not what the tests wait for.
        CAMPAIGN_SENDS_PER_SECOND: '100000',
        // The stand-in model of dev/fake-llm.ts: tests never reach a real provider.
        LLM_API_BASE: `http://127.0.0.1:${inject('fakeLlmPort')}/v1`,
        LLM_MODEL: 'kefu-stand-in',
        LLM_API_KEY: 'sk-local-stand-in',
        // The desk's alerts go to the fake's group-robot webhook (test/desk/desk.test.ts reads them).
        DESK_ALERT_WEBHOOK: `http://127.0.0.1:${inject('fakeWechatPort')}/__fake/webhook/desk`,
        // Every event goes to the stand-in receiver of dev/fake-webhook.ts (test/webhooks/ reads what it got).
        WEBHOOK_URL: `http://127.0.0.1:${inject('fakeWebhookPort')}/hooks/default`,
        // The 微信客服 stand-in of dev/fake-wecom.ts (test/support/fake-wecom-client.ts drives it).
        WECOM_API_BASE: `http://127.0.0.1:${inject('fakeWecomPort')}`,
      },
    },
  }))

export default defineConfig({
  test: {
    // Queue consumers (webhooks, users' images) and delivery retries go on after a test file's
    // last test, in the one workerd; a line they log then finds the file's console gone. That is
    // the runtime closing, not a failure of anything the tests ask: every other error counts.
    onUnhandledError(error) {
      return !(error.name === 'EnvironmentTeardownError' && error.message.includes('onUserConsoleLog'))
    },
    // `npm run coverage`: the workerd project's coverage of src/, per file. Istanbul instruments
    // the code as Vite serves it to workerd, so it counts what runs in the Worker, its Durable
    // Objects and its queue consumer alike (one isolate). V8 coverage needs workerd's
    // node:inspector: @cloudflare/vitest-plugin 1.5.0 turns it on behind compatibility flags,
    // newer than Istanbul's path and not used here. Not collected in `npm test`.
    coverage: {
      provider: 'istanbul',
      include: ['src/**/*.{ts,tsx}'],
      exclude: ['src/**/*.d.ts'],
      reporter: [['text', { skipFull: false }], 'text-summary', 'html', 'json-summary'],
      // Beside Vite's cache, so nothing new needs ignoring: open node_modules/.coverage/index.html.
      reportsDirectory: 'node_modules/.coverage',
      // A failing test still leaves the table: the exit code says it failed.
      reportOnFailure: true,
    },
    projects: [
      {
        plugins: [workerd()],
        test: {
          name: 'worker',
          // Two files at a time: many wait on alarms, queues and time-outs rather than the CPU
          // (the project took 473 s one at a time on this 2-core machine, 296–303 s two at a time).
          maxWorkers: 2,
          globalSetup: ['./test/support/global-setup.ts'],
          setupFiles: ['./test/support/apply-migrations.ts'],
          include: ['test/**/*.test.ts'],
          exclude: ['test/node/**', ...SHARED_TOKEN_FILES],
        },
      },
      {
        plugins: [workerd()],
        test: {
          // The files that expire the test app's access_token, which every file's Worker shares
          // (stable_token hands one token to all): alone, one at a time, after every other file
          // (a group of their own: vitest runs a group's projects side by side), so no other
          // file's send meets a 42001 it did not ask for.
          name: 'worker-tokens',
          maxWorkers: 1,
          globalSetup: ['./test/support/global-setup.ts'],
          setupFiles: ['./test/support/apply-migrations.ts'],
          include: [...SHARED_TOKEN_FILES],
          sequence: { groupOrder: 2 },
        },
      },
      {
        // The developer's side, in Node: `npm start` and `npm run chat` as child processes.
        test: {
          name: 'node',
          environment: 'node',
          // One `npm start` for the files that drive the running service, started when the
          // first of them asks (quickstart keeps its own: it needs a fresh .dev.vars).
          globalSetup: ['./test/node/shared-service.setup.ts'],
          include: ['test/node/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // Its files mostly wait on child processes (wrangler dev, Chromium): two at a time,
          // after the workerd files (a group of their own).
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
