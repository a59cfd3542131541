/**
 * A fake of the WeChat server API on loopback, as strict as the real one: unknown token →
 * 40001, expired → 42001, missing multipart `media` → 41005, unparseable body → 47001,
 * unknown field names → 47001, bad openid → 40003, bad template_id → 40037, a retired
 * weapp_template_msg → 45103. It records every call (path, body, answer: `GET /__fake/calls`),
 * injects faults on request (any errcode, e.g. 43101 for one touser of subscribe/send, 43004
 * for uniform_send), and serves test images, so the Worker's tests (Vitest globalSetup), the local
 * stand-in (`npm start`) and other integration tests share one fake and never reach
 * api.weixin.qq.com. State is scoped by appid: parallel test files use their own appids.
 *
 * Control API (JSON in and out):
 *   GET  /__fake/health
 *   GET  /__fake/calls?appid=&touser=&path=      → {calls: FakeCall[]}
 *   POST /__fake/faults          FaultSpec | FaultSpec[]  → {queued}
 *   POST /__fake/expire-token?appid=             → {expired}   (next use → 42001)
 *   POST /__fake/apps            FakeAppConfig   → {ok}       (secret, expiresIn)
 *   GET  /__fake/apps?appid=                     → FakeAppState
 *   POST /__fake/media?appid=[&image=<name>]     → {media_id}  (a media_id WeChat "issued": a small PNG,
 *        or the image server's <name>, huge.png over 10 MB; media/get serves it)
 *   POST /__fake/user-actions  FakeUserAction | FakeUserAction[] → {ok}  (custom/send to that
 *        user is then held to WeChat's allowance: 45015 / 45047)
 *   POST /__fake/release?gate=                   → {ok}        (answers calls held by a gated fault)
 *   POST /__fake/reset?appid=                    → {ok}        (no appid: everything)
 *   GET  /__fake/images/<any/prefix/>name.png|.jpg|.jpeg|.gif[?chunked=1][?redirect=<url>]
 *        toolarge.* (~3 MiB PNG), notimage.* (HTML), missing.* (404), else a small image
 *   POST /__fake/webhook/<name>  any JSON     → {errcode: 0, errmsg: "ok"}, as a WeCom group
 *        robot answers (DESK_ALERT_WEBHOOK in the tests); recorded as a call with that path
 *        and the parsed body: read with GET /__fake/calls?path=/__fake/webhook/<name>
 *
 * Run alone: `npx tsx dev/fake-wechat.ts [port]` (default 8788, or FAKE_WECHAT_PORT).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { fakeImage, makePng, sniffUpload } from './fake-images'
import {
  checkCustomSend,
  checkStableToken,
  checkSubscribeSend,
  checkTokenQuery,
  checkTyping,
  checkUniformSend,
  isObject,
  wxError,
  type WxError,
} from './fake-wechat-checks'
import { FakeState, wallClockMs } from './fake-wechat-state'
import {
  FAKE_CONTROL_PREFIX,
  FAKE_IMAGE_PREFIX,
  FAKE_WEBHOOK_PREFIX,
  type CallFilter,
  type FakeAppConfig,
  type FakeCall,
  type FaultKind,
  type FaultSpec,
  type FakeUserAction,
} from './fake-wechat-types'
import { multipartBoundary, parseMultipart } from './multipart'

export type * from './fake-wechat-types'

export interface FakeWechatOptions {
  /** 0 (default) picks a free port. */
  port?: number
  host?: string
  /** expires_in of new tokens, seconds (default 7200). */
  expiresIn?: number
  apps?: FakeAppConfig[]
  /** The fake's clock (ms since epoch). */
  now?: () => number
  /** Where to print one line per call; silent by default. */
  log?: (line: string) => void
}

export interface FakeWechat {
  port: number
  /** `http://127.0.0.1:<port>`: the WECHAT_API_BASE to use. */
  url: string
  state: FakeState
  calls(filter?: CallFilter): FakeCall[]
  close(): Promise<void>
}

/** WeChat's limit on a temporary image, as this fake enforces it. */
export const FAKE_UPLOAD_MAX_BYTES = 2 * 1024 * 1024
const BODY_MAX_BYTES = 16 * 1024 * 1024

