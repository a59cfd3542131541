/**
 * `npm run doctor`'s checks of a deployed Worker, from outside, as WeChat and an operator see
 * it. Each takes a Probe (a fetch function and a time-out) and the settings, and returns what
 * it found: lines to show, and for each failure what happened, its likely cause and the fix.
 *
 * 1. `GET /healthz`: reachable, `ok`; with the admin token each setting, the push mode and the
 *    rule set in force (publicly it says only ok or not, and the version).
 * 2. The URL check WeChat makes when the push URL is saved in the console: a signed
 *    `GET /wechat?signature&timestamp&nonce&echostr`, which must echo `echostr`.
 * 3. A test push from the reserved openid DOCTOR_OPENID, in the mode /healthz reports (without
 *    the admin token: encrypted when the keys are given, else plaintext, then the mode the
 *    Worker's refusal names): the Worker verifies, decrypts, parses and records it like any
 *    push but answers it with nothing. With the admin token the doctor sees it in the user's
 *    Conversation object and then in the D1 record.
 * 4. The admin token: `GET /admin/api/stats` answers 200 with it and 401 without.
 */
import { buildPush, type PushMode } from '../dev/push'
import type { ConversationState } from '../src/conversation/contract'
import { DOCTOR_KIND, DOCTOR_OPENID } from '../src/doctor'
import type { MessageView } from '../src/record/views'
import { decodeAesKey, encrypt, importCipher } from '../src/wechat/cipher'
import { sign } from '../src/wechat/signature'
import { excerpt, request, type Answer, type Probe } from './doctor-http'
import { isLocalUrl, type DoctorSettings } from './doctor-settings'

export type { Probe } from './doctor-http'

export interface Problem {
  what: string
  cause: string
  fix: string
}

export interface CheckResult {
  /** The check and what it found, in one line. */
  title: string
  /** What else is worth knowing (settings, the rule set, what could not be confirmed). */
  lines: string[]
  /** Empty when the check passed. */
  problems: Problem[]
}

export interface DoctorOptions {
  /** How long the test push may take to reach the D1 record (default 10 s). */
  recordWaitMs?: number
}

export interface DoctorReport {
  results: CheckResult[]
  /** Checks not run, because no kefu-edge answered /healthz. */
  notRun: string[]
  /** Why they were not run. */
  notRunBecause?: string
}

export const passed = (result: CheckResult): boolean => result.problems.length === 0

/** Runs the four checks in order; none after /healthz if no kefu-edge answered it. */
export async function runDoctor(probe: Probe, settings: DoctorSettings, options: DoctorOptions = {}): Promise<DoctorReport> {
  const health = await checkHealth(probe, settings)
  if (health.answered !== 'kefu-edge') {
    const notRunBecause = health.answered === 'nothing' ? 'the Worker cannot be reached' : 'no kefu-edge answers at this URL'
    return { results: [health.result], notRun: ['URL check', 'test push', 'admin token'], notRunBecause }
  }
  const results = [
    health.result,
    await checkUrl(probe, settings),
    await checkPush(probe, settings, health.mode, options),
    await checkAdmin(probe, settings),
  ]
  // 微信客服 is optional: checked when any of its settings is given.
  const kf = await checkKfUrl(probe, settings)
  if (kf) results.push(kf)
  return { results, notRun: [] }
}

// ---------------------------------------------------------------- 1. /healthz

interface RulesView {
  version: string
  status: string
  rules: number
  from?: string
  rejectedVersion?: string
  errors?: string[]
}

interface HealthView {
  ok: boolean
  version: string
  /** False for the public answer, `{ ok, version }`: no mode, settings or rule set. */
  detailed: boolean
  mode: PushMode | null
  /**
   * A status and its reason (with the admin token), or a status alone (the public view of a
   * kefu-edge from before the public answer was only `{ ok, version }`).
   */
  settings: Record<string, string | { status: string; reason?: string }>
  /** Bindings checked by presence (MEDIA); absent from a kefu-edge older than the uploads. */
  bindings: Record<string, { status: string; reason?: string }>
  rules?: RulesView
}

/** The push mode as /healthz gave it: a mode, none (WECHAT_PUSH_MODE malformed), or not shown (the public answer). */
export type ReportedMode = PushMode | null | 'hidden'

export interface HealthCheck {
  result: CheckResult
  /** Who answered: kefu-edge's health report, something else, or nothing at all. */
  answered: 'kefu-edge' | 'other' | 'nothing'
  /** The push mode /healthz reports; null when it reports none or could not be read, 'hidden' without the admin token. */
  mode: ReportedMode
}

