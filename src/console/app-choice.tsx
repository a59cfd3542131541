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

/** Where the layout leaves room for the switcher (filled in by `withSwitcher`). */
export const SWITCHER_SLOT = '<!--kefu-app-switcher-->'

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

/**
 * The page with the switcher in its header's slot. The pages are rendered by each route; the
 * switcher needs the request (the apps, the choice, the path) that their components do not
 * get, so it is filled in here once a page is rendered rather than threaded through all of them.
 */
export async function withSwitcher(c: ConsoleContext, lang: Lang): Promise<void> {
  const apps = appids(rootOf(c.env))
  // One app: nothing to pick, and the page goes out as rendered (the slot is an HTML comment).
  if (apps.length < 2) return
  const html = await c.res.text()
  const switcher = switcherHtml(apps, c.env.WECHAT_APPID ?? '', c.req.path, lang)
  const headers = new Headers(c.res.headers)
  headers.delete('content-length')
  c.res = new Response(html.replace(SWITCHER_SLOT, switcher), { status: c.res.status, headers })
}

function switcherHtml(apps: string[], current: string, path: string, lang: Lang): string {
  const label = lang === 'zh' ? '小程序' : 'Mini program'
  const go = lang === 'zh' ? '切换' : 'Switch'
  const options = apps.map((id) => <option value={id} selected={id === current}>{id}</option>)
  return String(
    <form method="post" action="/admin/app" class="app-switcher" data-app-switcher>
      <label>
        {label}{' '}
        <select name="app" aria-label={label}>
          {options}
        </select>
      </label>
      <input type="hidden" name="back" value={path} />
      <button type="submit">{go}</button>
    </form>,
  )
}
