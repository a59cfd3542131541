/**
 * One delivery pass over a Conversation's outbox, oldest first.
 *
 * - The parts of one push go out in order, so a part that must wait holds back the later
 *   parts of its push — and only those: one user's bad image never delays the replies to
 *   their next message.
 * - Each attempt is marked in flight, counted and given its backoff before its request leaves
 *   (the output gate holds the request until that write is durable). Whatever happens next —
 *   an answer, an exception on a failure path, a reset of the object — the row already waits
 *   for its backoff; the outcome, when there is one, overwrites it.
 * - A row found in flight when a pass starts was interrupted by a reset: WeChat may or may
 *   not have the message. It is retried when its backoff ends, the interrupted attempt
 *   counted: a reply twice is better than a reply lost (custom/send has no idempotency key).
 *   It does not count against the window; if WeChat did take it, its 45047 later tells us.
 * - The pass stops at the first transport failure (the API cannot be reached: every other
 *   push would cost a time-out too) and before an attempt that might overrun the invocation's
 *   subrequests (`budget.ts`); the alarm picks up the rest.
 * - A reply still undelivered REPLY_MAX_AGE_SECONDS after its push — or after the operator
 *   retried it (`retried_at`) — fails as `expired`, without calling the API, rather than
 *   reach the user hours late.
 */
import { appidOf, SettingError, type Env } from '../settings/env'
import { deskOf, humanDesk } from '../settings/mini-program-state'
import { answerWithModel } from '../ai/answer'
import { sourcesOf } from '../ai/plan'
import { log } from '../log'
import { AI_FALLBACK_RULE_ID, AI_RULE_ID, type ReplyMessage } from '../replies'
import { WechatClient } from '../wechat/api'
import type { ImageSource } from '../wechat/media'
import { isKf } from '../settings/kf-view'
import { sendToKf } from '../wecom/send'
import { attemptCost, type SubrequestBudget } from './budget'
import { parseReply, toCustomMessage, uploadedImages } from './custom-message'
import { describe, errcodeOf, isPermanent, isStaleMedia, isTransportFailure, refusalOf, retryAfterMs } from './failure'
import {
  inFlightRows,
  markFailed,
  markInFlight,
  markRetry,
  markSent,
  nextAttemptAt,
  outboxRow,
  pendingRows,
  writeAnswer,
  type OutboxRow,
  type PendingAnswer,
} from './outbox'
import { refusal, retryDelay } from './policy'
import { atDesk, setAtDesk } from './desk-flag'
import { endUnmatchedRun } from './rule-memory'
import { recentTexts } from './seen'
import { readWindow, recordRefusal, recordSent, shownWindow } from './window-store'
import { emitEvents } from '../webhooks/emit'
import type { WebhookOccurrence } from '../webhooks/events'
import { aiHandoff, replyFailed, replySent } from '../webhooks/occurrences'
import { transaction } from './transaction'
import { NO_TYPING, showTyping, Typing } from './typing'

export interface PassOptions {
  /** Rows whose backoff ends by then are attempted (the alarm passes its own time). */
  dueBy: number
  budget: SubrequestBudget
  /** A reply not delivered this long after its push is failed as `expired`. */
  maxAgeMs: number
  /**
   * Rows whose attempt this instance marked in flight with their push (the Conversation's
   * `claimed`): due whatever their backoff says, sent without a second mark. Taken out as
   * each is attempted or failed.
   */
  claimed: Set<number>
}

export type PassResult =
  | { stopped: null }
  | { stopped: 'budget' }
  /** The API could not be reached; `resumeAt` is when the failed row is due again. */
  | { stopped: 'transport'; resumeAt: number }
  /** The pass itself threw (storage, a bug): its rows keep the backoffs already written. */
  | { stopped: 'error' }

/** The reason an interrupted attempt leaves on its row until the next outcome replaces it. */
export const INTERRUPTED = 'interrupted: outcome unknown'

type AttemptEnd = 'next' | 'wait' | 'transport' | 'budget'

