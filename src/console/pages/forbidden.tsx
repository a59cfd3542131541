/** The page a console action or page answers (403) when the operator's role or mini programs do not reach it. */
import type { Permission, Role } from '../../auth/roles'
import { roleNeeded } from '../../auth/roles'
import { Layout, Notice } from '../layout'
import type { Lang, Strings } from '../lang'
import { ROLE_NAMES } from './role-names'

const STRINGS: Strings<{
  title: string
  needs: (needed: string, yours: string) => string
  app: (appid: string) => string
  ask: string
  home: string
}> = {
  zh: {
    title: '没有权限',
    needs: (needed, yours) => `这需要「${needed}」或更高的角色，你的角色是「${yours}」。什么也没有改动。`,
    app: (appid) => `你不能查看或操作小程序 ${appid}。什么也没有改动。`,
    ask: '需要的话，请联系所有者（owner）在「成员」页修改你的角色。',
    home: '返回概览',
  },
  en: {
    title: 'Not allowed',
    needs: (needed, yours) => `This needs the ${needed} role or higher; yours is ${yours}. Nothing was changed.`,
    app: (appid) => `You may not see or act on the mini program ${appid}. Nothing was changed.`,
    ask: 'If you need to, ask the owner to change your role on the Members page.',
    home: 'Back to the overview',
  },
}

export function ForbiddenPage(props: { lang: Lang; role: Role | null; why: { permission: Permission } | { appid: string } }) {
  const t = STRINGS[props.lang]
  const names = ROLE_NAMES[props.lang]
  const { why } = props
  const needed = 'permission' in why ? roleNeeded(why.permission) : null
  return (
    <Layout lang={props.lang} section={null} title={t.title}>
      <div data-forbidden={'permission' in why ? why.permission : 'app'} data-needs={needed ?? undefined}>
        <Notice kind="error">
          {needed !== null ? t.needs(names[needed], props.role === null ? '–' : names[props.role]) : 'appid' in why ? t.app(why.appid) : ''}
        </Notice>
      </div>
      <p class="muted">{t.ask}</p>
      <p>
        <a href="/admin">{t.home}</a>
      </p>
    </Layout>
  )
}
