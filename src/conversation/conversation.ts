/**
 * One Conversation Durable Object per openid: remembers which pushes it has seen, keeps
 * WeChat's send allowance for the user, owns the outbox of planned replies, and deletes
 * itself once the user has been quiet for RETENTION_DAYS.
 *
 * The push route awaits `record` (durable before WeChat gets its answer), then runs `flush`
 * in waitUntil. Delivery passes (`delivery.ts`) are serialized inside the object; what a pass
 * leaves — a retry's backoff, the rest of a pass cut short — is picked up by the one alarm,
 * which is always set while the object holds anything (`schedule.ts`): for the next retry,
 * or to prune and in the end delete (`retention.ts`).
 *
 * Everything the operator's D1 record needs is journaled with the object's own writes and
 * copied to D1 after delivery, on its own (`journal.ts`): D1 being slow or down never holds
 * back a push or a reply; a failed copy is logged and tried again from the alarm.
 *
 * The admin API acts through it too: a reply sent by hand, a failed send retried or dropped,
 * a subscribe message. An action answers once the object has its change (and a send's
 * outcome); its copy to D1 follows the answer as a push's does, never in its way.
 */
import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../env'
import { log } from '../log'
import { SubrequestBudget } from './budget'
import { outboundId } from '../record/event'
import { writeRecord } from '../record/write'
import type { ReplyMessage } from '../replies'
import type {
  ConversationState,
  FailedActionResult,
  ManualReplyResult,
  OutboundOutcome,
  RecordInput,
  RecordResult,
  SubscribeSendResult,
  SubscriptionView,
} from './contract'
import { DeliveryPass, type PassResult } from './delivery'
import { describe } from './failure'
import { clearJournal, journalFailed, journalInbound, journalState, takeJournal } from './journal'
import { addReplies, nextDue, pendingCount } from './outbox'
import { refusal, retryDelay, SAFETY_ALARM_MS } from './policy'
import { deletableAt, lastActivityAt, nextPrunableAt, prune, PRUNE_EVERY_MS, retention, type Retention } from './retention'
import { nextAlarm } from './schedule'
import { appEnv, scopeOfObjectName } from '../apps'
import { applyMemory } from './rule-memory'
import { applySubscribeChanges, holdsGrants, reserveGrant, settleSend, subscriptionViews } from './subscriptions'
import { longTermTemplates, REFUSED_ERRCODE } from '../subscribe/grants'
import { errcodeAnswer } from '../subscribe/send'
import { explainErrcode, WechatClient } from '../wechat/api'
import { subscribeMessageOf, type SubscribeSendRequest } from '../wechat/subscribe-data'
import { addSeen, findSeen } from './seen'
import { replyMaxAgeMs, retentionMs } from './settings'
import { hasSchema, migrate, type OutboxRow } from './storage'
import { conversationState, EMPTY_STATE } from './view'
import { readWindow, recordGrant } from './window-store'

export type { ConversationState, RecordInput, RecordResult } from './contract'

/** Journal batches one copy may write before it leaves the rest to the alarm. */
const MAX_COPY_BATCHES = 10

export class Conversation extends DurableObject<Env> {
  private running: Promise<void> | null = null
  /** The app's view of the bindings, once known (`app()`). */
  private appView: Env | undefined = undefined
  private rerun = false
  /**
   * The alarm as this instance last set or read it (null: none), so a busy conversation
   * does not touch the alarm on every push; undefined until known.
   */
  private alarmAt: number | null | undefined = undefined
  /** When this instance last pruned old rows: at most once per PRUNE_EVERY_MS. */
  private prunedAt = 0
  /**
   * Whether this instance has brought the database to the current schema. Not done in the
   * constructor: looking at a user the object does not know (or has deleted) must not
   * create storage that no alarm would ever delete.
   */
  private schemaReady = false
  /**
   * Counts deletions of the storage: a copy to D1 that was on its way when the storage went
   * (and perhaps came back with a new push) must not touch the new storage's journal.
   */
  private generation = 0
  /** The copy of the journal to D1 in progress: one at a time. */
  private copying: Promise<void> | null = null
  /** After a failed copy, when to try again; null while copies succeed. */
  private recordRetryAt: number | null = null

