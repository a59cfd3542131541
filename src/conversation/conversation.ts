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
 */
import { DurableObject } from 'cloudflare:workers'
import type { Env } from '../env'
import { log } from '../log'
import { SubrequestBudget } from './budget'
import type { ConversationState, RecordInput, RecordResult } from './contract'
import { DeliveryPass, type PassResult } from './delivery'
import { describe } from './failure'
import { addReplies, nextDue, pendingCount } from './outbox'
import { SAFETY_ALARM_MS } from './policy'
import { deletableAt, lastActivityAt, nextPrunableAt, prune, PRUNE_EVERY_MS, retention, type Retention } from './retention'
import { nextAlarm } from './schedule'
import { addSeen, findSeen } from './seen'
import { replyMaxAgeMs, retentionMs } from './settings'
import { hasSchema, migrate } from './storage'
import { conversationState, EMPTY_STATE } from './view'
import { readWindow, recordGrant } from './window-store'

export type { ConversationState, RecordInput, RecordResult } from './contract'

export class Conversation extends DurableObject<Env> {
  private running: Promise<void> | null = null
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

  /** Records a push and its planned replies, atomically; a repeat changes nothing. */
  async record(input: RecordInput): Promise<RecordResult> {
    this.ensureSchema(true)
    const sql = this.ctx.storage.sql
    const now = Date.now()
    const policy = this.retention()
    const result = this.ctx.storage.transactionSync((): RecordResult => {
      const seen = findSeen(sql, input.dedupKey)
      if (seen) return { duplicate: true, transfer: seen.transfer === 1, pending: pendingCount(sql) }
      addSeen(sql, input, now)
      // When the user acted, by WeChat's clock; a sender's clock ahead of ours never counts
      // a grant in the future.
      if (input.grant) recordGrant(sql, input.grant, Math.min(input.at, now))
      addReplies(
        sql,
        { openid: input.openid, msgId: input.msgId, dedupKey: input.dedupKey, ruleId: input.plan.ruleId, replies: input.plan.sends },
        now,
      )
      this.prune(now, policy)
      return { duplicate: false, transfer: input.plan.transfer, pending: pendingCount(sql) }
    })
    if (result.duplicate) return result
    // With replies to send: a safety net, in case the delivery the push starts never runs.
    if (input.plan.sends.length > 0) await this.ensureAlarm(now + SAFETY_ALARM_MS)
    else await this.armIfUnset(now, policy)
    return result
  }

  /** Sends what is due, in order. Concurrent calls share one run. */
  flush(): Promise<void> {
    this.ensureSchema(true)
    return this.run(false)
  }

  override async alarm(): Promise<void> {
    // Having fired, it is no longer set.
    this.alarmAt = null
    if (!this.ensureSchema(false)) return
    await this.run(true)
  }

  /** The window, the last pushes in and replies out, with failures and their reasons. */
  async state(): Promise<ConversationState> {
    if (!this.ensureSchema(false)) return EMPTY_STATE
    // An object last written by a version that cleared its alarm when idle gets one now.
    await this.armIfUnset(Date.now(), this.retention())
    return conversationState(this.ctx.storage.sql, Date.now())
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
      return await new DeliveryPass(this.ctx.storage, this.env, { dueBy, budget, maxAgeMs }).run()
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
    await this.setAlarm(this.plannedAlarm(now, policy, result.stopped === 'transport' ? result.resumeAt : null))
    return false
  }

  private idlePastRetention(now: number, policy: Retention): boolean {
    const sql = this.ctx.storage.sql
    if (pendingCount(sql) > 0) return false
    return now >= deletableAt(lastActivityAt(sql), readWindow(sql).closesAt, policy)
  }

  /** Everything goes: tables, rows, the alarm. A later push starts a fresh object. */
  private async deleteStorage(): Promise<void> {
    const lastActivity = lastActivityAt(this.ctx.storage.sql)
    // What this instance remembers describes storage that is about to be gone.
    this.schemaReady = false
    this.alarmAt = null
    this.prunedAt = 0
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
      deleteAt: deletableAt(lastActivityAt(sql), readWindow(sql).closesAt, policy),
      pruneAt: prunableAt === null ? null : Math.max(prunableAt, this.prunedAt + PRUNE_EVERY_MS),
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
    this.alarmAt ??= await this.ctx.storage.getAlarm()
    if (this.alarmAt === null || this.alarmAt > at) await this.setAlarm(at)
  }

  /** Whatever the object holds, an alarm must be set to prune and delete it in time. */
  private async armIfUnset(now: number, policy: Retention): Promise<void> {
    this.alarmAt ??= await this.ctx.storage.getAlarm()
    if (this.alarmAt === null) await this.setAlarm(this.plannedAlarm(now, policy, null))
  }

  private async setAlarm(at: number): Promise<void> {
    if (this.alarmAt === at) return
    await this.ctx.storage.setAlarm(at)
    this.alarmAt = at
  }

  private ensureSchema(create: boolean): boolean {
    if (this.schemaReady) return true
    const sql = this.ctx.storage.sql
    if (!create && !hasSchema(sql)) return false
    this.ctx.storage.transactionSync(() => migrate(sql))
    this.schemaReady = true
    return true
  }
}
