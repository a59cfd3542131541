/**
 * A stand-in for the operator's webhook receiver (WEBHOOK_URL, src/webhooks/): it takes every
 * POST under `/hooks/<scope>`, keeps the raw body and the X-Kefu-* headers as they came, and
 * answers 200 — or 500, as many times as it was told to for that scope. It verifies nothing
 * itself: the tests recompute the signature over the raw body, as a real receiver would.
 *
 * Control (for tests, over HTTP like dev/fake-wechat.ts):
 * - `GET /__fake/received?scope=<scope>` → `{ deliveries: [{ scope, event, delivery, signature, body, status, at }] }`
 * - `POST /__fake/fail` `{ scope, times }` → the next `times` posts to that scope get 500
 *
 * Scopes keep tests apart: the test Worker posts to `/hooks/default`, and a test that injects
 * failures gives the consumer its own `/hooks/<scope>`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'

export interface FakeDelivery {
  scope: string
  event: string | null
  delivery: string | null
  signature: string | null
  /** The raw body, exactly as received. */
  body: string
  /** What the stand-in answered. */
  status: number
  at: number
}

export interface FakeWebhook {
  port: number
  url: string
  close(): Promise<void>
}

/** What one run keeps at most (the oldest go first). */
const KEPT = 20_000

export async function startFakeWebhook(options: { port?: number; host?: string } = {}): Promise<FakeWebhook> {
  const host = options.host ?? '127.0.0.1'
  const received: FakeDelivery[] = []
  const failures = new Map<string, number>()

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { error: String(error) }))
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake')
    const hook = /^\/hooks\/([A-Za-z0-9_-]{1,100})$/.exec(url.pathname)
    if (req.method === 'POST' && hook) {
      const scope = hook[1]!
      const body = await readText(req)
      const left = failures.get(scope) ?? 0
      const status = left > 0 ? 500 : 200
      if (left > 0) failures.set(scope, left - 1)
      received.push({
        scope,
        event: header(req, 'x-kefu-event'),
        delivery: header(req, 'x-kefu-delivery'),
        signature: header(req, 'x-kefu-signature'),
        body,
        status,
        at: Date.now(),
      })
      if (received.length > KEPT) received.splice(0, received.length - KEPT)
      return send(res, status, status === 200 ? { ok: true } : { error: 'failing on purpose (injected)' })
    }
    if (req.method === 'GET' && url.pathname === '/__fake/received') {
      const scope = url.searchParams.get('scope')
      return send(res, 200, { deliveries: received.filter((d) => scope === null || d.scope === scope) })
    }
    if (req.method === 'POST' && url.pathname === '/__fake/fail') {
      const { scope, times } = JSON.parse((await readText(req)) || '{}') as { scope?: string; times?: number }
      if (typeof scope !== 'string') return send(res, 400, { error: 'scope is required' })
      failures.set(scope, Math.max(0, Math.floor(times ?? 1)))
      return send(res, 200, { ok: true })
    }
    if (req.method === 'GET' && url.pathname === '/__fake/health') return send(res, 200, { ok: true })
    return send(res, 404, { error: 'not found' })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  return {
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name]
  return typeof value === 'string' ? value : null
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

/** `npx tsx dev/fake-webhook.ts [port]`: the stand-in on its own (WEBHOOK_URL=http://127.0.0.1:<port>/hooks/local). */
async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? process.env.FAKE_WEBHOOK_PORT ?? 8790)
  const fake = await startFakeWebhook({ port })
  console.log(`fake webhook receiver on ${fake.url} (WEBHOOK_URL=${fake.url}/hooks/local; what it got: ${fake.url}/__fake/received)`)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void fake.close().then(() => process.exit(0)))
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main()