export async function checkHealth(probe: Probe, settings: DoctorSettings): Promise<HealthCheck> {
  const headers: Record<string, string> = settings.adminToken ? { authorization: `Bearer ${settings.adminToken}` } : {}
  const outcome = await request(probe, `${settings.url}/healthz`, { headers })
  if ('unreachable' in outcome) {
    return { answered: 'nothing', mode: null, result: failed('/healthz: unreachable', [outcome.unreachable]) }
  }
  const { answer } = outcome
  const health = readHealth(answer)
  if (!health || (answer.status !== 200 && answer.status !== 503)) {
    return {
      answered: 'other',
      mode: null,
      result: failed(`/healthz: answers ${answer.status}, not kefu-edge's health report`, [notKefuEdge(answer, '/healthz')]),
    }
  }

  const lines: string[] = []
  const problems: Problem[] = []
  const good: string[] = []
  const tokenRefused = 'not shown, the admin token was not accepted (see the admin token check)'
  if (!health.detailed) {
    // The public answer: ok or not, and the version.
    lines.push(`settings and push mode: ${settings.adminToken ? tokenRefused : 'shown only with the admin token'}`)
    if (!health.ok) {
      problems.push({
        what: `the Worker reports a setting missing or malformed (it answers ${answer.status})`,
        cause: '/healthz names the setting only to the admin token',
        fix: settings.adminToken
          ? 'pass the Worker’s ADMIN_TOKEN (--admin-token or ADMIN_TOKEN) to see which, or open the console’s status page'
          : 'run the doctor with the admin token (ADMIN_TOKEN in the environment) to see which, or open the console’s status page',
      })
    }
  }
  for (const [name, state] of Object.entries(health.settings)) {
    const status = typeof state === 'string' ? state : state.status
    if (status === 'ok') {
      good.push(name)
      continue
    }
    const reason = typeof state === 'string' ? undefined : state.reason
    problems.push(settingProblem(name, status, reason, settings))
  }
  if (good.length > 0) lines.push(`settings ok: ${good.join(', ')}`)
  for (const [name, state] of Object.entries(health.bindings)) {
    if (state.status !== 'ok') problems.push(bindingProblem(name, state.reason))
  }
  if (health.mode === 'plaintext') {
    lines.push('push mode plaintext: whoever sees one push URL can forge pushes for a few minutes; 安全模式 (safe) is recommended')
  }
  if (health.rules) {
    const rules = readRules(health.rules)
    lines.push(...rules.lines)
    problems.push(...rules.problems)
  } else {
    lines.push(`rule set: ${settings.adminToken ? tokenRefused : 'shown only with the admin token'}`)
  }
  const state = health.ok ? 'ok' : `answers ${answer.status}, not ok`
  const title = health.detailed
    ? `/healthz: ${state} (version ${health.version}, push mode ${health.mode ?? 'unknown'})`
    : `/healthz: ${state} (version ${health.version})`
  return { answered: 'kefu-edge', mode: health.detailed ? health.mode : 'hidden', result: { title, lines, problems } }
}

function readHealth(answer: Answer): HealthView | null {
  const body = parseJson(answer.text)
  if (!isRecord(body) || typeof body.ok !== 'boolean') return null
  // The public answer: `{ ok, version }` and nothing else.
  if (!isRecord(body.settings)) {
    if (typeof body.version !== 'string') return null
    return { ok: body.ok, version: body.version, detailed: false, mode: null, settings: {}, bindings: {} }
  }
  const mode = isPushMode(body.mode) ? body.mode : null
  const rules = isRecord(body.rules) && typeof body.rules.status === 'string' ? (body.rules as unknown as RulesView) : undefined
  return {
    ok: body.ok,
    version: typeof body.version === 'string' ? body.version : '?',
    detailed: true,
    mode,
    settings: body.settings as HealthView['settings'],
    bindings: isRecord(body.bindings) ? (body.bindings as HealthView['bindings']) : {},
    ...(rules ? { rules } : {}),
  }
}

function isPushMode(value: unknown): value is PushMode {
  return value === 'safe' || value === 'compatible' || value === 'plaintext'
}