  /**
   * Attempts this instance marked in flight with their push (`receive`): the pass that
   * follows sends them without marking them again. Memory only: after a reset they are what
   * their rows say, attempts whose outcome is unknown.
   */
  private readonly claimed = new Set<number>()

  /** Records a push and its planned replies, atomically; a repeat changes nothing. */
  async record(pushed: RecordInput): Promise<RecordResult> {
    return this.recordPush(pushed, false)
  }

  /**
   * `record`, then the delivery and the copy to D1 started here rather than by a second call
   * from the push route: one Durable Object request per push instead of two. The first
   * reply's attempt is marked in flight with the push, as the delivery that follows at once
   * would mark it. The push's answer does not wait for them; the alarm `record` set picks up
   * whatever they leave.
   */
  async receive(pushed: RecordInput): Promise<RecordResult> {
    const result = await this.recordPush(pushed, true)
    if (!result.duplicate || result.pending > 0) this.ctx.waitUntil(this.deliver())
    return result
  }

  /** Sends what is due, in order, then copies the journal to D1. Concurrent calls share one run. */
  async flush(): Promise<void> {
    return this.deliver()
  }

  private async recordPush(pushed: RecordInput, claimFirst: boolean): Promise<RecordResult> {
    this.ensureSchema(true)
    const sql = this.ctx.storage.sql
    const now = Date.now()
    const policy = this.retention()
    const { result, claimed } = this.ctx.storage.transactionSync((): { result: RecordResult; claimed?: number } => {
      const seen = findSeen(sql, pushed.dedupKey)
      if (seen) return { result: { duplicate: true, transfer: seen.transfer === 1, pending: pendingCount(sql) } }
      // The plan as what the rules remember of this user changes it: a hand-off, a welcome already given.
      const input: RecordInput = { ...pushed, plan: applyMemory(sql, pushed, now) }
      addSeen(sql, input, now)
      journalInbound(sql, input, this.appid(), now)
      // When the user acted, by WeChat's clock; a sender's clock ahead of ours never counts
      // a grant in the future.
      if (input.grant) recordGrant(sql, input.grant, Math.min(input.at, now))
      if (input.subscribe) applySubscribeChanges(sql, input.openid, input.subscribe, now)
      // A reply WeChat would refuse now is failed by the pass, never attempted: not marked.
      const attempt = claimFirst && refusal(readWindow(sql), now) === null ? { retryAt: now + retryDelay(1) } : undefined
      const ids = addReplies(
        sql,
        { openid: input.openid, msgId: input.msgId, dedupKey: input.dedupKey, ruleId: input.plan.ruleId, replies: input.plan.sends },
        now,
        attempt,
      )
      this.prune(now, policy)
      return {
        result: { duplicate: false, transfer: input.plan.transfer, pending: pendingCount(sql) },
        claimed: attempt && ids[0],
      }
    })
    // Only once committed: a rolled-back row's id must never pass for a marked attempt.
    if (claimed !== undefined) this.claimed.add(claimed)
    if (result.duplicate) return result
    // A safety net, in case the delivery and the record copy the push starts never run.
    await this.ensureAlarm(now + SAFETY_ALARM_MS)
    return result
  }

  private async deliver(): Promise<void> {
    this.ensureSchema(true)
    await this.run(false)
    await this.copyRecord()
  }

  override async alarm(): Promise<void> {
    // Having fired, it is no longer set.
    this.alarmAt = null
    if (!this.ensureSchema(false)) return
    await this.run(true)
    await this.copyRecord()
  }

