/**
 * `npm run chat`: play a WeChat user against the local service (`npm start`).
 *
 *   npm run chat                         an interactive prompt
 *   npm run chat -- "1"                  one message, then exit
 *   npm run chat -- --image https://…    an image message
 *   npm run chat -- --enter pay          enter the session from a button with session-from="pay"
 *   flags: --plaintext | --compatible (default safe mode), --json (default XML),
 *          --openid <id>, --url <worker>, --api <stand-in>
 *
 * Pushes are signed and encrypted exactly as WeChat does (dev/push.ts), with the settings
 * from .dev.vars. Replies are read back from the WeChat API stand-in, and the rule that
 * matched from the admin API.
 */
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { describeSend } from '../dev/describe-call'
import type { FakeCall } from '../dev/fake-wechat-types'
import { buildPush, type PushMode } from '../dev/push'
import type { ConversationState } from '../src/conversation/contract'
import { decrypt, importCipher } from '../src/wechat/cipher'
import { parseFields, type FlatFields, type PushFormat } from '../src/wechat/message'
import { parseDevVars } from './dev-vars'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    plaintext: { type: 'boolean' },
    compatible: { type: 'boolean' },
    json: { type: 'boolean' },
    image: { type: 'string' },
    enter: { type: 'string' },
    openid: { type: 'string', default: 'oLocalChatUser0000000000001' },
    url: { type: 'string', default: 'http://127.0.0.1:8787' },
    api: { type: 'string', default: 'http://127.0.0.1:8788' },
  },
})

const vars = readDevVars('.dev.vars')
const mode: PushMode = values.plaintext ? 'plaintext' : values.compatible ? 'compatible' : 'safe'
const format: PushFormat = values.json ? 'json' : 'xml'
const openid = values.openid
const cipher =
  mode === 'plaintext' ? undefined : await importCipher(need('WECHAT_ENCODING_AES_KEY'), need('WECHAT_APPID'))
const REPLY_WAIT_MS = 10_000

let msgId = BigInt(Date.now()) * 1000n

if (values.image || values.enter !== undefined) {
  await converse(values.image ? imageMessage(values.image) : enterEvent(values.enter ?? ''))
} else if (positionals.length > 0) {
  for (const text of positionals) await converse(textMessage(text))
} else {
  const prompt = createInterface({ input: process.stdin, output: process.stdout, prompt: 'you> ' })
  console.log(`Chatting as ${openid} (${mode} mode, ${format}). Ctrl-D to leave.`)
  prompt.prompt()
  // The iterator buffers lines typed (or piped) while a reply is still being awaited.
  for await (const line of prompt) {
    if (line.trim() !== '') await converse(textMessage(line))
    prompt.prompt()
  }
}

async function converse(message: FlatFields): Promise<void> {
  const before = await snapshot()
  const { query, body } = await buildPush(message, { token: need('WECHAT_TOKEN'), mode, format, cipher })
  const res = await fetch(`${values.url}/wechat?${query}`, { method: 'POST', body }).catch((error: unknown) => {
    console.error(`Cannot reach the service at ${values.url} (${String(error)}). Is \`npm start\` running?`)
    process.exit(1)
  })
  const answer = await res.text()
  if (res.status !== 200) {
    console.log(`  ✗ ${res.status} ${answer}`)
    return
  }
  if (answer !== 'success') console.log(`  ↪ ${await describePassive(answer)}`)
  await printReplies(before)
}

/** What existed before the push, so only its replies are printed. */
async function snapshot(): Promise<{ calls: number; outboxId: number }> {
  const [calls, state] = await Promise.all([sends(), conversation()])
  return { calls: calls.length, outboxId: Math.max(0, ...(state?.outbound.map((o) => o.id) ?? [])) }
}

async function printReplies(before: { calls: number; outboxId: number }): Promise<void> {
  const deadline = Date.now() + REPLY_WAIT_MS
  let rows: ConversationState['outbound'] = []
  do {
    await new Promise((resolve) => setTimeout(resolve, 150))
    const state = await conversation()
    rows = (state?.outbound ?? []).filter((o) => o.id > before.outboxId).sort((a, b) => a.id - b.id)
  } while (rows.some((o) => o.status === 'pending') && Date.now() < deadline)

  const delivered = (await sends()).slice(before.calls).filter((call) => call.errcode === 0)
  if (rows.length === 0) {
    for (const call of delivered) console.log(`  ${describeSend(call.body) ?? '?'}`)
    if (delivered.length === 0) console.log('  (no reply: no rule matched, and no default)')
    return
  }
  let next = 0
  for (const row of rows) {
    const rule = `[rule ${row.ruleId ?? '-'}]`
    if (row.status === 'sent') console.log(`  ${rule} ${describeSend(delivered[next++]?.body) ?? row.type}`)
    else if (row.status === 'failed') console.log(`  ${rule} ${row.type} ✗ not sent: ${row.reason}`)
    else console.log(`  ${rule} ${row.type} … still retrying: ${row.reason ?? 'waiting'}`)
  }
}

async function describePassive(answer: string): Promise<string> {
  const answerFormat: PushFormat = answer.trimStart().startsWith('{') ? 'json' : 'xml'
  let fields = parseFields(answerFormat, answer)
  if (typeof fields.Encrypt === 'string' && cipher) {
    fields = parseFields(answerFormat, (await decrypt(cipher, fields.Encrypt)).message)
  }
  return fields.MsgType === 'transfer_customer_service'
    ? 'handed to the customer-service tool (transfer_customer_service)'
    : `passive reply: ${JSON.stringify(fields)}`
}

async function sends(): Promise<FakeCall[]> {
  const query = new URLSearchParams({ touser: openid, path: '/cgi-bin/message/custom/send' })
  const res = await fetch(`${values.api}/__fake/calls?${query}`).catch(() => null)
  if (!res?.ok) return []
  return ((await res.json()) as { calls: FakeCall[] }).calls
}

async function conversation(): Promise<ConversationState | null> {
  const token = vars.ADMIN_TOKEN
  if (!token) return null
  const res = await fetch(`${values.url}/admin/conversations/${encodeURIComponent(openid)}`, {
    headers: { authorization: `Bearer ${token}` },
  }).catch(() => null)
  return res?.ok ? ((await res.json()) as ConversationState) : null
}

function base(msgType: string): FlatFields {
  return { ToUserName: 'gh_local_kefu', FromUserName: openid, CreateTime: Math.floor(Date.now() / 1000), MsgType: msgType }
}

function textMessage(content: string): FlatFields {
  return { ...base('text'), Content: content, MsgId: String(++msgId) }
}

function imageMessage(url: string): FlatFields {
  return { ...base('image'), PicUrl: url, MediaId: `local-${msgId}`, MsgId: String(++msgId) }
}

function enterEvent(sessionFrom: string): FlatFields {
  return { ...base('event'), Event: 'user_enter_tempsession', SessionFrom: sessionFrom }
}

function readDevVars(path: string): Record<string, string> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    console.error('No .dev.vars here: run `npm start` once (it creates it), from the project folder.')
    process.exit(1)
  }
  return parseDevVars(text)
}

function need(name: string): string {
  const value = vars[name]
  if (!value) {
    console.error(`${name} is not set in .dev.vars`)
    process.exit(1)
  }
  return value
}
