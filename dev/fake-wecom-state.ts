/**
 * The 微信客服 stand-in's state and rules (docs/wecom-kf-protocol.md), apart from HTTP: each
 * method takes a parsed request and returns WeChat Work's answer. Scoped by corpid, with a
 * clock per corp (`advance`), so parallel test files with their own corps never meet.
 *
 * What is WeChat Work's and what is the stand-in's own choice where the docs say nothing:
 * - gettoken: 40013 unknown corp, 40001 wrong secret; the same token while it is valid.
 * - sync_msg: a cursor names a position in the account's log (opaque, tied to the account);
 *   without one, from the earliest message of the last 3 days; older messages never come
 *   back; limit 1–1000; has_more. The callback token is valid 10 minutes (95007 after).
 *   Without a token: at most `untokenedPerMinute` calls per account and minute, then 45009 —
 *   the stand-in's number (10 by default), WeChat Work publishes none. A bad cursor: 50100
 *   (the global table's "分页查询的游标无效"; its kf errcode is undocumented).
 * - send_msg: only in state 0 or 1 (else 95018), within 48 h of the customer's last message
 *   (else 95002), at most 5 per window (else 95001), renewed (not added to) by a new customer
 *   message; state 0 → 1. A msgid must be unique per account: a repeat gets 40058 (the real
 *   errcode is undocumented). Messages sent are never returned by sync_msg.
 * - send_msg_on_event: a welcome_code valid 20 s, once; a msg_code of trans (2, 3: 48 h; 4: 20 s),
 *   once. An unknown, used or expired code: 40058 (undocumented).
 * - service_state: the §7 table; other moves 95016; 3 needs a servicer of the account (95014).
 * - An unknown external_userid: 40096; an unknown open_kfid: 95004 (missing: 95000).
 */
import type { FakeCorpConfig, FakeCustomerState, FakeKfCall, FakeKfFault, FakeSent } from './fake-wecom-types'
import { wallClockMs } from './fake-wechat-state'

export const FAKE_KF_UNTOKENED_PER_MINUTE = 10
export const SYNC_TOKEN_SECONDS = 600
export const WINDOW_SECONDS = 48 * 3600
export const WINDOW_SENDS = 5
export const HISTORY_SECONDS = 3 * 24 * 3600
export const WELCOME_CODE_SECONDS = 20
export const MAX_LIMIT = 1000
export const DEFAULT_SERVICER = 'servicer1'

export type Answer = { errcode: number; errmsg: string } & Record<string, unknown>
type State = FakeCustomerState['state']

const ok = (fields: Record<string, unknown> = {}): Answer => ({ errcode: 0, errmsg: 'ok', ...fields })
export const err = (errcode: number, errmsg: string): Answer => ({ errcode, errmsg })

/** One item of an account's log: what sync_msg returns, in WeChat Work's shape. */
interface LogItem {
  seq: number
  sendTime: number
  item: Record<string, unknown>
}

interface Customer {
  state: State
  servicerUserid?: string
  lastCustomerMessageAt: number | null
  sendsInWindow: number
  /** When the last welcome code was issued (a new one only after 48 h). */
  welcomedAt: number | null
  /** This session already got the reply code of its first move to 2 or 3. */
  replyCodeIssued: boolean
}

interface Code {
  externalUserid: string
  expiresAt: number
  used: boolean
  welcome: boolean
}

interface Account {
  openKfId: string
  log: LogItem[]
  servicers: Set<string>
  customers: Map<string, Customer>
  syncTokens: Map<string, number>
  untokenedCalls: number[]
  msgids: Set<string>
  codes: Map<string, Code>
}

interface Corp {
  config: FakeCorpConfig
  offsetSeconds: number
  token: { value: string; expiresAt: number } | null
  accounts: Map<string, Account>
  sent: FakeSent[]
  calls: FakeKfCall[]
  faults: (FakeKfFault & { left: number })[]
  /** media_ids `media/upload` issued, and when (stand-in seconds): a send naming another is refused 40007. */
  media: Map<string, number>
}