  /**
   * A reply the operator sends by hand: refused while WeChat would refuse it, else queued
   * and delivered like any reply (it uses up the window the same way) and recorded as manual.
   */
  async replyByHand(openid: string, reply: ReplyMessage): Promise<ManualReplyResult> {
    // A user the object does not know has no window: nothing may be created for them here.
    if (!this.ensureSchema(false)) return { ok: false, refusal: 'window_closed' }
    const sql = this.ctx.storage.sql
    const now = Date.now()
    const blocked = refusal(readWindow(sql), now)
    if (blocked) return { ok: false, refusal: blocked }
    const id = this.ctx.storage.transactionSync(() => {
      const key = `manual:${crypto.randomUUID()}`
      addReplies(sql, { openid, msgId: null, dedupKey: key, ruleId: null, replies: [reply], manual: true }, now)
      return sql.exec<{ id: number }>('SELECT last_insert_rowid() AS id').one().id
    })
    await this.ensureAlarm(now + SAFETY_ALARM_MS)
    await this.run(false)
    return this.answered({ ok: true, outcome: this.outcome(id) })
  }

  /** A failed send goes out again, as a new attempt, if the window allows it now. */
  async retryFailed(id: number): Promise<FailedActionResult> {
    const row = this.failedRow(id)
    if ('problem' in row) return { ok: false, problem: row.problem }
    const sql = this.ctx.storage.sql
    const now = Date.now()
    const blocked = refusal(readWindow(sql), now)
    if (blocked) return { ok: false, problem: blocked }
    // A fresh start: its age (REPLY_MAX_AGE_SECONDS) counts from the retry (`retried_at`).
    // `created_at` stays the push's: the record's push-to-reply time is measured from it.
    sql.exec(
      `UPDATE outbox SET status = 'pending', attempts = 0, attempt_started_at = NULL, next_attempt_at = ?,
         errcode = NULL, reason = NULL, retried_at = ?, updated_at = ? WHERE id = ?`,
      now,
      now,
      now,
      id,
    )
    log.info('reply.retried_by_operator', { openid: row.openid, msgId: row.msg_id, ruleId: row.rule_id, part: row.part })
    await this.ensureAlarm(now + SAFETY_ALARM_MS)
    await this.run(false)
    return this.answered({ ok: true, outcome: this.outcome(id) })
  }

  /** A failed send the operator gives up on: it leaves the failed lists, kept as dropped. */
  async dropFailed(id: number): Promise<FailedActionResult> {
    const row = this.failedRow(id)
    if ('problem' in row) return { ok: false, problem: row.problem }
    const now = Date.now()
    this.ctx.storage.sql.exec("UPDATE outbox SET status = 'dropped', updated_at = ? WHERE id = ?", now, id)
    log.info('reply.dropped_by_operator', { openid: row.openid, msgId: row.msg_id, ruleId: row.rule_id, part: row.part })
    // The safety net for the copy that follows the answer, as a push sets one.
    await this.ensureAlarm(now + SAFETY_ALARM_MS)
    return this.answered({ ok: true, outcome: this.outcome(id) })
  }

  /** The user's subscribe grants per template; empty for a user the object does not know. */
  async subscriptions(): Promise<SubscriptionView[]> {
    if (!this.ensureSchema(false)) return []
    return subscriptionViews(this.ctx.storage.sql, this.longTerm())
  }