function readRules(rules: RulesView): { lines: string[]; problems: Problem[] } {
  const inForce = `version ${rules.version}, ${rules.rules} rule${rules.rules === 1 ? '' : 's'}`
  switch (rules.status) {
    case 'ok':
      return { lines: [`rule set: ${inForce} in force${rules.rules === 0 ? ' (no rules: nothing is answered)' : ''}`], problems: [] }
    case 'missing':
      return {
        lines: [],
        problems: [
          {
            what: `rule set missing: the RULES namespace has no rules (in force: ${inForce})`,
            cause:
              'rules:push was not run for this deployment, or ran with --local, or into another namespace than wrangler.toml’s RULES id',
            fix: 'npm run rules:push -- --remote',
          },
        ],
      }
    case 'invalid': {
      const errors = rules.errors ?? []
      const first = errors[0] ? `: ${errors[0]}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}` : ''
      return {
        lines: [],
        problems: [
          {
            what: `rule set invalid: version ${rules.rejectedVersion ?? '?'} in KV was rejected${first}`,
            cause: `it was put without rules:check (by hand?); the last good set stays in force (${inForce})`,
            fix: 'npm run rules:check, fix what it prints, then npm run rules:push -- --remote',
          },
        ],
      }
    }
    case 'unavailable':
      return {
        lines: [],
        problems: [
          {
            what: `rule set unavailable: KV could not be read (in force: ${inForce})`,
            cause: 'a KV outage, or the RULES binding in wrangler.toml',
            fix: 'retry in a minute; check the RULES namespace id in wrangler.toml',
          },
        ],
      }
    default:
      return { lines: [`rule set: ${rules.status} (${inForce})`], problems: [] }
  }
}

// ---------------------------------------------------------------- 2. the URL check

const URL_CHECK = 'URL check (signed GET /wechat, as WeChat makes it when the push URL is saved)'

export async function checkUrl(probe: Probe, settings: DoctorSettings): Promise<CheckResult> {
  if (!settings.token) return failed(`${URL_CHECK}: not run`, [missingInput('push Token', 'token', 'WECHAT_TOKEN')])
  const timestamp = String(Math.floor(Date.now() / 1000))
  const nonce = randomDigits(9)
  const echostr = randomDigits(19)
  const query = new URLSearchParams({ signature: await sign([settings.token, timestamp, nonce]), timestamp, nonce, echostr })
  const outcome = await request(probe, `${settings.url}/wechat?${query}`)
  if ('unreachable' in outcome) return failed(`${URL_CHECK}: no answer`, [outcome.unreachable])
  const { answer } = outcome
  if (answer.status === 200 && answer.text === echostr) return { title: `${URL_CHECK}: the echo matches`, lines: [], problems: [] }
  if (answer.status === 200) {
    return failed(`${URL_CHECK}: 200 without the echo`, [
      {
        what: `answered 200 but not the echo: ${excerpt(answer.text)}`,
        cause: 'something other than kefu-edge answers at this URL (a proxy, a login page, another app)',
        fix: 'point --url, and the console’s push URL, at the Worker itself',
      },
    ])
  }
  return failed(`${URL_CHECK}: answers ${answer.status}`, [wechatRefusal(answer, settings)])
}

// ---------------------------------------------------------------- 2b. 微信客服's URL check

const KF_URL_CHECK = '微信客服 URL check (signed GET /wecom/kf, as WeChat Work makes it when the callback URL is saved)'

/**
 * WeChat Work checks a callback URL with an encrypted echostr, signed with msg_signature, and
 * wants the plaintext back (docs/wecom-kf-protocol.md §2). Null when no 微信客服 setting is
 * given: the channel is optional.
 */
export async function checkKfUrl(probe: Probe, settings: DoctorSettings): Promise<CheckResult | null> {
  const { kfCorpid: corpid, kfToken: token, kfAesKey: aesKey } = settings
  if (!corpid && !token && !aesKey) return null
  if (!corpid || !token || !aesKey) {
    const missing = [
      ...(corpid ? [] : [missingInput('微信客服 CorpID', 'kf-corpid', 'WECOM_CORPID')]),
      ...(token ? [] : [missingInput('微信客服 Token', 'kf-token', 'WECOM_KF_TOKEN')]),
      ...(aesKey ? [] : [missingInput('微信客服 EncodingAESKey', 'kf-aes-key', 'WECOM_KF_ENCODING_AES_KEY')]),
    ]
    return failed(`${KF_URL_CHECK}: not run`, missing)
  }
  if (!decodeAesKey(aesKey)) {
    return failed(`${KF_URL_CHECK}: not run`, [
      {
        what: 'the 微信客服 EncodingAESKey given is not 43 base64 characters',
        cause: 'a typo, or another value pasted',
        fix: 'copy it again from the app’s 接收消息 → 设置API接收',
      },
    ])
  }
  const plain = randomDigits(19)
  const echostr = await encrypt(await importCipher(aesKey, corpid), plain)
  const timestamp = String(Math.floor(Date.now() / 1000))
  const nonce = randomDigits(9)
  const query = new URLSearchParams({ msg_signature: await sign([token, timestamp, nonce, echostr]), timestamp, nonce, echostr })
  const outcome = await request(probe, `${settings.url}/wecom/kf?${query}`)
  if ('unreachable' in outcome) return failed(`${KF_URL_CHECK}: no answer`, [outcome.unreachable])
  const { answer } = outcome
  if (answer.status === 200 && answer.text === plain) return { title: `${KF_URL_CHECK}: the echo matches`, lines: [], problems: [] }
  const problem: Problem =
    answer.status === 404
      ? {
          what: 'the Worker answers 404: its 微信客服 channel is off',
          cause: 'WECOM_CORPID and the three WECOM_KF_* settings are not all set on the Worker',
          fix: 'WECOM_CORPID=… WECOM_KF_SECRET=… WECOM_KF_TOKEN=… WECOM_KF_ENCODING_AES_KEY=… npm run setup (README: 微信客服 channel: setup)',
        }
      : answer.status === 401
        ? {
            what: 'the Worker refused the signature (401)',
            cause:
              'the Worker’s WECOM_KF_TOKEN or WECOM_KF_ENCODING_AES_KEY differs from the one given here, or the clocks differ by more than PUSH_MAX_AGE_SECONDS',
            fix: 'put the same Token and EncodingAESKey as in WeCom’s 设置API接收 (npx wrangler secret put WECOM_KF_TOKEN …)',
          }
        : answer.status === 200
          ? {
              what: `answered 200 but not the echo: ${excerpt(answer.text)}`,
              cause: 'something other than kefu-edge answers at this URL, or the Worker’s CorpID differs',
              fix: 'point --url at the Worker, and check WECOM_CORPID',
            }
          : {
              what: `answered ${answer.status}: ${excerpt(answer.text)}`,
              cause: 'a setting the Worker names is missing or malformed',
              fix: 'see /healthz',
            }
  return failed(`${KF_URL_CHECK}: answers ${answer.status}`, [problem])
}

