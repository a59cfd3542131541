/**
 * `npm run chat`: play a WeChat user against the local service (`npm start`).
 *
 *   npm run chat                         an interactive prompt
 *   npm run chat -- "1"                  one message, then exit
 *   npm run chat -- --image https://…    an image message
 *   npm run chat -- --enter pay          enter the session from a button with session-from="pay"
 *   npm run chat -- --subscribe tplA --accept
 *                                        the subscribe-message popup (wx.requestSubscribeMessage):
 *                                        the user accepts (or --reject) templates tplA (several:
 *                                        --subscribe tplA,tplB); then prints the user's grants
 *   npm run chat -- --app wx2234567890abcdef "1"
 *                                        as a user of another mini program of WECHAT_APPS
 *   npm run chat -- --kf "你好"           as a 微信客服 customer: the 微信客服 stand-in (npm start's,
 *                                        --kf-api, default :8791) takes the message as WeChat Work
 *                                        would and calls the Worker's /wecom/kf; the replies are
 *                                        what the Worker sent back through kf/send_msg
 *   flags: --plaintext | --compatible (default safe mode), --json (default XML),
 *          --openid <id>, --url <worker>, --api <stand-in>, --app <appid>,
 *          --dev-vars <file> (default .dev.vars, as npm start's flag)
 *
 * Pushes are signed and encrypted exactly as WeChat does (dev/push.ts), with the settings
 * from .dev.vars: WECHAT_TOKEN, WECHAT_ENCODING_AES_KEY and WECHAT_APPID, or with --app the
 * app's own WECHAT_TOKEN_<appid> and WECHAT_ENCODING_AES_KEY_<appid>, pushed to
 * /wechat/<appid>. Replies are read back from the WeChat API stand-in (the app's calls), and
 * the rule that matched from the admin API; a popup's grants from
 * GET /admin/api/users/:openid/subscriptions (with ?app=<appid> for an app of WECHAT_APPS).
 */
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { describeSend } from '../dev/describe-call'
import type { FakeCall } from '../dev/fake-wechat-types'
import { buildPush, popupEvent, type PushMode } from '../dev/push'
import type { ConversationState } from '../src/conversation/contract'
import { decrypt, importCipher } from '../src/wechat/cipher'
import { parseFields, type FlatFields, type PushFormat } from '../src/wechat/message'
import { appSetting, DEV_VARS, localApps, parseDevVars } from './dev-vars'

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    plaintext: { type: 'boolean' },
    compatible: { type: 'boolean' },
    json: { type: 'boolean' },
    image: { type: 'string' },
    enter: { type: 'string' },
    subscribe: { type: 'string', multiple: true },
    accept: { type: 'boolean' },
    reject: { type: 'boolean' },
    openid: { type: 'string', default: 'oLocalChatUser0000000000001' },
    url: { type: 'string', default: 'http://127.0.0.1:8787' },
    api: { type: 'string', default: 'http://127.0.0.1:8788' },
    app: { type: 'string' },
    kf: { type: 'boolean' },
    'kf-api': { type: 'string', default: 'http://127.0.0.1:8791' },
    'kf-account': { type: 'string', default: 'wkLocalChatAccount0001' },
    customer: { type: 'string', default: 'wmLocalChatCustomer00000001' },
    'dev-vars': { type: 'string', default: DEV_VARS },
  },
})

const vars = readDevVars(values['dev-vars'])
/** The app of WECHAT_APPS played (--app); null for the first app (no --app, or its own WECHAT_APPID). */
const app = values.app === undefined || values.app === vars.WECHAT_APPID ? null : values.app
if (app !== null && !localApps(vars).apps.includes(app)) {
  console.error(
    `--app ${app}: not an app of WECHAT_APPS in ${values['dev-vars']} (${vars.WECHAT_APPS ? `it lists ${vars.WECHAT_APPS}` : 'it sets none'})`,
  )
  process.exit(1)
}
const mode: PushMode = values.plaintext ? 'plaintext' : values.compatible ? 'compatible' : 'safe'
const format: PushFormat = values.json ? 'json' : 'xml'
const openid = values.openid
const cipher =
  mode === 'plaintext'
    ? undefined
    : await importCipher(need(app ? appSetting('WECHAT_ENCODING_AES_KEY', app) : 'WECHAT_ENCODING_AES_KEY'), app ?? need('WECHAT_APPID'))
