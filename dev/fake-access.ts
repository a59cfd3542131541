/**
 * A local stand-in for a Cloudflare Access team's signing keys, on loopback: the JWKS at
 * `/cdn-cgi/access/certs` (the current key and the one before it, as Access publishes them),
 * and, for tests, the tokens Access would sign. Its base URL (`http://127.0.0.1:<port>`) is
 * the ACCESS_TEAM_DOMAIN to use and the issuer of what it signs. Keys are RSA 2048, made at
 * start with node:crypto; nothing is kept.
 *
 * Control API (JSON in and out, test-only):
 *   GET  /cdn-cgi/access/certs                → { keys: RSA JWK[] }   (current first, then previous)
 *   POST /__fake/sign    { claims, header?, key? } → { token }
 *        claims: the payload (iss defaults to the base URL); header: merged over
 *        { alg: 'RS256', kid, typ: 'JWT' }; key: 'current' (default), 'previous' or
 *        'unpublished' (a key the certs never show)
 *   POST /__fake/rotate                       → { kid }   (a new current key; the old one becomes previous)
 *   POST /__fake/fail-certs { times }         → { ok }    (the next `times` certs requests answer 503)
 *   GET  /__fake/certs-requests               → { count } (certs requests so far, failed ones too)
 *   GET  /__fake/health
 *
 * Run alone: `npx tsx dev/fake-access.ts [port]` (default 8789, or FAKE_ACCESS_PORT).
 */
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'

export interface FakeAccessKey {
  kid: string
  privateKey: KeyObject
  jwk: { kty: 'RSA'; kid: string; alg: 'RS256'; use: 'sig'; n: string; e: string }
}

export interface FakeAccess {
  port: number
  /** `http://127.0.0.1:<port>`: the ACCESS_TEAM_DOMAIN to use, and the tokens' issuer. */
  url: string
  /** The current key, the previous one (null before the first rotation), and one never published. */
  keys(): { current: FakeAccessKey; previous: FakeAccessKey | null; unpublished: FakeAccessKey }
  sign(claims: Record<string, unknown>, options?: SignOptions): string
  rotate(): string
  close(): Promise<void>
}

export interface SignOptions {
  header?: Record<string, unknown>
  key?: 'current' | 'previous' | 'unpublished'
}

export const CERTS_PATH = '/cdn-cgi/access/certs'

/** An RSA 2048 key with a kid like Access's (64 hex characters: the SHA-256 of its modulus). */
export function newKey(): FakeAccessKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const exported = publicKey.export({ format: 'jwk' })
  const n = String(exported.n)
  const e = String(exported.e)
  const kid = createHash('sha256').update(n).digest('hex')
  return { kid, privateKey, jwk: { kty: 'RSA', kid, alg: 'RS256', use: 'sig', n, e } }
}

export function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString('base64url')
}

/** A compact JWS, RS256 (RSASSA-PKCS1-v1_5 with SHA-256) with `key`. */
export function signJwt(key: FakeAccessKey, header: Record<string, unknown>, claims: Record<string, unknown>): string {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`
  return `${signingInput}.${base64url(sign('sha256', Buffer.from(signingInput), key.privateKey))}`
}

export async function startFakeAccess(options: { port?: number; host?: string } = {}): Promise<FakeAccess> {
  const host = options.host ?? '127.0.0.1'
  let current = newKey()
  let previous: FakeAccessKey | null = null
  const unpublished = newKey()
  let failCerts = 0
  let certsRequests = 0
  let url = ''

  const keyOf = (which: SignOptions['key']): FakeAccessKey => {
    if (which === 'unpublished') return unpublished
    if (which === 'previous') {
      if (previous === null) throw new Error('no previous key before a rotation')
      return previous
    }
    return current
  }
  const signWith = (claims: Record<string, unknown>, opts: SignOptions = {}): string => {
    const key = keyOf(opts.key)
    return signJwt(key, { alg: 'RS256', kid: key.kid, typ: 'JWT', ...opts.header }, { iss: url, ...claims })
  }
  const rotate = (): string => {
    previous = current
    current = newKey()
    return current.kid
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { error: String(error) }))
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://fake').pathname
    if (req.method === 'GET' && path === CERTS_PATH) {
      certsRequests++
      if (failCerts > 0) {
        failCerts--
        return send(res, 503, { error: 'unavailable (injected)' })
      }
      return send(res, 200, { keys: [current.jwk, ...(previous === null ? [] : [previous.jwk])] })
    }
    if (req.method === 'GET' && path === '/__fake/health') return send(res, 200, { ok: true })
    if (req.method === 'GET' && path === '/__fake/certs-requests') return send(res, 200, { count: certsRequests })
    if (req.method === 'POST' && path === '/__fake/sign') {
      const body = (await readJson(req)) as { claims?: Record<string, unknown>; header?: Record<string, unknown>; key?: SignOptions['key'] }
      return send(res, 200, { token: signWith(body.claims ?? {}, { header: body.header, key: body.key }) })
    }
    if (req.method === 'POST' && path === '/__fake/rotate') return send(res, 200, { kid: rotate() })
    if (req.method === 'POST' && path === '/__fake/fail-certs') {
      const body = (await readJson(req)) as { times?: number }
      failCerts = Math.max(0, Math.floor(body.times ?? 1))
      return send(res, 200, { ok: true })
    }
    return send(res, 404, { error: 'not found' })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  url = `http://${host}:${port}`
  return {
    port,
    url,
    keys: () => ({ current, previous, unpublished }),
    sign: signWith,
    rotate,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString('utf8')
  return text === '' ? {} : JSON.parse(text)
}

/** `npx tsx dev/fake-access.ts [port]`: the stand-in on its own. */
async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? process.env.FAKE_ACCESS_PORT ?? 8789)
  const fake = await startFakeAccess({ port })
  console.log(`fake Cloudflare Access keys on ${fake.url} (ACCESS_TEAM_DOMAIN=${fake.url}; certs at ${fake.url}${CERTS_PATH})`)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void fake.close().then(() => process.exit(0)))
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main()