// ---------------------------------------------------------------- 3. the test push

export async function checkPush(
  probe: Probe,
  settings: DoctorSettings,
  reportedMode: ReportedMode,
  options: DoctorOptions = {},
): Promise<CheckResult> {
  const hidden = reportedMode === 'hidden'
  // Not shown (no admin token): encrypted when the keys are given — safe and compatible mode
  // both take that — else plaintext; a Worker in another mode says which when it refuses.
  const canEncrypt = !!settings.aesKey && !!decodeAesKey(settings.aesKey) && !!settings.appid
  let mode: PushMode = hidden ? (canEncrypt ? 'safe' : 'plaintext') : (reportedMode ?? 'safe')
  const labelOf = (m: PushMode) =>
    `test push (${m} mode${reportedMode === null ? ', the default: /healthz said none' : ''}, ${settings.format.toUpperCase()}, from ${DOCTOR_OPENID})`
  let label = labelOf(mode)
  const notes: string[] = []

  const missing = missingFor(mode, settings)
  if (missing.length > 0) return failed(`${label}: not sent`, missing)
  let sent = await sendPush(probe, settings, mode)
  if ('unreachable' in sent.outcome) return failed(`${label}: no answer`, [sent.outcome.unreachable])
  const refused = hidden ? MODE_REFUSAL.exec(sent.outcome.answer.text) : null
  if (refused && sent.outcome.answer.status === 400 && refused[1] !== mode) {
    // The Worker named its mode: the push again, in that mode.
    const named = refused[1] as PushMode
    notes.push(`push mode ${named}: the Worker refused a ${mode} push (${sent.outcome.answer.text})`)
    mode = named
    label = labelOf(mode)
    const stillMissing = missingFor(mode, settings)
    if (stillMissing.length > 0) return { title: `${label}: not sent`, lines: notes, problems: stillMissing }
    sent = await sendPush(probe, settings, mode)
    if ('unreachable' in sent.outcome) return { title: `${label}: no answer`, lines: notes, problems: [sent.outcome.unreachable] }
  } else if (hidden) {
    notes.push(
      mode === 'plaintext'
        ? 'push mode: /healthz shows it only with the admin token; the Worker takes plaintext pushes'
        : 'push mode: /healthz shows it only with the admin token; the Worker takes encrypted pushes (safe or compatible)',
    )
  }
  if (hidden && mode === 'plaintext') {
    notes.push('push mode plaintext: whoever sees one push URL can forge pushes for a few minutes; 安全模式 (safe) is recommended')
  }
  const result = await judgePush(probe, settings, label, sent, options)
  return { ...result, lines: [...notes, ...result.lines] }
}

/** `… push refused: WECHAT_PUSH_MODE is <mode>`, what /wechat answers a push in another mode. */
const MODE_REFUSAL = /^(?:encrypted|plaintext) push refused: WECHAT_PUSH_MODE is (safe|compatible|plaintext)$/

