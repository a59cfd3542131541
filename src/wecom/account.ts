/**
 * One Durable Object per 微信客服 account (`open_kfid`, binding KF_ACCOUNTS): the only place
 * its messages are pulled from, so every message is handed on exactly once, in its customer’s order.
 *
 * A notice (the callback, wecom/pull.ts) asks for a pull with its token; a pull follows
 * `has_more` page by page and hands each new item to its customer — a message to their
 * Conversation object (inbound/answer.ts: the same rules, knowledge, desk and record as the
 * mini program), a welcome through `send_msg_on_event`, a `msg_send_fail` to the row it names —
 * and stores the cursor only once a page's items are all handed on. Pulls never overlap: a
 * notice arriving during one asks for one more after it (with the newest token). A `msgid`
 * already handed on is skipped (`seen`, kept past WeChat Work's 3 days), so a page read twice —
 * after a restart between hand-off and cursor, or a cursor that had to start over — duplicates
 * nothing; the customer's object dedups by it too.
 *
 * A lost notice is caught up by the next one, or by the alarm: a pull without a token (WeChat
 * Work rate-limits those) CATCH_UP_MS after any pull; the alarm also goes on with a backlog
 * longer than one run takes (MAX_PAGES).
 */
import { DurableObject } from 'cloudflare:workers'
import { answerMessage } from '../inbound/answer'
import { log } from '../log'
import { loadRules } from '../rules/loader'
import { decide } from '../rules/match'
import type { Env } from '../settings/env'
import { conversationOf } from '../settings/mini-program-state'
import { KfApiError } from './api-error'
import { KfClient } from './client'
import { pulledItemOf, type PulledItem } from './inbound'
import { rowOfKfMsgid } from './send'
import type { KfMessage } from './types'
import { kfEnv } from '../settings/kf-view'

/** Items per page, and pages per run: a run's Durable Object and D1 calls stay well inside one request's budget. */
export const PAGE_LIMIT = 50
export const MAX_PAGES = 5
/** A pull without a notice this long after any pull: a lost notice waits at most this. */
export const CATCH_UP_MS = 2 * 60_000
/** The callback's token is valid 10 minutes; ours is dropped a minute early. */
const TOKEN_MS = 9 * 60_000
/** WeChat Work returns 3 days of messages; a msgid is remembered a day longer. */
const SEEN_MS = 4 * 24 * 3_600_000
/** Synthetic errcode of a send WeChat Work accepted and then reported undelivered (msg_send_fail). */
export const KF_SEND_FAILED = -1202

const SCHEMA = `
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen (msgid TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
`

export interface PullReport {
  /** Items handed on (messages, welcomes, failures), skipped ones not counted. */
  handed: number
  /** Items already handed on before (a page read again). */
  repeats: number
  pages: number
  /** More waits than one run reads: the alarm goes on shortly. */
  more: boolean
}

