/**
 * Uploaded images over HTTP: the admin API that takes them (roles, the answer, refusals, the
 * audit entry), the console's view behind its sign-in, and the public view that serves only a
 * link's thumbnail; /healthz when the MEDIA binding is missing.
 */
import { env } from 'cloudflare:workers'
import { createExecutionContext } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { healthReport } from '../../src/admin/health-report'
import { app } from '../../src/app'
import { UPLOAD_LIMITS, type MediaUse } from '../../src/media/uploads'
import { CONSOLE_MEDIA_CACHE, PUBLIC_MEDIA_CACHE } from '../../src/routes/media'
import type { Env } from '../../src/settings/env'
import { BASE, workerFetch } from '../support/helpers'
import { addTestOperator, consoleSession, OWNER_AUTH, type TestOperator } from '../support/operators'
import { jpeg, png } from '../support/images'

interface Uploaded {
  name: string
  type: string
  bytes: number
  url?: string
}

function upload(auth: { authorization: string }, use: string, body: BodyInit, contentType = 'image/png') {
  return workerFetch(`/admin/api/media?use=${use}`, { method: 'POST', headers: { ...auth, 'content-type': contentType }, body })
}

async function uploaded(use: MediaUse, bytes: Uint8Array<ArrayBuffer> = png()): Promise<Uploaded> {
  const res = await upload(team.admin.auth, use, bytes)
  const text = await res.text()
  expect(res.status, text).toBe(201)
  return JSON.parse(text) as Uploaded
}

const stored = (name: string) => env.MEDIA.head(`uploads/${name}`)
const UNKNOWN = `${'0'.repeat(64)}.png`

const team = {} as Record<'admin' | 'agent' | 'viewer', TestOperator>
let viewerCookie = ''

beforeAll(async () => {
  for (const role of ['admin', 'agent', 'viewer'] as const) team[role] = await addTestOperator(role)
  viewerCookie = await consoleSession(team.viewer.token)
})

describe('POST /admin/api/media', () => {
  it('stores an image for an admin: 201 with its name, type and size, and an audit entry', async () => {
    const bytes = jpeg(3000)
    const res = await upload(team.admin.auth, 'image', bytes, 'application/octet-stream')
    expect(res.status).toBe(201)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as Uploaded
    expect(body).toEqual({ name: expect.stringMatching(/^[0-9a-f]{64}\.jpg$/), type: 'image/jpeg', bytes: 3000 })
    expect((await stored(body.name))?.customMetadata).toEqual({ use: 'image', uploadedBy: team.admin.id })

    const audit = await workerFetch('/admin/api/audit?action=media_upload', { headers: OWNER_AUTH })
    const entries = ((await audit.json()) as { items: { operatorId: string; target: string; summary: string }[] }).items
    expect(entries.find((e) => e.target === body.name)).toMatchObject({ operatorId: team.admin.id, summary: 'image, 3000 bytes' })
  })

  it("answers a link's thumbnail with its public URL", async () => {
    const body = await uploaded('link')
    expect(body.url).toBe(`${BASE}/media/${body.name}`)
    expect((await uploaded('card')).url).toBeUndefined()
  })

  it('refuses viewers and agents (403, the role needed) and stores nothing', async () => {
    const bytes = png()
    for (const role of ['viewer', 'agent'] as const) {
      const res = await upload(team[role].auth, 'image', bytes)
      expect(res.status, role).toBe(403)
      expect(await res.json()).toEqual({ error: 'forbidden', needs: 'admin' })
    }
    const listed = await env.MEDIA.list({ prefix: 'uploads/' })
    const name = (await uploaded('image', bytes)).name
    expect(listed.objects.map((o) => o.key)).not.toContain(`uploads/${name}`)
  })

  it('refuses what is not an image, nothing, and an unknown or missing use (400), by content not declared type', async () => {
    const text = new TextEncoder().encode('<svg onload="alert(1)"></svg>')
    const cases: [string, BodyInit, string, unknown][] = [
      ['image', text, 'image/png', { error: 'upload_not_image' }],
      ['image', new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 2, 3]), 'image/png', { error: 'upload_not_image' }],
      ['link', new Uint8Array(0), 'image/png', { error: 'upload_empty' }],
      ['gif', png(), 'image/png', { error: expect.stringMatching(/^use: must be one of image, card, link/) }],
    ]
    for (const [use, body, type, answer] of cases) {
      const res = await upload(team.admin.auth, use, body, type)
      expect(res.status, use).toBe(400)
      expect(await res.json()).toEqual(answer)
    }
    const missing = await workerFetch('/admin/api/media', {
      method: 'POST',
      headers: { ...OWNER_AUTH, 'content-type': 'image/png' },
      body: png(),
    })
    expect(missing.status).toBe(400)
    expect(await missing.json()).toEqual({ error: expect.stringMatching(/^use: /) })
  })

  it('refuses a body declared as anything but an image or bytes (415)', async () => {
    for (const type of ['application/json', 'text/plain', 'multipart/form-data; boundary=x']) {
      const res = await upload(team.admin.auth, 'image', png(), type)
      expect(res.status, type).toBe(415)
      expect(((await res.json()) as { error: string }).error).toMatch(/^body: must be image\/jpeg, image\/png, application\/octet-stream/)
    }
  })

  it("refuses an image over the use's limit (413, naming it), declared or streamed", async () => {
    const overLink = png(UPLOAD_LIMITS.link.maxBytes + 1)
    const res = await upload(team.admin.auth, 'link', overLink)
    expect(res.status).toBe(413)
    expect(await res.json()).toEqual({ error: 'upload_too_large', max: UPLOAD_LIMITS.link.maxBytes })
    // The same bytes are within an image's limit.
    expect((await upload(team.admin.auth, 'image', overLink)).status).toBe(201)

    // No length declared: cut off once the stream passes the limit.
    const chunk = png(64 * 1024)
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > UPLOAD_LIMITS.image.maxBytes + chunk.length) return controller.close()
        controller.enqueue(chunk)
        sent += chunk.length
      },
    })
    const streamed = await upload(team.admin.auth, 'image', stream)
    expect(streamed.status).toBe(413)
    expect(await streamed.json()).toEqual({ error: 'upload_too_large', max: UPLOAD_LIMITS.image.maxBytes })
  })
})

