/**
 * Pieces the record's pages share (conversations, one conversation, failed sends, campaigns):
 * an openid shortened for a phone, the send window, a WeChat errcode and what it means, the
 * paging links, an action's notice, and the page a bad address answers.
 */
import { Layout, Notice, type Section } from '../layout'
import type { Lang, Strings } from '../lang'
import { formatTime } from '../lang'
import { bounded } from '../../record/event'
import type { WindowView } from '../../record/views'
import { explainErrcode } from '../../wechat/api'

/** `oAbCdE…wxyz`: enough to tell users apart in a list; the whole id is in the title and data-openid. */
/** The hidden field of a form that sends or starts something (console/once.ts). */
export const ONCE_FIELD = 'idempotency_key'

/** A key fresh with each rendering of the form: a repeat of this submission carries the same one. */
export function OnceField() {
  return <input type="hidden" name={ONCE_FIELD} value={crypto.randomUUID()} />
}

export function shortOpenid(openid: string): string {
  return openid.length > 14 ? `${openid.slice(0, 6)}…${openid.slice(-4)}` : openid
}

/** The first `max` code points, with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  const cut = bounded(text, max)
  return cut === text ? text : `${cut}…`
}

const WINDOW: Strings<{ open: (remaining: number, closes: string) => string; closed: string }> = {
  zh: { open: (n, closes) => `可发送 · 剩 ${n} 条 · ${closes} 前`, closed: '已关闭' },
  en: { open: (n, closes) => `Open · ${n} left · until ${closes}`, closed: 'Closed' },
}

/** Whether WeChat takes a send now, and how many more. */
export function WindowState(props: { lang: Lang; window: WindowView }) {
  const t = WINDOW[props.lang]
  const { window } = props
  return window.open ? (
    <span class="ok" data-window="open" data-remaining={String(window.remaining)}>
      {t.open(window.remaining, formatTime(window.closesAt, props.lang))}
    </span>
  ) : (
    <span class="muted" data-window="closed" data-remaining="0">
      {t.closed}
    </span>
  )
}

const ERRCODE: Strings<(errcode: number) => string> = {
  zh: (errcode) => `错误码 ${errcode}`,
  en: (errcode) => `errcode ${errcode}`,
}

/** WeChat's refusal: the errcode, and what it means when explainErrcode knows (in English, as the logs say it). */
export function ErrcodeNote(props: { lang: Lang; errcode: number; reason?: string | null }) {
  const why = explainErrcode(props.errcode) ?? props.reason ?? null
  return (
    <span data-errcode={String(props.errcode)}>
      <span class="bad">✗ {ERRCODE[props.lang](props.errcode)}</span>
      {why && <span class="muted"> · {why}</span>}
    </span>
  )
}

const PAGER: Strings<{ next: string; first: string }> = {
  zh: { next: '下一页', first: '回到第一页' },
  en: { next: 'Next page', first: 'Back to the first page' },
}

/** "Next page" when there is one, "first page" when this is not it. */
export function Pager(props: { lang: Lang; next: string | null; first: string | null; nextLabel?: string }) {
  const t = PAGER[props.lang]
  if (!props.next && !props.first) return null
  return (
    <p class="row">
      {props.next && (
        <a class="button" href={props.next} data-next-page>
          {props.nextLabel ?? t.next}
        </a>
      )}
      {props.first && (
        <a href={props.first} data-first-page>
          {t.first}
        </a>
      )}
    </p>
  )
}

/** An href of `path` with `query`, leaving out empty values. */
export function hrefOf(path: string, query: Record<string, string | null | undefined>): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (value) params.set(key, value)
  const text = params.toString()
  return text ? `${path}?${text}` : path
}

/** What an action left in the query (`?done=…` or `?problem=…&errcode=…`), as the page's notice. */
export interface Outcome {
  kind: 'ok' | 'error'
  code: string
  errcode: number | null
}

/** The outcome named in the query, when it is one of `codes`; anything else is ignored. */
export function outcomeOf(
  query: (key: string) => string | undefined,
  codes: { done: readonly string[]; problem: readonly string[] },
): Outcome | null {
  const errcodeText = query('errcode')
  const errcode = errcodeText && /^-?[0-9]{1,9}$/.test(errcodeText) ? Number(errcodeText) : null
  const done = query('done')
  if (done && codes.done.includes(done)) return { kind: 'ok', code: done, errcode: null }
  const problem = query('problem')
  if (problem && codes.problem.includes(problem)) return { kind: 'error', code: problem, errcode }
  return null
}

export function OutcomeNotice(props: { outcome: Outcome | null; text: (outcome: Outcome) => string }) {
  if (!props.outcome) return null
  return (
    <div data-notice={props.outcome.code}>
      <Notice kind={props.outcome.kind}>{props.text(props.outcome)}</Notice>
    </div>
  )
}

export type Problem = 'bad_openid' | 'bad_cursor' | 'bad_failed_id' | 'no_conversation' | 'bad_campaign_id' | 'no_campaign'

const PROBLEMS: Strings<Record<Problem, string> & { title: string; back: string }> = {
  zh: {
    title: '地址不对',
    bad_openid: '这不是一个 openid：只能有字母、数字、_ 和 -，最多 64 个字符。',
    bad_cursor: '这个翻页链接不对或已失效，请从第一页重新翻。',
    bad_failed_id: '这不是一条发送记录的编号（out:<openid>:<数字>）。',
    no_conversation: '记录里没有这个用户的会话（可能已过保留期）。',
    bad_campaign_id: '这不是一次群发的编号（c-<uuid>）。',
    no_campaign: '没有这次群发。',
    back: '返回列表',
  },
  en: {
    title: 'Not a valid address',
    bad_openid: 'That is not an openid: letters, digits, _ and - only, at most 64 characters.',
    bad_cursor: 'That page link is wrong or out of date: start again from the first page.',
    bad_failed_id: 'That is not the id of a send (out:<openid>:<number>).',
    no_conversation: 'The record has no conversation with this user (it may have passed the retention period).',
    bad_campaign_id: 'That is not the id of a campaign (c-<uuid>).',
    no_campaign: 'There is no such campaign.',
    back: 'Back to the list',
  },
}

/** The page a bad address answers (4xx): what was wrong, and the way back. */
export function ProblemPage(props: { lang: Lang; section: Section; problem: Problem; back: string }) {
  const t = PROBLEMS[props.lang]
  return (
    <Layout lang={props.lang} section={props.section} title={t.title}>
      <div data-problem={props.problem}>
        <Notice kind="error">{t[props.problem]}</Notice>
      </div>
      <p>
        <a href={props.back}>{t.back}</a>
      </p>
    </Layout>
  )
}
