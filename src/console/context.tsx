/**
 * What every console route shares: its context type, the page renderer, the session guard,
 * and the redirect after a form. Apart from app.tsx so route files can import it while
 * app.tsx imports them. (The mini program a page shows is `appidOf(c.env)`, admin/appid.ts.)
 */
import type { Context } from 'hono'
import type { Operator } from '../auth/operators'
import type { Child } from 'hono/jsx'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { Env } from '../settings/env'
import { MiniProgramSwitcher, SWITCHER_SLOT, switcherOf } from './mini-program-choice'
import { langOf } from './lang'
import { hrefOf } from './pages/parts'
import { SignInPage, type SignInProblem } from './pages/sign-in'
import { requireSession } from './session'
import { unusableToken } from '../auth/admin-token'

/** The console's Hono environment: the bindings, and who is signed in (set by the session guard). */
export type ConsoleEnv = { Bindings: Env; Variables: { operator: Operator } }
export type ConsoleContext = Context<ConsoleEnv>

/**
 * A console page as the browser gets it: the page, and in its header's slot the mini program
 * switcher, which needs the request (the appids, the choice, the path) that the page components are not
 * given. Both are rendered by JSX (the path escaped as any attribute) and joined at the slot
 * with slices: nothing in either is read as a pattern. (Hono's JSX context would carry the
 * switcher to the layout instead, but it brings the client-side renderer with it: 5 KiB
 * gzipped on every cold start.)
 */
export async function renderPage(c: ConsoleContext, content: Child, status: ContentfulStatusCode = 200) {
  // biome-ignore lint/complexity/noUselessFragments: the fragment makes any Child (a string, null, an array, an element) one JSX node, escaped and rendered by toString
  const html = String(await (<>{content}</>).toString())
  const switcher = switcherOf(c)
  const at = html.indexOf(SWITCHER_SLOT)
  if (switcher === null || at < 0) return c.html(html, status)
  const form = String(await (<MiniProgramSwitcher {...switcher} lang={langOf(c)} />).toString())
  return c.html(html.slice(0, at) + form + html.slice(at + SWITCHER_SLOT.length), status)
}

/** The sign-in page (401 unless told): the problem given, or what is wrong with ADMIN_TOKEN itself. */
export function signInPage(c: ConsoleContext, problem: SignInProblem | null = null, status: 401 | 429 = 401) {
  const unusable = unusableToken(c.env)
  const shown = problem ?? (unusable ? ({ kind: unusable.status === 'missing' ? 'unset' : 'malformed' } as const) : null)
  return renderPage(c, <SignInPage lang={langOf(c)} problem={shown} />, status)
}

/** Every page but sign-in: the session, or the sign-in page. */
export const guard = requireSession((c) => signInPage(c))

/** After a form: back to a page, with what happened in the query (`?done=` or `?problem=`). */
export const back = (c: ConsoleContext, path: string, outcome: Record<string, string>) => c.redirect(hrefOf(path, outcome), 303)