/** What the doctor needs to send a push in `mode`, and was not given. */
function missingFor(mode: PushMode, settings: DoctorSettings): Problem[] {
  const missing: Problem[] = []
  if (!settings.token) missing.push(missingInput('push Token', 'token', 'WECHAT_TOKEN'))
  if (mode !== 'plaintext') {
    if (!settings.aesKey) missing.push(missingInput('EncodingAESKey', 'aes-key', 'WECHAT_ENCODING_AES_KEY'))
    else if (!decodeAesKey(settings.aesKey)) {
      missing.push({
        what: 'the EncodingAESKey given is not 43 base64 characters',
        cause: 'a truncated copy, or another value',
        fix: 'copy the EncodingAESKey from the console’s 消息推送 page (--aes-key or WECHAT_ENCODING_AES_KEY)',
      })
    }
    if (!settings.appid) missing.push(missingInput('AppID', 'appid', 'WECHAT_APPID'))
  }
  return missing
}

interface SentPush {
  msgId: string
  outcome: Awaited<ReturnType<typeof request>>
}

/** The doctor's test push in `mode` (missingFor(mode) empty). */
async function sendPush(probe: Probe, settings: DoctorSettings, mode: PushMode): Promise<SentPush> {
  const msgId = doctorMsgId()
  const cipher =
    mode === 'plaintext' || !settings.aesKey || !settings.appid ? undefined : await importCipher(settings.aesKey, settings.appid)
  const message = {
    ToUserName: 'gh_kefu_edge_doctor',
    FromUserName: DOCTOR_OPENID,
    CreateTime: Math.floor(Date.now() / 1000),
    MsgType: 'text',
    Content: 'kefu-edge doctor: a test push, answered by nothing',
    MsgId: msgId,
  }
  const { query, body } = await buildPush(message, { token: settings.token ?? '', mode, format: settings.format, cipher })
  return { msgId, outcome: await request(probe, `${settings.url}/wechat?${query}`, { method: 'POST', body }) }
}

/** What the Worker's answer to the test push says, and (with the admin token) whether it was recorded. */
async function judgePush(
  probe: Probe,
  settings: DoctorSettings,
  label: string,
  sent: SentPush,
  options: DoctorOptions,
): Promise<CheckResult> {
  if ('unreachable' in sent.outcome) return failed(`${label}: no answer`, [sent.outcome.unreachable])
  const { answer } = sent.outcome
  if (answer.status !== 200) return failed(`${label}: answers ${answer.status}`, [wechatRefusal(answer, settings)])
  if (answer.text !== 'success') {
    return failed(`${label}: 200 but not success`, [
      {
        what: `answered ${excerpt(answer.text)}`,
        cause: 'the deployed Worker predates doctor pushes and answered it with its rules, or something else answers here',
        fix: 'deploy this version: npx wrangler deploy',
      },
    ])
  }
  if (!settings.adminToken) {
    return { title: `${label}: accepted`, lines: ['recorded: not confirmed, that needs the admin token'], problems: [] }
  }
  return confirmRecorded(probe, settings, label, sent.msgId, options.recordWaitMs ?? 10_000)
}

/** The push is in the user's Conversation object (at once) and then in the D1 record. */
async function confirmRecorded(probe: Probe, settings: DoctorSettings, label: string, msgId: string, waitMs: number): Promise<CheckResult> {
  const headers = { authorization: `Bearer ${settings.adminToken}` }
  const outcome = await request(probe, `${settings.url}/admin/api/conversations/${DOCTOR_OPENID}/state`, { headers })
  if ('unreachable' in outcome) return failed(`${label}: accepted, not confirmed`, [outcome.unreachable])
  const { answer } = outcome
  if (answer.status === 401) {
    return {
      title: `${label}: accepted`,
      lines: ['recorded: not confirmed, the admin token was not accepted (see the admin token check)'],
      problems: [],
    }
  }
  const state = parseJson(answer.text) as ConversationState | null
  if (answer.status !== 200 || !isRecord(state) || !Array.isArray(state.inbound)) {
    return failed(`${label}: accepted, not confirmed`, [notKefuEdge(answer, `/admin/api/conversations/${DOCTOR_OPENID}/state`)])
  }
  const seen = state.inbound.find((m) => m.msgId === msgId)
  if (!seen) {
    return failed(`${label}: accepted but not recorded`, [
      {
        what: 'answered success, but the Conversation object has no record of it',
        cause: 'the deployed Worker predates doctor pushes (it records only what its rules answer), or a proxy sends /wechat elsewhere',
        fix: 'deploy this version (npx wrangler deploy); `npx wrangler tail --search push.doctor` shows the push arriving',
      },
    ])
  }
  const sends = Array.isArray(state.outbound) ? state.outbound.filter((o) => o.msgId === msgId) : []
  if (seen.kind !== DOCTOR_KIND || sends.length > 0) {
    return failed(`${label}: answered by the rules`, [
      {
        what: `recorded as a user's ${seen.kind}${seen.ruleId ? ` that rule ${seen.ruleId} answered` : ''}, with ${sends.length} send(s)`,
        cause: 'the deployed Worker predates doctor pushes (WeChat refuses any send to this openid)',
        fix: 'deploy this version: npx wrangler deploy',
      },
    ])
  }
  const lines = ['recorded by its Conversation object; nothing to send']
  const inRecord = await waitForRecord(probe, settings.url, headers, msgId, waitMs)
  if (inRecord === true)
    return {
      title: `${label}: accepted, recorded, answered by nothing`,
      lines: [...lines, 'in the D1 record (the admin API and the console show it)'],
      problems: [],
    }
  return { title: `${label}: accepted, not in the D1 record`, lines, problems: [inRecord] }
}

