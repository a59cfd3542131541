/** The parts of co-wechat 2.4.0 (WeChat middleware for Koa) the benchmarks use. */
declare module 'co-wechat' {
  import type { Context, Middleware } from 'koa'

  interface WechatConfig {
    token: string
    appid?: string
    encodingAESKey?: string
  }

  /** The push as co-wechat hands it over: xml2js output flattened to strings and records. */
  type WechatMessage = Record<string, unknown>

  interface Wechat {
    /** The handler's return value is the passive reply; '' answers an empty body. */
    middleware(handle: (message: WechatMessage, ctx: Context) => unknown): Middleware
  }

  function wechat(config: WechatConfig | string, isDebug?: boolean): Wechat
  export = wechat
}
