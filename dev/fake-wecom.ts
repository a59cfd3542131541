/**
 * A strict stand-in for the 微信客服 (WeCom kf) server API on loopback, for `npm start` and the
 * tests: gettoken, kf/sync_msg with real cursor and token semantics, kf/send_msg with its
 * state, window and count rules, kf/send_msg_on_event, kf/service_state/get and /trans. The
 * rules and which of them are the stand-in's own choices: dev/fake-wecom-state.ts. State is
 * scoped by corpid (tests use their own), with a clock per corp.
 *
 * Control API (JSON in and out, under /__fake/kf):
 *   GET  /health
 *   POST /corps        FakeCorpConfig                       → {ok}   (secret, callback keys, callbackUrl)
 *   POST /accounts     {corpid, openKfId, servicers?}       → {ok}
 *   POST /messages     FakeCustomerMessage                  → {msgid, callback?}  a customer writes;
 *        the callback is signed and encrypted as WeChat Work's, POSTed to callbackUrl when set
 *        (`delivered` is the answer's status) and returned for a test to post itself
 *   POST /enter        FakeEnterSession                     → {msgid, welcomeCode, callback}
 *   POST /send-fail    {corpid, openKfId, msgid, failType?} → {msgid, callback}  a msg_send_fail
 *        event for a sent msgid, in the next pull (404 for a msgid never sent)
 *   POST /callback     {corpid, openKfId}                   → {callback}  a notice with nothing new
 *   POST /state        {corpid, openKfId, externalUserid, state, servicerUserid?} → {ok}
 *   GET  /customer?corpid=&openKfId=&externalUserid=        → FakeCustomerState (404 unknown)
 *   GET  /sent?corpid=[&openKfId=]                          → {sent: FakeSent[]}
 *   GET  /calls?corpid=                                     → {calls: FakeKfCall[]}
 *   GET  /tokens?corpid=                                    → {tokens}  every access_token issued
 *   POST /expire-token?corpid=                              → {ok}   (next use → 42001)
 *   POST /advance      {corpid, seconds}                    → {ok}   (the corp's clock moves on)
 *   POST /faults       FakeKfFault | FakeKfFault[]           → {queued}
 *   POST /reset?corpid=                                     → {ok}   (no corpid: everything)
 *
 * Run alone: `npx tsx dev/fake-wecom.ts [port]` (default 8791).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { sealNotice } from './fake-wecom-callback'
import { multipartBoundary, parseMultipart } from './multipart'
import { type Answer, err, FakeKfState } from './fake-wecom-state'
import {
  FAKE_KF_CONTROL_PREFIX,
  type FakeCallback,
  type FakeCorpConfig,
  type FakeCustomerMessage,
  type FakeEnterSession,
  type FakeKfFault,
} from './fake-wecom-types'

export type * from './fake-wecom-types'
export { FAKE_KF_UNTOKENED_PER_MINUTE } from './fake-wecom-state'

export const DEFAULT_FAKE_WECOM_PORT = 8791
const BODY_MAX_BYTES = 1024 * 1024

export interface FakeWecomOptions {
  /** 0 (default) picks a free port. */
  port?: number
  host?: string
  corps?: FakeCorpConfig[]
  /** Wall clock, ms (each corp adds its own offset). */
  now?: () => number
  /** One line per call; silent by default. */
  log?: (line: string) => void
}

export interface FakeWecom {
  port: number
  url: string
  state: FakeKfState
  close(): Promise<void>
}

type Reply = { status: number; json: unknown }
type Json = Record<string, unknown>

const KF_PATHS: Record<string, (state: FakeKfState, corp: NonNullable<ReturnType<FakeKfState['corp']>>, body: Json) => Answer> = {
  '/cgi-bin/kf/sync_msg': (s, c, b) => s.syncMsg(c, b),
  '/cgi-bin/kf/send_msg': (s, c, b) => s.sendMsg(c, b),
  '/cgi-bin/kf/send_msg_on_event': (s, c, b) => s.sendMsgOnEvent(c, b),
  '/cgi-bin/kf/service_state/get': (s, c, b) => s.serviceStateGet(c, b),
  '/cgi-bin/kf/service_state/trans': (s, c, b) => s.serviceStateTrans(c, b),
}