const pushToken = need(app ? appSetting('WECHAT_TOKEN', app) : 'WECHAT_TOKEN')
/** Where the app's pushes go, and the admin API's `?app=` for it ('' for the first app). */
const pushPath = app ? `/wechat/${app}` : '/wechat'
const appQuery = app ? `?app=${encodeURIComponent(app)}` : ''
const REPLY_WAIT_MS = 10_000
/** How long a popup's grants may take to show in the admin API before they are printed as they are. */
const GRANT_WAIT_MS = 5_000

let msgId = BigInt(Date.now()) * 1000n

if (values.kf) {
  await chatAsKfCustomer(positionals)
  process.exit(0)
}

if (values.subscribe) {
  const templateIds = values.subscribe
    .flatMap((list) => list.split(','))
    .map((id) => id.trim())
    .filter((id) => id !== '')
  if (templateIds.length === 0 || values.accept === values.reject) {
    console.error('Usage: npm run chat -- --subscribe <template_id>[,<template_id>…] --accept | --reject')
    process.exit(1)
  }
  await subscribePopup(templateIds, values.accept ? 'accept' : 'reject')
} else if (values.image || values.enter !== undefined) {
  await converse(values.image ? imageMessage(values.image) : enterEvent(values.enter ?? ''))
} else if (positionals.length > 0) {
  for (const text of positionals) await converse(textMessage(text))
} else {
  const prompt = createInterface({ input: process.stdin, output: process.stdout, prompt: 'you> ' })
  console.log(`Chatting as ${openid}${app ? ` of ${app}` : ''} (${mode} mode, ${format}). Ctrl-D to leave.`)
  prompt.prompt()
  // The iterator buffers lines typed (or piped) while a reply is still being awaited.
  for await (const line of prompt) {
    if (line.trim() !== '') await converse(textMessage(line))
    prompt.prompt()
  }
}

/**
 * `message` is flat fields, or a serialized body (the subscribe events, whose items nest).
 * Resolves to whether the service took the push.
 */
async function converse(message: FlatFields | string, echoAnswer = false): Promise<boolean> {
  const before = await snapshot()
  const { query, body } = await buildPush(message, { token: pushToken, mode, format, cipher })
  // buildPush finds the openid WeChat puts in the query only in flat fields.
  if (typeof message === 'string') query.set('openid', openid)
  const res = await fetch(`${values.url}${pushPath}?${query}`, { method: 'POST', body }).catch((error: unknown) => {
    console.error(`Cannot reach the service at ${values.url} (${String(error)}). Is \`npm start\` running?`)
    process.exit(1)
  })
  const answer = await res.text()
  if (res.status !== 200) {
    console.log(`  ✗ ${res.status} ${answer}`)
    return false
  }
  if (answer !== 'success') console.log(`  ↪ ${await describePassive(answer)}`)
  else if (echoAnswer) console.log('  ↪ service answered: success')
  await printReplies(before, echoAnswer ? '(no reply: no rule for this event)' : undefined)
  return true
}

/** What existed before the push, so only its replies are printed. */
async function snapshot(): Promise<{ calls: number; outboxId: number }> {
  const [calls, state] = await Promise.all([sends(), conversation()])
  return { calls: calls.length, outboxId: Math.max(0, ...(state?.outbound.map((o) => o.id) ?? [])) }
}

async function printReplies(
  before: { calls: number; outboxId: number },
  noReply = '(no reply: no rule matched, and no default)',
): Promise<void> {
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
    if (delivered.length === 0) console.log(`  ${noReply}`)
    return
  }
  let next = 0
  for (const row of rows) {
    const rule = labelOf(row)
    if (row.status === 'sent') console.log(`  ${rule} ${describeSend(delivered[next++]?.body) ?? row.type}${sourcesOf(row)}`)
    else if (row.status === 'failed') console.log(`  ${rule} ${row.type} ✗ not sent: ${row.reason}`)
    else console.log(`  ${rule} ${row.type} … still retrying: ${row.reason ?? 'waiting'}`)
  }
}

