/**
 * The doctor's requests: every one with a time-out that covers the answer's body too (a hung
 * Worker cannot hang the doctor), bodies read up to 64 KiB, and a failure to get an answer at
 * all (DNS, TLS, a refused connection, the time-out) explained in words an operator can act on.
 */

/** `fetch`, or a stand-in for it in the tests. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>

export interface Probe {
  fetch: FetchLike
  /** Each request, body included, gives up after this long. */
  timeoutMs: number
}

export interface Answer {
  status: number
  /** The body as text, at most MAX_BODY bytes of it. */
  text: string
  headers: Headers
}

/** Why no answer came: what happened, the likely cause, the fix. */
export interface Unreachable {
  what: string
  cause: string
  fix: string
}

export type Outcome = { answer: Answer } | { unreachable: Unreachable }

const MAX_BODY = 64 * 1024

export async function request(probe: Probe, url: string, init: RequestInit = {}): Promise<Outcome> {
  const signal = AbortSignal.timeout(probe.timeoutMs)
  try {
    const res = await probe.fetch(url, { ...init, signal, redirect: 'manual' })
    return { answer: { status: res.status, text: await boundedText(res), headers: res.headers } }
  } catch (error) {
    return { unreachable: explainNetworkError(error, url, probe.timeoutMs) }
  }
}

async function boundedText(res: Response): Promise<string> {
  if (!res.body) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  while (size < MAX_BODY) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    size += value.byteLength
  }
  if (size >= MAX_BODY) await reader.cancel().catch(() => undefined)
  const bytes = new Uint8Array(Math.min(size, MAX_BODY))
  let at = 0
  for (const chunk of chunks) {
    const part = chunk.subarray(0, bytes.length - at)
    bytes.set(part, at)
    at += part.length
  }
  return new TextDecoder().decode(bytes)
}

const TLS_CODES = /^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|EPROTO$|HOSTNAME_MISMATCH)/

/** The error code Node's fetch hides in `cause` (or in the first of several attempts). */
function codeOf(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
    const errors = (e as { errors?: unknown }).errors
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = codeOf(errors[0])
      if (inner) return inner
    }
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/** What went wrong before any answer came, for an operator. */
export function explainNetworkError(error: unknown, url: string, timeoutMs: number): Unreachable {
  const { host, protocol } = new URL(url)
  const name = error instanceof Error || error instanceof DOMException ? error.name : ''
  if (name === 'TimeoutError' || name === 'AbortError') {
    return {
      what: `no answer within ${timeoutMs / 1000} s`,
      cause: 'the Worker hangs, or a firewall or proxy swallows the request',
      fix: 'look for errors with `npx wrangler tail`; on a slow link, retry with --timeout 30',
    }
  }
  const code = codeOf(error) ?? ''
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
    return {
      what: `${new URL(url).hostname} does not resolve (DNS: ${code})`,
      cause: 'a typo in --url, or nothing is deployed under this name yet (a new workers.dev name can take a minute)',
      fix: 'use the URL `npx wrangler deploy` printed, e.g. https://kefu-edge.<your-subdomain>.workers.dev',
    }
  }
  if (code === 'ECONNREFUSED') {
    return {
      what: `nothing listens at ${host} (connection refused)`,
      cause: 'the wrong port, or the Worker is not running (locally: `npm start`)',
      fix: 'start the Worker, or pass the URL it printed (`Ready on http://…`)',
    }
  }
  if (TLS_CODES.test(code)) {
    return {
      what: `the TLS handshake with ${host} failed (${code})`,
      cause:
        protocol === 'https:'
          ? 'a certificate not valid for this name (a custom domain whose certificate is not issued yet), or https to a plain-http port'
          : 'a TLS problem on a plain-http URL',
      fix: 'use the workers.dev URL, or http:// for a local Worker (`npm start`)',
    }
  }
  if (
    code === 'ECONNRESET' ||
    code === 'UND_ERR_SOCKET' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return {
      what: `the connection to ${host} failed (${code})`,
      cause: 'a network problem, or a firewall or proxy between here and the Worker',
      fix: 'retry; check that this machine reaches other sites over https',
    }
  }
  const message = error instanceof Error ? error.message : String(error)
  return {
    what: `the request failed: ${message}${code ? ` (${code})` : ''}`,
    cause: 'the URL or the network',
    fix: 'check --url (e.g. https://kefu-edge.<your-subdomain>.workers.dev) and this machine’s network',
  }
}

/** A body shown in one line: whitespace folded, at most `max` characters. */
export function excerpt(text: string, max = 80): string {
  const line = text.replace(/\s+/g, ' ').trim()
  if (line === '') return '(empty)'
  return line.length > max ? `${line.slice(0, max)}…` : line
}
