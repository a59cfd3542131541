/**
 * The console's pages over the D1 record — conversations, one conversation, failed sends,
 * unmatched questions — and the operator's actions on them: a reply by hand, a failed send
 * retried or dropped. They read with the record's queries and act through the user's
 * Conversation object with the admin API's own functions (admin/actions.ts); every query
 * value, path parameter and the reply form is checked with the admin API's schemas (admin/requests.ts). A bad address is
 * a 4xx page, an action comes back to its page with a notice (`back`), and nothing a client
 * sends is a 500.
 */
import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import { getConversation, listConversations } from '../record/conversations'
import { listFailed } from '../record/failed'
import { getStats } from '../record/stats'
import { actOnFailed, replyByHand, type FailedAction, type FailedId, type ManualReply } from '../admin/actions'
import { appidOf } from '../settings/env'
import {
  ConversationsQuery,
  FailedIdParam,
  FailedQuery,
  ManualReplyBody,
  MessagesQuery,
  OpenidParam,
  REPLY_MAX_BYTES,
} from '../admin/requests'
import { MAX_TEXT_BYTES } from '../rules/schema'
import { conversationOf, deskOf } from '../settings/mini-program-state'
import { retentionDays } from '../settings/conversation'
import { listCanned, listNotes } from '../desk/notes'
import { back, guard, renderPage, type ConsoleContext, type ConsoleEnv } from './context'
import { readForm } from './form'
import type { Section } from './layout'
import { langOf } from './lang'
import { ConversationPage } from './pages/conversation'
import { REPLY_OUTCOMES, type ReplyOutcome } from './pages/conversation-strings'
import { CONVERSATIONS_PATH, ConversationsPage } from './pages/conversations'
import { EXPORT_DOWNLOAD_PATH, EXPORT_PROBLEMS, type ExportProblem } from './pages/export-form'
import { exportDownload } from './export-download'
import { lastDays } from '../record/day'
import { FAILED_OUTCOMES, FAILED_PATH, FailedPage, type FailedOutcome } from './pages/failed'
import { outcomeOf, ProblemPage, type Problem } from './pages/parts'
import { UnmatchedPage } from './pages/unmatched'
import { once, ONCE_FIELD } from './once'
import { grantsOf, permit } from './permit'
import { viewOfUser } from '../wecom/user-view'

/** A failed send's retry or drop posts only its once-key. */
const ACTION_MAX_BYTES = 4096

/** The query values of `keys` that are there and not empty, for an admin API schema (the console's own, lang and the notices, left out). */
function queryOf(c: ConsoleContext, keys: readonly string[]): Record<string, string> {
  const given: Record<string, string> = {}
  for (const key of keys) {
    const value = c.req.query(key)
    if (value) given[key] = value
  }
  return given
}

const problemPage = (c: ConsoleContext, status: 400 | 404, section: Section, problem: Problem, backTo: string) =>
  renderPage(c, <ProblemPage lang={langOf(c)} section={section} problem={problem} back={backTo} />, status)

/** The outcome of a reply by hand, for the notice on the conversation's page. */
type ReplyAnswer = { done: ReplyOutcome } | { problem: ReplyOutcome; errcode?: string }

/** The reply form's text, within the API's body bound, and its once-key; or what is wrong with it. */
async function replyForm(c: ConsoleContext): Promise<{ text: string; key: string | null } | { problem: ReplyOutcome }> {
  const form = await readForm(c.req.raw, REPLY_MAX_BYTES)
  if (form === null) return { problem: 'too_long' }
  if (!form.parsed) return { problem: 'invalid' }
  const value = form.fields.text
  const key = form.fields[ONCE_FIELD]
  if (typeof value !== 'string') return { problem: value === undefined ? 'empty' : 'invalid' }
  // A textarea sends CRLF line ends; a chat shows LF.
  const text = value.replace(/\r\n?/g, '\n')
  if (text.trim() === '') return { problem: 'empty' }
  if (new TextEncoder().encode(text).byteLength > MAX_TEXT_BYTES) return { problem: 'too_long' }
  return { text, key: typeof key === 'string' ? key : null }
}