/** `[rule <id>]`, or `[ai]` for the model's answer (`[ai fallback: <why>]` when it was refused). */
function labelOf(row: ConversationState['outbound'][number]): string {
  if (row.ruleId === 'ai') return '[ai]'
  if (row.ruleId === 'ai:fallback') return `[ai fallback: ${row.ai?.refused ?? 'no model'}]`
  return `[rule ${row.ruleId ?? '-'}]`
}

/** The knowledge entries the model was given, after its answer. */
function sourcesOf(row: ConversationState['outbound'][number]): string {
  if (row.ruleId !== 'ai' || !row.ai) return ''
  return `\n      sources: ${row.ai.sources.join(', ')} · ${row.ai.tokens} tokens`
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
  // Only this app's sends: the same openid may be a user of another app too.
  const appid = app ?? vars.WECHAT_APPID
  if (appid) query.set('appid', appid)
  const res = await fetch(`${values.api}/__fake/calls?${query}`).catch(() => null)
  if (!res?.ok) return []
  return ((await res.json()) as { calls: FakeCall[] }).calls
}

async function conversation(): Promise<ConversationState | null> {
  const token = vars.ADMIN_TOKEN
  if (!token) return null
  const res = await fetch(`${values.url}/admin/api/conversations/${encodeURIComponent(openid)}/state${appQuery}`, {
    headers: { authorization: `Bearer ${token}` },
  }).catch(() => null)
  return res?.ok ? ((await res.json()) as ConversationState) : null
}

/** One template's grants, as GET /admin/api/users/:openid/subscriptions gives them. */
interface Grant {
  templateId: string
  grants: number
  status: 'accept' | 'reject' | null
  longTerm: boolean
  accepted: number
  rejected: number
  updatedAt: number
  lastSend: { at: number; errcode: number | null; msgId: string | null } | null
}

/** The grants, or why they cannot be read (printed as a note). */
type Grants = { templates: Grant[] } | { note: string }

/**
 * The popup as WeChat pushes it once the user has answered, then the user's grants. The
 * grants are read once the service has counted this answer (each template's accepted or
 * rejected count went up), or after GRANT_WAIT_MS as they are.
 */
async function subscribePopup(templateIds: string[], status: 'accept' | 'reject'): Promise<void> {
  const before = await grants()
  const counted = (g: Grant | undefined) => (g ? (status === 'accept' ? g.accepted : g.rejected) : 0)
  const took = await converse(
    popupEvent(
      format,
      openid,
      templateIds.map((id) => [id, status] as const),
    ),
    true,
  )
  let after = before
  if (took && 'templates' in before) {
    const deadline = Date.now() + GRANT_WAIT_MS
    const moved = (now: Grants) =>
      'templates' in now &&
      templateIds.every(
        (id) => counted(now.templates.find((g) => g.templateId === id)) > counted(before.templates.find((g) => g.templateId === id)),
      )
    do {
      after = await grants()
      if (moved(after) || 'note' in after) break
      await new Promise((resolve) => setTimeout(resolve, 150))
    } while (Date.now() < deadline)
    if (!moved(after) && 'templates' in after)
      console.log(`  (after ${GRANT_WAIT_MS / 1000} s the grants do not count this ${status} yet; as they are now:)`)
  }
  if ('note' in after) {
    console.log(`  (${after.note})`)
    return
  }
  if (after.templates.length === 0) console.log(`  (no grants recorded for ${openid})`)
  for (const grant of after.templates) console.log(`  ${describeGrant(grant)}`)
}

async function grants(): Promise<Grants> {
  const token = vars.ADMIN_TOKEN
  if (!token) return { note: `grants not shown: ADMIN_TOKEN is not set in ${values['dev-vars']}` }
  const path = `/admin/api/users/${encodeURIComponent(openid)}/subscriptions`
  const res = await fetch(`${values.url}${path}${appQuery}`, { headers: { authorization: `Bearer ${token}` } }).catch(
    (error: unknown) => `${String(error)}`,
  )
  if (typeof res === 'string') return { note: `grants not shown: ${res}` }
  if (res.status === 404) return { note: `grants not shown: this Worker has no GET ${path} yet (404)` }
  if (!res.ok) return { note: `grants not shown: GET ${path} answered ${res.status} ${(await res.text()).slice(0, 200)}` }
  return { templates: ((await res.json()) as { templates: Grant[] }).templates }
}

