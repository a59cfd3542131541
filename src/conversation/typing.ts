/** The typing indicator a reply's user sees while it is being made (delivery.ts). */
import { log } from '../log'
import { WechatApiError, type WechatClient } from '../wechat/api'
import type { OutboxRow } from './outbox'

/**
 * "Typing…" while the model thinks. WeChat shows it for 15 s and refuses it again meanwhile
 * (45081): it is shown once, and again only once that has passed.
 */
export class Typing {
  #shownAt = 0
  constructor(
    private readonly client: WechatClient,
    private readonly row: OutboxRow,
  ) {}

  async show(): Promise<void> {
    this.#shownAt = Date.now()
    await showTyping(this.client, this.row)
  }

  async keepUp(): Promise<void> {
    if (Date.now() - this.#shownAt >= TYPING_MS) await this.show()
  }
}

/**
 * What a 微信客服 customer's answer shows instead: nothing. WeChat Work's kf API has no typing,
 * and the mini program's would refuse a customer it does not know (a subrequest wasted).
 */
export const NO_TYPING: Pick<Typing, 'show' | 'keepUp'> = { show: async () => {}, keepUp: async () => {} }

/** How long WeChat shows "typing…". */
const TYPING_MS = 15_000

/** Typing is a courtesy: its failure never holds up the reply. */
export async function showTyping(client: WechatClient, row: OutboxRow): Promise<void> {
  try {
    await client.typing(row.openid, 'Typing')
  } catch (error) {
    log.warn('reply.typing_failed', {
      openid: row.openid,
      msgId: row.msg_id,
      errcode: error instanceof WechatApiError ? error.errcode : null,
    })
  }
}