const TRANSITIONS: Record<State, readonly State[]> = { 0: [1, 2, 3], 1: [2, 3], 2: [3], 3: [3, 4], 4: [] }
const MSGID = /^[0-9a-zA-Z_-]{1,32}$/
const random = (): string => crypto.randomUUID().replaceAll('-', '')

export class FakeKfState {
  readonly #corps = new Map<string, Corp>()
  /** access_token → corpid. */
  readonly #tokens = new Map<string, string>()
  #seq = 0

  constructor(readonly wallClock: () => number = () => Date.now()) {}

  configure(config: FakeCorpConfig): void {
    const known = this.#corps.get(config.corpid)
    if (known) {
      known.config = { ...known.config, ...config }
      return
    }
    this.#corps.set(config.corpid, {
      config,
      offsetSeconds: 0,
      token: null,
      accounts: new Map(),
      sent: [],
      calls: [],
      faults: [],
      media: new Map(),
    })
  }

  corp(corpid: string): Corp | undefined {
    return this.#corps.get(corpid)
  }

  /** The corp's clock, seconds. */
  now(corp: Corp): number {
    return Math.floor(this.wallClock() / 1000) + corp.offsetSeconds
  }

  advance(corpid: string, seconds: number): void {
    const corp = this.#need(corpid)
    corp.offsetSeconds += seconds
  }

  reset(corpid?: string): void {
    if (corpid === undefined) this.#corps.clear()
    else this.#corps.delete(corpid)
  }

  record(corpid: string | null, call: Omit<FakeKfCall, 'seq' | 'corpid'>): void {
    const corp = corpid === null ? undefined : this.#corps.get(corpid)
    corp?.calls.push({ seq: ++this.#seq, corpid, ...call })
  }

  addFaults(faults: FakeKfFault[]): void {
    for (const fault of faults) this.#need(fault.corpid).faults.push({ ...fault, left: fault.times ?? 1 })
  }

  takeFault(corpid: string | null, path: string): Answer | null {
    const corp = corpid === null ? undefined : this.#corps.get(corpid)
    const fault = corp?.faults.find((f) => f.path === path && f.left > 0)
    if (!fault) return null
    fault.left--
    return err(fault.errcode, fault.errmsg ?? 'fault injected by the stand-in')
  }

  // --- gettoken and access tokens

  gettoken(corpid: string, secret: string): Answer {
    const corp = this.#corps.get(corpid)
    if (!corp) return err(40013, 'invalid corpid')
    if (secret !== corp.config.secret) return err(40001, 'invalid credential')
    const now = this.now(corp)
    const expiresIn = corp.config.expiresIn ?? 7200
    // Within its validity gettoken hands back the same token.
    if (corp.token && corp.token.expiresAt > now) return ok({ access_token: corp.token.value, expires_in: corp.token.expiresAt - now })
    const value = `kf-token-${random()}`
    corp.token = { value, expiresAt: now + expiresIn }
    this.#tokens.set(value, corpid)
    return ok({ access_token: value, expires_in: expiresIn })
  }

  /** The corp an access_token belongs to, or the answer refusing it. */
  checkToken(token: string | null): { corp: Corp } | { answer: Answer; corpid: string | null } {
    if (!token) return { answer: err(41001, 'access_token missing'), corpid: null }
    const corpid = this.#tokens.get(token)
    const corp = corpid === undefined ? undefined : this.#corps.get(corpid)
    if (!corp || corpid === undefined) return { answer: err(40014, 'invalid access_token'), corpid: null }
    if (corp.token?.value !== token) return { answer: err(40014, 'invalid access_token'), corpid }
    if (corp.token.expiresAt <= this.now(corp)) return { answer: err(42001, 'access_token expired'), corpid }
    return { corp }
  }

  /** Expires the corp's token now (next use → 42001, gettoken → a new one). */
  expireToken(corpid: string): void {
    const corp = this.#need(corpid)
    if (corp.token) corp.token.expiresAt = this.now(corp)
  }

  tokensOf(corpid: string): string[] {
    return [...this.#tokens].filter(([, owner]) => owner === corpid).map(([token]) => token)
  }

  // --- accounts and what happens to customers (control API)

  account(corpid: string, openKfId: string, servicers?: string[]): Account {
    const corp = this.#need(corpid)
    let account = corp.accounts.get(openKfId)
    if (!account) {
      account = {
        openKfId,
        log: [],
        servicers: new Set([DEFAULT_SERVICER]),
        customers: new Map(),
        syncTokens: new Map(),
        untokenedCalls: [],
        msgids: new Set(),
        codes: new Map(),
      }
      corp.accounts.set(openKfId, account)
    }
    if (servicers) account.servicers = new Set(servicers)
    return account
  }

  /** A customer writes: logged for sync_msg, session 4 → 0, the send window renewed. */
  customerMessage(
    corpid: string,
    openKfId: string,
    externalUserid: string,
    msgtype: string,
    payload: Record<string, unknown>,
    ageSeconds: number,
  ): string {
    const corp = this.#need(corpid)
    const account = this.account(corpid, openKfId)
    const sendTime = this.now(corp) - ageSeconds
    const customer = this.#customer(account, externalUserid)
    if (customer.state === 4) this.#newSession(customer, 0)
    if (customer.lastCustomerMessageAt === null || sendTime >= customer.lastCustomerMessageAt) {
      customer.lastCustomerMessageAt = sendTime
      customer.sendsInWindow = 0
    }
    const msgid = `from_msgid_${random()}`
    this.#append(account, sendTime, {
      msgid,
      open_kfid: openKfId,
      external_userid: externalUserid,
      send_time: sendTime,
      origin: 3,
      msgtype,
      [msgtype]: payload,
    })
    return msgid
  }

  /** The customer opens the chat: an enter_session event, with a welcome_code when one is due. */
  enterSession(
    corpid: string,
    input: { openKfId: string; externalUserid: string; scene?: string; sceneParam?: string; welcome?: boolean },
  ): { msgid: string; welcomeCode: string | null } {
    const corp = this.#need(corpid)
    const account = this.account(corpid, input.openKfId)
    const now = this.now(corp)
    const customer = this.#customer(account, input.externalUserid)
    const due =
      customer.lastCustomerMessageAt === null || now - customer.lastCustomerMessageAt > WINDOW_SECONDS
        ? customer.welcomedAt === null || now - customer.welcomedAt > WINDOW_SECONDS
        : false
    let welcomeCode: string | null = null
    if (input.welcome ?? due) {
      welcomeCode = `welcome_${random()}`
      customer.welcomedAt = now
      account.codes.set(welcomeCode, {
        externalUserid: input.externalUserid,
        expiresAt: now + WELCOME_CODE_SECONDS,
        used: false,
        welcome: true,
      })
    }
    const msgid = `event_${random()}`
    this.#append(account, now, {
      msgid,
      send_time: now,
      origin: 4,
      msgtype: 'event',
      event: {
        event_type: 'enter_session',
        open_kfid: input.openKfId,
        external_userid: input.externalUserid,
        ...(input.scene === undefined ? {} : { scene: input.scene }),
        ...(input.sceneParam === undefined ? {} : { scene_param: input.sceneParam }),
        ...(welcomeCode ? { welcome_code: welcomeCode } : {}),
      },
    })
    return { msgid, welcomeCode }
  }

  /** WeChat Work reports a send as failed after all: a msg_send_fail event in a later pull. */
  sendFail(corpid: string, openKfId: string, failMsgid: string, failType: number): string | null {
    const corp = this.#need(corpid)
    const account = corp.accounts.get(openKfId)
    const sent = corp.sent.find((s) => s.openKfId === openKfId && s.msgid === failMsgid)
    if (!account || !sent) return null
    const now = this.now(corp)
    const msgid = `event_${random()}`
    this.#append(account, now, {
      msgid,
      send_time: now,
      origin: 4,
      msgtype: 'event',
      event: {
        event_type: 'msg_send_fail',
        open_kfid: openKfId,
        external_userid: sent.externalUserid,
        fail_msgid: failMsgid,
        fail_type: failType,
      },
    })
    return msgid
  }

  /** Sets a customer's session state, as a servicer acting in the WeCom client would. */
  setState(corpid: string, openKfId: string, externalUserid: string, state: State, servicerUserid?: string): void {
    const account = this.account(corpid, openKfId)
    const customer = this.#customer(account, externalUserid)
    if (state === 0 && customer.state === 4) this.#newSession(customer, 0)
    customer.state = state
    if (state === 3) customer.servicerUserid = servicerUserid ?? DEFAULT_SERVICER
    else delete customer.servicerUserid
  }

  customerState(corpid: string, openKfId: string, externalUserid: string): FakeCustomerState | null {
    const customer = this.#corps.get(corpid)?.accounts.get(openKfId)?.customers.get(externalUserid)
    if (!customer) return null
    return {
      state: customer.state,
      ...(customer.servicerUserid ? { servicerUserid: customer.servicerUserid } : {}),
      lastCustomerMessageAt: customer.lastCustomerMessageAt,
      sendsInWindow: customer.sendsInWindow,
    }
  }

  /** A sync_msg token, as a callback carries it. */
  issueSyncToken(corpid: string, openKfId: string): string {
    const corp = this.#need(corpid)
    const token = `ENC${random()}`
    this.account(corpid, openKfId).syncTokens.set(token, this.now(corp) + SYNC_TOKEN_SECONDS)
    return token
  }

  sent(corpid: string, openKfId?: string): FakeSent[] {
    const sent = this.#corps.get(corpid)?.sent ?? []
    return openKfId === undefined ? sent : sent.filter((s) => s.openKfId === openKfId)
  }

  calls(corpid: string): FakeKfCall[] {
    return this.#corps.get(corpid)?.calls ?? []
  }

  // --- the kf API

  syncMsg(corp: Corp, body: Record<string, unknown>): Answer {
    const openKfId = body.open_kfid
    if (typeof openKfId !== 'string' || openKfId === '') return err(95000, 'invalid open_kfid')
    const account = corp.accounts.get(openKfId)
    if (!account) return err(95004, 'open_kfid not found')
    const now = this.now(corp)
    const limit = body.limit ?? MAX_LIMIT
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      return err(40058, 'invalid limit: 1 to 1000')
    }
    if (body.token !== undefined && body.token !== '') {
      const expiresAt = typeof body.token === 'string' ? account.syncTokens.get(body.token) : undefined
      if (expiresAt === undefined || expiresAt <= now) return err(95007, 'invalid msg token')
    } else {
      account.untokenedCalls = account.untokenedCalls.filter((at) => at > now - 60)
      if (account.untokenedCalls.length >= (corp.config.untokenedPerMinute ?? FAKE_KF_UNTOKENED_PER_MINUTE)) {
        return err(45009, 'api freq out of limit (the stand-in allows a few sync_msg calls a minute without a token)')
      }
      account.untokenedCalls.push(now)
    }
    let from: number
    if (body.cursor === undefined || body.cursor === '') from = 0
    else {
      const position = typeof body.cursor === 'string' ? readCursor(body.cursor, openKfId) : null
      if (position === null) return err(50100, 'invalid cursor')
      from = position
    }
    // Past 3 days a message is gone, whatever the cursor says.
    const visible = account.log.filter((entry) => entry.seq > from && entry.sendTime > now - HISTORY_SECONDS)
    const page = visible.slice(0, limit)
    const last = page.at(-1)?.seq ?? Math.max(from, account.log.at(-1)?.seq ?? 0)
    return ok({
      next_cursor: writeCursor(last, openKfId),
      has_more: visible.length > page.length ? 1 : 0,
      msg_list: page.map((entry) => entry.item),
    })
  }

  /**
   * `media/upload?type=image`: a JPEG or PNG (by its bytes) of at most 10 MB, as WeChat Work's
   * temporary media takes images; valid 3 days.
   */
  uploadMedia(corp: Corp, type: string | null, part: { name: string; data: Uint8Array } | null): Answer {
    if (type !== 'image') return err(40004, 'invalid media type: the stand-in takes images only')
    if (part?.name !== 'media' || part.data.length === 0) return err(41005, 'media data missing')
    const png = part.data[0] === 0x89 && part.data[1] === 0x50 && part.data[2] === 0x4e && part.data[3] === 0x47
    const jpeg = part.data[0] === 0xff && part.data[1] === 0xd8 && part.data[2] === 0xff
    if (!png && !jpeg) return err(40005, 'invalid file type: JPG or PNG')
    if (part.data.length > 10 * 1024 * 1024) return err(40006, 'invalid file size: at most 10 MB')
    const mediaId = `kfmedia_${random()}`
    const now = this.now(corp)
    corp.media.set(mediaId, now)
    return ok({ type: 'image', media_id: mediaId, created_at: String(now) })
  }

  sendMsg(corp: Corp, body: Record<string, unknown>): Answer {
    const openKfId = body.open_kfid
    if (typeof openKfId !== 'string' || openKfId === '') return err(95000, 'invalid open_kfid')
    const account = corp.accounts.get(openKfId)
    if (!account) return err(95004, 'open_kfid not found')
    const touser = body.touser
    const customer = typeof touser === 'string' ? account.customers.get(touser) : undefined
    if (!customer || typeof touser !== 'string') return err(40096, 'invalid external userid')
    const content = checkContent(body, ['text', 'image', 'voice', 'video', 'file', 'link', 'miniprogram', 'msgmenu', 'location'])
    if (content) return content
    const media = this.#checkMedia(corp, body)
    if (media) return media
    const msgid = checkMsgid(account, body.msgid)
    if (typeof msgid !== 'string') return msgid
    if (customer.state !== 0 && customer.state !== 1) return err(95018, 'send msg session status invalid')
    const now = this.now(corp)
    if (customer.lastCustomerMessageAt === null || now - customer.lastCustomerMessageAt > WINDOW_SECONDS) {
      return err(95002, 'send msg time limit: more than 48 hours since the customer wrote')
    }
    if (customer.sendsInWindow >= WINDOW_SENDS) return err(95001, 'send msg count limit: 5 per customer message')
    customer.sendsInWindow++
    // Replying through the API hands a new session to the bot.
    if (customer.state === 0) customer.state = 1
    this.#sent(corp, account, 'kf/send_msg', touser, msgid, body)
    return ok({ msgid })
  }

  /** A send's picture must be a media_id this corp uploaded within 3 days. */
  #checkMedia(corp: Corp, body: Record<string, unknown>): Answer | null {
    const type = String(body.msgtype)
    const payload = body[type] as Record<string, unknown> | undefined
    const id = type === 'image' ? payload?.media_id : type === 'link' || type === 'miniprogram' ? payload?.thumb_media_id : undefined
    if (id === undefined) return null
    const at = typeof id === 'string' ? corp.media.get(id) : undefined
    if (at === undefined || this.now(corp) - at > HISTORY_SECONDS) return err(40007, 'invalid media_id')
    return null
  }

  sendMsgOnEvent(corp: Corp, body: Record<string, unknown>): Answer {
    const codeValue = body.code
    const found = typeof codeValue === 'string' ? this.#findCode(corp, codeValue) : null
    const now = this.now(corp)
    if (!found || found.code.used || found.code.expiresAt <= now || typeof codeValue !== 'string') {
      return err(40058, 'invalid code: unknown, used or expired')
    }
    const { account, code } = found
    const content = checkContent(body, code.welcome ? ['text', 'msgmenu'] : ['text'])
    if (content) return content
    const msgid = checkMsgid(account, body.msgid)
    if (typeof msgid !== 'string') return msgid
    code.used = true
    this.#sent(corp, account, 'kf/send_msg_on_event', code.externalUserid, msgid, body)
    return ok({ msgid })
  }

  serviceStateGet(corp: Corp, body: Record<string, unknown>): Answer {
    const found = this.#customerOf(corp, body)
    if ('errcode' in found) return found
    const { customer } = found
    return ok({ service_state: customer.state, ...(customer.state === 3 ? { servicer_userid: customer.servicerUserid } : {}) })
  }

  serviceStateTrans(corp: Corp, body: Record<string, unknown>): Answer {
    const found = this.#customerOf(corp, body)
    if ('errcode' in found) return found
    const { account, customer, externalUserid } = found
    const to = body.service_state
    if (to !== 0 && to !== 1 && to !== 2 && to !== 3 && to !== 4) return err(40058, 'invalid service_state')
    if (!TRANSITIONS[customer.state].includes(to)) {
      return customer.state === 4 ? err(95013, 'conversation end') : err(95016, 'state transition not allowed')
    }
    const servicer = body.servicer_userid
    if (to === 3 && (typeof servicer !== 'string' || !account.servicers.has(servicer))) {
      return err(95014, 'servicer not receiving or not a servicer of this account')
    }
    const now = this.now(corp)
    let msgCode: string | null = null
    if ((to === 2 || to === 3) && !customer.replyCodeIssued) {
      customer.replyCodeIssued = true
      msgCode = `msgcode_${random()}`
      account.codes.set(msgCode, { externalUserid, expiresAt: now + WINDOW_SECONDS, used: false, welcome: false })
    } else if (to === 4) {
      msgCode = `msgcode_${random()}`
      account.codes.set(msgCode, { externalUserid, expiresAt: now + WELCOME_CODE_SECONDS, used: false, welcome: true })
    }
    customer.state = to
    if (to === 3 && typeof servicer === 'string') customer.servicerUserid = servicer
    else delete customer.servicerUserid
    return ok(msgCode ? { msg_code: msgCode } : {})
  }

  // --- helpers

  #need(corpid: string): Corp {
    const corp = this.#corps.get(corpid)
    if (!corp) throw new Error(`unknown corp ${corpid}: configure it first (POST /__fake/kf/corps)`)
    return corp
  }

  #customer(account: Account, externalUserid: string): Customer {
    let customer = account.customers.get(externalUserid)
    if (!customer) {
      customer = { state: 4, lastCustomerMessageAt: null, sendsInWindow: 0, welcomedAt: null, replyCodeIssued: false }
      account.customers.set(externalUserid, customer)
    }
    return customer
  }

  #newSession(customer: Customer, state: State): void {
    customer.state = state
    customer.replyCodeIssued = false
    delete customer.servicerUserid
  }

  #customerOf(corp: Corp, body: Record<string, unknown>): Answer | { account: Account; customer: Customer; externalUserid: string } {
    const openKfId = body.open_kfid
    if (typeof openKfId !== 'string' || openKfId === '') return err(95000, 'invalid open_kfid')
    const account = corp.accounts.get(openKfId)
    if (!account) return err(95004, 'open_kfid not found')
    const externalUserid = body.external_userid
    const customer = typeof externalUserid === 'string' ? account.customers.get(externalUserid) : undefined
    if (!customer || typeof externalUserid !== 'string') return err(40096, 'invalid external userid')
    return { account, customer, externalUserid }
  }

  #findCode(corp: Corp, value: string): { account: Account; code: Code } | null {
    for (const account of corp.accounts.values()) {
      const code = account.codes.get(value)
      if (code) return { account, code }
    }
    return null
  }

  #append(account: Account, sendTime: number, item: Record<string, unknown>): void {
    account.log.push({ seq: (account.log.at(-1)?.seq ?? 0) + 1, sendTime, item })
  }

  #sent(corp: Corp, account: Account, api: FakeSent['api'], externalUserid: string, msgid: string, body: Record<string, unknown>): void {
    account.msgids.add(msgid)
    corp.sent.push({
      seq: ++this.#seq,
      api,
      openKfId: account.openKfId,
      externalUserid,
      msgid,
      msgtype: String(body.msgtype),
      body,
      at: this.now(corp),
      receivedAt: wallClockMs(),
    })
  }
}

