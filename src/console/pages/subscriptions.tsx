/**
 * A user's subscribe grants on their conversation page: per template, the one-time sends left
 * (or long-term), the popup's last answer, and what became of the last send. From the user's
 * Conversation object (`subscriptions()`), which holds them.
 */
import type { SubscriptionView } from '../../conversation/contract'
import { formatTime, type Lang, type Strings } from '../lang'
import { ErrcodeNote } from './parts'
import { Table } from './table'

const STRINGS: Strings<{
  title: string
  template: string
  grants: string
  status: string
  lastSend: string
  left: (n: number) => string
  longTerm: string
  reachable: string
  unreachable: string
  statuses: Record<string, string>
  never: string
  sent: string
  noAnswer: string
  campaigns: string
}> = {
  zh: {
    title: '订阅消息',
    template: '模板',
    grants: '可发送次数',
    status: '用户的选择',
    lastSend: '最近一次发送',
    left: (n) => `剩 ${n} 次`,
    longTerm: '长期',
    reachable: '可发送',
    unreachable: '不可发送',
    statuses: { accept: '接受', reject: '拒绝', ban: '已被封禁', filter: '被过滤' },
    never: '还没选择',
    sent: '✓ 已送达',
    noAnswer: '结果未知',
    campaigns: '去群发',
  },
  en: {
    title: 'Subscriptions',
    template: 'Template',
    grants: 'Sends left',
    status: "User's choice",
    lastSend: 'Last send',
    left: (n) => `${n} left`,
    longTerm: 'long-term',
    reachable: 'reachable',
    unreachable: 'not reachable',
    statuses: { accept: 'accepted', reject: 'rejected', ban: 'banned', filter: 'filtered' },
    never: 'not asked yet',
    sent: '✓ delivered',
    noAnswer: 'outcome unknown',
    campaigns: 'Campaigns',
  },
}

/** accept, and its variants with a sound or an alert (acceptWithAudio…): accepted, the variant kept in small print. */
function statusText(t: (typeof STRINGS)['zh'], status: string | null): string {
  if (status === null) return t.never
  if (status.startsWith('accept')) return status === 'accept' ? (t.statuses.accept ?? status) : `${t.statuses.accept} (${status})`
  return t.statuses[status] ?? status
}

/** Nothing for a user who never answered a popup. */
export function SubscriptionsSection(props: { lang: Lang; subscriptions: SubscriptionView[] }) {
  if (props.subscriptions.length === 0) return null
  const t = STRINGS[props.lang]
  return (
    <section data-subscriptions>
      <h2>
        {t.title}{' '}
        <a class="muted" href="/admin/campaigns">
          {t.campaigns}
        </a>
      </h2>
      <div class="panel">
        <Table
          items={props.subscriptions}
          head={[t.template, t.grants, t.status, t.lastSend]}
          row={(s) => (
            <tr
              data-template={s.templateId}
              data-grants={String(s.grants)}
              data-status={s.status ?? ''}
              data-long-term={s.longTerm ? 'true' : 'false'}
              data-reachable={s.reachable ? 'true' : 'false'}
            >
              <td>
                <code class="id">{s.templateId}</code>
              </td>
              <td>
                <span class={s.reachable ? 'ok' : 'muted'}>{s.longTerm ? t.longTerm : t.left(s.grants)}</span>
                <span class="muted"> · {s.reachable ? t.reachable : t.unreachable}</span>
              </td>
              <td>{statusText(t, s.status)}</td>
              <td data-last-send={s.lastSend === null ? '' : String(s.lastSend.errcode ?? '')}>
                {s.lastSend === null ? (
                  <span class="muted">–</span>
                ) : (
                  <>
                    {s.lastSend.errcode === 0 ? (
                      <span class="ok">{t.sent}</span>
                    ) : s.lastSend.errcode === null ? (
                      <span class="warn">{t.noAnswer}</span>
                    ) : (
                      <ErrcodeNote lang={props.lang} errcode={s.lastSend.errcode} />
                    )}
                    <span class="muted"> · {formatTime(s.lastSend.at, props.lang)}</span>
                  </>
                )}
              </td>
            </tr>
          )}
        />
      </div>
    </section>
  )
}