export const recordPages = new Hono<ConsoleEnv>()

recordPages.get(CONVERSATIONS_PATH, guard, async (c) => {
  const query = v.safeParse(ConversationsQuery, queryOf(c, ['cursor', 'filter']))
  if (!query.success) return problemPage(c, 400, 'conversations', 'bad_cursor', CONVERSATIONS_PATH)
  const { cursor, filter, limit } = query.output
  const list = await listConversations(c.env.DB, {
    appid: appidOf(c.env),
    limit,
    now: Date.now(),
    ...(filter ? { filter } : {}),
    ...(cursor ? { after: cursor } : {}),
  })
  // The CSV export's form, for the roles that may export: the last 7 China days, or the days a refused download asked for.
  const days = lastDays(Date.now(), 7)
  const problem = (EXPORT_PROBLEMS as readonly string[]).find((p) => p === c.req.query('export')) as ExportProblem | undefined
  const exporting = grantsOf(c).users
    ? { from: c.req.query('from') || days[0] || '', to: c.req.query('to') || days[6] || '', problem: problem ?? null }
    : null
  return renderPage(
    c,
    <ConversationsPage lang={langOf(c)} list={list} filter={filter ?? null} paged={cursor !== undefined} exporting={exporting} />,
  )
})

// The conversations page's CSV download: the admin API's export behind the session (export-download.ts).
recordPages.get(EXPORT_DOWNLOAD_PATH, guard, exportDownload)

recordPages.get(`${CONVERSATIONS_PATH}/:openid`, guard, async (c) => {
  const param = v.safeParse(OpenidParam, { openid: c.req.param('openid') })
  if (!param.success) return problemPage(c, 400, 'conversations', 'bad_openid', CONVERSATIONS_PATH)
  const { openid } = param.output
  const query = v.safeParse(MessagesQuery, queryOf(c, ['cursor']))
  if (!query.success) return problemPage(c, 400, 'conversations', 'bad_cursor', `${CONVERSATIONS_PATH}/${openid}`)
  const { cursor, limit } = query.output
  // The grants live in the user's object (looking creates nothing): asked while D1 reads.
  const [detail, subscriptions, desk, canned, notes] = await Promise.all([
    getConversation(c.env.DB, { appid: appidOf(c.env), openid, limit, now: Date.now(), ...(cursor ? { after: cursor } : {}) }),
    viewOfUser(c.env, openid).then((view) => conversationOf(view, openid).subscriptions()),
    // Where the user is at the human desk, if they are (desk/desk.ts).
    deskOf(c.env).item(openid),
    listCanned(c.env.DB, appidOf(c.env)),
    listNotes(c.env.DB, appidOf(c.env), openid),
  ])
  if (!detail) return problemPage(c, 404, 'conversations', 'no_conversation', CONVERSATIONS_PATH)
  const outcome = outcomeOf((key) => c.req.query(key), REPLY_OUTCOMES)
  return renderPage(
    c,
    <ConversationPage
      lang={langOf(c)}
      detail={detail}
      subscriptions={subscriptions}
      outcome={outcome}
      paged={cursor !== undefined}
      grants={grantsOf(c)}
      desk={desk}
      me={c.var.operator.id}
      canned={canned}
      notes={notes}
      clock={{ now: Date.now(), retentionDays: retentionDays(c.env) }}
    />,
  )
})

recordPages.post(`${CONVERSATIONS_PATH}/:openid/reply`, guard, async (c) => {
  const refused = permit(c, 'reply')
  if (refused) return refused
  const param = v.safeParse(OpenidParam, { openid: c.req.param('openid') })
  if (!param.success) return problemPage(c, 400, 'conversations', 'bad_openid', CONVERSATIONS_PATH)
  const { openid } = param.output
  const answer = await sendReply(c, openid)
  return back(c, `${CONVERSATIONS_PATH}/${openid}`, answer)
})

