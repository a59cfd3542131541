/**
 * `/admin`: the operator's console, server-rendered by the Worker (Hono JSX, no client
 * framework, no script). Every page but sign-in needs a session (session.ts); without one
 * any console path answers the sign-in page. Forms post back to the console: SameSite=Strict
 * cookies and an Origin check (hono/csrf) keep other sites from posting for the operator.
 * The admin API under /admin/api is apart (routes/admin-api.ts: a bearer token, JSON); its
 * operator actions, schemas and reports are the console's too (src/admin/).
 */
import { Hono } from 'hono/tiny'
import { csrf } from 'hono/csrf'
import { getStats } from '../record/stats'
import { appidOf } from '../settings/env'
import { healthReport } from '../admin/health-report'
import { readForm, textField } from './form'
import { langOf } from './lang'
import { OverviewPage } from './pages/overview'
import { StatusPage } from './pages/status'
import { campaignPages } from './routes-campaigns'
import { knowledgePages } from './routes-knowledge'
import { recordPages } from './routes-records'
import { webhookPages } from './routes-webhooks'
import { guard, operatorOf, renderPage, signInPage, type ConsoleContext, type ConsoleEnv } from './context'
import { chooseMiniProgram, chosenEnv } from './mini-program-choice'
import { forbidden, grantsOf } from './permit'
import { operatorPages } from './routes-operators'
import { deskPages } from './routes-desk'
import { rulePages } from './rules-routes'
import { consoleMedia } from './routes-media'
import { userMedia } from '../routes/user-media'
import { signIn, signOut } from './session'
import { userPages } from './routes-users'

export const consoleApp = new Hono<ConsoleEnv>()

/**
 * Pages hold users' messages and act for the operator: no cache, no framing, no referrer.
 * Images may come from https: a reply's picture or a link's thumbnail named by URL is shown as
 * the user will see it.
 */
const CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src 'self' data: https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

const sameOrigin = csrf()

consoleApp.use('/admin', consolePage)
consoleApp.use('/admin/*', consolePage)

/** The API under /admin/api has its own rules (bearer token, JSON): the console's are for pages. */
// biome-ignore lint/suspicious/noConfusingVoidType: Hono's MiddlewareHandler returns Promise<Response | void>, and `return next()` is a Promise<void>
async function consolePage(c: ConsoleContext, next: () => Promise<void>): Promise<Response | void> {
  if (c.req.path.startsWith('/admin/api/')) return next()
  // Every page acts on the mini program the operator picked (mini-program-choice.tsx).
  c.env = chosenEnv(c)
  const refused = await sameOrigin(c, next)
  if (refused) return refused
  if (!c.res.headers.get('content-type')?.startsWith('text/html')) return
  c.header('cache-control', 'no-store')
  c.header('content-security-policy', CSP)
  c.header('referrer-policy', 'no-referrer')
  c.header('x-content-type-options', 'nosniff')
}

// Anyone can post here: a token is short, so a body beyond a few KB is refused unread.
const LOGIN_MAX_BYTES = 4096

consoleApp.post('/admin/login', async (c) => {
  const form = await readForm(c.req.raw, LOGIN_MAX_BYTES)
  if (form === null) return c.text('too large', 413)
  const token = textField(form.fields, 'token')
  const outcome = await signIn(c, token, Date.now())
  if (outcome.outcome === 'ok') return c.redirect('/admin', 303)
  if (outcome.outcome === 'locked') {
    c.header('retry-after', String(outcome.retryAfterSeconds))
    return signInPage(c, { kind: 'locked', minutes: Math.ceil(outcome.retryAfterSeconds / 60) }, 429)
  }
  return signInPage(c, outcome.outcome === 'wrong' ? { kind: 'wrong' } : { kind: outcome.status === 'missing' ? 'unset' : 'malformed' })
})

// Any role may switch, to a mini program it may act on.
consoleApp.post('/admin/app', guard, (c) => chooseMiniProgram(c, (appid) => forbidden(c, { appid })))

// `everywhere=1` (the status page's button, the owner's) ends every session, this one included.
consoleApp.post('/admin/logout', async (c) => {
  const form = await readForm(c.req.raw, LOGIN_MAX_BYTES)
  if (form === null) return c.text('too large', 413)
  // Everywhere: the owner ends every session, anyone else their own (session.ts). Without a
  // session it ends nothing.
  await signOut(c, textField(form.fields, 'everywhere') === '1')
  return c.redirect('/admin', 303)
})

consoleApp.get('/admin', guard, async (c) => {
  const stats = await getStats(c.env.DB, appidOf(c.env), Date.now(), 14)
  return renderPage(c, <OverviewPage lang={langOf(c)} stats={stats} />)
})

consoleApp.get('/admin/status', guard, async (c) => {
  const report = await healthReport(c.env, operatorOf(c)?.apps ?? null)
  return renderPage(c, <StatusPage lang={langOf(c)} report={report} grants={grantsOf(c)} />)
})

consoleApp.route('/', rulePages)

consoleApp.route('/', recordPages)

consoleApp.route('/', knowledgePages)

consoleApp.route('/', campaignPages)

consoleApp.route('/', operatorPages)

consoleApp.route('/', deskPages)

consoleApp.route('/', webhookPages)

// Uploaded images, as the console's forms show them.
consoleApp.route('/', consoleMedia)

// Images users sent, as the conversation page shows them (media/archive-queue.ts kept them).
consoleApp.route('/', userMedia)

// A user's data: their export, and its deletion behind a confirmation.
consoleApp.route('/', userPages)