export class DeliveryPass {
  readonly #storage: DurableObjectStorage
  readonly #sql: SqlStorage
  readonly #env: Env
  readonly #options: PassOptions
  #client: WechatClient | null = null
  /** "Typing…" is shown at most once per pass, before the first upload. */
  #typingShown = false
  /** What happened in this pass that other systems hear of (src/webhooks/), queued when it ends. */
  readonly #events: WebhookOccurrence[] = []
  /** Whom this pass sent something to: at the desk, the queue is told the window that left. */
  #sentTo: string | null = null

  constructor(storage: DurableObjectStorage, env: Env, options: PassOptions) {
    this.#storage = storage
    this.#sql = storage.sql
    this.#env = env
    this.#options = options
  }

  /** The pass, then its events (a reply's final outcome, a hand-off) queued for WEBHOOK_URL in one call. */
  async run(): Promise<PassResult> {
    try {
      return await this.#run()
    } finally {
      if (this.#sentTo !== null) await this.#showWindowAtDesk(this.#sentTo)
      // Never throws: a queue that refuses is logged, and the pass's outcome stands.
      if (this.#events.length > 0) await emitEvents(this.#env, this.#env.WECHAT_APPID ?? '', this.#events.splice(0))
    }
  }

  /** A user at the desk: the queue shows the sends left after this pass's (best effort, logged). */
  async #showWindowAtDesk(openid: string): Promise<void> {
    try {
      if (atDesk(this.#sql)) await deskOf(this.#env).sent(openid, shownWindow(this.#sql, Date.now()))
    } catch (error) {
      log.warn('desk.window_failed', { openid, error: error instanceof Error ? error.message : String(error) })
    }
  }

  async #run(): Promise<PassResult> {
    this.#recoverInterrupted()
    const held = new Set<string>()
    for (const row of pendingRows(this.#sql)) {
      if (Date.now() - ageFrom(row) >= this.#options.maxAgeMs) {
        this.#fail(row, 'expired', null, row.reason)
        continue
      }
      if (held.has(row.dedup_key)) continue
      if (row.next_attempt_at > this.#options.dueBy && !this.#options.claimed.has(row.id)) {
        held.add(row.dedup_key)
        continue
      }
      const end = await this.#guarded(row)
      if (end === 'budget') return { stopped: 'budget' }
      if (end === 'transport') return { stopped: 'transport', resumeAt: this.#dueAgain(row) }
      if (end === 'wait') held.add(row.dedup_key)
    }
    return { stopped: null }
  }

  /** Rows left in flight by an instance that was reset: their attempt's outcome is unknown. */
  #recoverInterrupted(): void {
    for (const row of inFlightRows(this.#sql)) {
      if (this.#options.claimed.has(row.id)) continue
      // The backoff written when it left stands: the retry waits for it.
      markRetry(this.#sql, row, { nextAttemptAt: row.next_attempt_at, errcode: null, reason: INTERRUPTED }, Date.now())
      log.warn('reply.interrupted', {
        ...sendIds(row),
        attempts: row.attempts,
        startedAt: row.attempt_started_at,
        retryAt: row.next_attempt_at,
      })
    }
  }

  /**
   * An attempt whose own handling throws (storage, a bug) still leaves its row waiting with
   * a backoff, so the next alarm does not meet the same row at once, and again, and again.
   */
  async #guarded(row: OutboxRow): Promise<AttemptEnd> {
    try {
      return await this.#attempt(row)
    } catch (error) {
      const current = outboxRow(this.#sql, row.id)
      if (current?.status === 'pending') this.#retry(current, error)
      return 'wait'
    }
  }

  async #attempt(row: OutboxRow): Promise<AttemptEnd> {
    const now = Date.now()
    const blocked = refusal(readWindow(this.#sql), now)
    if (blocked) {
      // A row that was being retried keeps the error that held it back.
      this.#fail(row, row.reason ? `${blocked}; last error: ${row.reason}` : blocked, row.errcode, null)
      return 'next'
    }
    const stored = parseReply(row.reply)
    if (!stored) {
      this.#fail(row, 'unreadable reply', null, null)
      return 'next'
    }
    if (!this.#options.budget.take(attemptCost(stored, this.#typingShown))) return 'budget'

    // Marked with its push (the Conversation's `receive`), or here.
    let attempt = this.#options.claimed.delete(row.id) ? row : markInFlight(this.#sql, row, now, now + retryDelay(row.attempts + 1))
    let reply: ReplyMessage
    if (stored.type === 'ai') ({ row: attempt, reply } = await this.#answer(attempt, stored))
    else reply = stored
    try {
      await this.#send(attempt, reply)
    } catch (error) {
      return this.#failed(attempt, reply, error)
    }
    // Outside the try: WeChat has the message, so nothing after this may cause a resend.
    this.#sent(attempt, reply)
    return 'next'
  }

  /**
   * The model writes the reply (src/ai/answer.ts) while the user sees "typing…"; the row
   * then holds the answer, or the fallback, durably before it is sent — a reset after this
   * sends what was written instead of asking again. An answer ends the user's run of texts
   * nobody answered, as a rule's would.
   */
  async #answer(row: OutboxRow, pending: PendingAnswer): Promise<{ row: OutboxRow; reply: ReplyMessage }> {
    this.#client ??= WechatClient.fromEnv(this.#env)
    // A 微信客服 customer waits without it: WeChat Work's kf API has no typing (typing.ts).
    const typing = isKf(this.#env) ? NO_TYPING : new Typing(this.#client, row)
    this.#typingShown = true
    await typing.show()
    const answer = await answerWithModel(this.#env, pending.request, {
      openid: row.openid,
      msgId: row.msg_id,
      history: recentTexts(this.#sql, row.dedup_key, Date.now()),
      keepTyping: () => typing.keepUp(),
    })
    const now = Date.now()
    const written = transaction(this.#storage, () => {
      if (answer.kind === 'fallback') return writeAnswer(this.#sql, row, pending.request.fallback, AI_FALLBACK_RULE_ID, answer.cost, now)
      endUnmatchedRun(this.#sql)
      return writeAnswer(this.#sql, row, [{ type: 'text', text: answer.text }], AI_RULE_ID, answer.cost, now)
    })
    const fields = {
      openid: row.openid,
      msgId: row.msg_id,
      sources: sourcesOf(pending.request).join(','),
      promptTokens: answer.cost?.promptTokens ?? 0,
      completionTokens: answer.cost?.completionTokens ?? 0,
    }
    if (answer.kind === 'answer') log.info('ai.answered', fields)
    else {
      log.warn('ai.fallback', { ...fields, reason: answer.reason })
      // The knowledge base gave up: with the console's desk, a person takes it from here.
      if (humanDesk(this.#env) === 'console') await this.#toDesk(row, pending)
    }
    const reply = parseReply(written.reply)
    // writeAnswer stored a reply, never another request.
    if (reply === null || reply.type === 'ai') throw new Error('answer not written')
    return { row: written, reply }
  }

  async #send(row: OutboxRow, reply: ReplyMessage): Promise<void> {
    // A 微信客服 customer's object (settings/kf-view.ts): kf/send_msg, with WeChat Work's own rules.
    if (isKf(this.#env)) return sendToKf(this.#env, row.openid, row.id, reply)
    this.#client ??= WechatClient.fromEnv(this.#env)
    const client = this.#client
    // An upload can take seconds: the user sees "typing…" first.
    const beforeUpload = async (): Promise<void> => {
      if (this.#typingShown) return
      this.#typingShown = true
      await showTyping(client, row)
    }
    const media = { uploadImage: (source: ImageSource) => client.uploadImage(source, beforeUpload) }
    const message = await toCustomMessage(reply, media, appidOf(this.#env))
    // A reply the model wrote carries WeChat's AI label ("内容由第三方AI生成" under it).
    await client.sendCustom(row.openid, message, { aiWritten: isAiWritten(row) })
  }

  /** Queues the user at the desk (HUMAN_DESK = console); a failure is logged, the fallback goes out regardless. */
  async #toDesk(row: OutboxRow, pending: PendingAnswer): Promise<void> {
    try {
      await deskOf(this.#env).arrive({
        openid: row.openid,
        reason: 'ai',
        text: pending.request.question,
        at: row.created_at,
        window: shownWindow(this.#sql, Date.now()),
      })
      setAtDesk(this.#sql, true)
      this.#events.push(aiHandoff(row))
    } catch (error) {
      log.error('desk.queue_failed', {
        openid: row.openid,
        msgId: row.msg_id,
        error: error instanceof Error ? error.message : String(error),
      })
    }
  }

  #sent(row: OutboxRow, reply: ReplyMessage): void {
    const now = Date.now()
    transaction(this.#storage, () => {
      markSent(this.#sql, row, now)
      recordSent(this.#sql, now)
    })
    this.#sentTo = row.openid
    this.#events.push(replySent(row))
    log.info('reply.sent', {
      ...sendIds(row),
      type: reply.type,
      attempts: row.attempts,
    })
  }

  async #failed(row: OutboxRow, reply: ReplyMessage, error: unknown): Promise<AttemptEnd> {
    if (isStaleMedia(error, row, reply)) {
      // WeChat no longer knows a cached media_id: upload afresh on the next attempt, once.
      await this.#forgetMedia(row, reply)
      this.#retry(row, error)
      return 'wait'
    }
    if (isPermanent(error)) {
      const refused = refusalOf(error)
      const startedAt = row.attempt_started_at ?? Date.now()
      transaction(this.#storage, () => {
        if (refused) recordRefusal(this.#sql, refused, startedAt)
        this.#fail(row, describe(error), error.errcode, null)
      })
      return 'next'
    }
    this.#retry(row, error)
    return isTransportFailure(error) ? 'transport' : 'wait'
  }

  /** Forgetting is best effort: if KV fails, the row still gets its retry (and 40007 then fails it). */
  async #forgetMedia(row: OutboxRow, reply: ReplyMessage): Promise<void> {
    const client = this.#client
    if (!client) return
    try {
      await Promise.all(uploadedImages(reply).map((source) => client.forgetImage(source)))
    } catch (error) {
      log.warn('reply.media_forget_failed', { openid: row.openid, msgId: row.msg_id, part: row.part, reason: describe(error) })
    }
  }

  /** Schedules the row's next attempt with backoff. */
  #retry(row: OutboxRow, error: unknown): void {
    this.#options.claimed.delete(row.id)
    const delay = Math.max(retryDelay(row.attempts), retryAfterMs(error))
    const now = Date.now()
    const errcode = errcodeOf(error)
    const reason = describe(error)
    markRetry(this.#sql, row, { nextAttemptAt: now + delay, errcode, reason }, now)
    const fields = {
      ...sendIds(row),
      errcode,
      reason,
      attempts: row.attempts,
      retryInMs: delay,
    }
    if (error instanceof SettingError) log.error('reply.retry', fields)
    else log.warn('reply.retry', fields)
  }

  #fail(row: OutboxRow, reason: string, errcode: number | null, lastReason: string | null): void {
    this.#options.claimed.delete(row.id)
    markFailed(this.#sql, row, reason, errcode, Date.now())
    this.#events.push(replyFailed(row, errcode, reason))
    log.warn('reply.failed', {
      ...sendIds(row),
      errcode,
      reason,
      lastReason,
    })
  }

  #dueAgain(row: OutboxRow): number {
    return nextAttemptAt(this.#sql, row.id)
  }
}

/**
 * Where a reply's age starts: its push, or the operator's retry of it. A retry keeps
 * `created_at` (the record measures push-to-reply time from it) but starts the age afresh.
 */
export function ageFrom(row: Pick<OutboxRow, 'created_at' | 'retried_at'>): number {
  return Math.max(row.created_at, row.retried_at ?? row.created_at)
}

/** The model's own words went out on this row (not the fallback, nor any other reply). */
export function isAiWritten(row: Pick<OutboxRow, 'rule_id' | 'ai'>): boolean {
  return row.rule_id === AI_RULE_ID && row.ai !== null
}

/** Who and what a send is, as each of its log lines names it. */
function sendIds(row: OutboxRow): { openid: string; msgId: string | null; ruleId: string | null; part: number } {
  return { openid: row.openid, msgId: row.msg_id, ruleId: row.rule_id, part: row.part }
}
