/**
 * What every console route shares: its context type, the page renderer, the session guard,
 * and the redirect after a form. Apart from app.tsx so route files can import it while
 * app.tsx imports them. (The mini program a page shows is `appidOf(c.env)`, settings/env.ts.)
 */
import type { Context, MiddlewareHandler } from 'hono'
import { deleteCookie, getCookie } from 'hono/cookie'
import type { Child } from 'hono/jsx'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { unusableToken } from '../auth/admin-token'
import type { Operator } from '../auth/operators'
import { can } from '../auth/roles'
import type { Env } from '../settings/env'
import { miniProgramEnv, rootOf, servedAppids } from '../settings/mini-program-state'
import { langOf, type Lang } from './lang'
import { GATED_NAV_SLOT, GATED_SECTIONS, LAYOUT_STRINGS, WHO_SLOT } from './layout'
import { MINI_PROGRAM_COOKIE, MiniProgramSwitcher, SWITCHER_SLOT, switcherOf } from './mini-program-choice'
import { ForbiddenPage } from './pages/forbidden'
import { hrefOf } from './pages/parts'
import { ROLE_NAMES } from './pages/role-names'
import { SignInPage, type SignInProblem } from './pages/sign-in'
import { requireSession } from './session'

/** The console's Hono environment: the bindings, and who is signed in (set by the session guard). */
export type ConsoleEnv = { Bindings: Env; Variables: { operator: Operator } }
export type ConsoleContext = Context<ConsoleEnv>

/** Who is signed in, or undefined before the guard (the sign-in page). */
export const operatorOf = (c: ConsoleContext): Operator | undefined => c.get('operator') as Operator | undefined

/**
 * A console page as the browser gets it: the page, and in its header's slots what needs the
 * request rather than the page's props — the mini program switcher (the appids, the choice,
 * the path), the owner's sections and who is signed in. Each is rendered by JSX (the path
 * escaped as any attribute) and joined at its slot with slices: nothing in either is read as
 * a pattern. (Hono's JSX context would carry them to the layout instead, but it brings the
 * client-side renderer with it: 5 KiB gzipped on every cold start.)
 */
export async function renderPage(c: ConsoleContext, content: Child, status: ContentfulStatusCode = 200) {
  // biome-ignore lint/complexity/noUselessFragments: the fragment makes any Child (a string, null, an array, an element) one JSX node, escaped and rendered by toString
  let html = String(await (<>{content}</>).toString())
  const lang = langOf(c)
  const operator = operatorOf(c)
  const switcher = switcherOf(c)
  const fills: [string, Child][] = [
    [SWITCHER_SLOT, switcher === null ? null : <MiniProgramSwitcher {...switcher} lang={lang} />],
    [GATED_NAV_SLOT, operator ? <GatedNav lang={lang} path={c.req.path} role={operator.role} /> : null],
    [WHO_SLOT, operator ? <Who lang={lang} operator={operator} /> : null],
  ]
  for (const [slot, fill] of fills) {
    const at = html.indexOf(slot)
    if (at < 0) continue
    // biome-ignore lint/complexity/noUselessFragments: as above, any Child as one node
    const text = fill === null ? '' : String(await (<>{fill}</>).toString())
    html = html.slice(0, at) + text + html.slice(at + slot.length)
  }
  return c.html(html, status)
}

/** The sections the signed-in role may open of those that need more than `read`. */
function GatedNav(props: { lang: Lang; path: string; role: Operator['role'] }) {
  const t = LAYOUT_STRINGS[props.lang]
  return (
    <>
      {GATED_SECTIONS.filter((s) => can(props.role, s.needs)).map((s) => (
        <a href={s.href} aria-current={props.path === s.href || props.path.startsWith(`${s.href}/`) ? 'page' : undefined}>
          {t[s.id]}
        </a>
      ))}
    </>
  )
}

/** Who is signed in: the name and the role. */
function Who(props: { lang: Lang; operator: Operator }) {
  return (
    <span class="who" data-operator={props.operator.id} data-role={props.operator.role}>
      {props.operator.name} · {ROLE_NAMES[props.lang][props.operator.role]}
    </span>
  )
}

/** The sign-in page (401 unless told): the problem given, or what is wrong with ADMIN_TOKEN itself. */
export function signInPage(c: ConsoleContext, problem: SignInProblem | null = null, status: 401 | 429 = 401) {
  const unusable = unusableToken(c.env)
  const shown = problem ?? (unusable ? ({ kind: unusable.status === 'missing' ? 'unset' : 'malformed' } as const) : null)
  return renderPage(c, <SignInPage lang={langOf(c)} problem={shown} />, status)
}

const session = requireSession((c) => signInPage(c))

/**
 * Every page but sign-in: the session, or the sign-in page; then the mini program, one the
 * operator may act on. The switcher's cookie naming another one answers 403 (and is forgotten,
 * so the next page is theirs); without a choice, an operator limited to some mini programs
 * starts on the first of theirs the Worker serves.
 */
export const guard: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  let refused: Response | undefined
  const answer = await session(c, async () => {
    refused = await miniProgramRefusal(c)
    if (refused === undefined) await next()
  })
  return refused ?? answer
}

async function miniProgramRefusal(c: ConsoleContext): Promise<Response | undefined> {
  const operator = operatorOf(c)
  if (operator === undefined || operator.apps === null) return undefined
  const current = c.env.WECHAT_APPID ?? ''
  if (operator.apps.includes(current)) return undefined
  const root = rootOf(c.env)
  const chosen = getCookie(c, MINI_PROGRAM_COOKIE)
  if (chosen !== undefined && chosen === current) {
    deleteCookie(c, MINI_PROGRAM_COOKIE, { path: '/admin', secure: true })
    return renderPage(c, <ForbiddenPage lang={langOf(c)} role={operator.role} why={{ appid: current }} />, 403)
  }
  const theirs = servedAppids(root).find((appid) => operator.apps?.includes(appid))
  const view = theirs === undefined ? null : miniProgramEnv(root, theirs)
  if (view === null) return renderPage(c, <ForbiddenPage lang={langOf(c)} role={operator.role} why={{ appid: current }} />, 403)
  c.env = view
  return undefined
}

/** After a form: back to a page, with what happened in the query (`?done=` or `?problem=`). */
export const back = (c: ConsoleContext, path: string, outcome: Record<string, string>) => c.redirect(hrefOf(path, outcome), 303)
