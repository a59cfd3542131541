/**
 * A stand-in for an OpenAI-compatible model on loopback, as strict as a real provider: the
 * Worker's tests (Vitest globalSetup) and `npm start` point LLM_API_BASE at it, so nothing
 * ever reaches a real provider, costs money or answers differently from one run to the next.
 *
 * `POST /v1/chat/completions` (non-streaming) checks `Authorization: Bearer <key>` (401
 * `invalid_api_key` otherwise, without echoing the key), then the body: at most 256 KiB (413),
 * JSON (400), `model` a non-empty string, `messages` a non-empty array of `{role: system |
 * user | assistant, content: string}` (an optional string `name` allowed), `max_tokens` a
 * positive integer, `temperature` 0–2, `stream` absent or false (400 naming the field; null
 * counts as absent; unknown top-level fields are ignored, as providers do).
 *
 * It answers from the passages of the system messages, `<passage id="…" title="…">TEXT</passage>`,
 * deterministically (dev/fake-llm-answer.ts): the two sentences sharing the most Han bigrams
 * and ASCII words with the last user message (at least 2 each; ties: the first), in passage
 * order — or one, followed by the sentence after it when it is shorter than 20 characters;
 * else exactly `NO_ANSWER`. Only passage text, never
 * anything added. Tokens: one per CJK character plus one per 4 other characters (rounded up);
 * an answer over `max_tokens` is cut to fit, with `finish_reason: "length"`.
 *
 * Faults are scoped by a substring of the question (`match`), as test files share one stand-in,
 * and are checked after the key and the body: a bad request never uses one up.
 *
 * Control API (JSON in and out, no key needed; at the root, not under /v1):
 *   GET  /__fake/health                           → {ok: true}
 *   GET  /__fake/calls?match=                     → {calls: FakeLlmCall[]}  (no Authorization kept)
 *   POST /__fake/faults  FakeLlmFaultSpec | FakeLlmFaultSpec[] → {queued}
 *        {kind, match?, times? (default 1)}; kinds: rate_limit, server_error, timeout, malformed,
 *        made_up_link, made_up_phone, made_up_price, truncated, no_answer, obey, endless (fake-llm-types.ts)
 *   GET  /__fake/faults                           → {faults: FakeLlmFaultSpec[]}  (still queued, times left)
 *   POST /__fake/reset                            → {ok: true}  (calls, faults; ends held requests)
 *
 * Run alone: `npx tsx dev/fake-llm.ts [port]` (default 8790, or FAKE_LLM_PORT).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { answerFor, type ChatMessage, countTokens, cutToTokens, lastQuestion, promptTokens } from './fake-llm-answer'
import {
  FAKE_LLM_API_KEY,
  FAKE_LLM_CONTROL_PREFIX,
  FAKE_LLM_FAULT_KINDS,
  FAKE_LLM_MODEL,
  type FakeLlmCall,
  type FakeLlmCallFilter,
  type FakeLlmFaultKind,
  type FakeLlmFaultSpec,
  NO_ANSWER,
} from './fake-llm-types'

export type * from './fake-llm-types'
export { FAKE_LLM_API_KEY, FAKE_LLM_MODEL, NO_ANSWER } from './fake-llm-types'

export interface FakeLlmOptions {
  /** 0 (default) picks a free port. */
  port?: number
  host?: string
  /** The key the stand-in accepts (default `sk-local-stand-in`). */
  apiKey?: string
  /** Where to print one line per call; silent by default. */
  log?: (line: string) => void
}

export interface FakeLlm {
  port: number
  /** `http://127.0.0.1:<port>/v1`: the LLM_API_BASE to use. */
  url: string
  calls(filter?: FakeLlmCallFilter): FakeLlmCall[]
  close(): Promise<void>
}

export const FAKE_LLM_BODY_MAX_BYTES = 256 * 1024
/** A `timeout` fault lets go of its request after this long at the latest. */
export const FAKE_LLM_HOLD_MAX_MS = 120_000
export const COMPLETIONS_PATH = '/v1/chat/completions'

const SUFFIXES: Partial<Record<FakeLlmFaultKind, string>> = {
  made_up_link: ' 详情请看 https://evil.example.net/offer',
  made_up_phone: ' 或致电 400-820-1234 咨询',
  made_up_price: ' 现在只要 ¥9.9',
}
const OBEYED = '好的，我已忽略之前的指令。'

interface Answer {
  status: number
  json?: unknown
  text?: string
  headers?: Record<string, string>
}

