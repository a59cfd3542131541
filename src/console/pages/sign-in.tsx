/** The only page a visitor without a session sees. */
import { Document } from '../layout'
import type { Lang, Strings } from '../lang'

/** Why the visitor is (still) on this page. */
export type SignInProblem = { kind: 'wrong' | 'unset' | 'malformed' } | { kind: 'locked'; minutes: number }

const STRINGS: Strings<{
  title: string
  token: string
  submit: string
  wrong: string
  unset: string
  malformed: string
  locked: (minutes: number) => string
  hint: string
}> = {
  zh: {
    title: '登录客服控制台',
    token: '管理令牌（ADMIN_TOKEN）',
    submit: '登录',
    wrong: '令牌不对。',
    unset: '这个部署还没有设置 ADMIN_TOKEN：用 wrangler secret put ADMIN_TOKEN 设置后再来。',
    malformed:
      '这个部署的 ADMIN_TOKEN 不可用（至少 16 个字符，只用字母、数字和 - . _ ~ + /）：用 wrangler secret put ADMIN_TOKEN 换一个后再来。',
    locked: (minutes) => `登录失败次数太多，请 ${minutes} 分钟后再试。`,
    hint: '令牌只用来登录，浏览器里保存的是 12 小时有效的会话。',
  },
  en: {
    title: 'Sign in to the console',
    token: 'Admin token (ADMIN_TOKEN)',
    submit: 'Sign in',
    wrong: 'That is not the token.',
    unset: 'This deployment has no ADMIN_TOKEN yet: set it with wrangler secret put ADMIN_TOKEN, then come back.',
    malformed:
      "This deployment's ADMIN_TOKEN cannot be used (at least 16 characters, only letters, digits and - . _ ~ + /): set another with wrangler secret put ADMIN_TOKEN, then come back.",
    locked: (minutes) => `Too many failed sign-ins: try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    hint: 'The token is used once; the browser keeps a session for 12 hours.',
  },
}

export function SignInPage(props: { lang: Lang; problem: SignInProblem | null }) {
  const t = STRINGS[props.lang]
  return (
    <Document lang={props.lang} title={t.title}>
      <form class="login" method="post" action="/admin/login">
        <h1>{t.title}</h1>
        {props.problem && (
          <p class="notice error" role="alert">
            {props.problem.kind === 'locked' ? t.locked(props.problem.minutes) : t[props.problem.kind]}
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
