/** Unmatched questions: what users asked that no rule answered, the most asked first. */
import { TOP_UNMATCHED } from '../../record/stats'
import type { Stats } from '../../record/views'
import { Layout } from '../layout'
import { formatTime, type Lang, type Strings } from '../lang'
import { Table } from './table'

/** The rules page's new-rule form, filled with a question (the rules pages own that route). */
export const newRuleHref = (text: string) => `/admin/rules/new?text=${encodeURIComponent(text)}`

const STRINGS: Strings<{
  title: string
  intro: string
  question: string
  count: string
  firstSeen: string
  lastSeen: string
  makeRule: string
  none: string
}> = {
  zh: {
    title: '未匹配问题',
    intro: `用户问过、只有默认回复（或没有回复）接住的文字，问得最多的在前（前 ${TOP_UNMATCHED} 条）。相同的问题（忽略大小写和首尾空格）合在一起计数。`,
    question: '问题',
    count: '次数',
    firstSeen: '第一次',
    lastSeen: '最近一次',
    makeRule: '用它建规则',
    none: '没有未匹配的问题。',
  },
  en: {
    title: 'Unmatched questions',
    intro: `Texts users sent that only the default reply (or nothing) answered, the most asked first (top ${TOP_UNMATCHED}). The same question (ignoring case and surrounding spaces) is counted together.`,
    question: 'Question',
    count: 'Times',
    firstSeen: 'First',
    lastSeen: 'Last',
    makeRule: 'Make a rule from this',
    none: 'No unmatched questions.',
  },
}

export function UnmatchedPage(props: { lang: Lang; questions: Stats['unmatched'] }) {
  const t = STRINGS[props.lang]
  return (
    <Layout lang={props.lang} section="unmatched" title={t.title}>
      <p class="muted">{t.intro}</p>
      <div class="panel">
        <Table
          items={props.questions}
          empty={t.none}
          head={[
            t.question,
            t.count,
            <>
              {t.firstSeen} / {t.lastSeen}
            </>,
            '',
          ]}
          row={(q) => (
            <tr data-question={q.text} data-count={String(q.count)}>
              <td style="min-width:8em;overflow-wrap:anywhere">{q.text}</td>
              <td>
                <b>{q.count}</b>
              </td>
              <td class="muted" style="white-space:nowrap">
                {formatTime(q.firstSeen, props.lang)}
                <br />
                {formatTime(q.lastSeen, props.lang)}
              </td>
              <td style="white-space:nowrap">
                <a class="button" href={newRuleHref(q.text)} data-make-rule>
                  {t.makeRule}
                </a>
              </td>
            </tr>
          )}
        />
      </div>
    </Layout>
  )
}