/** A cursor: the position after which to read, tied to its account so another's is refused. */
/**
 * This stand-in process's own: a cursor from an earlier run (a Worker whose local state
 * outlived an `npm start`) names a log that is gone, and is refused as WeChat Work refuses a
 * stale cursor — the Worker then starts over from the 3 days it keeps.
 */
const RUN = random().slice(0, 8)

function writeCursor(position: number, openKfId: string): string {
  return Buffer.from(`${position}:${openKfId}:${RUN}`).toString('base64url')
}

function readCursor(cursor: string, openKfId: string): number | null {
  if (cursor.length > 128) return null
  const [position, owner, run] = Buffer.from(cursor, 'base64url').toString('utf8').split(':')
  if (owner !== openKfId || run !== RUN || !/^\d{1,9}$/.test(position ?? '')) return null
  return Number(position)
}

/** A msgid given must be of the documented shape and new in the account; none → one is made. */
function checkMsgid(account: Account, value: unknown): string | Answer {
  if (value === undefined) {
    let msgid: string
    do msgid = random().slice(0, 32)
    while (account.msgids.has(msgid))
    return msgid
  }
  if (typeof value !== 'string' || !MSGID.test(value)) return err(40058, 'invalid msgid: 1 to 32 of [0-9a-zA-Z_-]')
  if (account.msgids.has(value)) return err(40058, 'invalid msgid: already used in this account')
  return value
}

