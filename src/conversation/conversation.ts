/**
 * One Conversation Durable Object per openid (per mini program): remembers which pushes it
 * has seen, keeps WeChat's send allowance for the user, owns the outbox of planned replies
 * and the user's subscribe grants, and deletes itself once the user has been quiet for
 * RETENTION_DAYS.
 *
 * The push route awaits `receive`: the push is recorded (`push.ts`) and durable before
 * WeChat gets its answer, and the delivery and the copy to D1 follow in waitUntil, inside the
 * object. (`record`, then `flush`, does the same in two requests; tests and the benchmarks
 * use it.) Delivery passes are serialized (`passes.ts`, `delivery.ts`); what a pass leaves —
 * a retry's backoff, the rest of a pass cut short — is picked up by the one alarm
 * (`alarm.ts`), which is always set while the object holds anything: for the next retry, or
 * to prune and in the end delete (`retention.ts`).
 *
 * Everything the operator's D1 record needs is journaled with the object's own writes
 * (`journal.ts`) and copied to D1 after delivery, on its own (`record-copy.ts`): D1 being
 * slow or down never holds back a push or a reply.
 *
 * The operator acts through it too (`operator.ts`): a reply sent by hand, a failed send
 * retried or dropped, a subscribe message. An action answers once the object has its change;
 * its copy to D1 follows the answer, as a push's does.
 *
 * This class is the shell: its RPC methods, what the instance remembers between calls, and
 * the steps its modules share. Each table's statements are its module's (STORAGE.md lists
 * them); `ctx` and `env` are read at each call, never kept (the bill bench meters them after
 * construction).
 */
import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../settings/env'
import { log } from '../log'
import type { ReplyMessage } from '../replies'
import { longTermTemplates } from '../subscribe/grants'
import type { SubscribeSendRequest } from '../wechat/subscribe-data'
import { Alarm, type AlarmPlan, plannedAlarm } from './alarm'
import type {
  ConversationState,
  DeskWindow,
  FailedActionResult,
  ManualReplyResult,
  RecordInput,
  RecordResult,
  SubscribeSendResult,
  SubscriptionView,
} from './contract'
import type { PassResult } from './delivery'
import { setAtDesk } from './desk-flag'
import { shownWindow } from './window-store'
import { rememberRating, type RatingAsked } from './rating'
import { journalState } from './journal'
import { envOfObject, rememberScope, storedScope } from './mini-program'
import { dropFailed, replyByHand, retryFailed, sendSubscribe, type ActionHost } from './operator'
import { markFailed, outboxRow, pendingCount } from './outbox'
import { channelOf } from '../settings/kf-view'
import { Deliveries } from './passes'
import { SAFETY_ALARM_MS } from './policy'
import { recordPush } from './push'
import { RecordCopy } from './record-copy'
import { idlePastRetention, lastActivityAt, prune, PRUNE_EVERY_MS, readTimes, retention, type Retention } from './retention'
import { replyMaxAgeMs, retentionMs } from '../settings/conversation'
import { hasSchema, migrate } from './storage'
import { recorderOf } from '../record/recorder'
import { subscriptionViews } from './subscriptions'
import { conversationState, EMPTY_STATE } from './view'
import { forgetKept, transaction } from './transaction'

export type { ConversationState, RecordInput, RecordResult } from './contract'

