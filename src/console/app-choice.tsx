/**
 * Which mini program the console shows (several apps: src/apps.ts). The operator picks one in
 * the header; the choice is a cookie scoped to /admin, and every console page then runs with
 * that app's view of the bindings — its record, rules, grants and campaigns — exactly as the
 * admin API does with `?app=`. With one app there is nothing to pick and no switcher.
 */
import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { appEnv, appids, rootOf } from '../apps'
import type { Env } from '../env'
import type { Lang } from './lang'

type ConsoleContext = Context<{ Bindings: Env }>

export const APP_COOKIE = 'kefu_app'

/** The chosen app's view of the bindings, or the Env as it is (the first app, or a stale choice). */
export function chosenEnv(c: ConsoleContext): Env {
  const appid = getCookie(c, APP_COOKIE)
  return (appid && appEnv(rootOf(c.env), appid)) || c.env
}

/** `POST /admin/app`: remember the app picked (one this Worker serves) and go back to the page. */
export async function chooseApp(c: ConsoleContext): Promise<Response> {
  const form = await c.req.parseBody()
  const appid = typeof form.app === 'string' ? form.app : ''
  if (appEnv(rootOf(c.env), appid) === null) return c.text('not an app this Worker serves', 400)
  setCookie(c, APP_COOKIE, appid, { path: '/admin', httpOnly: true, secure: true, sameSite: 'Strict', maxAge: 365 * 24 * 3600 })
  // Back where the operator was, on this site only (the Origin check already held).
  const to = typeof form.back === 'string' && form.back.startsWith('/admin') && !form.back.startsWith('//') ? form.back : '/admin'
  return c.redirect(to, 303)
}

/** What the header's switcher shows: the apps, the one chosen, and the page to come back to. */
export interface SwitcherProps {
  apps: string[]
  current: string
  path: string
}

/** Where the layout leaves room for the switcher: a comment no page text can produce (JSX escapes `<`). */
export const SWITCHER_SLOT = '<!--kefu-app-switcher-->'

/** The switcher of this request, or null with one app: nothing to pick, no switcher. */
export function switcherOf(c: ConsoleContext): SwitcherProps | null {
  const apps = appids(rootOf(c.env))
  if (apps.length < 2) return null
  return { apps, current: c.env.WECHAT_APPID ?? '', path: c.req.path }
}

export function AppSwitcher(props: SwitcherProps & { lang: Lang }) {
  const label = props.lang === 'zh' ? '小程序' : 'Mini program'
  const go = props.lang === 'zh' ? '切换' : 'Switch'
  return (
    <form method="post" action="/admin/app" class="app-switcher" data-app-switcher>
      <label>
        {label}{' '}
        <select name="app" aria-label={label}>
          {props.apps.map((id) => (
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
