/**
 * What every console route shares: its context type, the session guard, the app it serves,
 * and the redirect after a form. Apart from app.tsx so route files can import it while
 * app.tsx imports them.
 */
import type { Context } from 'hono'
import type { Child } from 'hono/jsx'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { SwitcherContext, switcherOf } from './app-choice'
import { requireSetting, type Env } from '../env'
import { langOf } from './lang'
import { hrefOf } from './pages/parts'
import { SignInPage, type SignInProblem } from './pages/sign-in'
import { requireSession } from './session'
import { unusableToken } from '../auth/admin-token'

export type ConsoleEnv = { Bindings: Env }
export type ConsoleContext = Context<ConsoleEnv>

/**
 * A console page as the browser gets it: rendered with what its layout needs from the request
 * (the app switcher), which the page components themselves are not given.
 */
export function renderPage(c: ConsoleContext, content: Child, status: ContentfulStatusCode = 200) {
  return c.html(<SwitcherContext.Provider value={switcherOf(c)}>{content}</SwitcherContext.Provider>, status)
}

/** The sign-in page (401 unless told): the problem given, or what is wrong with ADMIN_TOKEN itself. */
export function signInPage(c: ConsoleContext, problem: SignInProblem | null = null, status: 401 | 429 = 401) {
  const unusable = unusableToken(c.env)
  const shown = problem ?? (unusable ? { kind: unusable.status === 'missing' ? 'unset' : 'malformed' } as const : null)
  return renderPage(c, <SignInPage lang={langOf(c)} problem={shown} />, status)
}

/** Every page but sign-in: the session, or the sign-in page. */
export const guard = requireSession((c) => signInPage(c))

/** The app whose record the pages show: the one this Worker serves. */
export const appidOf = (c: ConsoleContext) => requireSetting(c.env, 'WECHAT_APPID')

/** After a form: back to a page, with what happened in the query (`?done=` or `?problem=`). */
export const back = (c: ConsoleContext, path: string, outcome: Record<string, string>) => c.redirect(hrefOf(path, outcome), 303)
