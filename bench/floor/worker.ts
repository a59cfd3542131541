/**
 * The floor Worker (see wrangler.toml): per push, one SQLite write in the user's Durable
 * Object (over RPC, awaited before answering, as kefu-edge does), "success", and one
 * custom/send to WECHAT_API_BASE in waitUntil. The access token comes from stable_token
 * once per isolate. The reply text carries the push's nonce so the benchmark can pair each
 * reply with its push.
 */
import { DurableObject } from 'cloudflare:workers'
import { textSender } from '../text-sender'

interface FloorEnv {
  WECHAT_APPID: string
  WECHAT_APPSECRET: string
  WECHAT_API_BASE: string
  FLOOR: {
    getByName(name: string): { record(key: string, at: number): Promise<void> }
  }
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void
}

export class FloorConversation extends DurableObject<FloorEnv> {
  constructor(ctx: ConstructorParameters<typeof DurableObject<FloorEnv>>[0], env: FloorEnv) {
    super(ctx, env)
    this.ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at INTEGER NOT NULL)')
  }

  record(key: string, at: number): void {
    this.ctx.storage.sql.exec('INSERT OR IGNORE INTO seen (key, at) VALUES (?, ?)', key, at)
  }
}

let sender: ((openid: string, text: string) => Promise<void>) | null = null

function sendReply(env: FloorEnv, openid: string, text: string): Promise<void> {
  sender ??= textSender({ apiBase: env.WECHAT_API_BASE, appid: env.WECHAT_APPID, secret: env.WECHAT_APPSECRET })
  return sender(openid, text)
}

export default {
  async fetch(request: Request, env: FloorEnv, ctx: ExecutionContext): Promise<Response> {
    if (request.method !== 'POST') return new Response('floor')
    const url = new URL(request.url)
    const openid = url.searchParams.get('openid') ?? ''
    const nonce = url.searchParams.get('nonce') ?? ''
    await request.arrayBuffer()
    await env.FLOOR.getByName(openid).record(nonce, Date.now())
    ctx.waitUntil(sendReply(env, openid, `floor ${nonce}`))
    return new Response('success')
  },
}
