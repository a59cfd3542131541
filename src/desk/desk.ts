/**
 * The human desk of one mini program (issue 29): a Durable Object named by the appid that
 * holds who is waiting for a person, who took whom, the agents' status — and the consoles
 * watching, as hibernating WebSockets, so an idle console costs nothing and every change
 * reaches every open queue at once.
 *
 * Users arrive from the push route and the Conversation object (`arrive`: a transfer, the
 * rule set's hand-off, or the model giving up, with HUMAN_DESK = console). Agents claim, release,
 * transfer and close through the admin API and the console (routes/admin-desk.ts); a claim is
 * one synchronous step of the object, so of two agents claiming at once one wins and the other
 * is told who holds it. A wait past DESK_ALERT_MINUTES is flagged, and announced once to
 * DESK_ALERT_WEBHOOK when it is set (the alarm).
 */
import { DurableObject } from 'cloudflare:workers'
import { log } from '../log'
import type { Env } from '../settings/env'
import { alertText, deskAlertMinutes, postAlert } from './alert'
import { forgetHandled, handledSince, rateHandled } from './handled'
import {
  agentRows,
  type AgentStatus,
  type Arrival,
  type DeskRow,
  arrive,
  claimRow,
  closeRow,
  createDesk,
  deskRow,
  leastBusyOnline,
  markAlerted,
  noteMessage,
  noteReply,
  noteWindow,
  oldestUnalerted,
  openRows,
  overdueRows,
  forgetRow,
  releaseRow,
  setAgent,
} from './queue'
import { recheck, type Viewer, viewerOf } from './viewers'
import { agentFigures, type AgentFigures, type DeskEvent, type DeskItem, itemOf, type Agent, type QueueView } from './view'

/** An alert that could not be posted is tried again this much later. */
const ALERT_RETRY_MS = 60_000

export type DeskAction =
  | { ok: true; item: DeskItem }
  | { ok: false; reason: 'not_at_desk' }
  /** Someone else has it: who. */
  | { ok: false; reason: 'held'; holder: Agent }
  /** Only its holder (or an admin) may do that. */
  | { ok: false; reason: 'not_yours'; holder: Agent | null }

