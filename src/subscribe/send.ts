/** A WeChat call whose refusal is an answer, not a fault: its errcode (0 when WeChat took it). */
import { WechatApiError, type SubscribeMessage, type WechatClient } from '../wechat/api'

export async function sendErrcode(client: WechatClient, message: SubscribeMessage): Promise<number> {
  return errcodeOf(() => client.sendSubscribe(message))
}

/** Runs `call`; WeChat's refusals (and time-outs, network failures: synthetic errcodes) become their errcode. */
export async function errcodeOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call()
    return 0
  } catch (error) {
    // Anything else (a missing setting) is ours to report, not WeChat's answer.
    if (error instanceof WechatApiError) return error.errcode
    throw error
  }
}
