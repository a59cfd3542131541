/** The only page a visitor without a session sees. */
import { Document } from '../layout'
import type { Lang, Strings } from '../lang'

const STRINGS: Strings<{ title: string; token: string; submit: string; wrong: string; unset: string; hint: string }> = {
  zh: {
    title: '登录客服控制台',
    token: '管理令牌（ADMIN_TOKEN）',
    submit: '登录',
    wrong: '令牌不对。',
    unset: '这个部署还没有设置 ADMIN_TOKEN：用 wrangler secret put ADMIN_TOKEN 设置后再来。',
    hint: '令牌只用来登录，浏览器里保存的是 12 小时有效的会话。',
  },
  en: {
    title: 'Sign in to the console',
    token: 'Admin token (ADMIN_TOKEN)',
    submit: 'Sign in',
    wrong: 'That is not the token.',
    unset: 'This deployment has no ADMIN_TOKEN yet: set it with wrangler secret put ADMIN_TOKEN, then come back.',
    hint: 'The token is used once; the browser keeps a session for 12 hours.',
  },
}

export function SignInPage(props: { lang: Lang; problem: 'wrong' | 'unset' | null }) {
  const t = STRINGS[props.lang]
  return (
    <Document lang={props.lang} title={t.title}>
      <form class="login" method="post" action="/admin/login">
        <h1>{t.title}</h1>
        {props.problem && (
          <p class="notice error" role="alert">
            {t[props.problem]}
          </p>
        )}
        <label for="token">{t.token}</label>
        <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
        <p>
          <button class="primary" type="submit">
            {t.submit}
          </button>{' '}
          <a href={`/admin?lang=${props.lang === 'zh' ? 'en' : 'zh'}`}>{props.lang === 'zh' ? 'English' : '中文'}</a>
        </p>
        <p class="muted">{t.hint}</p>
      </form>
    </Document>
  )
}
