/**
 * What someone Cloudflare Access let through sees when no operator has their email: ask the
 * owner to add it. The owner's ADMIN_TOKEN (or a personal token) still signs in below.
 */
import type { Context } from 'hono'
import { Document } from '../layout'
import { langOf, type Lang, type Strings } from '../lang'

const STRINGS: Strings<{
  title: string
  signedInAs: string
  notMember: string
  ask: (email: string) => string
  token: string
  submit: string
}> = {
  zh: {
    title: '还不是控制台的成员',
    signedInAs: '你已通过 Cloudflare Access 登录为',
    notMember: '但这个控制台还没有用这个邮箱的成员。',
    ask: (email) => `请联系所有者，在「成员」页把 ${email} 添加为成员，然后刷新这个页面。`,
    token: '或者用令牌登录（ADMIN_TOKEN 或个人令牌）',
    submit: '登录',
  },
  en: {
    title: 'Not an operator of this console yet',
    signedInAs: 'Cloudflare Access signed you in as',
    notMember: 'but no operator of this console has that email.',
    ask: (email) => `Ask the owner to add ${email} as an operator (the Members page), then reload this page.`,
    token: 'Or sign in with a token (ADMIN_TOKEN or a personal token)',
    submit: 'Sign in',
  },
}

export function AccessUnknownPage(props: { lang: Lang; email: string }) {
  const t = STRINGS[props.lang]
  return (
    <Document lang={props.lang} title={t.title}>
      <form class="login" method="post" action="/admin/login">
        <h1>{t.title}</h1>
        <p class="notice error" role="alert">
          {t.signedInAs} <strong data-email={props.email}>{props.email}</strong>, {t.notMember}
        </p>
        <p>{t.ask(props.email)}</p>
        <label for="token">{t.token}</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required />
        <p>
          <button type="submit">{t.submit}</button>{' '}
          <a href={`/admin?lang=${props.lang === 'zh' ? 'en' : 'zh'}`}>{props.lang === 'zh' ? 'English' : '中文'}</a>
        </p>
      </form>
    </Document>
  )
}

/** The page, 403: Access vouched for who they are, but they are not one of the console's operators. */
export function accessUnknownPage(c: Context, email: string): Response | Promise<Response> {
  return c.html(<AccessUnknownPage lang={langOf(c)} email={email} />, 403)
}