async function waitForRecord(
  probe: Probe,
  url: string,
  headers: Record<string, string>,
  msgId: string,
  waitMs: number,
): Promise<true | Problem> {
  const deadline = Date.now() + waitMs
  const missing: Problem = {
    what: `not in the D1 record ${waitMs / 1000} s after it was recorded`,
    cause: 'the record’s D1 tables are missing, or the DB binding names another database (log record.write_failed)',
    fix: 'npx wrangler d1 migrations apply DB --remote',
  }
  for (;;) {
    const outcome = await request(probe, `${url}/admin/api/conversations/${DOCTOR_OPENID}?limit=20`, { headers })
    if ('unreachable' in outcome) return outcome.unreachable
    const { status, text } = outcome.answer
    if (status === 200) {
      const body = parseJson(text)
      const items =
        isRecord(body) && isRecord(body.messages) && Array.isArray(body.messages.items) ? (body.messages.items as MessageView[]) : []
      if (items.some((m) => m.id === `msg:${msgId}`)) return true
    } else if (status === 500) {
      return missing
    } else if (status !== 404) {
      return notKefuEdge(outcome.answer, `/admin/api/conversations/${DOCTOR_OPENID}`)
    }
    if (Date.now() >= deadline) return missing
    await new Promise((resolve) => setTimeout(resolve, Math.min(500, Math.max(0, deadline - Date.now()))))
  }
}

/**
 * A MsgId no WeChat message can have: 20 digits from 9 up is above 2^64, WeChat's largest.
 * The record keys messages by MsgId across users, so the doctor's never meets a user's.
 */
function doctorMsgId(): string {
  return `9${String(Date.now()).padStart(13, '0')}${randomDigits(6)}`
}

// ---------------------------------------------------------------- 4. the admin token

const ADMIN = 'admin token (GET /admin/api/stats)'

export async function checkAdmin(probe: Probe, settings: DoctorSettings): Promise<CheckResult> {
  if (!settings.adminToken) return failed(`${ADMIN}: not run`, [missingInput('admin token', 'admin-token', 'ADMIN_TOKEN')])
  const url = `${settings.url}/admin/api/stats?days=1`
  const withToken = await request(probe, url, { headers: { authorization: `Bearer ${settings.adminToken}` } })
  if ('unreachable' in withToken) return failed(`${ADMIN}: no answer`, [withToken.unreachable])
  const problems: Problem[] = []
  const answer = withToken.answer
  const stats = parseJson(answer.text)
  if (answer.status === 401) {
    problems.push({
      what: '401 with the admin token given',
      cause: 'it is not the Worker’s ADMIN_TOKEN',
      fix: 'pass the Worker’s ADMIN_TOKEN (--admin-token or ADMIN_TOKEN), or set a new one: npx wrangler secret put ADMIN_TOKEN',
    })
  } else if (answer.status === 500 && answer.text.startsWith('server misconfigured:')) {
    problems.push(misconfigured(answer, settings))
  } else if (answer.status === 500) {
    problems.push({
      what: `500 ${excerpt(answer.text)}`,
      cause: 'most likely the record’s D1 tables are missing (the stats read them)',
      fix: 'npx wrangler d1 migrations apply DB --remote; `npx wrangler tail` shows the request.failed',
    })
  } else if (answer.status !== 200 || !isRecord(stats) || !Array.isArray(stats.daily)) {
    problems.push(notKefuEdge(answer, '/admin/api/stats'))
  }

  const without = await request(probe, url)
  if ('unreachable' in without) problems.push(without.unreachable)
  else if (without.answer.status !== 401) {
    problems.push({
      what: `answers ${without.answer.status} without a token (401 expected)`,
      cause:
        without.answer.status === 200
          ? 'the admin API is open: something in front of the Worker answers for it (a cache?)'
          : 'something other than kefu-edge answers at this URL',
      fix: 'point --url at the Worker itself; nothing may cache /admin',
    })
  }
  const title = problems.length === 0 ? `${ADMIN}: 200 with it, 401 without` : `${ADMIN}: answers ${answer.status} with it`
  return { title, lines: [], problems }
}

