/** Conversations: every user who wrote, newest first, filtered to those that need the operator. */
import { Layout } from '../layout'
import { formatTime, type Lang, type Strings } from '../lang'
import { CONVERSATION_FILTERS, type ConversationFilter } from '../../record/conversations'
import type { ConversationView, Page } from '../../record/views'
import { ExportForm, type ExportFormProps } from './export-form'
import { clip, hrefOf, Pager, shortOpenid, WindowState } from './parts'
import { Table } from './table'

export const CONVERSATIONS_PATH = '/admin/conversations'

const STRINGS: Strings<{
  title: string
  filters: Record<ConversationFilter | 'all', string>
  user: string
  last: string
  state: string
  pending: (n: number) => string
  failed: (n: number) => string
  unmatched: (n: number) => string
  none: string
  noneFiltered: string
  noText: string
}> = {
  zh: {
    title: '会话',
    filters: { all: '全部', failed: '有发送失败', unmatched: '有未匹配问题', open: '窗口开放中', kf: '微信客服' },
    user: '用户 · 时间',
    last: '最后一条消息',
    state: '发送窗口 · 待发送 / 失败',
    pending: (n) => `待发送 ${n}`,
    failed: (n) => `失败 ${n}`,
    unmatched: (n) => `未匹配 ${n}`,
    none: '还没有用户发来消息。',
    noneFiltered: '没有符合这个条件的会话。',
    noText: '（内容已过保留期）',
  },
  en: {
    title: 'Conversations',
    filters: {
      all: 'All',
      failed: 'With failed sends',
      unmatched: 'With unmatched questions',
      open: 'Window open',
      kf: '微信客服 (WeCom)',
    },
    user: 'User · time',
    last: 'Last message',
    state: 'Send window · pending / failed',
    pending: (n) => `${n} pending`,
    failed: (n) => `${n} failed`,
    unmatched: (n) => `${n} unmatched`,
    none: 'No user has written yet.',
    noneFiltered: 'No conversation matches this filter.',
    noText: '(past the retention period)',
  },
}

/** Every filter the record has (`kf`: the 微信客服 customers), after all. */
const FILTERS = ['all', ...CONVERSATION_FILTERS] as const

export function ConversationsPage(props: {
  lang: Lang
  list: Page<ConversationView>
  filter: ConversationFilter | null
  paged: boolean
  /** The CSV export's form (its days and any refusal); absent for a role that may not export. */
  exporting?: Omit<ExportFormProps, 'lang'> | null
}) {
  const t = STRINGS[props.lang]
  const { list, filter } = props
  return (
    <Layout lang={props.lang} section="conversations" title={t.title}>
      <p class="filters">
        {FILTERS.map((f) => (
          <a
            href={hrefOf(CONVERSATIONS_PATH, { filter: f === 'all' ? null : f })}
            aria-current={(filter ?? 'all') === f ? 'page' : undefined}
            data-filter={f}
          >
            {(filter ?? 'all') === f ? <b>{t.filters[f]}</b> : t.filters[f]}
          </a>
        ))}
      </p>
      <div class="panel">
        <Table
          items={list.items}
          empty={filter ? t.noneFiltered : t.none}
          head={[t.user, t.last, t.state]}
          row={(item) => (
            <tr
              data-openid={item.openid}
              data-pending={String(item.pending)}
              data-failed={String(item.failed)}
              data-unmatched={String(item.unmatched)}
              data-channel={item.channel}
            >
              <td style="white-space:nowrap">
                <a href={`${CONVERSATIONS_PATH}/${item.openid}`} title={item.openid}>
                  <code>{shortOpenid(item.openid)}</code>
                </a>
                {item.channel === 'kf' && <span class="badge">{t.filters.kf}</span>}
                <br />
                <span class="muted">{formatTime(item.lastAt, props.lang)}</span>
              </td>
              <td style="min-width:9em;overflow-wrap:anywhere">
                {item.lastText === null ? <span class="muted">{t.noText}</span> : clip(item.lastText, 60)}
              </td>
              <td style="min-width:8em">
                <WindowState lang={props.lang} window={item.window} />
                <br />
                <span class={item.pending > 0 ? 'warn' : 'muted'}>{t.pending(item.pending)}</span>
                {' · '}
                <span class={item.failed > 0 ? 'bad' : 'muted'}>{t.failed(item.failed)}</span>
                {item.unmatched > 0 && <span class="muted"> · {t.unmatched(item.unmatched)}</span>}
              </td>
            </tr>
          )}
        />
      </div>
      <Pager
        lang={props.lang}
        next={list.nextCursor ? hrefOf(CONVERSATIONS_PATH, { filter, cursor: list.nextCursor }) : null}
        first={props.paged ? hrefOf(CONVERSATIONS_PATH, { filter }) : null}
      />
      {props.exporting && <ExportForm lang={props.lang} {...props.exporting} />}
    </Layout>
  )
}