interface Answer {
  status: number
  json?: unknown
  text?: string
  bytes?: Buffer
  contentType?: string
}

interface CallContext {
  method: string
  path: string
  query: URLSearchParams
  raw: Buffer
  contentType: string | undefined
  token: string | null
  appid: string | null
  touser: string | null
  json: unknown
}

const ok = (json: unknown): Answer => ({ status: 200, json })
const fail = (error: WxError, status = 200): Answer => ({ status, json: error })

export async function startFakeWechat(options: FakeWechatOptions = {}): Promise<FakeWechat> {
  const state = new FakeState(options.expiresIn ?? 7200, options.now)
  for (const app of options.apps ?? []) state.configure(app.appid, app.secret, app.expiresIn)
  const log = options.log ?? (() => {})

  const server = createServer((req, res) => {
    handle(state, req, res, log).catch((error: unknown) => {
      log(`fake-wechat: handler failed: ${String(error)}`)
      if (!res.headersSent) send(res, { status: 500, text: 'fake failed' })
    })
  })
  // Node closes an idle keep-alive socket after 5 s; a client that reuses it at that moment
  // gets a reset (a -1001 network failure and a retry in the Worker under load). Idle sockets
  // stay open longer than any client here keeps them.
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    port,
    url: `http://127.0.0.1:${port}`,
    state,
    calls: (filter) => state.calls(filter),
    close: () =>
      new Promise<void>((resolve) => {
        // Hung requests keep their sockets open: end them, or close would wait forever.
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function handle(state: FakeState, req: IncomingMessage, res: ServerResponse, log: (line: string) => void): Promise<void> {
  const receivedAt = wallClockMs()
  const url = new URL(req.url ?? '/', 'http://fake.invalid')
  const raw = await readBody(req)
  if (url.pathname.startsWith(FAKE_IMAGE_PREFIX)) return serveImage(state, url, req, res)
  if (url.pathname.startsWith(FAKE_WEBHOOK_PREFIX)) return send(res, webhook(state, req, url, raw, receivedAt))
  if (url.pathname.startsWith(`${FAKE_CONTROL_PREFIX}/`)) return send(res, control(state, req.method ?? 'GET', url, raw))

  const context = callContext(state, req, url, raw)
  const fault = state.takeFault(context.path, context.appid, context.touser)
  const recordAs = (status: number | null, errcode: number | null) =>
    state.record({
      method: context.method,
      path: context.path,
      query: Object.fromEntries([...context.query].filter(([key]) => key !== 'access_token')),
      token: context.token,
      appid: context.appid,
      touser: context.touser,
      body: recordedBody(context),
      status,
      errcode,
      fault: fault?.kind ?? null,
      receivedAt,
    })
  // A gated call is on record from its arrival, and its answer is filled in on release.
  const held = fault?.gate === undefined ? null : recordAs(null, null)
  if (fault?.gate !== undefined) await state.gate(fault.gate)
  const record = (status: number | null, errcode: number | null) =>
    held ? Object.assign(held, { status, errcode }) : recordAs(status, errcode)
  const answer = fault && fault.kind !== 'lost_answer' ? null : route(state, context)

  if (fault?.kind === 'lost_answer') {
    const settled = answer ?? fail(wxError(-1, 'system error'), 500)
    const errcode = isObject(settled.json) && typeof settled.json.errcode === 'number' ? settled.json.errcode : 0
    record(settled.status, errcode)
    log(`fake-wechat: ${context.method} ${context.path} appid=${context.appid} → ${settled.status} ${errcode}, answer lost`)
    res.socket?.destroy()
    return
  }
  if (fault) {
    const outcome = applyFault(fault, res)
    record(outcome?.status ?? null, outcome?.errcode ?? null)
    log(`fake-wechat: ${context.method} ${context.path} appid=${context.appid} fault=${fault.kind}`)
    return
  }
  const settled = answer ?? fail(wxError(-1, 'system error'), 500)
  const errcode = isObject(settled.json) && typeof settled.json.errcode === 'number' ? settled.json.errcode : 0
  record(settled.status, errcode)
  log(`fake-wechat: ${context.method} ${context.path} appid=${context.appid} → ${settled.status} ${errcode}`)
  send(res, settled)
}

function callContext(state: FakeState, req: IncomingMessage, url: URL, raw: Buffer): CallContext {
  const contentType = req.headers['content-type']
  const json = multipartBoundary(contentType) ? undefined : parseJson(raw)
  const token = url.searchParams.get('access_token')
  const body = isObject(json) ? json : {}
  let appid: string | null
  if (url.pathname === '/cgi-bin/stable_token') appid = typeof body.appid === 'string' ? body.appid : null
  else if (url.pathname === '/cgi-bin/token') appid = url.searchParams.get('appid')
  else appid = state.checkToken(token).appid
  return {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    raw,
    contentType,
    token,
    appid,
    touser: typeof body.touser === 'string' ? body.touser : null,
    json,
  }
}

type Handler = (state: FakeState, context: CallContext, appid: string) => Answer

interface Route {
  method: 'GET' | 'POST'
  /** Calls that need a valid access_token get `appid` from it; token routes do not. */
  authenticated: boolean
  handler: Handler
}

const ROUTES: Record<string, Route> = {
  '/cgi-bin/stable_token': { method: 'POST', authenticated: false, handler: stableToken },
  '/cgi-bin/token': { method: 'GET', authenticated: false, handler: plainToken },
  '/cgi-bin/message/custom/send': { method: 'POST', authenticated: true, handler: customSend },
  '/cgi-bin/message/custom/business/typing': { method: 'POST', authenticated: true, handler: typing },
  // The Official Account path; WeChat also answers it for mini programs (older docs, WxJava).
  '/cgi-bin/message/custom/typing': { method: 'POST', authenticated: true, handler: typing },
  '/cgi-bin/media/upload': { method: 'POST', authenticated: true, handler: mediaUpload },
  '/cgi-bin/media/get': { method: 'GET', authenticated: true, handler: mediaGet },
  '/cgi-bin/message/subscribe/send': { method: 'POST', authenticated: true, handler: subscribeSend },
  '/cgi-bin/message/wxopen/template/uniform_send': { method: 'POST', authenticated: true, handler: uniformSend },
}

function route(state: FakeState, context: CallContext): Answer {
  const found = ROUTES[context.path]
  if (!found) return fail(wxError(40066, 'invalid url'), 404)
  if (context.method !== found.method) {
    return fail(found.method === 'POST' ? wxError(43002, 'require POST method') : wxError(43001, 'require GET method'))
  }
  if (!found.authenticated) return found.handler(state, context, '')
  const check = state.checkToken(context.token)
  if (!check.ok) return fail(wxError(check.errcode, check.errmsg))
  return found.handler(state, context, check.appid)
}

/** The JSON object body a POST route needs, or the error WeChat gives without one. */
function jsonBody(context: CallContext): Record<string, unknown> | WxError {
  if (context.raw.length === 0) return wxError(44002, 'empty post data')
  if (!isObject(context.json)) return wxError(47001, 'data format error')
  return context.json
}

const isError = (value: unknown): value is WxError =>
  isObject(value) && typeof value.errcode === 'number' && typeof value.errmsg === 'string'

function stableToken(state: FakeState, context: CallContext): Answer {
  const body = jsonBody(context)
  if (isError(body)) return fail(body)
  const request = checkStableToken(body)
  if (isError(request)) return fail(request)
  if (!state.secretMatches(request.appid, request.secret)) return fail(wxError(40125, 'invalid appsecret'))
  const issued = state.stableToken(request.appid, request.forceRefresh)
  if ('errcode' in issued) return fail(issued)
  const expiresIn = Math.max(0, Math.floor((issued.token.expiresAt - state.now()) / 1000))
  return ok({ access_token: issued.token.token, expires_in: expiresIn })
}

function plainToken(state: FakeState, context: CallContext): Answer {
  const request = checkTokenQuery(context.query)
  if (isError(request)) return fail(request)
  if (!state.secretMatches(request.appid, request.secret)) return fail(wxError(40125, 'invalid appsecret'))
  const token = state.plainToken(request.appid)
  return ok({ access_token: token.token, expires_in: state.app(request.appid).expiresIn })
}

function customSend(state: FakeState, context: CallContext, appid: string): Answer {
  const body = jsonBody(context)
  if (isError(body)) return fail(body)
  const checked = checkCustomSend(body)
  if (isError(checked)) return fail(checked)
  for (const mediaId of checked.mediaIds) {
    if (!state.media(appid, mediaId)) return fail(wxError(40007, 'invalid media_id'))
  }
  const refused = state.allowances.spend(appid, String(body.touser))
  if (refused) return fail(refused)
  return ok({ errcode: 0, errmsg: 'ok' })
}

function typing(_state: FakeState, context: CallContext): Answer {
  const body = jsonBody(context)
  if (isError(body)) return fail(body)
  const problem = checkTyping(body)
  return problem ? fail(problem) : ok({ errcode: 0, errmsg: 'ok' })
}

function subscribeSend(_state: FakeState, context: CallContext): Answer {
  const body = jsonBody(context)
  if (isError(body)) return fail(body)
  const problem = checkSubscribeSend(body)
  return problem ? fail(problem) : ok({ errcode: 0, errmsg: 'ok', msgid: Date.now() })
}

/** Whether the user follows the Official Account is not modelled: a test injects 43004. */
function uniformSend(_state: FakeState, context: CallContext): Answer {
  const body = jsonBody(context)
  if (isError(body)) return fail(body)
  const problem = checkUniformSend(body)
  return problem ? fail(problem) : ok({ errcode: 0, errmsg: 'ok' })
}

function mediaUpload(state: FakeState, context: CallContext, appid: string): Answer {
  const type = context.query.get('type')
  if (type !== 'image') return fail(wxError(40004, 'invalid media type'))
  const boundary = multipartBoundary(context.contentType)
  const parts = boundary ? parseMultipart(context.raw, boundary) : null
  const media = parts?.find((part) => part.name === 'media')
  if (!media || media.filename === null || media.data.length === 0) return fail(wxError(41005, 'media data missing'))
  const kind = sniffUpload(media.data)
  if (!kind) return fail(wxError(40005, 'invalid file type'))
  if (media.data.length > FAKE_UPLOAD_MAX_BYTES) return fail(wxError(40006, 'invalid meida size'))
  const mediaId = state.addMedia(appid, media.data, media.contentType ?? `image/${kind}`)
  return ok({ type: 'image', media_id: mediaId, created_at: Math.floor(state.now() / 1000) })
}

function mediaGet(state: FakeState, context: CallContext, appid: string): Answer {
  const media = state.media(appid, context.query.get('media_id') ?? '')
  if (!media) return fail(wxError(40007, 'invalid media_id'))
  return { status: 200, bytes: media.bytes, contentType: media.contentType }
}

/** Does what the fault says to the response; returns what was answered, null for none. */
function applyFault(fault: FaultSpec, res: ServerResponse): { status: number; errcode: number | null } | null {
  const kinds: Record<FaultKind, () => { status: number; errcode: number | null } | null> = {
    errcode: () => {
      const errcode = fault.errcode ?? -1
      send(res, ok({ errcode, errmsg: fault.errmsg ?? (errcode === -1 ? 'system error' : 'injected') }))
      return { status: 200, errcode }
    },
    http500: () => {
      send(res, { status: 500, text: '<html><body>500 Internal Server Error</body></html>', contentType: 'text/html' })
      return { status: 500, errcode: null }
    },
    malformed: () => {
      send(res, { status: 200, text: '{"errcode":0,"errm', contentType: 'application/json' })
      return { status: 200, errcode: null }
    },
    hang: () => null,
    reset: () => {
      res.socket?.destroy()
      return null
    },
    // Handled before any fault is applied: the call must be carried out first.
    lost_answer: () => null,
  }
  return kinds[fault.kind]()
}

/** A group robot's webhook (WeCom's answer to any JSON): the post is kept as a call. */
function webhook(state: FakeState, req: IncomingMessage, url: URL, raw: Buffer, receivedAt: number): Answer {
  const body = parseJson(raw)
  const answer = body === undefined ? ok({ errcode: 40008, errmsg: 'invalid message type' }) : ok({ errcode: 0, errmsg: 'ok' })
  const errcode = (answer.json as { errcode: number }).errcode
  state.record({
    method: req.method ?? 'POST',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    token: null,
    appid: null,
    touser: null,
    body: body ?? (raw.length === 0 ? null : raw.toString('utf8')),
    status: 200,
    errcode,
    fault: null,
    receivedAt,
  })
  return answer
}

function serveImage(state: FakeState, url: URL, req: IncomingMessage, res: ServerResponse): void {
  const fileName = url.pathname.slice(url.pathname.lastIndexOf('/') + 1)
  const fault = state.takeFault(url.pathname, null, null)
  const image = fault ? null : fakeImage(fileName)
  const status = fault ? null : image ? 200 : 404
  state.record({
    method: req.method ?? 'GET',
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    token: null,
    appid: null,
    touser: null,
    body: null,
    status,
    errcode: null,
    fault: fault?.kind ?? null,
  })
  if (fault) {
    applyFault(fault, res)
    return
  }
  if (!image) {
    send(res, { status: 404, text: 'not found' })
    return
  }
  const redirect = url.searchParams.get('redirect')
  if (redirect !== null) {
    res.writeHead(302, { location: redirect })
    res.end()
    return
  }
  if (url.searchParams.get('chunked') !== '1') {
    res.writeHead(200, { 'content-type': image.contentType, 'content-length': image.bytes.length })
    res.end(image.bytes)
    return
  }
  // No Content-Length: the client has to count while it reads.
  res.writeHead(200, { 'content-type': image.contentType })
  for (let at = 0; at < image.bytes.length; at += 64 * 1024) res.write(image.bytes.subarray(at, at + 64 * 1024))
  res.end()
}

function control(state: FakeState, method: string, url: URL, raw: Buffer): Answer {
  const action = url.pathname.slice(FAKE_CONTROL_PREFIX.length + 1)
  const appid = url.searchParams.get('appid') ?? undefined
  const key = `${method} ${action}`
  if (key === 'GET health') return ok({ ok: true })
  if (key === 'GET calls') {
    const filter: CallFilter = {}
    if (appid !== undefined) filter.appid = appid
    const touser = url.searchParams.get('touser')
    if (touser !== null) filter.touser = touser
    const path = url.searchParams.get('path')
    if (path !== null) filter.path = path
    return ok({ calls: state.calls(filter) })
  }
  if (key === 'POST faults') {
    const body = parseJson(raw)
    const faults = Array.isArray(body) ? body : [body]
    const problem = faults.map(faultProblem).find((p) => p !== null)
    if (problem) return { status: 400, json: { error: problem } }
    for (const fault of faults as FaultSpec[]) state.addFault(fault)
    return ok({ queued: faults.length })
  }
  if (key === 'POST apps') {
    const body = parseJson(raw)
    if (!isObject(body) || typeof body.appid !== 'string') return { status: 400, json: { error: 'appid required' } }
    const secret = typeof body.secret === 'string' ? body.secret : undefined
    const expiresIn = typeof body.expiresIn === 'number' ? body.expiresIn : undefined
    state.configure(body.appid, secret, expiresIn)
    return ok({ ok: true })
  }
  if (key === 'POST user-actions') {
    const body = parseJson(raw)
    const actions = Array.isArray(body) ? body : [body]
    const problem = actions.map(userActionProblem).find((p) => p !== null)
    if (problem) return { status: 400, json: { error: problem } }
    for (const action of actions as FakeUserAction[]) state.allowances.act(action)
    return ok({ ok: true })
  }
  if (key === 'POST release') {
    const gate = url.searchParams.get('gate')
    if (!gate) return { status: 400, json: { error: 'gate required' } }
    state.release(gate)
    return ok({ ok: true })
  }
  if (appid === undefined && key !== 'POST reset') return { status: 400, json: { error: 'appid required' } }
  if (key === 'GET apps' && appid) return ok(state.appState(appid))
  if (key === 'POST expire-token' && appid) return ok({ expired: state.expireTokens(appid) })
  if (key === 'POST media' && appid) {
    const image = issuedImage(url.searchParams.get('image'))
    if (!image)
      return { status: 400, json: { error: 'image: a name the image server knows (x.png, x.jpg, x.gif, notimage.png, huge.png)' } }
    return ok({ media_id: state.addMedia(appid, image.bytes, image.contentType) })
  }
  if (key === 'POST reset') {
    state.reset(appid)
    return ok({ ok: true })
  }
  return { status: 404, json: { error: `no control action ${key}` } }
}

/** A user's image WeChat keeps (what media/get serves): a small PNG, or one the image server names; `huge.*` is over 10 MB. */
function issuedImage(name: string | null): { bytes: Buffer; contentType: string } | null {
  if (name === null) return { bytes: makePng(4, 4), contentType: 'image/png' }
  if (/^huge\.\w+$/.test(name)) return { bytes: Buffer.concat([makePng(4, 4), Buffer.alloc(HUGE_MEDIA_BYTES)]), contentType: 'image/png' }
  return fakeImage(name)
}

const HUGE_MEDIA_BYTES = 10 * 1024 * 1024 + 1

const FAULT_KINDS: FaultKind[] = ['errcode', 'http500', 'hang', 'malformed', 'reset', 'lost_answer']

function faultProblem(value: unknown): string | null {
  if (!isObject(value)) return 'a fault is an object'
  if (typeof value.path !== 'string' || !value.path.startsWith('/')) return 'fault.path must start with /'
  if (!FAULT_KINDS.includes(value.kind as FaultKind)) return `fault.kind must be one of ${FAULT_KINDS.join(', ')}`
  if (value.times !== undefined && !(Number.isInteger(value.times) && Number(value.times) > 0)) {
    return 'fault.times must be a positive integer'
  }
  if (value.errcode !== undefined && !Number.isInteger(value.errcode)) return 'fault.errcode must be an integer'
  for (const key of ['appid', 'touser', 'errmsg', 'gate'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'string') return `fault.${key} must be a string`
  }
  return null
}

function userActionProblem(value: unknown): string | null {
  if (!isObject(value)) return 'a user action is an object'
  if (typeof value.appid !== 'string' || typeof value.openid !== 'string') return 'a user action names appid and openid'
  if (value.kind !== 'message' && value.kind !== 'enter_session') return 'kind must be message or enter_session'
  if (value.at !== undefined && typeof value.at !== 'number') return 'at must be ms since the epoch'
  return null
}

function recordedBody(context: CallContext): unknown {
  if (context.raw.length === 0) return null
  const boundary = multipartBoundary(context.contentType)
  if (boundary) {
    const parts = parseMultipart(context.raw, boundary)
    if (!parts) return { parts: null }
    return {
      parts: parts.map((part) => ({
        name: part.name,
        filename: part.filename,
        contentType: part.contentType,
        size: part.data.length,
      })),
    }
  }
  if (context.json === undefined) return context.raw.toString('utf8')
  // The secret is checked, not kept: recorded calls end up in test output and dev logs.
  if (isObject(context.json) && typeof context.json.secret === 'string') return { ...context.json, secret: '<redacted>' }
  return context.json
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch {
    return undefined
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = chunk as Buffer
    size += buffer.length
    // Past the limit the rest is drained, not kept: the handler then sees an empty body.
    if (size <= BODY_MAX_BYTES) chunks.push(buffer)
  }
  return size <= BODY_MAX_BYTES ? Buffer.concat(chunks) : Buffer.alloc(0)
}

function send(res: ServerResponse, answer: Answer): void {
  const body = answer.bytes ?? Buffer.from(answer.text ?? JSON.stringify(answer.json))
  const json = answer.text === undefined && answer.bytes === undefined
  const contentType = answer.contentType ?? (json ? 'application/json; encoding=utf-8' : 'text/plain')
  res.writeHead(answer.status, { 'content-type': contentType, 'content-length': body.length })
  res.end(body)
}

/** `npx tsx dev/fake-wechat.ts [port]`: the fake on its own, logging each call. */
async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? process.env.FAKE_WECHAT_PORT ?? 8788)
  const fake = await startFakeWechat({ port, log: (line) => console.log(line) })
  console.log(`fake WeChat API on ${fake.url} (WECHAT_API_BASE=${fake.url})`)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void fake.close().then(() => process.exit(0)))
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main()
