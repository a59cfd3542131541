/**
 * What every console route shares: its context type, the session guard, the app it serves,
 * and the redirect after a form. Apart from app.tsx so route files can import it while
 * app.tsx imports them.
 */
import type { Context } from 'hono'
import { requireSetting, type Env } from '../env'
import { langOf } from './lang'
import { hrefOf } from './pages/parts'
import { SignInPage } from './pages/sign-in'
import { requireSession } from './session'

export type ConsoleEnv = { Bindings: Env }
export type ConsoleContext = Context<ConsoleEnv>

export const signInPage = (c: ConsoleContext, problem: 'wrong' | 'unset' | null = null) =>
  c.html(<SignInPage lang={langOf(c)} problem={problem ?? (c.env.ADMIN_TOKEN ? null : 'unset')} />, 401)

/** Every page but sign-in: the session, or the sign-in page. */
export const guard = requireSession((c) => signInPage(c))

/** The app whose record the pages show: the one this Worker serves. */
export const appidOf = (c: ConsoleContext) => requireSetting(c.env, 'WECHAT_APPID')

/** After a form: back to a page, with what happened in the query (`?done=` or `?problem=`). */
export const back = (c: ConsoleContext, path: string, outcome: Record<string, string>) => c.redirect(hrefOf(path, outcome), 303)
