/**
 * Which mini program the console shows (several: src/settings/mini-program-state.ts). The operator picks one in the
 * header; the choice is a cookie scoped to /admin, and every console page then runs with that
 * mini program's view of the bindings — its record, rules, grants and campaigns — exactly as
 * the admin API does with `?app=`. With one mini program there is nothing to pick and no switcher.
 */
import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { miniProgramEnv, servedAppids, rootOf } from '../settings/mini-program-state'
import type { Env } from '../settings/env'
import type { Operator } from '../auth/operators'
import { readForm, textField } from './form'
import type { Lang } from './lang'

type ConsoleContext = Context<{ Bindings: Env; Variables: { operator: Operator } }>

export const MINI_PROGRAM_COOKIE = 'kefu_app'

/** The switcher's form: an appid and a path. */
const CHOICE_MAX_BYTES = 4096

/** The chosen mini program's view of the bindings, or the Env as it is (the first one, or a stale choice). */
export function chosenEnv(c: ConsoleContext): Env {
  const appid = getCookie(c, MINI_PROGRAM_COOKIE)
  return (appid && miniProgramEnv(rootOf(c.env), appid)) || c.env
}

/** Whether the signed-in operator may act on `appid` (every one without a limit, or before sign-in). */
export function mayActOn(c: ConsoleContext, appid: string): boolean {
  const operator = c.get('operator') as Operator | undefined
  return operator === undefined || operator.apps === null || operator.apps.includes(appid)
}

/**
 * `POST /admin/app`: remember the mini program picked (one this Worker serves, and one the
 * operator may act on; else `refuse`) and go back to the page.
 */
export async function chooseMiniProgram(c: ConsoleContext, refuse: (appid: string) => Promise<Response>): Promise<Response> {
  const form = await readForm(c.req.raw, CHOICE_MAX_BYTES)
  if (form === null) return c.text('too large', 413)
  const appid = textField(form.fields, 'app')
  if (miniProgramEnv(rootOf(c.env), appid) === null) return c.text('not an app this Worker serves', 400)
  if (!mayActOn(c, appid)) return refuse(appid)
  setCookie(c, MINI_PROGRAM_COOKIE, appid, { path: '/admin', httpOnly: true, secure: true, sameSite: 'Strict', maxAge: 365 * 24 * 3600 })
  // Back where the operator was, on this site only (the Origin check already held).
  const back = textField(form.fields, 'back')
  const to = back.startsWith('/admin') && !back.startsWith('//') ? back : '/admin'
  return c.redirect(to, 303)
}

/** What the header's switcher shows: the mini programs' appids, the one chosen, and the page to come back to. */
export interface SwitcherProps {
  appids: string[]
  current: string
  path: string
}

/** Where the layout leaves room for the switcher: a comment no page text can produce (JSX escapes `<`). */
export const SWITCHER_SLOT = '<!--kefu-app-switcher-->'

/** The switcher of this request, or null with one mini program (of those the operator may act on): nothing to pick, no switcher. */
export function switcherOf(c: ConsoleContext): SwitcherProps | null {
  const served = servedAppids(rootOf(c.env)).filter((appid) => mayActOn(c, appid))
  if (served.length < 2) return null
  return { appids: served, current: c.env.WECHAT_APPID ?? '', path: c.req.path }
}

export function MiniProgramSwitcher(props: SwitcherProps & { lang: Lang }) {
  const label = props.lang === 'zh' ? '小程序' : 'Mini program'
  const go = props.lang === 'zh' ? '切换' : 'Switch'
  return (
    <form method="post" action="/admin/app" class="app-switcher" data-app-switcher>
      <label>
        {label}{' '}
        <select name="app" aria-label={label}>
          {props.appids.map((id) => (
            <option value={id} selected={id === props.current}>
              {id}
            </option>
          ))}
        </select>
      </label>
      <input type="hidden" name="back" value={props.path} />
      <button type="submit">{go}</button>
    </form>
  )
}
