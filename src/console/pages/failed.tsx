/** Failed sends: why each failed, and the operator's two answers to it, retry or drop. */
import type { Grants } from '../permit'
import type { FailedView, Page } from '../../record/views'
import { Layout } from '../layout'
import { formatTime, type Lang, type Strings } from '../lang'
import { CONVERSATIONS_PATH } from './conversations'
import { clip, hrefOf, OnceField, OutcomeNotice, Pager, shortOpenid, type Outcome } from './parts'
import { Table } from './table'

export const FAILED_PATH = '/admin/failed'

/** What the retry and drop buttons can come back with. */
export const FAILED_OUTCOMES = {
  done: ['retried', 'retry_queued', 'dropped'],
  problem: ['still_failing', 'not_found', 'not_failed', 'window_closed', 'limit_reached'],
} as const

export type FailedOutcome = (typeof FAILED_OUTCOMES)['done'][number] | (typeof FAILED_OUTCOMES)['problem'][number]

const STRINGS: Strings<{
  title: string
  intro: string
  user: string
  reply: string
  why: string
  actions: string
  retry: string
  drop: string
  manual: string
  rule: (id: string) => string
  noText: string
  none: string
  errcode: (errcode: number) => string
  outcomes: Record<FailedOutcome, string>
}> = {
  zh: {
    title: '发送失败',
    intro: '微信没有接受的回复。重试会再发一次（要求用户的发送窗口还开着）；放弃后它不再出现在这里。',
    user: '用户 · 时间',
    reply: '回复',
    why: '原因',
    actions: '操作',
    retry: '重试',
    drop: '放弃',
    manual: '人工回复',
    rule: (id) => `规则 ${id}`,
    noText: '（内容已过保留期）',
    none: '没有发送失败的回复。',
    errcode: (errcode) => `错误码 ${errcode}`,
    outcomes: {
      retried: '已重试，这次发送成功。',
      retry_queued: '已重试，排队等待发送。',
      dropped: '已放弃这条回复。',
      still_failing: '已重试，但仍然失败。',
      not_found: '找不到这条发送记录（可能已过保留期）。',
      not_failed: '这条回复已经不是失败状态（已发送、待发送或已放弃）。',
      window_closed: '没有重试：用户的发送窗口已关闭。',
      limit_reached: '没有重试：这个窗口能发的条数已用完。',
    },
  },
  en: {
    title: 'Failed sends',
    intro:
      "Replies WeChat did not accept. Retry sends one again (the user's send window must still be open); a dropped one leaves this list.",
    user: 'User · time',
    reply: 'Reply',
    why: 'Reason',
    actions: 'Actions',
    retry: 'Retry',
    drop: 'Drop',
    manual: 'by hand',
    rule: (id) => `rule ${id}`,
    noText: '(past the retention period)',
    none: 'No failed sends.',
    errcode: (errcode) => `errcode ${errcode}`,
    outcomes: {
      retried: 'Retried: delivered this time.',
      retry_queued: 'Retried: queued to go out.',
      dropped: 'Dropped.',
      still_failing: 'Retried, and it failed again.',
      not_found: 'No such send (it may have passed the retention period).',
      not_failed: 'That send is no longer failed (sent, pending or dropped).',
      window_closed: "Not retried: the user's send window is closed.",
      limit_reached: 'Not retried: this window has no sends left.',
    },
  },
}

/** `grants`: without `reply` (a viewer) no retry or drop. */
export function FailedPage(props: { lang: Lang; list: Page<FailedView>; outcome: Outcome | null; paged: boolean; grants: Grants }) {
  const t = STRINGS[props.lang]
  const { list } = props
  return (
    <Layout lang={props.lang} section="failed" title={t.title}>
      <OutcomeNotice
        outcome={props.outcome}
        text={(o) => t.outcomes[o.code as FailedOutcome] + (o.errcode !== null ? ` (${t.errcode(o.errcode)})` : '')}
      />
      <p class="muted">{t.intro}</p>
      <div class="panel">
        <Table
          items={list.items}
          empty={t.none}
          head={[
            t.user,
            <>
              {t.reply} · {t.why}
            </>,
            props.grants.reply && t.actions,
          ]}
          row={(f) => (
            <tr data-failed-id={f.id} data-openid={f.openid} data-errcode={f.errcode === null ? undefined : String(f.errcode)}>
              <td style="white-space:nowrap">
                <a href={`${CONVERSATIONS_PATH}/${f.openid}`} title={f.openid}>
                  <code>{shortOpenid(f.openid)}</code>
                </a>
                <br />
                <span class="muted">{formatTime(f.updatedAt, props.lang)}</span>
              </td>
              <td style="min-width:10em;overflow-wrap:anywhere">
                {f.text === null ? <span class="muted">{t.noText}</span> : clip(f.text, 80)}
                <br />
                <span class="muted">
                  {f.kind}
                  {f.manual ? ` · ${t.manual}` : f.ruleId ? ` · ${t.rule(f.ruleId)}` : ''}
                </span>
                <br />
                <span class="bad">{[f.errcode === null ? null : t.errcode(f.errcode), f.reason].filter((part) => part).join(' · ')}</span>
              </td>
              {props.grants.reply && (
                <td>
                  <div class="row">
                    <form method="post" action={`${FAILED_PATH}/${f.id}/retry`}>
                      <OnceField />
                      <button class="primary" type="submit" data-action="retry">
                        {t.retry}
                      </button>
                    </form>
                    <form method="post" action={`${FAILED_PATH}/${f.id}/drop`}>
                      <button class="danger" type="submit" data-action="drop">
                        {t.drop}
                      </button>
                    </form>
                  </div>
                </td>
              )}
            </tr>
          )}
        />
      </div>
      <Pager
        lang={props.lang}
        next={list.nextCursor ? hrefOf(FAILED_PATH, { cursor: list.nextCursor }) : null}
        first={props.paged ? FAILED_PATH : null}
      />
    </Layout>
  )
}