// ---------------------------------------------------------------- what the Worker's answers mean

/** A 4xx/5xx from /wechat (the URL check or the push), explained. */
function wechatRefusal(answer: Answer, settings: DoctorSettings): Problem {
  const { status, text } = answer
  if (status === 401 && /^bad (msg_)?signature$/.test(text)) {
    return {
      what: `401 ${text}: the Worker's WECHAT_TOKEN is not the Token given here`,
      cause: 'WeChat signs with the Token from the console’s 消息推送 page; the Worker must have the same (else: Token验证失败)',
      fix: 'npx wrangler secret put WECHAT_TOKEN with the console’s Token, and pass that Token (--token or WECHAT_TOKEN)',
    }
  }
  if (status === 401 && text === 'timestamp too far from now') {
    return {
      what: '401 timestamp too far from now',
      cause: 'this machine’s clock is off by more than PUSH_MAX_AGE_SECONDS (default 300 s) from the Worker’s',
      fix: 'set this machine’s clock (NTP) and run the doctor again',
    }
  }
  if (status === 400 && text === 'appid does not match') {
    return {
      what: '400 appid does not match',
      cause: 'the Worker’s WECHAT_APPID is not the AppID given here (or the EncodingAESKey is another mini program’s)',
      fix: 'put the mini program’s AppID in wrangler.toml [vars] WECHAT_APPID, deploy, and pass the same (--appid or WECHAT_APPID)',
    }
  }
  if (status === 400 && /^(bad padding|length field does not fit|decrypted text is not UTF-8|ciphertext too short)$/.test(text)) {
    return {
      what: `400 ${text}: the push did not decrypt`,
      cause: 'the Worker’s WECHAT_ENCODING_AES_KEY is not the EncodingAESKey given here',
      fix: 'npx wrangler secret put WECHAT_ENCODING_AES_KEY with the console’s EncodingAESKey, and pass the same (--aes-key)',
    }
  }
  if (status === 400 && /push refused: WECHAT_PUSH_MODE/.test(text)) {
    return {
      what: `400 ${text}`,
      cause: 'WECHAT_PUSH_MODE changed while the doctor ran, or /healthz and /wechat are different Workers',
      fix: 'run the doctor again; set WECHAT_PUSH_MODE to the console’s 消息加密方式',
    }
  }
  if (status === 500 && text.startsWith('server misconfigured:')) return misconfigured(answer, settings)
  if (status === 413) {
    return {
      what: '413 body too large',
      cause: 'PUSH_MAX_BYTES is set lower than a small push',
      fix: 'remove PUSH_MAX_BYTES from wrangler.toml (default 65536), or raise it, and deploy',
    }
  }
  if (status === 400) {
    return {
      what: `400 ${excerpt(text)}`,
      cause: 'the Worker refused the doctor’s push: a kefu-edge of another version?',
      fix: 'deploy this version: npx wrangler deploy',
    }
  }
  return notKefuEdge(answer, '/wechat')
}

/** 500 `server misconfigured: <SETTING> …`: the setting named, and how to set it. */
function misconfigured(answer: Answer, settings: DoctorSettings): Problem {
  const reason = answer.text.slice('server misconfigured:'.length).trim()
  const name = /^[A-Z_]+/.exec(reason)?.[0] ?? 'a setting'
  return {
    what: `500 server misconfigured: ${reason}`,
    cause: `${name} is missing or malformed on the Worker`,
    fix: settingFix(name, settings),
  }
}

/** A redirect, a 404, or an answer that is not what kefu-edge answers there. */
function notKefuEdge(answer: Answer, path: string): Problem {
  const location = answer.headers.get('location')
  if (answer.status >= 300 && answer.status < 400) {
    return {
      what: `${path} answers ${answer.status}, a redirect${location ? ` to ${location}` : ''}`,
      cause: 'WeChat does not follow redirects; --url is not the Worker’s own address (http instead of https?)',
      fix: 'use the address the redirect names, or the one `npx wrangler deploy` printed',
    }
  }
  if (answer.status === 404) {
    return {
      what: `${path} answers 404: ${excerpt(answer.text)}`,
      cause: 'the URL is not the kefu-edge Worker (another Worker or site, or nothing deployed under this name)',
      fix: 'use the URL `npx wrangler deploy` printed, e.g. https://kefu-edge.<your-subdomain>.workers.dev',
    }
  }
  return {
    what: `${path} answers ${answer.status}: ${excerpt(answer.text)}`,
    cause:
      answer.status >= 500
        ? 'the Worker failed (see `npx wrangler tail`), or something in front of it did'
        : 'something other than kefu-edge answers at this URL, or a version that does not know this route',
    fix: 'check --url; deploy this version (npx wrangler deploy); look at `npx wrangler tail`',
  }
}

