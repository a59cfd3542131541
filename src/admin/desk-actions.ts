/**
 * What an agent does at the desk — claim, release, transfer, close, their status, a note on a
 * user, the canned answers — shared by the admin API (routes/admin-desk.ts) and the console.
 * A move goes to the mini program's Desk object, which decides it in one step; done, each is
 * audited as the agent's, and a close tells the user's Conversation object they are no longer
 * at the desk. An admin or the owner (who may change the rules) may release, transfer or close
 * what another agent holds.
 */
import { operatorById, type Operator, allows } from '../auth/operators'
import { can } from '../auth/roles'
import type { DeskAction } from '../desk/desk'
import type { AgentStatus } from '../desk/queue'
import type { Agent } from '../desk/view'
import { appidOf, type Env } from '../settings/env'
import { conversationOf, deskOf } from '../settings/mini-program-state'
import { log } from '../log'
import { loadRules } from '../rules/loader'
import { addCanned, addNote, deleteCanned } from '../desk/notes'
import { auditDone } from './audit'
import { viewOfUser } from '../wecom/user-view'

export type DeskMove = 'claim' | 'release' | 'close'

export type TransferResult = DeskAction | { ok: false; reason: 'no_such_agent' }

const agentOf = (operator: Operator): Agent => ({ id: operator.id, name: operator.name })

/** Whoever may change the rules may also undo another agent's hold. */
const overrides = (operator: Operator) => can(operator.role, 'rules')

/**
 * Who holds the user at the desk, when that is someone other than `actor` and `actor` may not
 * override holds: their reply would answer a user a colleague is answering. Null otherwise
 * (nobody holds them, `actor` does, or `actor` may undo holds).
 */
export async function heldByOther(env: Env, actor: Operator, openid: string): Promise<Agent | null> {
  if (overrides(actor)) return null
  const holder = (await deskOf(env).item(openid))?.assignee ?? null
  return holder !== null && holder.id !== actor.id ? holder : null
}

export async function moveAtDesk(env: Env, actor: Operator, move: DeskMove, openid: string): Promise<DeskAction> {
  const desk = deskOf(env)
  const agent = agentOf(actor)
  const result =
    move === 'claim'
      ? await desk.claim(openid, agent)
      : move === 'release'
        ? await desk.release(openid, agent, overrides(actor))
        : await desk.close(openid, agent, overrides(actor))
  if (!result.ok) return result
  // Audited once the Desk has decided: what follows is the user's object's, and may fail.
  await auditDone(env.DB, { appid: appidOf(env), operator: actor, action: `desk_${move}`, target: openid, summary: result.item.status })
  if (move === 'close') await afterClose(env, actor, openid, result.item.assignee ?? agentOf(actor))
  return result
}

/**
 * The user's object hears they left the desk (the rules answer again), and may be asked for a
 * rating. Best effort each, logged: the close stands. A mark left behind is cleared by the
 * user's next push, which the desk no longer has (inbound/answer.ts).
 */
async function afterClose(env: Env, actor: Operator, openid: string, agent: Agent): Promise<void> {
  // The user's channel, read once for both (viewOfUser logs and falls back on its own).
  const conversation = conversationOf(await viewOfUser(env, openid), openid)
  try {
    await conversation.markDesk(false)
  } catch (error) {
    log.warn('desk.unmark_failed', { openid, error: describe(error) })
  }
  await askRating(env, actor, conversation, openid, agent)
}

/**
 * With `satisfaction` in the rule set, the closed conversation's user is asked for a rating, for
 * its agent; the send is audited as the closer's reply. Best effort: a closed window refuses it
 * (logged), and the close stands either way.
 */
async function askRating(
  env: Env,
  actor: Operator,
  conversation: ReturnType<typeof conversationOf>,
  openid: string,
  agent: Agent,
): Promise<void> {
  try {
    const { satisfaction } = await loadRules(env)
    if (satisfaction === null) return
    const asked = await conversation.askRating(openid, satisfaction.text, {
      until: Date.now() + satisfaction.minutes * 60_000,
      agent: { id: agent.id, name: agent.name },
      thanks: satisfaction.thanks,
    })
    if (!asked.ok) {
      log.info('desk.rating_not_asked', { openid, reason: asked.refusal })
      return
    }
    const summary = `rating question: ${asked.outcome.status}`
    await auditDone(env.DB, { appid: appidOf(env), operator: actor, action: 'reply', target: openid, summary })
  } catch (error) {
    log.warn('desk.rating_failed', { openid, error: describe(error) })
  }
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** To another operator who may reply in this mini program. */
export async function transferAtDesk(env: Env, actor: Operator, openid: string, toId: string): Promise<TransferResult> {
  const to = await operatorById(env.DB, toId)
  if (to === null || !allows(to, 'reply', appidOf(env))) return { ok: false, reason: 'no_such_agent' }
  const result = await deskOf(env).transfer(openid, agentOf(actor), agentOf(to), overrides(actor))
  if (!result.ok) return result
  await auditDone(env.DB, { appid: appidOf(env), operator: actor, action: 'desk_transfer', target: openid, summary: `to ${to.name}` })
  return result
}

export async function setDeskStatus(env: Env, actor: Operator, status: AgentStatus): Promise<Agent[]> {
  const agents = await deskOf(env).setStatus(agentOf(actor), status)
  await auditDone(env.DB, { appid: appidOf(env), operator: actor, action: 'desk_status', target: actor.id, summary: status })
  return agents
}

/** A private note on the user, audited as who wrote it on whom (the text stays on the conversation). */
export async function addDeskNote(env: Env, actor: Operator, openid: string, text: string): Promise<{ id: string }> {
  const added = await addNote(env.DB, appidOf(env), openid, agentOf(actor), text, Date.now())
  await auditDone(env.DB, { appid: appidOf(env), operator: actor, action: 'desk_note', target: openid, summary: added.id })
  return added
}

/** A canned answer for the mini program, audited when added (refused: full, or the shortcut taken). */
export async function addCannedAnswer(
  env: Env,
  actor: Operator,
  input: { title: string; text: string; shortcut?: string | undefined },
): Promise<Awaited<ReturnType<typeof addCanned>>> {
  const added = await addCanned(
    env.DB,
    appidOf(env),
    { title: input.title, text: input.text, shortcut: input.shortcut ?? null },
    Date.now(),
  )
  if ('problem' in added) return added
  await auditDone(env.DB, { appid: appidOf(env), operator: actor, action: 'desk_canned', target: added.id, summary: 'added' })
  return added
}

/** False when the mini program has no such canned answer; deleted, it is audited. */
export async function deleteCannedAnswer(env: Env, actor: Operator, id: string): Promise<boolean> {
  if (!(await deleteCanned(env.DB, appidOf(env), id))) return false
  await auditDone(env.DB, { appid: appidOf(env), operator: actor, action: 'desk_canned', target: id, summary: 'deleted' })
  return true
}