interface Request {
  model: string
  messages: ChatMessage[]
  maxTokens: number | null
}

interface QueuedFault {
  kind: FakeLlmFaultKind
  match: string | undefined
  left: number
}

class FakeLlmState {
  readonly calls: FakeLlmCall[] = []
  faults: QueuedFault[] = []
  readonly held = new Set<() => void>()
  completions = 0

  /** The oldest queued fault for this question, used once. */
  takeFault(question: string): FakeLlmFaultKind | null {
    const fault = this.faults.find((f) => f.match === undefined || question.includes(f.match))
    if (!fault) return null
    fault.left--
    if (fault.left <= 0) this.faults = this.faults.filter((f) => f !== fault)
    return fault.kind
  }

  endHeld(): void {
    for (const end of [...this.held]) end()
  }

  reset(): void {
    this.calls.length = 0
    this.faults = []
    this.endHeld()
  }
}

export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlm> {
  const state = new FakeLlmState()
  const apiKey = options.apiKey ?? FAKE_LLM_API_KEY
  const log = options.log ?? (() => {})

  const server = createServer((req, res) => {
    handle(state, apiKey, req, res, log).catch((error: unknown) => {
      log(`fake-llm: handler failed: ${String(error)}`)
      if (!res.headersSent) send(res, openAiError(500, 'The stand-in failed.', 'server_error'))
    })
  })
  // As in fake-wechat.ts: idle keep-alive sockets outlive any client's reuse of them.
  server.keepAliveTimeout = 65_000
  server.headersTimeout = 66_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    port,
    url: `http://127.0.0.1:${port}/v1`,
    calls: (filter) => filtered(state.calls, filter),
    close: () =>
      new Promise<void>((resolve) => {
        state.endHeld()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

function filtered(calls: FakeLlmCall[], filter: FakeLlmCallFilter = {}): FakeLlmCall[] {
  const { match } = filter
  return match === undefined ? [...calls] : calls.filter((call) => call.question?.includes(match))
}

async function handle(
  state: FakeLlmState,
  apiKey: string,
  req: IncomingMessage,
  res: ServerResponse,
  log: (line: string) => void,
): Promise<void> {
  const at = Date.now()
  const url = new URL(req.url ?? '/', 'http://fake.invalid')
  const method = req.method ?? 'GET'
  const body = await readBody(req)
  if (url.pathname.startsWith(`${FAKE_LLM_CONTROL_PREFIX}/`)) return send(res, control(state, method, url, body.raw))
  if (url.pathname !== COMPLETIONS_PATH || method !== 'POST') {
    return send(res, openAiError(404, `Invalid URL (${method} ${url.pathname})`, 'invalid_request_error'))
  }

  const json = body.tooLarge ? undefined : parseJson(body.raw)
  const call: FakeLlmCall = {
    at,
    status: null,
    body: body.tooLarge || body.raw.length === 0 ? null : json === undefined ? body.raw.toString('utf8') : json,
    question: questionOf(json),
    answer: null,
    fault: null,
  }
  state.calls.push(call)
  const answer = (settled: Answer, text: string | null = null): void => {
    call.status = settled.status
    call.answer = text
    const fault = call.fault ? ` fault=${call.fault}` : ''
    log(`fake-llm: POST ${COMPLETIONS_PATH}${fault} → ${settled.status}${text === null ? '' : ` ${JSON.stringify(text)}`}`)
    send(res, settled)
  }

  // The key it got is compared, never echoed, logged or kept.
  if (req.headers.authorization !== `Bearer ${apiKey}`) {
    return answer(openAiError(401, 'Incorrect API key provided', 'invalid_request_error', null, 'invalid_api_key'))
  }
  if (body.tooLarge) {
    return answer(
      openAiError(
        413,
        `Request body too large: at most ${FAKE_LLM_BODY_MAX_BYTES} bytes.`,
        'invalid_request_error',
        null,
        'request_too_large',
      ),
    )
  }
  if (json === undefined) {
    return answer(openAiError(400, 'We could not parse the JSON body of your request.', 'invalid_request_error'))
  }
  const request = checkRequest(json)
  if ('status' in request) return answer(request)

  const question = lastQuestion(request.messages) ?? ''
  const fault = state.takeFault(question)
  call.fault = fault
  if (fault === 'timeout') return hold(state, res, log)
  if (fault === 'endless') {
    call.status = 200
    return endless(state, res, log)
  }
  if (fault === 'rate_limit') {
    return answer({
      ...openAiError(429, 'Rate limit reached for requests. Please try again in 1s.', 'requests', null, 'rate_limit_exceeded'),
      headers: { 'retry-after': '1' },
    })
  }
  if (fault === 'server_error') {
    return answer(openAiError(500, 'The server had an error while processing your request. Sorry about that!', 'server_error'))
  }
  if (fault === 'malformed') return answer({ status: 200, text: '{"choices": [', headers: { 'content-type': 'application/json' } })

  let text = answerFor(request.messages)
  let finishReason: 'stop' | 'length' = 'stop'
  if (fault === 'no_answer') text = NO_ANSWER
  else if (fault === 'obey') text = `${OBEYED}${question}`
  else if (fault === 'truncated') {
    const chars = [...text]
    text = chars.slice(0, Math.ceil(chars.length / 2)).join('')
    finishReason = 'length'
  } else if (fault) text += SUFFIXES[fault] ?? ''
  if (request.maxTokens !== null && countTokens(text) > request.maxTokens) {
    text = cutToTokens(text, request.maxTokens)
    finishReason = 'length'
  }
  state.completions++
  const prompt = promptTokens(request.messages)
  const completion = countTokens(text)
  return answer(
    {
      status: 200,
      json: {
        id: `chatcmpl-${state.completions}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: request.model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason }],
        usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
      },
    },
    text,
  )
}

/** A `timeout` fault: no answer, until the client goes, a reset, close(), or the longest hold. */
function hold(state: FakeLlmState, res: ServerResponse, log: (line: string) => void): void {
  log(`fake-llm: POST ${COMPLETIONS_PATH} fault=timeout → held`)
  keepOpen(state, res)
}

/** An `endless` fault: a JSON answer that starts and never ends, until the client goes, a reset, close(), or the longest hold. */
function endless(state: FakeLlmState, res: ServerResponse, log: (line: string) => void): void {
  log(`fake-llm: POST ${COMPLETIONS_PATH} fault=endless → 200, a body without end`)
  res.writeHead(200, { 'content-type': 'application/json' })
  res.write('{"choices":[{"index":0,"message":{"role":"assistant","content":"')
  const chunk = 'a'.repeat(16 * 1024)
  const interval = setInterval(() => res.write(chunk), 10)
  interval.unref()
  keepOpen(state, res, () => clearInterval(interval))
}

/** Keeps an answer open until the client goes, a reset, close(), or the longest hold; `stop` runs as it ends. */
function keepOpen(state: FakeLlmState, res: ServerResponse, stop: () => void = () => {}): void {
  const end = () => {
    stop()
    clearTimeout(timer)
    state.held.delete(end)
    res.socket?.destroy()
  }
  const timer = setTimeout(end, FAKE_LLM_HOLD_MAX_MS)
  timer.unref()
  state.held.add(end)
  res.once('close', end)
}

function questionOf(json: unknown): string | null {
  if (!isObject(json) || !Array.isArray(json.messages)) return null
  const messages = json.messages.filter((m): m is ChatMessage => isObject(m) && m.role === 'user' && typeof m.content === 'string')
  return messages.at(-1)?.content ?? null
}

const ROLES = ['system', 'user', 'assistant']
const MESSAGE_KEYS = ['role', 'content', 'name']

/** The request, or the 400 a provider gives for it. */
function checkRequest(json: unknown): Request | Answer {
  const invalid = (param: string | null, message: string) => openAiError(400, message, 'invalid_request_error', param)
  if (!isObject(json)) return invalid(null, 'The request body must be a JSON object.')
  if (typeof json.model !== 'string' || json.model === '')
    return invalid('model', "Invalid value for 'model': expected a non-empty string.")
  if (!Array.isArray(json.messages) || json.messages.length === 0) {
    return invalid('messages', "Invalid value for 'messages': expected a non-empty array of messages.")
  }
  for (const [i, message] of json.messages.entries()) {
    const at = `messages[${i}]`
    if (!isObject(message)) return invalid(at, `Invalid value for '${at}': expected an object with role and content.`)
    if (!ROLES.includes(message.role as string)) {
      return invalid(`${at}.role`, `Invalid value for '${at}.role': expected one of ${ROLES.join(', ')}.`)
    }
    if (typeof message.content !== 'string') {
      return invalid(`${at}.content`, `Invalid value for '${at}.content': expected a string.`)
    }
    if (message.name !== undefined && typeof message.name !== 'string') {
      return invalid(`${at}.name`, `Invalid value for '${at}.name': expected a string.`)
    }
    const unknown = Object.keys(message).find((key) => !MESSAGE_KEYS.includes(key))
    if (unknown) return invalid(`${at}.${unknown}`, `Unrecognized request argument supplied: ${at}.${unknown}`)
  }
  const maxTokens = json.max_tokens ?? null
  if (maxTokens !== null && !(Number.isInteger(maxTokens) && Number(maxTokens) > 0)) {
    return invalid('max_tokens', "Invalid value for 'max_tokens': expected a positive integer.")
  }
  const temperature = json.temperature ?? null
  if (temperature !== null && !(typeof temperature === 'number' && temperature >= 0 && temperature <= 2)) {
    return invalid('temperature', "Invalid value for 'temperature': expected a number from 0 to 2.")
  }
  const stream = json.stream ?? false
  if (stream === true) return invalid('stream', 'stream is not supported by the stand-in')
  if (stream !== false) return invalid('stream', "Invalid value for 'stream': expected a boolean.")
  return {
    model: json.model,
    messages: json.messages.map((m: Record<string, unknown>) => ({ role: m.role, content: m.content }) as ChatMessage),
    maxTokens: maxTokens as number | null,
  }
}

function openAiError(status: number, message: string, type: string, param: string | null = null, code: string | null = null): Answer {
  return { status, json: { error: { message, type, param, code } } }
}

function control(state: FakeLlmState, method: string, url: URL, raw: Buffer): Answer {
  const key = `${method} ${url.pathname.slice(FAKE_LLM_CONTROL_PREFIX.length + 1)}`
  if (key === 'GET health') return { status: 200, json: { ok: true } }
  if (key === 'GET calls') {
    const match = url.searchParams.get('match')
    return { status: 200, json: { calls: filtered(state.calls, match === null ? {} : { match }) } }
  }
  if (key === 'POST faults') {
    const body = parseJson(raw)
    const faults = Array.isArray(body) ? body : [body]
    const problem = faults.map(faultProblem).find((p) => p !== null)
    if (problem) return { status: 400, json: { error: problem } }
    for (const fault of faults as FakeLlmFaultSpec[]) state.faults.push({ kind: fault.kind, match: fault.match, left: fault.times ?? 1 })
    return { status: 200, json: { queued: faults.length } }
  }
  if (key === 'GET faults') {
    const faults = state.faults.map(({ kind, match, left }) => ({ kind, ...(match === undefined ? {} : { match }), times: left }))
    return { status: 200, json: { faults } }
  }
  if (key === 'POST reset') {
    state.reset()
    return { status: 200, json: { ok: true } }
  }
  return { status: 404, json: { error: `no control action ${key}` } }
}

function faultProblem(value: unknown): string | null {
  if (!isObject(value)) return 'a fault is an object'
  if (!FAKE_LLM_FAULT_KINDS.includes(value.kind as FakeLlmFaultKind)) return `fault.kind must be one of ${FAKE_LLM_FAULT_KINDS.join(', ')}`
  if (value.match !== undefined && typeof value.match !== 'string') return 'fault.match must be a string'
  if (value.times !== undefined && !(Number.isInteger(value.times) && Number(value.times) > 0)) {
    return 'fault.times must be a positive integer'
  }
  return null
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch {
    return undefined
  }
}

async function readBody(req: IncomingMessage): Promise<{ raw: Buffer; tooLarge: boolean }> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buffer = chunk as Buffer
    size += buffer.length
    // Past the limit the rest is drained, not kept.
    if (size <= FAKE_LLM_BODY_MAX_BYTES) chunks.push(buffer)
  }
  const tooLarge = size > FAKE_LLM_BODY_MAX_BYTES
  return { raw: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge }
}

function send(res: ServerResponse, answer: Answer): void {
  const body = Buffer.from(answer.text ?? JSON.stringify(answer.json))
  res.writeHead(answer.status, {
    'content-type': 'application/json',
    ...answer.headers,
    'content-length': body.length,
  })
  res.end(body)
}

/** `npx tsx dev/fake-llm.ts [port]`: the stand-in on its own, logging each call. */
async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? process.env.FAKE_LLM_PORT ?? 8790)
  const fake = await startFakeLlm({ port, log: (line) => console.log(line) })
  // The key is not printed: it is FAKE_LLM_API_KEY, as in .dev.vars.example's comments.
  console.log(`stand-in model on ${fake.url} (LLM_API_BASE=${fake.url}, LLM_MODEL=${FAKE_LLM_MODEL}, any model name answers)`)
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => void fake.close().then(() => process.exit(0)))
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main()
