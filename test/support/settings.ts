/**
 * The settings every test Worker runs with (bound by vitest.config.ts). Values are made up
 * for tests; the secret scan in the tests looks for them in logs and answers.
 *
 * WECHAT_API_BASE is not here: vitest.config.ts sets it to the fake WeChat API that
 * test/support/global-setup.ts starts on loopback (its port is known only at run time). Read it in
 * a test as `env.WECHAT_API_BASE`.
 */
/** A second mini program on the same Worker (WECHAT_APPS), with its own suffixed secrets. */
export const SECOND_APP = {
  appid: 'wxb2c3d4e5f6a7b8c9',
  secret: 'secondappsecret0123456789abcdef0',
  token: 'kefuSecondToken7',
  aesKey: 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx',
} as const

/**
 * The 微信客服 channel's made-up settings (src/wecom/): test/support/global-setup.ts configures
 * the same corp in the stand-in (dev/fake-wecom.ts), and vitest.config.ts points WECOM_API_BASE at it.
 */
export const TEST_WECOM = {
  WECOM_CORPID: 'ww0123456789abcdef',
  WECOM_KF_SECRET: 'kf-test-secret-0123456789abcdefghij',
  WECOM_KF_TOKEN: 'kfTestToken7',
  WECOM_KF_ENCODING_AES_KEY: 'vxtluN0bDtDiAa3AyzymJiFl+8YYsmP2K6N8lEkY27U',
} as const

export const TEST_SETTINGS = {
  ...TEST_WECOM,
  WECHAT_APPID: 'wx1234567890abcdef',
  WECHAT_APPSECRET: 'testsecret0123456789abcdef012345',
  WECHAT_TOKEN: 'kefuTestToken42',
  WECHAT_ENCODING_AES_KEY: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR',
  ADMIN_TOKEN: 'admin-token-for-tests-only',
  // Signs every event posted to the stand-in receiver (WEBHOOK_URL: vitest.config.ts).
  WEBHOOK_SECRET: 'webhook-secret-for-tests-only-0123',
  WECHAT_APPS: SECOND_APP.appid,
  [`WECHAT_APPSECRET_${SECOND_APP.appid}`]: SECOND_APP.secret,
  [`WECHAT_TOKEN_${SECOND_APP.appid}`]: SECOND_APP.token,
  [`WECHAT_ENCODING_AES_KEY_${SECOND_APP.appid}`]: SECOND_APP.aesKey,
} as const