describe('GET /admin/media/:name', () => {
  it('shows an upload to anyone signed in, with its type and safe headers', async () => {
    const bytes = png(500)
    const { name } = await uploaded('image', bytes)
    const res = await workerFetch(`/admin/media/${name}`, { headers: { cookie: viewerCookie } })
    expect(res.status).toBe(200)
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes)
    expect(res.headers.get('content-type')).toBe('image/png')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('cache-control')).toBe(CONSOLE_MEDIA_CACHE)
    expect(res.headers.get('cache-control')).toMatch(/^private, max-age=\d+, immutable$/)
    expect(res.headers.get('content-security-policy')).toBe('sandbox')
  })

  it('refuses without a session: the sign-in page, not the image', async () => {
    const { name } = await uploaded('image')
    const refused: Record<string, string>[] = [{}, { cookie: 'kefu_session=forged' }, OWNER_AUTH]
    for (const headers of refused) {
      const res = await workerFetch(`/admin/media/${name}`, { headers })
      expect(res.status).toBe(401)
      expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    }
  })

  it('answers 404 for an unknown or malformed name', async () => {
    for (const name of [UNKNOWN, 'x.png', `${'a'.repeat(64)}.gif`, '..%2Frules', `${'A'.repeat(64)}.png`]) {
      const res = await workerFetch(`/admin/media/${name}`, { headers: { cookie: viewerCookie } })
      expect(res.status, name).toBe(404)
    }
  })
})

describe('GET /media/:name', () => {
  it("serves a link's thumbnail to anyone, cacheable for a year", async () => {
    const bytes = jpeg(700)
    const { name } = await uploaded('link', bytes)
    const res = await workerFetch(`/media/${name}`)
    expect(res.status).toBe(200)
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(bytes)
    expect(res.headers.get('content-type')).toBe('image/jpeg')
    expect(res.headers.get('cache-control')).toBe(PUBLIC_MEDIA_CACHE)
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('content-security-policy')).toBe('sandbox')
  })

  it('serves nothing else: a reply image or card cover is 404 until uploaded for a link', async () => {
    const bytes = png()
    const { name } = await uploaded('image', bytes)
    expect((await workerFetch(`/media/${name}`)).status).toBe(404)
    const cover = await uploaded('card')
    expect((await workerFetch(`/media/${cover.name}`)).status).toBe(404)
    // The same bytes uploaded for a link: now public.
    expect((await uploaded('link', bytes)).name).toBe(name)
    expect((await workerFetch(`/media/${name}`)).status).toBe(200)
    for (const other of [UNKNOWN, 'rules', '..%2Fuploads%2Fx']) expect((await workerFetch(`/media/${other}`)).status, other).toBe(404)
  })
})

describe('without the MEDIA binding', () => {
  const bare = { ...env, MEDIA: undefined } as unknown as Env
  const fetchBare = (path: string, init?: RequestInit) => app.fetch(new Request(new URL(path, BASE), init), bare, createExecutionContext())

  it('/healthz names it to the operator, and the deployment is not ok', async () => {
    const report = await healthReport(bare)
    expect(report.ok).toBe(false)
    expect(report.bindings.MEDIA).toMatchObject({ status: 'missing', reason: expect.stringMatching(/^MEDIA is not bound/) })
    // The test Worker has every binding (WEBHOOK_URL is set, so WEBHOOKS is checked too).
    expect((await healthReport(env)).bindings).toEqual({
      MEDIA: { status: 'ok' },
      USER_MEDIA: { status: 'ok' },
      WEBHOOKS: { status: 'ok' },
    })
    const noArchive = await healthReport({ ...env, USER_MEDIA: undefined } as unknown as Env)
    expect(noArchive.bindings.USER_MEDIA).toMatchObject({ status: 'missing', reason: expect.stringMatching(/^USER_MEDIA is not bound/) })
    expect(noArchive.ok).toBe(false)
    const res = await fetchBare('/healthz')
    expect(res.status).toBe(503)
  })

  it('an upload is a configuration error, and the public view a 404', async () => {
    const res = await fetchBare('/admin/api/media?use=image', {
      method: 'POST',
      headers: { ...OWNER_AUTH, 'content-type': 'image/png' },
      body: png(),
    })
    expect(res.status).toBe(500)
    expect(await res.json()).toEqual({ error: 'server misconfigured: MEDIA is not bound' })
    expect((await fetchBare(`/media/${UNKNOWN}`)).status).toBe(404)
  })
})