  /**
   * One subscribe message: takes the grant it needs (or refuses, with no API call), sends it,
   * and settles the grant by WeChat's answer. One at a time per user (the grant is taken in a
   * transaction before the request leaves), so two sends never spend one grant. With a
   * campaign id, the user gets that campaign at most once, however often it is asked.
   */
  async sendSubscribe(request: SubscribeSendRequest, campaignId: string | null = null): Promise<SubscribeSendResult> {
    const longTerm = this.longTerm().has(request.template_id)
    // A user the object does not know holds no grant: nothing is created unless forced.
    if (!this.ensureSchema(request.force)) return { ok: false, problem: 'no_grant' }
    const sql = this.ctx.storage.sql
    const started = Date.now()
    const taken = this.ctx.storage.transactionSync(() => {
      if (campaignId !== null) {
        const sent = sql
          .exec<{ status: 'sending' | 'sent' | 'failed'; errcode: number | null }>('SELECT status, errcode FROM campaign_sends WHERE campaign_id = ?', campaignId)
          .toArray()[0]
        if (sent) return sent
      }
      const reservation = reserveGrant(sql, request.touser, request.template_id, longTerm, request.force, started)
      if (reservation === null) return 'no_grant' as const
      // Written before the request leaves: a reset mid-request never sends the campaign twice.
      if (campaignId !== null) sql.exec("INSERT INTO campaign_sends (campaign_id, status, at) VALUES (?, 'sending', ?)", campaignId, started)
      return reservation
    })
    if (taken === 'no_grant') return { ok: false, problem: taken }
    if (typeof taken === 'object') return { ok: false, problem: 'already_sent', previous: taken.status, errcode: taken.errcode }
    const errcode = await errcodeAnswer(() => WechatClient.fromEnv(this.app()).sendSubscribe(subscribeMessageOf(request)))
    const now = Date.now()
    this.ctx.storage.transactionSync(() => {
      settleSend(sql, request.template_id, taken, errcode, now)
      if (campaignId !== null) {
        sql.exec('UPDATE campaign_sends SET status = ?, errcode = ?, at = ? WHERE campaign_id = ?', errcode === 0 ? 'sent' : 'failed', errcode, now, campaignId)
      }
    })
    const fields = { openid: request.touser, templateId: request.template_id, spent: taken, campaignId, errcode }
    if (errcode === 0) log.info('subscribe.sent', fields)
    else log.warn('subscribe.failed', fields)
    await this.ensureAlarm(now + SAFETY_ALARM_MS)
    if (errcode === 0) return this.answered({ ok: true, spent: taken })
    const reason = explainErrcode(errcode) ?? `WeChat answered errcode ${errcode}`
    return this.answered({ ok: false, problem: errcode === REFUSED_ERRCODE ? 'refused' : 'failed', errcode, reason })
  }

  /** The window, the last pushes in and replies out, with failures and their reasons. */
  async state(): Promise<ConversationState> {
    if (!this.ensureSchema(false)) return EMPTY_STATE
    // An object last written by a version that cleared its alarm when idle gets one now.
    await this.armIfUnset(Date.now(), this.retention())
    return conversationState(this.ctx.storage.sql, Date.now())
  }

  private failedRow(id: number): OutboxRow | { problem: 'not_found' | 'not_failed' } {
    if (!this.ensureSchema(false)) return { problem: 'not_found' }
    const row = this.ctx.storage.sql.exec<OutboxRow>('SELECT * FROM outbox WHERE id = ?', id).toArray()[0]
    if (!row) return { problem: 'not_found' }
    return row.status === 'failed' ? row : { problem: 'not_failed' }
  }

  private outcome(id: number): OutboundOutcome {
    const row = this.ctx.storage.sql.exec<OutboxRow>('SELECT * FROM outbox WHERE id = ?', id).one()
    return { id, recordId: outboundId(row.openid, id), status: row.status, errcode: row.errcode, reason: row.reason }
  }

  /**
   * An operator's action answers with `result` once the object has its change: the copy to
   * D1 follows the answer, as a push's does (`receive`), rather than hold it back. The alarm
   * the action set before is the copy's safety net; a copy that fails is tried again from the
   * alarm, with its backoff, like any other (`copyJournal`).
   */
  private answered<T>(result: T): T {
    this.ctx.waitUntil(this.copyRecord())
    return result
  }

  /** Copies the journal to D1, one copy at a time; never throws. */
  private copyRecord(): Promise<void> {
    this.copying ??= this.copyJournal()
      .catch((error: unknown) => log.error('record.copy_failed', { reason: describe(error) }))
      .finally(() => {
        this.copying = null
      })
    return this.copying
  }

  private async copyJournal(): Promise<void> {
    const sql = this.ctx.storage.sql
    const generation = this.generation
    const gone = () => !this.schemaReady || this.generation !== generation
    for (let i = 0; i < MAX_COPY_BATCHES; i++) {
      if (gone()) return
      const batch = takeJournal(sql, this.appid(), Date.now())
      if (!batch) break
      try {
        await writeRecord(this.env.DB, batch.events)
      } catch (error) {
        if (gone()) return
        const { failures, retryAt } = journalFailed(sql, batch, Date.now())
        this.recordRetryAt = retryAt
        log.error('record.write_failed', { openid: batch.openid, events: batch.events.length, failures, retryAt, reason: describe(error) })
        await this.ensureAlarm(retryAt)
        return
      }
      // Deleted while the batch was on its way: nothing is left to clear.
      if (gone()) return
      clearJournal(sql, batch)
      if (this.recordRetryAt !== null) log.info('record.caught_up', { openid: batch.openid, events: batch.events.length })
      this.recordRetryAt = null
    }
    const now = Date.now()
    if (journalState(sql).backlog > 0) {
      // More than one copy should take: the alarm goes on with the rest.
      await this.ensureAlarm(now + SAFETY_ALARM_MS)
      return
    }
    // The safety alarm of the push was for this copy and its delivery: with both done, the
    // alarm goes back to the schedule (a pass in progress sets it itself when it ends).
    if (this.running === null && pendingCount(sql) === 0) await this.setAlarm(this.plannedAlarm(now, this.retention(), null))
  }

