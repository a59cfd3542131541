/**
 * One Conversation Durable Object per openid: remembers which pushes it has seen, keeps
 * WeChat's send allowance for the user, and owns the outbox of planned replies.
 *
 * The push route awaits `record` (durable before WeChat gets its answer), then runs `flush`
 * in waitUntil. Delivery is serialized inside the object and sends in order; a retryable
 * failure stops the queue and sets an alarm with backoff, so retries never loop in a request.
 */
import { DurableObject } from 'cloudflare:workers'
import { SettingError, requireSetting, type Env } from '../env'
import { log } from '../log'
import type { ReplyMessage } from '../replies'
import { WechatApiError, WechatClient } from '../wechat/api'
import { toCustomMessage, uploadedUrls } from './delivery'
import {
  CLOSED,
  OUTBOX_TTL_MS,
  PRUNE_EVERY_MS,
  SAFETY_ALARM_MS,
  SEEN_TTL_MS,
  refusal,
  retryDelay,
  widen,
  type SendWindow,
} from './policy'
import type { ConversationState, RecordInput, RecordResult } from './contract'
import { migrate, type OutboxRow, type SeenRow } from './storage'

export type { ConversationState, RecordInput, RecordResult } from './contract'

/** Permanent errcodes that also tell us the window is gone. */
const WINDOW_CLOSED = 45015
const LIMIT_REACHED = 45047
const INVALID_MEDIA_ID = 40007

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

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.ctx.storage.transactionSync(() => migrate(this.ctx.storage.sql))
  }

  /** Records a push and its planned replies, atomically; a repeat changes nothing. */
  async record(input: RecordInput): Promise<RecordResult> {
    const now = Date.now()
    const result = this.ctx.storage.transactionSync((): RecordResult => {
      const seen = this.sql<SeenRow>('SELECT * FROM seen WHERE key = ?', input.dedupKey)[0]
      if (seen) return { duplicate: true, transfer: seen.transfer === 1, pending: this.pendingCount() }

      this.ctx.storage.sql.exec(
        'INSERT INTO seen (key, kind, summary, msg_id, rule_id, transfer, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        input.dedupKey,
        input.kind,
        input.summary,
        input.msgId,
        input.plan.ruleId,
        input.plan.transfer ? 1 : 0,
        now,
      )
      if (input.grant) {
        // A sender's clock ahead of ours never widens the window into the future.
        const at = Math.min(input.at, now)
        this.saveWindow(widen(this.window(), input.grant, at))
        this.ctx.storage.sql.exec('UPDATE send_window SET opened_at = ? WHERE id = 1', at)
      }
      input.plan.sends.forEach((reply, part) => {
        this.ctx.storage.sql.exec(
          `INSERT INTO outbox (openid, msg_id, dedup_key, rule_id, part, reply, status, next_attempt_at, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)`,
          input.openid,
          input.msgId,
          input.dedupKey,
          input.plan.ruleId,
          part + 1,
          JSON.stringify(reply),
          now,
          now,
          now,
        )
      })
      this.prune(now)
      return { duplicate: false, transfer: input.plan.transfer, pending: this.pendingCount() }
    })
    if (!result.duplicate && input.plan.sends.length > 0) await this.ensureAlarm(now + SAFETY_ALARM_MS)
    return result
  }

  /** Sends what is due, in order. Concurrent calls share one run. */
  flush(): Promise<void> {
    return this.run(false)
  }

  override async alarm(): Promise<void> {
    // The alarm is the earliest scheduled retry: that row is due even if its backoff has
    // not quite run out by this clock. Having fired, it is no longer set.
    this.alarmAt = null
    await this.run(true)
  }

  /** The window, the last pushes in and replies out, with failures and their reasons. */
  state(): ConversationState {
    const window = this.window()
    const openedAt = this.sql<{ opened_at: number }>('SELECT opened_at FROM send_window WHERE id = 1')[0]?.opened_at ?? 0
    return {
      window: { ...window, openedAt, open: refusal(window, Date.now()) === null },
      inbound: this.sql<SeenRow>('SELECT * FROM seen ORDER BY received_at DESC LIMIT 20').map((row) => ({
        kind: row.kind,
        summary: row.summary,
        msgId: row.msg_id,
        ruleId: row.rule_id,
        receivedAt: row.received_at,
      })),
      outbound: this.sql<OutboxRow>('SELECT * FROM outbox ORDER BY id DESC LIMIT 50').map((row) => ({
        id: row.id,
        msgId: row.msg_id,
        ruleId: row.rule_id,
        part: row.part,
        type: parseReply(row.reply)?.type ?? 'unreadable',
        status: row.status,
        attempts: row.attempts,
        errcode: row.errcode,
        reason: row.reason,
        updatedAt: row.updated_at,
      })),
    }
  }

  private run(alarm: boolean): Promise<void> {
    if (this.running) {
      this.rerun = true
      return this.running
    }
    this.running = (async () => {
      try {
        let fromAlarm = alarm
        do {
          this.rerun = false
          await this.drain(fromAlarm ? Math.max(Date.now(), this.nextDue() ?? 0) : Date.now())
          fromAlarm = false
        } while (this.rerun)
      } finally {
        this.running = null
        await this.scheduleAlarm()
      }
    })()
    return this.running
  }

  /**
   * One pass over the outbox, oldest first. The parts of one push go out in order, so a part
   * that must wait holds back the later parts of its push — and only those: one user's bad
   * image never delays the replies to their next message. `dueBy`: rows whose backoff ends
   * by then are attempted (the alarm passes its own time, a flush passes now).
   */
  private async drain(dueBy: number): Promise<void> {
    const held = new Set<string>()
    const pass: DeliveryPass = { client: null, typing: false }
    const pending = this.sql<OutboxRow>("SELECT * FROM outbox WHERE status = 'pending' ORDER BY id")
    for (const row of pending) {
      if (held.has(row.dedup_key)) continue
      if (row.next_attempt_at > dueBy) {
        held.add(row.dedup_key)
        continue
      }
      if (!(await this.attempt(row, pass))) held.add(row.dedup_key)
    }
  }

  /** Sends one row; false when it must be retried later (so its push's later parts wait). */
  private async attempt(row: OutboxRow, pass: DeliveryPass): Promise<boolean> {
    const now = Date.now()
    const blocked = refusal(this.window(), now)
    if (blocked) {
      // A row that was being retried keeps the error that held it back.
      this.fail(row, row.reason ? `${blocked}; last error: ${row.reason}` : blocked, row.errcode)
      return true
    }
    const reply = parseReply(row.reply)
    if (!reply) {
      this.fail(row, 'unreadable reply', null)
      return true
    }
    // The attempt is counted with its outcome, in the same write.
    const attempt = { ...row, attempts: row.attempts + 1 }
    try {
      pass.client ??= WechatClient.fromEnv(this.env)
      const client = pass.client
      // An upload can take seconds: the user sees "typing…" first, once per pass.
      const beforeUpload = async (): Promise<void> => {
        if (pass.typing) return
        pass.typing = true
        await this.showTyping(client, row)
      }
      const media = { uploadImage: (url: string) => client.uploadImage(url, beforeUpload) }
      const message = await toCustomMessage(reply, media, requireSetting(this.env, 'WECHAT_APPID'))
      await client.sendCustom(row.openid, message)
    } catch (error) {
      if (isStaleMedia(error, row, reply) && pass.client) {
        // WeChat no longer knows a cached media_id: upload afresh on the next attempt, once.
        const client = pass.client
        await Promise.all(uploadedUrls(reply).map((url) => client.forgetImage(url)))
        return this.retry(attempt, error)
      }
      return this.failed(attempt, error)
    }
    // Outside the try: WeChat has the message, so nothing after this may cause a resend.
    this.sent(attempt, reply)
    return true
  }

  /** Typing is a courtesy: its failure never holds up the reply. */
  private async showTyping(client: WechatClient, row: OutboxRow): Promise<void> {
    try {
      await client.typing(row.openid, 'Typing')
    } catch (error) {
      log.warn('reply.typing_failed', {
        openid: row.openid,
        msgId: row.msg_id,
        errcode: error instanceof WechatApiError ? error.errcode : null,
      })
    }
  }

  private sent(row: OutboxRow, reply: ReplyMessage): void {
    const now = Date.now()
    this.ctx.storage.transactionSync(() => {
      this.ctx.storage.sql.exec(
        "UPDATE outbox SET status = 'sent', attempts = ?, errcode = NULL, reason = NULL, updated_at = ? WHERE id = ?",
        row.attempts,
        now,
        row.id,
      )
      const window = this.window()
      this.saveWindow({ ...window, remaining: window.remaining - 1 })
    })
    log.info('reply.sent', {
      openid: row.openid,
      msgId: row.msg_id,
      ruleId: row.rule_id,
      part: row.part,
      type: reply.type,
      attempts: row.attempts,
    })
  }

  /** Records a failed attempt; true when the queue may go on to the next row. */
  private failed(row: OutboxRow, error: unknown): boolean {
    if (error instanceof WechatApiError && error.kind === 'permanent') {
      if (error.errcode === WINDOW_CLOSED) this.saveWindow(CLOSED)
      if (error.errcode === LIMIT_REACHED) this.saveWindow({ ...this.window(), remaining: 0 })
      this.fail(row, describe(error), error.errcode)
      return true
    }
    return this.retry(row, error)
  }

  /** Schedules the row's next attempt with backoff; always false (its push's later parts wait). */
  private retry(row: OutboxRow, error: unknown): false {
    // 45011 (per-minute quota) says when to come back; otherwise our own backoff.
    const retryAfterMs = error instanceof WechatApiError ? (error.retryAfterSeconds ?? 0) * 1000 : 0
    const delay = Math.max(retryDelay(row.attempts), retryAfterMs)
    const nextAttemptAt = Date.now() + delay
    const errcode = error instanceof WechatApiError ? error.errcode : null
    const reason = describe(error)
    this.ctx.storage.sql.exec(
      'UPDATE outbox SET attempts = ?, next_attempt_at = ?, errcode = ?, reason = ?, updated_at = ? WHERE id = ?',
      row.attempts,
      nextAttemptAt,
      errcode,
      reason,
      Date.now(),
      row.id,
    )
    const fields = { openid: row.openid, msgId: row.msg_id, ruleId: row.rule_id, part: row.part, errcode, reason, attempts: row.attempts, retryInMs: delay }
    if (error instanceof SettingError) log.error('reply.retry', fields)
    else log.warn('reply.retry', fields)
    return false
  }

  private fail(row: OutboxRow, reason: string, errcode: number | null): void {
    this.ctx.storage.sql.exec(
      "UPDATE outbox SET status = 'failed', attempts = ?, reason = ?, errcode = ?, updated_at = ? WHERE id = ?",
      row.attempts,
      reason,
      errcode,
      Date.now(),
      row.id,
    )
    log.warn('reply.failed', { openid: row.openid, msgId: row.msg_id, ruleId: row.rule_id, part: row.part, errcode, reason })
  }

  private async scheduleAlarm(): Promise<void> {
    const due = this.nextDue()
    await this.setAlarm(due === null ? null : Math.max(due, Date.now() + 1))
  }

  /** When the earliest waiting push is next due: the backoff of each push's first pending part. */
  private nextDue(): number | null {
    const row = this.sql<{ due: number | null }>(
      `SELECT MIN(next_attempt_at) AS due FROM outbox AS o WHERE status = 'pending'
         AND id = (SELECT MIN(id) FROM outbox WHERE status = 'pending' AND dedup_key = o.dedup_key)`,
    )[0]
    return row?.due ?? null
  }

  /** Sets the alarm to `at` unless one is already due sooner. */
  private async ensureAlarm(at: number): Promise<void> {
    this.alarmAt ??= await this.ctx.storage.getAlarm()
    if (this.alarmAt === null || this.alarmAt > at) await this.setAlarm(at)
  }

  private async setAlarm(at: number | null): Promise<void> {
    if (this.alarmAt === at) return
    if (at === null) await this.ctx.storage.deleteAlarm()
    else await this.ctx.storage.setAlarm(at)
    this.alarmAt = at
  }

  private window(): SendWindow {
    const row = this.sql<{ remaining: number; closes_at: number }>(
      'SELECT remaining, closes_at FROM send_window WHERE id = 1',
    )[0]
    return row ? { remaining: row.remaining, closesAt: row.closes_at } : CLOSED
  }

  private saveWindow(window: SendWindow): void {
    this.ctx.storage.sql.exec(
      'INSERT INTO send_window (id, remaining, closes_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET remaining = excluded.remaining, closes_at = excluded.closes_at',
      Math.max(0, window.remaining),
      window.closesAt,
    )
  }

  private pendingCount(): number {
    return this.sql<{ n: number }>("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")[0]?.n ?? 0
  }

  private prune(now: number): void {
    if (now - this.prunedAt < PRUNE_EVERY_MS) return
    this.prunedAt = now
    this.ctx.storage.sql.exec('DELETE FROM seen WHERE received_at < ?', now - SEEN_TTL_MS)
    this.ctx.storage.sql.exec(
      "DELETE FROM outbox WHERE status != 'pending' AND updated_at < ?",
      now - OUTBOX_TTL_MS,
    )
  }

  private sql<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): T[] {
    return this.ctx.storage.sql.exec<T>(query, ...bindings).toArray()
  }
}

/** One delivery pass: one API client, and "typing…" shown at most once. */
interface DeliveryPass {
  client: WechatClient | null
  typing: boolean
}

function parseReply(json: string): ReplyMessage | null {
  try {
    return JSON.parse(json) as ReplyMessage
  } catch {
    return null
  }
}

/** 40007 on a reply whose media_id came from our cache, for the first time on this row. */
function isStaleMedia(error: unknown, row: OutboxRow, reply: ReplyMessage): boolean {
  return (
    error instanceof WechatApiError &&
    error.errcode === INVALID_MEDIA_ID &&
    row.errcode !== INVALID_MEDIA_ID &&
    uploadedUrls(reply).length > 0
  )
}

/** A failure's reason for the outbox row and the log: no secrets, no tokens, no URLs with them. */
function describe(error: unknown): string {
  if (error instanceof WechatApiError) return `wechat: ${error.message}`
  if (error instanceof SettingError) return `setting: ${error.message}`
  return `unexpected: ${error instanceof Error ? error.name : 'error'}`
}
