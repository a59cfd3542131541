/**
 * The rules scripts against remote KV, with a stand-in for Cloudflare's API on loopback
 * (wrangler's CLOUDFLARE_API_BASE_URL): a key that is not there reads as missing, so the first
 * `rules:push -- --remote` into a new namespace goes ahead; other failures still fail.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WranglerError, wranglerStore } from '../../scripts/rules-kv'

/**
 * The stand-in runs in a process of its own: the scripts call wrangler synchronously, which
 * blocks this process's event loop until wrangler has its answer. `?status=` sets what a
 * read of `rules` answers next.
 */
const STAND_IN = `
const { createServer } = require('node:http')
let status = 404
const server = createServer((req, res) => {
  res.setHeader('content-type', 'application/json')
  const url = new URL(req.url, 'http://x')
  if (url.pathname === '/status') { status = Number(url.searchParams.get('to')); res.end('{}'); return }
  const rules = /\\/storage\\/kv\\/namespaces\\/\\w+\\/values\\/rules$/.test(url.pathname)
  res.statusCode = rules ? status : 404
  const error = rules && status === 404 ? { code: 10009, message: 'get: key not found' } : rules ? { code: 10000, message: 'Authentication error' } : { code: 7003, message: 'No route' }
  res.end(JSON.stringify({ success: false, errors: [error], messages: [], result: null }))
})
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
`

let standIn: ChildProcess
let base = ''

beforeAll(async () => {
  standIn = spawn(process.execPath, ['-e', STAND_IN], { stdio: ['ignore', 'pipe', 'inherit'] })
  const [chunk] = (await once(standIn.stdout!, 'data')) as [Buffer]
  base = `http://127.0.0.1:${chunk.toString().trim()}`
  Object.assign(process.env, {
    CLOUDFLARE_API_BASE_URL: `${base}/client/v4`,
    CLOUDFLARE_API_TOKEN: 'stand-in-token',
    CLOUDFLARE_ACCOUNT_ID: 'acc123',
    WRANGLER_SEND_METRICS: 'false',
  })
})

afterAll(() => {
  standIn?.kill()
  for (const name of ['CLOUDFLARE_API_BASE_URL', 'CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_ACCOUNT_ID']) delete process.env[name]
})

const answerWith = (status: number) => fetch(`${base}/status?to=${status}`)

describe('remote KV through wrangler', () => {
  const store = () => wranglerStore({ flags: ['--remote'], where: 'remote', prefix: '' }, () => undefined)

  it('reads a key the namespace does not have as missing', async () => {
    await answerWith(404)
    expect(await store().get('rules')).toBeNull()
  })

  it('still fails on anything else', async () => {
    await answerWith(403)
    await expect(store().get('rules')).rejects.toBeInstanceOf(WranglerError)
  })
})