  private longTerm(): ReadonlySet<string> {
    return longTermTemplates(this.env.SUBSCRIBE_LONG_TERM_TEMPLATES)
  }

  private appid(): string {
    return this.app().WECHAT_APPID ?? ''
  }

  private run(fromAlarm: boolean): Promise<void> {
    if (this.running) {
      this.rerun = true
      return this.running
    }
    this.running = this.passes(fromAlarm).finally(() => {
      this.running = null
    })
    return this.running
  }

  /**
   * Delivery passes until no push arrived during the last one, sharing one subrequest budget
   * (they run in one invocation); then pruning, deletion when idle, and the next alarm.
   */
  private async passes(fromAlarm: boolean): Promise<void> {
    const budget = new SubrequestBudget()
    const maxAgeMs = replyMaxAgeMs(this.env)
    let alarm = fromAlarm
    for (;;) {
      this.rerun = false
      const result = await this.pass(alarm, budget, maxAgeMs)
      alarm = false
      if (await this.afterPass(fromAlarm, result)) return
      // A pass cut short leaves the rest to the alarm, which the schedule has set.
      if (!this.rerun || result.stopped !== null) return
    }
  }

  private async pass(fromAlarm: boolean, budget: SubrequestBudget, maxAgeMs: number): Promise<PassResult> {
    const now = Date.now()
    // The alarm is the earliest scheduled retry: that row is due even if its backoff has
    // not quite run out by this clock.
    const dueBy = fromAlarm ? Math.max(now, nextDue(this.ctx.storage.sql) ?? 0) : now
    try {
      return await new DeliveryPass(this.ctx.storage, this.app(), { dueBy, budget, maxAgeMs, claimed: this.claimed }).run()
    } catch (error) {
      // Each row had its backoff written before its request left; the alarm floor does the rest.
      log.error('delivery.pass_failed', { reason: describe(error) })
      return { stopped: 'error' }
    }
  }

  /** Prunes, deletes the object when idle past its retention (from the alarm), else sets the alarm. True when deleted. */
  private async afterPass(fromAlarm: boolean, result: PassResult): Promise<boolean> {
    const now = Date.now()
    const policy = this.retention()
    this.prune(now, policy)
    if (fromAlarm && this.idlePastRetention(now, policy)) {
      await this.deleteStorage()
      return true
    }
    // After a push's delivery the copy to D1 comes next and sets the alarm when it is done;
    // setting it here too would be one more billed write per push. Until then the alarm the
    // push set stands (an alarm's own pass always sets one: the one that fired is gone).
    const sql = this.ctx.storage.sql
    if (!fromAlarm && result.stopped === null && pendingCount(sql) === 0 && journalState(sql).backlog > 0) return false
    await this.setAlarm(this.plannedAlarm(now, policy, result.stopped === 'transport' ? result.resumeAt : null))
    return false
  }

  private idlePastRetention(now: number, policy: Retention): boolean {
    const sql = this.ctx.storage.sql
    if (pendingCount(sql) > 0) return false
    // What D1 has not got yet waits for it — for one more retention period at most.
    const journal = journalState(sql)
    if (journal.oldest !== null && now - journal.oldest < policy.keepMs) return false
    // Grants are what subscribe messages reach quiet users with: they outlive RETENTION_DAYS.
    if (holdsGrants(sql, this.longTerm())) return false
    return now >= deletableAt(lastActivityAt(sql), readWindow(sql).closesAt, policy)
  }