export async function startFakeWecom(options: FakeWecomOptions = {}): Promise<FakeWecom> {
  const state = new FakeKfState(options.now)
  for (const corp of options.corps ?? []) state.configure(corp)
  const log = options.log ?? (() => {})
  const server = createServer((req, res) => {
    handle(state, req, log)
      .then((reply) => send(res, reply))
      .catch((error: unknown) => {
        log(`fake-wecom: handler failed: ${String(error)}`)
        if (!res.headersSent) send(res, { status: 500, json: { error: 'fake failed' } })
      })
  })
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function handle(state: FakeKfState, req: IncomingMessage, log: (line: string) => void): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://fake.invalid')
  const raw = await readBody(req)
  if (url.pathname.startsWith(`${FAKE_KF_CONTROL_PREFIX}/`)) return control(state, req.method ?? 'GET', url, raw)

  if (url.pathname === '/cgi-bin/gettoken') {
    const corpid = url.searchParams.get('corpid') ?? ''
    const answer = state.takeFault(corpid, url.pathname) ?? state.gettoken(corpid, url.searchParams.get('corpsecret') ?? '')
    state.record(corpid, { path: url.pathname, errcode: answer.errcode })
    log(`fake-wecom: gettoken corpid=${corpid} → ${answer.errcode}`)
    return { status: 200, json: answer }
  }
  if (url.pathname === '/cgi-bin/media/upload') return mediaUpload(state, req, url, raw, log)
  const api = KF_PATHS[url.pathname]
  if (!api) return { status: 404, json: err(-1, 'no such API in the stand-in') }
  if (req.method !== 'POST') return { status: 200, json: err(-1, 'POST only') }

  const checked = state.checkToken(url.searchParams.get('access_token'))
  const corpid = 'corp' in checked ? checked.corp.config.corpid : checked.corpid
  const body = parseJson(raw)
  const answer =
    'answer' in checked
      ? checked.answer
      : (state.takeFault(corpid, url.pathname) ?? (body === null ? err(47001, 'data format error') : api(state, checked.corp, body)))
  state.record(corpid, {
    path: url.pathname,
    errcode: answer.errcode,
    ...(url.pathname === '/cgi-bin/kf/sync_msg' && body
      ? { withToken: typeof body.token === 'string' && body.token !== '', openKfId: String(body.open_kfid ?? '') }
      : {}),
  })
  log(`fake-wecom: ${url.pathname} corpid=${corpid} → ${answer.errcode}`)
  return { status: 200, json: answer }
}

/** `media/upload`: multipart with the image in the part named `media`. */
function mediaUpload(state: FakeKfState, req: IncomingMessage, url: URL, raw: Buffer, log: (line: string) => void): Reply {
  if (req.method !== 'POST') return { status: 200, json: err(-1, 'POST only') }
  const checked = state.checkToken(url.searchParams.get('access_token'))
  const corpid = 'corp' in checked ? checked.corp.config.corpid : checked.corpid
  const boundary = multipartBoundary(req.headers['content-type'])
  const parts = boundary === null ? null : parseMultipart(raw, boundary)
  const part = parts?.find((p) => p.name === 'media') ?? null
  const answer =
    'answer' in checked
      ? checked.answer
      : (state.takeFault(corpid, url.pathname) ??
        state.uploadMedia(checked.corp, url.searchParams.get('type'), part && { name: part.name, data: part.data }))
  state.record(corpid, { path: url.pathname, errcode: answer.errcode })
  log(`fake-wecom: media/upload corpid=${corpid} → ${answer.errcode}`)
  return { status: 200, json: answer }
}