/** `tplA: 1 grant (accept)`, `tplB: 0 grants (reject) · last send ✗ 43101`. */
function describeGrant(grant: Grant): string {
  const count = grant.longTerm ? 'long-term' : `${grant.grants} grant${grant.grants === 1 ? '' : 's'}`
  const last = grant.lastSend
  const sent =
    last === null
      ? ''
      : last.errcode === 0
        ? ` · last send ✓${last.msgId ? ` msgid ${last.msgId}` : ''}`
        : ` · last send ✗ ${last.errcode ?? 'no answer'}`
  return `${grant.templateId}: ${count} (${grant.status ?? 'never asked'})${sent}`
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
    console.error(`No ${path} here: run \`npm start\` once (it creates it), from the project folder.`)
    process.exit(1)
  }
  return parseDevVars(text)
}

function need(name: string): string {
  const value = vars[name]
  if (!value) {
    console.error(`${name} is not set in ${values['dev-vars']}`)
    process.exit(1)
  }
  return value
}

/**
 * `--kf`: a 微信客服 customer. The stand-in is WeChat Work here: it keeps the message for
 * sync_msg and posts the signed notice to the Worker's /wecom/kf (npm start configured it with
 * .dev.vars' WECOM_* corp); the Worker pulls, answers by the rules and sends through
 * kf/send_msg, which the stand-in records. Those sends are printed.
 */
async function chatAsKfCustomer(texts: string[]): Promise<void> {
  const corpid = need('WECOM_CORPID')
  const base = values['kf-api']
  const openKfId = values['kf-account']
  const customer = values.customer
  const control = async (method: 'GET' | 'POST', action: string, query: Record<string, string>, body?: unknown) => {
    const res = await fetch(`${base}/__fake/kf/${action}?${new URLSearchParams(query)}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).catch((error: unknown) => {
      console.error(`Cannot reach the 微信客服 stand-in at ${base} (${String(error)}). Is \`npm start\` running?`)
      process.exit(1)
    })
    if (!res.ok) throw new Error(`微信客服 stand-in ${action}: HTTP ${res.status} ${await res.text()}`)
    return (await res.json()) as Record<string, unknown>
  }
  const sent = async () =>
    (
      (await control('GET', 'sent', { corpid, openKfId })).sent as { externalUserid: string; api: string; body: Record<string, unknown> }[]
    ).filter((s) => s.externalUserid === customer)
  await control('POST', 'accounts', {}, { corpid, openKfId })
  const say = async (text: string) => {
    const before = (await sent()).length
    const { callback } = (await control('POST', 'messages', {}, { corpid, openKfId, externalUserid: customer, content: text })) as {
      callback?: { delivered?: number | null }
    }
    if (callback?.delivered !== 200) {
      console.log(
        `  ✗ the Worker answered the notice ${callback?.delivered ?? 'nothing'} (is npm start running with WECOM_* in .dev.vars?)`,
      )
      return
    }
    const deadline = Date.now() + REPLY_WAIT_MS
    let replies = (await sent()).slice(before)
    // The Worker pulls after answering the notice, and the customer's object sends after that.
    for (let quiet = 0; Date.now() < deadline && quiet < 10; ) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      const now = (await sent()).slice(before)
      quiet = now.length > 0 && now.length === replies.length ? quiet + 1 : 0
      replies = now
    }
    if (replies.length === 0) console.log('  (no reply: no rule matched, and no default)')
    for (const reply of replies) {
      const type = String(reply.body.msgtype)
      const content = type === 'text' ? (reply.body.text as { content?: string } | undefined)?.content : JSON.stringify(reply.body[type])
      console.log(`  ← [${reply.api === 'kf/send_msg' ? 'kf' : 'kf welcome'}] ${type}: ${content}`)
    }
  }
  if (texts.length > 0) {
    for (const text of texts) await say(text)
    return
  }
  const prompt = createInterface({ input: process.stdin, output: process.stdout, prompt: 'you (微信客服)> ' })
  console.log(`Chatting as 微信客服 customer ${customer} of ${openKfId}. Ctrl-D to leave.`)
  prompt.prompt()
  for await (const line of prompt) {
    if (line.trim() !== '') await say(line)
    prompt.prompt()
  }
}