export class Desk extends DurableObject<Env> {
  private readonly sql: SqlStorage
  /** The sends in flight, in order (#broadcast). */
  #sending: Promise<void> = Promise.resolve()

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    createDesk(this.sql)
    // The console's keep-alive ping is answered by the runtime, without waking the object: an
    // idle console costs nothing (desk-script.ts sends exactly 'ping' and ignores 'pong').
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'))
  }

  /**
   * A user asks for a person. With an agent online (their status in the console: online takes
   * conversations), it goes to the one holding the fewest; otherwise it waits for a claim.
   */
  async arrive(arrival: Arrival): Promise<DeskItem> {
    const { queued } = arrive(this.sql, arrival)
    if (queued) {
      const agent = leastBusyOnline(this.sql)
      if (agent) claimRow(this.sql, arrival.openid, agent, Date.now())
      log.info('desk.queued', { openid: arrival.openid, reason: arrival.reason, assignee: agent?.id ?? null })
      await this.#armAlert()
    }
    this.#broadcastQueue()
    return this.#item(arrival.openid)
  }

  /**
   * A new message in or out for a user at the desk: the consoles show it, and the queue the
   * user's last message; false when they are not at the desk. The window of a send is told
   * by the user's object when it went out (`sent`).
   */
  async message(
    openid: string,
    event: { direction: 'in' | 'out'; text: string; at: number; window?: Arrival['window'] },
  ): Promise<boolean> {
    const row = deskRow(this.sql, openid)
    if (!row || row.status === 'closed') return false
    if (event.direction === 'in') noteMessage(this.sql, openid, event.text, event.at, event.window)
    this.#broadcast({ type: 'message', openid, direction: event.direction, text: event.text, at: event.at })
    this.#broadcastQueue()
    return true
  }

  /**
   * Sends went out to a user at the desk (a delivery pass of their object: an agent's reply,
   * the hand-off text): the queue shows the sends left, and a window closing is urgent.
   */
  async sent(openid: string, window: Arrival['window']): Promise<boolean> {
    const changed = noteWindow(this.sql, openid, window)
    if (changed) this.#broadcastQueue()
    return changed
  }

  /** An agent replied by hand: the first reply ends the first-response time. */
  async replied(openid: string, now: number): Promise<void> {
    if (!deskRow(this.sql, openid)) return
    noteReply(this.sql, openid, now)
    this.#broadcastQueue()
  }

  /** The user rated the conversation closed last (after `satisfaction`'s question); false when there is none to rate. */
  async rate(openid: string, score: number): Promise<boolean> {
    const rated = rateHandled(this.sql, openid, score)
    if (rated) log.info('desk.rated', { openid, score })
    return rated
  }

  /**
   * The user's data deleted (users/forget.ts): out of the queue, and out of the consoles
   * watching it; their closed conversations still count for the agents, under made-up names.
   */
  forget(openid: string): boolean {
    const queued = forgetRow(this.sql, openid)
    if (queued) this.#broadcastQueue()
    const handled = forgetHandled(this.sql, openid)
    return queued || handled
  }

  claim(openid: string, agent: Agent): DeskAction {
    const row = deskRow(this.sql, openid)
    if (!row || row.status === 'closed') return { ok: false, reason: 'not_at_desk' }
    if (row.status === 'claimed' && row.assignee !== agent.id) {
      return { ok: false, reason: 'held', holder: { id: row.assignee ?? '', name: row.assignee_name ?? '' } }
    }
    claimRow(this.sql, openid, agent, Date.now())
    return this.#changed(openid)
  }

  /**
   * Back to the queue: by its holder, or by anyone `override` (an admin). The wait counts from
   * when the user asked, so the alarm is armed again: the one for this wait may have run while
   * the conversation was held, and found nobody waiting.
   */
  async release(openid: string, agent: Agent, override = false): Promise<DeskAction> {
    const refused = this.#holderOnly(openid, agent, override)
    if (refused) return refused
    releaseRow(this.sql, openid)
    await this.#armAlert()
    return this.#changed(openid)
  }

  /** Handed to another agent: by its holder (or an admin), or taken from the queue for them. */
  transfer(openid: string, from: Agent, to: Agent, override = false): DeskAction {
    const refused = this.#holderOnly(openid, from, override)
    if (refused) return refused
    releaseRow(this.sql, openid)
    claimRow(this.sql, openid, to, Date.now())
    return this.#changed(openid)
  }

  /** Done, by its holder (or `override`), or by anyone while it waits: then it counts as the closer's. */
  close(openid: string, agent: Agent, override = false): DeskAction {
    const refused = this.#holderOnly(openid, agent, override)
    if (refused) return refused
    const now = Date.now()
    const closed = closeRow(this.sql, openid, agent, now)
    if (!closed) return { ok: false, reason: 'not_at_desk' }
    this.#broadcastQueue()
    return { ok: true, item: this.#itemOf(closed, now) }
  }

  setStatus(agent: Agent, status: AgentStatus): Agent[] {
    setAgent(this.sql, agent, status, Date.now())
    this.#broadcastQueue()
    return this.#agents()
  }

  /** The queue as the console and the API show it. (Not `queue`: a Durable Object's `queue` is its queue consumer's, never callable over RPC.) */
  view(): QueueView {
    const now = Date.now()
    return { items: openRows(this.sql).map((row) => this.#itemOf(row, now)), agents: this.#agents(), at: now }
  }

  /** Where the user is at the desk now; null when they are not (never were, or closed). */
  item(openid: string): DeskItem | null {
    const row = deskRow(this.sql, openid)
    return row && row.status !== 'closed' ? this.#itemOf(row, Date.now()) : null
  }

  /** Per agent, of the conversations closed since `since`: handled, first-response times, ratings. */
  figures(since: number): AgentFigures[] {
    return agentFigures(handledSince(this.sql, since))
  }

  /**
   * A console's live channel: a WebSocket, given the queue at once, then every change, for the
   * viewer the console's route checked and names (viewers.ts: checked again as it watches).
   */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('expected a WebSocket', { status: 426 })
    const viewer = viewerOf(request, Date.now())
    if (viewer === null) return new Response('no viewer', { status: 400 })
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket]
    // Hibernating: the object may leave memory while consoles sit idle; a message wakes it.
    this.ctx.acceptWebSocket(server)
    server.serializeAttachment(viewer)
    server.send(JSON.stringify({ type: 'queue', ...this.view() } satisfies DeskEvent))
    return new Response(null, { status: 101, webSocket: client })
  }

  override async webSocketMessage(): Promise<void> {
    // The console sends only its ping, which the auto-response answers: nothing else is read.
  }

  override async webSocketClose(socket: WebSocket, code: number): Promise<void> {
    try {
      socket.close(code === 1005 ? 1000 : code, 'closed')
    } catch {
      // Already closed on our side.
    }
  }

  override async alarm(): Promise<void> {
    const minutes = deskAlertMinutes(this.env)
    const now = Date.now()
    const due = overdueRows(this.sql, now - minutes * 60_000)
    const webhook = this.env.DESK_ALERT_WEBHOOK
    let failed = false
    for (const row of due) {
      if (webhook) {
        const posted = await postAlert(webhook, alertText(row, now, this.ctx.id.name ?? ''))
        if (!posted.ok) {
          failed = true
          log.warn('desk.alert_failed', { openid: row.openid, reason: posted.reason })
          continue
        }
      }
      markAlerted(this.sql, row.openid)
      log.info('desk.alerted', { openid: row.openid, waitedMs: now - row.queued_at, webhook: Boolean(webhook) })
    }
    if (due.length > 0) this.#broadcastQueue()
    if (failed) await this.ctx.storage.setAlarm(now + ALERT_RETRY_MS)
    else await this.#armAlert()
  }

  /** The alarm for the oldest wait not yet announced. */
  async #armAlert(): Promise<void> {
    const oldest = oldestUnalerted(this.sql)
    if (oldest === null) return
    const at = oldest + deskAlertMinutes(this.env) * 60_000
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > at) await this.ctx.storage.setAlarm(Math.max(at, Date.now()))
  }

  /** Refused unless the user is at the desk and waiting, or held by `agent` (or `override`). */
  #holderOnly(openid: string, agent: Agent, override: boolean): DeskAction | null {
    const row = deskRow(this.sql, openid)
    if (!row || row.status === 'closed') return { ok: false, reason: 'not_at_desk' }
    if (override || row.assignee === null || row.assignee === agent.id) return null
    return { ok: false, reason: 'not_yours', holder: { id: row.assignee, name: row.assignee_name ?? '' } }
  }

  #changed(openid: string): DeskAction {
    this.#broadcastQueue()
    return { ok: true, item: this.#item(openid) }
  }

  #item(openid: string): DeskItem {
    const row = deskRow(this.sql, openid)
    if (!row) throw new Error('desk row missing')
    return this.#itemOf(row, Date.now())
  }

  /** A row as the queue shows it: in this mini program (the object's name), overdue past DESK_ALERT_MINUTES. */
  #itemOf(row: DeskRow, now: number): DeskItem {
    return itemOf(row, now, deskAlertMinutes(this.env) * 60_000, this.ctx.id.name ?? '')
  }

  #agents(): Agent[] {
    return agentRows(this.sql).map((a) => ({ id: a.id, name: a.name, status: a.status }))
  }

  #broadcastQueue(): void {
    this.#broadcast({ type: 'queue', ...this.view() })
  }

  /** Every change goes out in the order it was made, each after the checks the one before it waited for. */
  #broadcast(event: DeskEvent): void {
    const text = JSON.stringify(event)
    this.#sending = this.#sending.then(() => this.#send(text))
    this.ctx.waitUntil(this.#sending)
  }

  async #send(text: string): Promise<void> {
    for (const socket of await this.#watching()) {
      try {
        socket.send(text)
      } catch {
        // A socket closing as we send: its close handler ends it.
      }
    }
  }

  /**
   * The sockets whose viewer may still watch, checked again when their last check is old
   * (viewers.ts); the others are closed. Asking failed: everyone, and the next change asks.
   */
  async #watching(): Promise<WebSocket[]> {
    const sockets = this.ctx.getWebSockets()
    const now = Date.now()
    const viewers = sockets.map(
      (socket) => (socket.deserializeAttachment() as Viewer | null) ?? { operator: '', session: null, checkedAt: 0 },
    )
    let answers: Map<number, boolean>
    try {
      answers = await recheck(this.env, this.ctx.id.name ?? '', viewers, now)
    } catch (error) {
      log.warn('desk.recheck_failed', { error: error instanceof Error ? error.message : String(error) })
      return sockets
    }
    return sockets.filter((socket, index) => {
      const allowed = answers.get(index)
      if (allowed === undefined) return true
      if (allowed) {
        socket.serializeAttachment({ ...viewers[index], checkedAt: now })
        return true
      }
      log.info('desk.viewer_closed', { operator: viewers[index]?.operator ?? '' })
      try {
        socket.close(1008, 'signed out')
      } catch {
        // Already closing.
      }
      return false
    })
  }
}