async function control(state: FakeKfState, method: string, url: URL, raw: Buffer): Promise<Reply> {
  const action = url.pathname.slice(FAKE_KF_CONTROL_PREFIX.length + 1)
  const query = url.searchParams
  const body = (parseJson(raw) ?? {}) as Json
  const okReply = (json: unknown = { ok: true }): Reply => ({ status: 200, json })
  const corpid = String(body.corpid ?? query.get('corpid') ?? '')
  const needCorp = (): Reply | null => (state.corp(corpid) ? null : { status: 404, json: { error: `unknown corp ${corpid}` } })

  switch (`${method} ${action}`) {
    case 'GET health':
      return okReply()
    case 'POST corps':
      state.configure(body as unknown as FakeCorpConfig)
      return okReply()
    case 'POST reset':
      state.reset(query.get('corpid') ?? undefined)
      return okReply()
    case 'POST faults': {
      // A list (each fault names its corp), or one fault.
      const parsed: unknown = JSON.parse(raw.toString('utf8') || '{}')
      const faults = (Array.isArray(parsed) ? parsed : [parsed]) as FakeKfFault[]
      if (faults.some((fault) => !state.corp(String(fault.corpid))))
        return { status: 404, json: { error: 'a fault names an unknown corp' } }
      state.addFaults(faults)
      return okReply({ queued: faults.length })
    }
  }
  const missing = needCorp()
  if (missing) return missing
  switch (`${method} ${action}`) {
    case 'POST accounts':
      state.account(corpid, String(body.openKfId), Array.isArray(body.servicers) ? body.servicers.map(String) : undefined)
      return okReply()
    case 'POST messages': {
      const input = body as unknown as FakeCustomerMessage
      const msgtype = input.msgtype ?? 'text'
      const payload = input.payload ?? { content: input.content ?? '' }
      const msgid = state.customerMessage(corpid, input.openKfId, input.externalUserid, msgtype, payload, input.ageSeconds ?? 0)
      const callback = input.notify === false ? undefined : await notify(state, corpid, input.openKfId)
      return okReply({ msgid, ...(callback ? { callback } : {}) })
    }
    case 'POST enter': {
      const input = body as unknown as FakeEnterSession
      const entered = state.enterSession(corpid, input)
      return okReply({ ...entered, callback: await notify(state, corpid, input.openKfId) })
    }
    case 'POST send-fail': {
      const openKfId = String(body.openKfId)
      const msgid = state.sendFail(corpid, openKfId, String(body.msgid), typeof body.failType === 'number' ? body.failType : 0)
      if (msgid === null) return { status: 404, json: { error: 'no such msgid was sent on that account' } }
      return okReply({ msgid, callback: await notify(state, corpid, openKfId) })
    }
    case 'POST callback':
      return okReply({ callback: await notify(state, corpid, String(body.openKfId)) })
    case 'POST state': {
      const to = body.state
      if (to !== 0 && to !== 1 && to !== 2 && to !== 3 && to !== 4) return { status: 400, json: { error: 'state is 0 to 4' } }
      const servicer = typeof body.servicerUserid === 'string' ? body.servicerUserid : undefined
      state.setState(corpid, String(body.openKfId), String(body.externalUserid), to, servicer)
      return okReply()
    }
    case 'GET customer': {
      const customer = state.customerState(corpid, query.get('openKfId') ?? '', query.get('externalUserid') ?? '')
      return customer ? okReply(customer) : { status: 404, json: { error: 'no such customer' } }
    }
    case 'GET sent':
      return okReply({ sent: state.sent(corpid, query.get('openKfId') ?? undefined) })
    case 'GET calls':
      return okReply({ calls: state.calls(corpid) })
    case 'GET tokens':
      return okReply({ tokens: state.tokensOf(corpid) })
    case 'POST expire-token':
      state.expireToken(corpid)
      return okReply()
    case 'POST advance':
      state.advance(corpid, Number(body.seconds ?? 0))
      return okReply()
    default:
      return { status: 404, json: { error: `no control ${method} ${action}` } }
  }
}

/** A fresh sync token in a signed, encrypted notice; POSTed to the corp's callbackUrl when set. */
async function notify(state: FakeKfState, corpid: string, openKfId: string): Promise<FakeCallback> {
  const corp = state.corp(corpid)
  if (!corp) throw new Error(`unknown corp ${corpid}`)
  const { config } = corp
  const syncToken = state.issueSyncToken(corpid, openKfId)
  const signed = await sealNotice(
    { corpid, token: config.callbackToken, aesKey: config.aesKey },
    { syncToken, openKfId, createTime: state.now(corp) },
    // Signed by the wall clock: the Worker checks freshness against its own.
    {},
  )
  const callback: FakeCallback = { query: signed.query.toString(), body: signed.body, token: syncToken, openKfId }
  if (!config.callbackUrl) return callback
  try {
    const response = await fetch(`${config.callbackUrl}?${callback.query}`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: callback.body,
    })
    await response.body?.cancel()
    return { ...callback, delivered: response.status }
  } catch {
    return { ...callback, delivered: null }
  }
}

function parseJson(raw: Buffer): Json | null {
  try {
    const value: unknown = JSON.parse(raw.toString('utf8'))
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : null
  } catch {
    return null
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > BODY_MAX_BYTES) req.destroy(new Error('body too large'))
      else chunks.push(chunk)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function send(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.json)
  res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.argv[2] ?? DEFAULT_FAKE_WECOM_PORT)
  const fake = await startFakeWecom({ port, log: console.log })
  console.log(`微信客服 stand-in on ${fake.url}`)
}