// ---------------------------------------------------------------- settings

const SECRETS = new Set([
  'WECHAT_APPSECRET',
  'WECHAT_TOKEN',
  'WECHAT_ENCODING_AES_KEY',
  'ADMIN_TOKEN',
  'WEBHOOK_SECRET',
  'WECOM_KF_SECRET',
  'WECOM_KF_TOKEN',
  'WECOM_KF_ENCODING_AES_KEY',
])

const HINTS: Record<string, string> = {
  WECHAT_APPID: 'the mini program’s AppID, wx + 16 characters',
  WECHAT_APPSECRET: 'the AppSecret from 开发设置',
  WECHAT_TOKEN: 'the Token (令牌) from the console’s 消息推送 page, 3–32 letters or digits',
  WECHAT_ENCODING_AES_KEY: 'the EncodingAESKey from the console’s 消息推送 page, 43 characters',
  ADMIN_TOKEN: '16+ letters, digits and - . _ ~ + /, e.g. openssl rand -hex 24',
  WECHAT_PUSH_MODE: 'safe, compatible or plaintext, as the console’s 消息加密方式',
  WECHAT_API_BASE: 'an http(s) URL, or unset for https://api.weixin.qq.com',
  WEBHOOK_URL: 'the http(s) URL events are posted to, set with WEBHOOK_SECRET, or neither',
  WEBHOOK_SECRET: '16–256 printable characters, no spaces, e.g. openssl rand -hex 32; set with WEBHOOK_URL, or neither',
  // 微信客服 (README "微信客服 (WeCom) channel: setup"): the first four all, or none.
  WECOM_CORPID: 'the CorpID from 我的企业 → 企业信息 → 企业ID; with WECOM_KF_SECRET, WECOM_KF_TOKEN and WECOM_KF_ENCODING_AES_KEY, or none',
  WECOM_KF_SECRET: 'the self-built app’s Secret (应用管理 → the app → Secret); with the other WECOM_* settings, or none',
  WECOM_KF_TOKEN: 'the Token of the app’s 接收消息 → 设置API接收, 3–32 letters or digits',
  WECOM_KF_ENCODING_AES_KEY: 'the EncodingAESKey of the app’s 接收消息 → 设置API接收, 43 characters',
  WECOM_API_BASE: 'an http(s) URL, or unset for https://qyapi.weixin.qq.com',
}

/** How to set a setting: a secret, a var in wrangler.toml, or .dev.vars for a local Worker. */
function settingFix(name: string, settings: DoctorSettings): string {
  const hint = HINTS[name] ?? 'a positive integer, or unset for the default'
  if (isLocalUrl(new URL(settings.url))) return `set ${name} in .dev.vars (${hint}) and restart npm start`
  if (SECRETS.has(name)) return `npx wrangler secret put ${name} (${hint})`
  return `set ${name} under [vars] in wrangler.toml (${hint}), then npx wrangler deploy`
}

function settingProblem(name: string, status: string, reason: string | undefined, settings: DoctorSettings): Problem {
  return {
    what: `${name} ${status}${reason ? `: ${reason}` : ''}`,
    cause:
      status === 'missing'
        ? `the Worker has no ${name}`
        : reason
          ? 'the Worker refuses this value'
          : 'the Worker refuses this value (with the admin token, /healthz says why)',
    fix: settingFix(name, settings),
  }
}

/** A binding the Worker runs without: only MEDIA so far, the bucket of uploaded images. */
function bindingProblem(name: string, reason: string | undefined): Problem {
  return {
    what: `binding ${name} missing${reason ? `: ${reason}` : ''}`,
    cause: `wrangler.toml has no [[r2_buckets]] entry with binding = "${name}", or the deploy used another config`,
    fix: 'npm run setup (creates the kefu-edge-media bucket), keep the [[r2_buckets]] entry of wrangler.toml, then npx wrangler deploy',
  }
}

function missingInput(label: string, flag: string, variable: string): Problem {
  return {
    what: `no ${label} given`,
    cause: `the doctor needs the Worker's ${variable}`,
    fix: `pass --${flag} or set ${variable} (read from .dev.vars only for a local --url)`,
  }
}

// ---------------------------------------------------------------- helpers

function failed(title: string, problems: Problem[]): CheckResult {
  return { title, lines: [], problems }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return null
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function randomDigits(count: number): string {
  let out = ''
  for (const byte of crypto.getRandomValues(new Uint8Array(count))) out += String(byte % 10)
  return out
}
