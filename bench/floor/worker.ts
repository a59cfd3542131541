/**
 * The floor Worker (see wrangler.toml): per push, one SQLite write in the user's Durable
 * Object (over RPC, awaited before answering, as kefu-edge does), "success", and one
 * custom/send to WECHAT_API_BASE in waitUntil. The access token comes from stable_token
 * once per isolate. The reply text carries the push's nonce so the benchmark can pair each
 * reply with its push.
 */
import { DurableObject } from 'cloudflare:workers'

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

let token: Promise<string> | null = null

function accessToken(env: FloorEnv): Promise<string> {
  token ??= fetch(`${env.WECHAT_API_BASE}/cgi-bin/stable_token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credential', appid: env.WECHAT_APPID, secret: env.WECHAT_APPSECRET }),
  })
    .then((response) => response.json() as Promise<{ access_token?: string }>)
    .then((json) => {
      if (!json.access_token) throw new Error('no access_token')
      return json.access_token
    })
  token.catch(() => {
    token = null
  })
  return token
}

async function sendReply(env: FloorEnv, openid: string, text: string): Promise<void> {
  const response = await fetch(
    `${env.WECHAT_API_BASE}/cgi-bin/message/custom/send?access_token=${await accessToken(env)}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ touser: openid, msgtype: 'text', text: { content: text } }),
    },
  )
  await response.arrayBuffer()
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