export class Conversation extends DurableObject<Env> {
  /**
   * Whether this instance has brought the database to the current schema. Not done in the
   * constructor: looking at a user the object does not know (or has deleted) must not
   * create storage that no alarm would ever delete.
   */
  #schemaReady = false
  /**
   * Counts deletions of the storage: a copy to D1 that was on its way when the storage went
   * (and perhaps came back with a new push) must not touch the new storage's journal.
   */
  #generation = 0
  /** When this instance last pruned old rows: at most once per PRUNE_EVERY_MS. */
  #prunedAt = 0
  /** The mini program's view of the bindings, once known. */
  #miniProgramEnv: Env | undefined = undefined
  /**
   * Attempts this instance marked in flight with their push (`receive`): the pass that
   * follows sends them without marking them again. Memory only: after a reset they are what
   * their rows say, attempts whose outcome is unknown.
   */
  readonly #claimed = new Set<number>()
  readonly #alarm = new Alarm(() => this.ctx.storage)
  readonly #deliveries = new Deliveries({
    storage: () => this.ctx.storage,
    miniProgram: () => this.#miniProgram(),
    maxAgeMs: () => replyMaxAgeMs(this.env),
    claimed: this.#claimed,
    afterPass: (fromAlarm, result) => this.#afterPass(fromAlarm, result),
  })
  readonly #copy = new RecordCopy({
    sql: () => this.ctx.storage.sql,
    write: (events) => recorderOf(this.env, this.#appid()).write(events),
    appid: () => this.#appid(),
    generation: () => (this.#schemaReady ? this.#generation : null),
    ensureAlarm: (at) => this.#alarm.ensure(at),
    // The safety alarm of the push was for this copy and its delivery: with both done, the
    // alarm goes back to the schedule (a pass in progress sets it itself when it ends).
    caughtUp: async (now) => {
      if (this.#deliveries.running) return
      const times = readTimes(this.ctx.storage.sql)
      if (times.outbox.pending === 0) await this.#alarm.set(this.#plan(now, this.#retention(), null, { journalEmpty: true, times }))
    },
  })
  readonly #actions: ActionHost = {
    storage: () => this.ctx.storage,
    env: () => this.env,
    miniProgram: () => this.#miniProgram(),
    ready: (create) => this.#ready(create),
    ensureAlarm: (at) => this.#alarm.ensure(at),
    deliver: () => this.#deliveries.run(false),
    answered: (result) => this.#answered(result),
  }

  /** Records a push and its planned replies, atomically; a repeat changes nothing. */
  async record(pushed: RecordInput): Promise<RecordResult> {
    return this.#recordPush(pushed, false)
  }

  /**
   * `record`, then the delivery and the copy to D1 started here rather than by a second call
   * from the push route: one Durable Object request per push instead of two. The first
   * reply's attempt is marked in flight with the push, as the delivery that follows at once
   * would mark it. The push's answer does not wait for them; the alarm `record` set picks up
   * whatever they leave.
   */
  async receive(pushed: RecordInput): Promise<RecordResult> {
    const result = await this.#recordPush(pushed, true)
    if (!result.duplicate || result.pending > 0) this.ctx.waitUntil(this.#deliver())
    return result
  }

  /** Sends what is due, in order, then copies the journal to D1. Concurrent calls share one run. */
  async flush(): Promise<void> {
    return this.#deliver()
  }

  override async alarm(): Promise<void> {
    this.#alarm.cleared()
    if (!this.#ready(false)) return
    await this.#deliveries.run(true)
    await this.#copy.run()
  }

  /** `operator.ts`: queued and delivered like any reply, unless WeChat would refuse it now. */
  async replyByHand(openid: string, reply: ReplyMessage): Promise<ManualReplyResult> {
    return replyByHand(this.#actions, openid, reply)
  }

  /** `operator.ts`: a failed send goes out again, as a new attempt, if the window allows it now. */
  async retryFailed(id: number): Promise<FailedActionResult> {
    return retryFailed(this.#actions, id)
  }

  /** `operator.ts`: a failed send the operator gives up on, kept as dropped. */
  async dropFailed(id: number): Promise<FailedActionResult> {
    return dropFailed(this.#actions, id)
  }

  /**
   * The user was queued at the human desk, or an agent closed their conversation there
   * (desk-flag.ts). Queued: the window now, which sends that ended before the flag was set
   * (and so told the desk nothing) have lowered; null otherwise.
   */
  async markDesk(atDesk: boolean): Promise<DeskWindow | null> {
    if (!this.#ready(atDesk)) return null
    setAtDesk(this.ctx.storage.sql, atDesk)
    return atDesk ? shownWindow(this.ctx.storage.sql, Date.now()) : null
  }

  /**
   * rating.ts: after a close at the desk the user is asked for a rating — a send like a reply
   * by hand (refused while the window is closed) — and the object awaits it until `asked.until`.
   */
  async askRating(openid: string, text: string, asked: RatingAsked): Promise<ManualReplyResult> {
    const result = await replyByHand(this.#actions, openid, { type: 'text', text })
    if (result.ok) rememberRating(this.ctx.storage.sql, asked)
    return result
  }

  /** The user's subscribe grants per template; empty for a user the object does not know. */
  async subscriptions(): Promise<SubscriptionView[]> {
    if (!this.#ready(false)) return []
    return subscriptionViews(this.ctx.storage.sql, this.#longTerm())
  }

  /** `operator.ts`: one subscribe message, spending the grant it needs; a campaign's at most once. */
  async sendSubscribe(request: SubscribeSendRequest, campaignId: string | null = null): Promise<SubscribeSendResult> {
    return sendSubscribe(this.#actions, request, campaignId)
  }

  /** The window, the last pushes in and replies out, with failures and their reasons. */
  async state(): Promise<ConversationState> {
    if (!this.#ready(false)) return EMPTY_STATE
    // An object last written by a version that cleared its alarm when idle gets one now.
    await this.#alarm.armIfUnset(() => this.#plan(Date.now(), this.#retention(), null))
    return conversationState(this.ctx.storage.sql, Date.now())
  }

  /**
   * 微信客服: WeChat Work had accepted the send of row `rowId`, then reported it undelivered
   * (a msg_send_fail event, wecom/pull.ts). The row becomes a failure with that reason, as the
   * console shows failures; false when there is no such sent row (a repeat of the event).
   */
  async sendFailed(rowId: number, errcode: number, reason: string): Promise<boolean> {
    if (!this.#ready(false)) return false
    const sql = this.ctx.storage.sql
    const row = outboxRow(sql, rowId)
    if (row?.status !== 'sent') return false
    markFailed(sql, row, reason, errcode, Date.now())
    return this.#answered(true)
  }

  /**
   * Deletes everything the object holds about its user, at once (their data, on WeChat's word
   * or an operator's request: users/forget.ts). Answers after any copy to D1 that was on its
   * way has landed, so the record deleted next cannot be written again by it. False when there
   * was nothing to delete.
   */
  async forget(): Promise<boolean> {
    if (!this.#ready(false)) return false
    await this.#deleteStorage()
    await this.#copy.settled()
    return true
  }

  async #recordPush(pushed: RecordInput, claimFirst: boolean): Promise<RecordResult> {
    this.#ready(true)
    const now = Date.now()
    const policy = this.#retention()
    const { result, claimed } = transaction(this.ctx.storage, () =>
      recordPush(this.ctx.storage.sql, pushed, {
        appid: () => this.#appid(),
        channel: channelOf(this.#miniProgram()),
        now,
        claimFirst,
        prune: () => this.#prune(now, policy),
      }),
    )
    // Only once committed: a rolled-back row's id must never pass for a marked attempt.
    if (claimed !== undefined) this.#claimed.add(claimed)
    if (result.duplicate) return result
    // A safety net, in case the delivery and the record copy the push starts never run.
    await this.#alarm.ensure(now + SAFETY_ALARM_MS)
    return result
  }

  async #deliver(): Promise<void> {
    this.#ready(true)
    await this.#deliveries.run(false)
    await this.#copy.run()
  }

  /**
   * An operator's action answers with `result` once the object has its change: the copy to
   * D1 follows the answer, as a push's does (`receive`), rather than hold it back. The alarm
   * the action set before is the copy's safety net.
   */
  #answered<T>(result: T): T {
    this.ctx.waitUntil(this.#copy.run())
    return result
  }

  /** After a delivery pass: prunes, deletes the object when idle past its retention (from the alarm), else sets the alarm. True when deleted. */
  async #afterPass(fromAlarm: boolean, result: PassResult): Promise<boolean> {
    const now = Date.now()
    const policy = this.#retention()
    const sql = this.ctx.storage.sql
    this.#prune(now, policy)
    if (fromAlarm && idlePastRetention(sql, now, policy, this.#longTerm())) {
      await this.#deleteStorage()
      return true
    }
    // After a push's delivery the copy to D1 comes next and sets the alarm when it is done;
    // setting it here too would be one more billed write per push. Until then the alarm the
    // push set stands (an alarm's own pass always sets one: the one that fired is gone).
    if (!fromAlarm && result.stopped === null && pendingCount(sql) === 0 && journalState(sql).backlog > 0) return false
    await this.#alarm.set(this.#plan(now, policy, result.stopped === 'transport' ? result.resumeAt : null))
    return false
  }

  /** Everything goes: tables, rows, the alarm. A later push starts a fresh object. */
  async #deleteStorage(): Promise<void> {
    const lastActivity = lastActivityAt(this.ctx.storage.sql)
    // What this instance remembers describes storage that is about to be gone.
    this.#schemaReady = false
    this.#generation++
    this.#alarm.cleared()
    this.#prunedAt = 0
    this.#copy.forget()
    this.#claimed.clear()
    forgetKept(this.ctx.storage.sql)
    // Both issued at once: nothing can be recorded between the check and the deletion.
    await Promise.all([this.ctx.storage.deleteAlarm(), this.ctx.storage.deleteAll()])
    log.info('conversation.deleted', { openid: this.ctx.id.name ?? null, lastActivity })
  }

  #plan(now: number, policy: Retention, resumeAt: number | null, known: Pick<AlarmPlan, 'journalEmpty' | 'times'> = {}): number {
    return plannedAlarm(this.ctx.storage.sql, {
      now,
      policy,
      longTerm: this.#longTerm(),
      prunedAt: this.#prunedAt,
      recordRetryAt: this.#copy.retryAt,
      resumeAt,
      ...known,
    })
  }

  #prune(now: number, policy: Retention): void {
    if (now - this.#prunedAt < PRUNE_EVERY_MS) return
    this.#prunedAt = now
    prune(this.ctx.storage.sql, now, policy)
  }

  #retention(): Retention {
    return retention(retentionMs(this.env))
  }

  #longTerm(): ReadonlySet<string> {
    return longTermTemplates(this.env.SUBSCRIBE_LONG_TERM_TEMPLATES)
  }

  /** Brings the database to the current schema (storage.ts); without `create`, only if it exists. */
  #ready(create: boolean): boolean {
    if (this.#schemaReady) return true
    const sql = this.ctx.storage.sql
    if (!create && !hasSchema(sql)) return false
    transaction(this.ctx.storage, () => {
      migrate(sql)
      const name = this.ctx.id.name
      if (name !== undefined) rememberScope(sql, name)
    })
    this.#schemaReady = true
    return true
  }

  /** This object's mini program's view of the bindings (`mini-program.ts`). */
  #miniProgram(): Env {
    this.#miniProgramEnv ??= envOfObject(this.env, this.ctx.id.name, () => (this.#ready(false) ? storedScope(this.ctx.storage.sql) : ''))
    return this.#miniProgramEnv
  }

  #appid(): string {
    return this.#miniProgram().WECHAT_APPID ?? ''
  }
}
