/** Status: the settings and the rule set in force, as the admin `/healthz` reports them. */
import { Layout } from '../layout'
import type { Lang, Strings } from '../lang'
import type { SettingState } from '../../settings/env'
import type { HealthReport } from '../../admin/health-report'
import type { Grants } from '../permit'
import { Fact, Facts, Table } from './table'

const STRINGS: Strings<{
  title: string
  healthy: string
  unhealthy: string
  version: string
  mode: string
  settings: string
  miniProgram: string
  setting: string
  state: string
  rules: string
  rulesVersion: string
  rulesState: string
  ruleCount: string
  rejected: string
  sessions: string
  sessionsHint: string
  ownSessionsHint: string
  signOutEverywhere: string
  states: Record<string, string>
}> = {
  zh: {
    title: '状态',
    healthy: '配置完整，服务正常。',
    unhealthy: '有设置缺失或不对：消息推送会被拒绝，见下表。',
    version: 'kefu-edge 版本',
    mode: '消息加密方式',
    settings: '设置',
    miniProgram: '小程序',
    setting: '名称',
    state: '状态',
    rules: '生效的回复规则',
    rulesVersion: '版本',
    rulesState: '状态',
    ruleCount: '规则数',
    rejected: '被拒绝的新版本',
    sessions: '登录会话',
    sessionsHint: '令牌可能泄露，或者有人离开团队时：结束所有浏览器上的控制台会话（包括这一个）。之后请更换 ADMIN_TOKEN。',
    ownSessionsHint: '在别的电脑或手机上忘了退出时：结束你在所有浏览器上的控制台会话（包括这一个）。',
    signOutEverywhere: '在所有设备上退出',
    states: { ok: '正常', missing: '未设置', malformed: '格式不对', invalid: '无效', unavailable: '读取失败', not_loaded: '未加载' },
  },
  en: {
    title: 'Status',
    healthy: 'Configured and healthy.',
    unhealthy: 'A setting is missing or wrong: pushes are refused, see below.',
    version: 'kefu-edge version',
    mode: 'Message encryption mode',
    settings: 'Settings',
    miniProgram: 'Mini program',
    setting: 'Name',
    state: 'State',
    rules: 'Rule set in force',
    rulesVersion: 'Version',
    rulesState: 'State',
    ruleCount: 'Rules',
    rejected: 'Rejected newer version',
    sessions: 'Sessions',
    sessionsHint:
      'When the token may have leaked or someone leaves the team: end the console session in every browser, this one included. Then change ADMIN_TOKEN.',
    ownSessionsHint: 'When you left the console open on another computer or phone: end your sessions in every browser, this one included.',
    signOutEverywhere: 'Sign out everywhere',
    states: {
      ok: 'ok',
      missing: 'missing',
      malformed: 'malformed',
      invalid: 'invalid',
      unavailable: 'unavailable',
      not_loaded: 'not loaded',
    },
  },
}

/** `grants`: with `operators` (the owner) signing out everywhere ends everyone's sessions; otherwise one's own. */
export function StatusPage(props: { lang: Lang; report: HealthReport; grants: Grants }) {
  const t = STRINGS[props.lang]
  const { report } = props
  return (
    <Layout lang={props.lang} section="status" title={t.title}>
      <p class={report.ok ? 'notice' : 'notice error'} data-health={report.ok ? 'ok' : 'unhealthy'}>
        {report.ok ? t.healthy : t.unhealthy}
      </p>
      <div class="panel">
        <Facts>
          <Fact name={t.version}>{report.version}</Fact>
          <Fact name={t.mode}>{report.mode ?? '–'}</Fact>
        </Facts>
      </div>
      <h2>{t.settings}</h2>
      <div class="panel">
        <Table
          items={Object.entries(report.settings)}
          head={[t.setting, t.state]}
          row={([name, state]) => <SettingRow t={t} name={name} state={state} />}
        />
      </div>
      {report.apps.slice(1).map((miniProgram) => (
        <section data-app={miniProgram.appid}>
          <h2>
            {t.miniProgram} <code>{miniProgram.appid}</code> — {miniProgram.ok ? t.healthy : t.unhealthy}
          </h2>
          <div class="panel">
            <Facts>
              <Fact name={t.mode}>{miniProgram.mode ?? '–'}</Fact>
              {Object.entries(miniProgram.settings).map(([name, state]) => (
                <SettingRow t={t} name={name} state={state} />
              ))}
              <Fact name={t.rulesVersion}>
                <code>{miniProgram.rules.version.slice(0, 12)}</code> · {t.states[miniProgram.rules.status] ?? miniProgram.rules.status} ·{' '}
                {miniProgram.rules.rules}
              </Fact>
            </Facts>
          </div>
        </section>
      ))}
      <h2>{t.rules}</h2>
      <div class="panel">
        <Facts>
          <Fact name={t.rulesVersion}>
            <code>{report.rules.version.slice(0, 12)}</code>
          </Fact>
          <Fact name={t.rulesState} class={report.rules.status === 'ok' ? 'ok' : 'warn'}>
            {t.states[report.rules.status] ?? report.rules.status}
          </Fact>
          <Fact name={t.ruleCount}>{report.rules.rules}</Fact>
          {report.rules.rejectedVersion && (
            <Fact name={t.rejected}>
              <code>{report.rules.rejectedVersion.slice(0, 12)}</code>
              <ul>
                {(report.rules.errors ?? []).map((e) => (
                  <li class="bad">{e}</li>
                ))}
              </ul>
            </Fact>
          )}
        </Facts>
      </div>
      <h2>{t.sessions}</h2>
      <form method="post" action="/admin/logout">
        <input type="hidden" name="everywhere" value="1" />
        <p class="muted">{props.grants.operators ? t.sessionsHint : t.ownSessionsHint}</p>
        <button type="submit" data-sign-out-everywhere>
          {t.signOutEverywhere}
        </button>
      </form>
    </Layout>
  )
}

/** A setting by name and status, with why it is refused. */
function SettingRow(props: { t: (typeof STRINGS)[Lang]; name: string; state: SettingState }) {
  const { t, name, state } = props
  return (
    <tr data-setting={name}>
      <td>
        <code>{name}</code>
      </td>
      <td class={state.status === 'ok' ? 'ok' : 'bad'}>
        {t.states[state.status] ?? state.status}
        {state.status !== 'ok' && <span class="muted"> — {state.reason}</span>}
      </td>
    </tr>
  )
}