export class KfAccount extends DurableObject<Env> {
  #running: Promise<PullReport> | null = null
  #again = false
  #token: { value: string; at: number } | null = null

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    ctx.storage.sql.exec(SCHEMA)
  }

  /** A notice came (or the alarm rang): pull until WeChat Work has nothing more, at most MAX_PAGES. */
  async pull(openKfId: string, token: string | null): Promise<PullReport> {
    this.#remember('open_kfid', openKfId)
    if (token) this.#token = { value: token, at: Date.now() }
    if (this.#running) {
      this.#again = true
      return this.#running
    }
    this.#running = this.#runs().finally(() => {
      this.#running = null
    })
    return this.#running
  }

  override async alarm(): Promise<void> {
    const openKfId = this.#read('open_kfid')
    if (openKfId === null) return
    await this.pull(openKfId, null)
  }

  /** Runs until no notice came meanwhile; the report sums them (every caller of one coalesced pull gets it). */
  async #runs(): Promise<PullReport> {
    const report: PullReport = { handed: 0, repeats: 0, pages: 0, more: false }
    do {
      this.#again = false
      const run = await this.#run()
      report.handed += run.handed
      report.repeats += run.repeats
      report.pages += run.pages
      report.more = run.more
    } while (this.#again && !report.more)
    await this.ctx.storage.setAlarm(Date.now() + (report.more ? 1_000 : CATCH_UP_MS))
    return report
  }

  async #run(): Promise<PullReport> {
    const openKfId = this.#read('open_kfid') ?? ''
    const client = KfClient.fromEnv(this.env)
    const report: PullReport = { handed: 0, repeats: 0, pages: 0, more: false }
    this.ctx.storage.sql.exec('DELETE FROM seen WHERE at < ?', Date.now() - SEEN_MS)
    while (report.pages < MAX_PAGES) {
      const page = await this.#page(client, openKfId)
      report.pages++
      const fresh = page.msgList.filter((item) => !this.#seen(item.msgid))
      report.repeats += page.msgList.length - fresh.length
      // Each customer's items in order, customers side by side: one customer's answer never
      // waits for another's (a page of ten customers is answered in the time of one).
      const outcomes = await Promise.allSettled(
        [...byCustomer(fresh).values()].map(async (items) => {
          for (const item of items) {
            if (await this.#handOn(client, openKfId, item)) report.handed++
            this.ctx.storage.sql.exec('INSERT OR IGNORE INTO seen (msgid, at) VALUES (?, ?)', item.msgid, Date.now())
          }
        }),
      )
      // A failure throws once every customer's hand-off has settled: the cursor stays before
      // this page, the next pull reads it again, and `seen` skips what was handed on.
      const failed = outcomes.find((outcome) => outcome.status === 'rejected')
      if (failed) throw failed.reason
      this.#remember('cursor', page.nextCursor)
      if (!page.hasMore) return report
    }
    report.more = true
    return report
  }

  /** One page from the stored cursor; a cursor WeChat Work no longer takes starts over from its 3 days (`seen` skips what was handed on). */
  async #page(client: KfClient, openKfId: string) {
    const cursor = this.#read('cursor') ?? ''
    const token = this.#token && Date.now() - this.#token.at < TOKEN_MS ? this.#token.value : undefined
    const ask = (from: string) =>
      client.syncMsg({ openKfId, limit: PAGE_LIMIT, ...(from ? { cursor: from } : {}), ...(token ? { token } : {}) })
    try {
      return await ask(cursor)
    } catch (error) {
      if (!(error instanceof KfApiError) || error.kind !== 'permanent' || cursor === '') throw error
      log.warn('wecom.cursor_reset', { openKfId, errcode: error.errcode })
      this.#remember('cursor', '')
      return ask('')
    }
  }

  /** Hands one item on; false when it asks nothing of anyone (an event we only log). */
  async #handOn(client: KfClient, openKfId: string, raw: KfMessage): Promise<boolean> {
    const item = pulledItemOf(raw)
    const view = kfEnv(this.env, openKfId)
    const fields = { openKfId, msgid: raw.msgid }
    switch (item.kind) {
      case 'skip':
        log.info('wecom.item_skipped', { ...fields, why: item.why })
        return false
      case 'message': {
        const answered = await answerMessage(view, item.message, (work) => this.ctx.waitUntil(work), { channel: 'kf' })
        // WeChat's tool for the mini program is WeChat Work's pool here: the customer waits for a
        // servicer. What the rule says first (正在为您转接…) goes out before: sends stop in state 2.
        if (answered.transfer) {
          await conversationOf(view, item.message.fromUserName).flush()
          await client.transState({ openKfId, externalUserid: item.message.fromUserName, state: 2 })
        }
        return true
      }
      case 'welcome':
        await this.#welcome(client, view, openKfId, item)
        return true
      case 'send_failed': {
        const row = rowOfKfMsgid(item.externalUserid, item.failMsgid)
        if (row === null) {
          log.warn('wecom.send_failed_unknown', { ...fields, failMsgid: item.failMsgid })
          return false
        }
        const reason = `msg_send_fail: fail_type ${item.failType}`
        await conversationOf(view, item.externalUserid).sendFailed(row, KF_SEND_FAILED, reason)
        return true
      }
    }
  }

  /**
   * A customer opened the chat and may be greeted once, within 20 s, with `send_msg_on_event`:
   * the rules' welcome (a `user_enter_tempsession` rule, its `session_from` matching the
   * scene_param) is sent at once, its first text. Best effort: an expired code is logged.
   */
  async #welcome(client: KfClient, view: Env, openKfId: string, item: Extract<PulledItem, { kind: 'welcome' }>): Promise<void> {
    const ruleSet = await loadRules(view)
    const plan = decide(
      ruleSet,
      {
        type: 'user_enter_tempsession',
        toUserName: openKfId,
        fromUserName: item.externalUserid,
        createTime: item.sendTime,
        sessionFrom: item.sceneParam,
      },
      Date.now(),
    )
    const text = plan.sends.find((send) => send.type === 'text')
    if (text?.type !== 'text') return
    try {
      await client.sendMsgOnEvent({ code: item.code, message: { msgtype: 'text', text: { content: text.text } } })
      log.info('wecom.welcomed', { openKfId, externalUserid: item.externalUserid, ruleId: plan.ruleId })
    } catch (error) {
      if (!(error instanceof KfApiError)) throw error
      log.warn('wecom.welcome_failed', { openKfId, externalUserid: item.externalUserid, errcode: error.errcode })
    }
  }

  #seen(msgid: string): boolean {
    return this.ctx.storage.sql.exec('SELECT 1 FROM seen WHERE msgid = ?', msgid).toArray().length > 0
  }

  #read(key: string): string | null {
    return this.ctx.storage.sql.exec<{ value: string }>('SELECT value FROM state WHERE key = ?', key).toArray()[0]?.value ?? null
  }

  #remember(key: string, value: string): void {
    this.ctx.storage.sql.exec(
      'INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      key,
      value,
    )
  }
}

/** A page's items by customer, each customer's in the page's order (its send order). */
function byCustomer(items: readonly KfMessage[]): Map<string, KfMessage[]> {
  const groups = new Map<string, KfMessage[]>()
  for (const item of items) {
    const group = groups.get(item.externalUserid)
    if (group) group.push(item)
    else groups.set(item.externalUserid, [item])
  }
  return groups
}