recordPages.get(FAILED_PATH, guard, async (c) => {
  const query = v.safeParse(FailedQuery, queryOf(c, ['cursor']))
  if (!query.success) return problemPage(c, 400, 'failed', 'bad_cursor', FAILED_PATH)
  const { cursor, limit } = query.output
  const list = await listFailed(c.env.DB, { appid: appidOf(c.env), limit, ...(cursor ? { after: cursor } : {}) })
  const outcome = outcomeOf((key) => c.req.query(key), FAILED_OUTCOMES)
  return renderPage(c, <FailedPage lang={langOf(c)} list={list} outcome={outcome} paged={cursor !== undefined} grants={grantsOf(c)} />)
})

for (const action of ['retry', 'drop'] as const) {
  recordPages.post(`${FAILED_PATH}/:id/${action}`, guard, async (c) => {
    const refused = permit(c, 'reply')
    if (refused) return refused
    const form = await readForm(c.req.raw, ACTION_MAX_BYTES)
    if (form === null) return c.text('too large', 413)
    const param = v.safeParse(FailedIdParam, { id: c.req.param('id') })
    if (!param.success) return problemPage(c, 400, 'failed', 'bad_failed_id', FAILED_PATH)
    // A retry sends: a repeat of this submission shows the first one's outcome.
    const outcome = await once(c, form.fields[ONCE_FIELD], [], () => failedAction(c, action, param.output.id), {})
    return back(c, FAILED_PATH, outcome)
  })
}

recordPages.get('/admin/unmatched', guard, async (c) => {
  // The top questions do not depend on the days asked for: one day reads the least.
  const stats = await getStats(c.env.DB, appidOf(c.env), Date.now(), 1)
  return renderPage(c, <UnmatchedPage lang={langOf(c)} questions={stats.unmatched} />)
})

/** Checks the form's text as the API checks a body (ManualReplyBody) and sends it through the user's object. */
async function sendReply(c: ConsoleContext, openid: string): Promise<Record<string, string>> {
  const form = await replyForm(c)
  if ('problem' in form) return { problem: form.problem }
  const body = v.safeParse(ManualReplyBody, { type: 'text', text: form.text })
  if (!body.success) return { problem: 'invalid' }
  // A repeat of this submission (double click, resubmitted page) shows the first one's outcome.
  return once(c, form.key, [form.text], () => replyOutcome(c, openid, body.output), {})
}

async function replyOutcome(c: ConsoleContext, openid: string, reply: ManualReply): Promise<Record<string, string>> {
  const result = await replyByHand(c.env, c.var.operator, openid, reply)
  let answer: ReplyAnswer
  // Held by a colleague: the page names them, from the desk.
  if (!result.ok) answer = { problem: result.refusal === 'not_sendable' ? 'invalid' : result.refusal }
  else if (result.outcome.status === 'sent') answer = { done: 'sent' }
  else if (result.outcome.status === 'pending') answer = { done: 'queued' }
  else answer = { problem: 'send_failed', ...errcodeOf(result.outcome.errcode) }
  return answer
}

async function failedAction(c: ConsoleContext, action: FailedAction, id: FailedId): Promise<Record<string, string>> {
  const result = await actOnFailed(c.env, c.var.operator, action, id)
  let answer: { done: FailedOutcome } | { problem: FailedOutcome; errcode?: string }
  if (!result.ok) answer = { problem: result.problem }
  else if (action === 'drop') answer = { done: 'dropped' }
  else if (result.outcome.status === 'sent') answer = { done: 'retried' }
  else if (result.outcome.status === 'pending') answer = { done: 'retry_queued' }
  else answer = { problem: 'still_failing', ...errcodeOf(result.outcome.errcode) }
  return answer
}

const errcodeOf = (errcode: number | null): { errcode?: string } => (errcode === null ? {} : { errcode: String(errcode) })