  /** Everything goes: tables, rows, the alarm. A later push starts a fresh object. */
  private async deleteStorage(): Promise<void> {
    const lastActivity = lastActivityAt(this.ctx.storage.sql)
    // What this instance remembers describes storage that is about to be gone.
    this.schemaReady = false
    this.generation++
    this.alarmAt = null
    this.prunedAt = 0
    this.recordRetryAt = null
    this.claimed.clear()
    // Both issued at once: nothing can be recorded between the check and the deletion.
    await Promise.all([this.ctx.storage.deleteAlarm(), this.ctx.storage.deleteAll()])
    log.info('conversation.deleted', { openid: this.ctx.id.name ?? null, lastActivity })
  }

  private plannedAlarm(now: number, policy: Retention, resumeAt: number | null): number {
    const sql = this.ctx.storage.sql
    const prunableAt = nextPrunableAt(sql, policy)
    return nextAlarm({
      now,
      due: nextDue(sql),
      resumeAt,
      deleteAt: holdsGrants(sql, this.longTerm())
        ? Number.POSITIVE_INFINITY
        : deletableAt(lastActivityAt(sql), readWindow(sql).closesAt, policy),
      pruneAt: prunableAt === null ? null : Math.max(prunableAt, this.prunedAt + PRUNE_EVERY_MS),
      recordAt: journalState(sql).backlog > 0 ? (this.recordRetryAt ?? now + SAFETY_ALARM_MS) : null,
    })
  }

  private prune(now: number, policy: Retention): void {
    if (now - this.prunedAt < PRUNE_EVERY_MS) return
    this.prunedAt = now
    prune(this.ctx.storage.sql, now, policy)
  }

  private retention(): Retention {
    return retention(retentionMs(this.env))
  }

  /** Sets the alarm to `at` unless one is already due sooner. */
  private async ensureAlarm(at: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm()
    if (this.alarmAt === null || this.alarmAt > at) await this.setAlarm(at)
  }

  /** Whatever the object holds, an alarm must be set to prune and delete it in time. */
  private async armIfUnset(now: number, policy: Retention): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm()
    if (this.alarmAt === null) await this.setAlarm(this.plannedAlarm(now, policy, null))
  }

  private async setAlarm(at: number): Promise<void> {
    // Nothing left to prune or delete (a user who holds grants and nothing else): no alarm.
    if (!Number.isFinite(at)) {
      if (this.alarmAt !== null) await this.ctx.storage.deleteAlarm()
      this.alarmAt = null
      return
    }
    if (this.alarmAt === at) return
    await this.ctx.storage.setAlarm(at)
    this.alarmAt = at
  }

  private ensureSchema(create: boolean): boolean {
    if (this.schemaReady) return true
    const sql = this.ctx.storage.sql
    if (!create && !hasSchema(sql)) return false
    this.ctx.storage.transactionSync(() => {
      migrate(sql)
      // Objects from before several apps have no row, and belong to the first.
      const name = this.ctx.id.name
      if (name !== undefined) {
        sql.exec("INSERT OR IGNORE INTO meta (key, value) VALUES ('scope', ?)", scopeOfObjectName(name) ?? '')
      }
    })
    this.schemaReady = true
    return true
  }

  /**
   * This object's app's view of the bindings (apps.ts): from its name, or, when a call does
   * not carry the name (an alarm), from `meta`. An app no longer served gets a view without
   * secrets, so nothing of it is sent with another app's credentials.
   */
  private app(): Env {
    if (this.appView !== undefined) return this.appView
    const name = this.ctx.id.name
    const stored = () =>
      this.ctx.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'scope'").toArray()[0]?.value ?? ''
    const scope = name !== undefined ? (scopeOfObjectName(name) ?? '') : this.ensureSchema(false) ? stored() : ''
    const view = scope === '' ? this.env : appEnv(this.env, scope)
    this.appView =
      view ?? { ...this.env, WECHAT_APPID: scope, WECHAT_APPSECRET: undefined, WECHAT_TOKEN: undefined, KEFU_APP_SCOPE: scope }
    return this.appView
  }
}