/** The message's type and its fields (protocol doc §5), strictly. */
function checkContent(body: Record<string, unknown>, allowed: readonly string[]): Answer | null {
  const type = body.msgtype
  if (typeof type !== 'string' || !allowed.includes(type)) return err(40008, 'invalid message type')
  const payload = body[type]
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return err(40058, `${type} is missing`)
  const fields = payload as Record<string, unknown>
  const text = (name: string, max: number, required = true): boolean => {
    const value = fields[name]
    if (value === undefined) return !required
    return typeof value === 'string' && (value !== '' || !required) && new TextEncoder().encode(value).length <= max
  }
  switch (type) {
    case 'text':
      return text('content', 2048) ? null : err(40058, 'text.content: 1 to 2048 bytes')
    case 'image':
    case 'voice':
    case 'video':
    case 'file':
      return text('media_id', 256) ? null : err(40007, 'invalid media_id')
    case 'link':
      return text('title', 128) && text('desc', 512, false) && text('url', 2048) && text('thumb_media_id', 256)
        ? null
        : err(40058, 'link: title ≤ 128 B, desc ≤ 512 B, url ≤ 2048 B and thumb_media_id')
    case 'miniprogram':
      return text('appid', 64) && text('title', 64, false) && text('thumb_media_id', 256) && text('pagepath', 1024)
        ? null
        : err(40058, 'miniprogram: appid, title ≤ 64 B, thumb_media_id and pagepath')
    case 'msgmenu': {
      const list = fields.list
      if (!text('head_content', 1024, false) || !text('tail_content', 1024, false)) return err(40058, 'msgmenu: head/tail ≤ 1024 B')
      if (!Array.isArray(list)) return err(40058, 'msgmenu.list is missing')
      if (list.length > 10) return err(95008, 'menu items more than 10')
      const known = list.every((item) => {
        const kind = typeof item === 'object' && item !== null ? (item as Record<string, unknown>).type : undefined
        return kind === 'click' || kind === 'view' || kind === 'miniprogram'
      })
      return known ? null : err(95009, 'invalid menu item type')
    }
    default:
      return null
  }
}
