/** Overview: today at a glance, and the last 14 days as a chart. */
import { DaysChart } from '../chart'
import { Layout } from '../layout'
import type { Lang, Strings } from '../lang'
import type { Stats } from '../../record/views'
import { Table } from './table'

const STRINGS: Strings<{
  title: string
  today: string
  messages: string
  sent: string
  failed: string
  unmatched: string
  pending: string
  replyMs: string
  days: string
  topRules: string
  rule: string
  hits: string
  none: string
  answers: string
  answersHint: string
  byFaq: string
  byAi: string
  aiRefused: string
  handedOff: string
  tokens: string
}> = {
  zh: {
    title: '概览',
    today: '今天（北京时间）',
    messages: '用户消息',
    sent: '已回复',
    failed: '发送失败',
    unmatched: '未匹配',
    pending: '待发送',
    replyMs: '回复耗时中位数',
    days: '最近 14 天',
    topRules: '命中最多的规则（14 天）',
    rule: '规则',
    hits: '命中',
    none: '还没有数据。',
    answers: '谁来回答（14 天）',
    answersHint: '占用户消息的比例：知识库问答、AI 回答（带 AI 标识）、AI 答不上改发兜底回复、转人工。',
    byFaq: '知识库问答',
    byAi: 'AI 回答',
    aiRefused: 'AI 未答，兜底回复',
    handedOff: '转人工',
    tokens: 'AI 用量（tokens）',
  },
  en: {
    title: 'Overview',
    today: 'Today (China time)',
    messages: 'Messages',
    sent: 'Replies sent',
    failed: 'Failed',
    unmatched: 'Unmatched',
    pending: 'Pending',
    replyMs: 'Median reply time',
    days: 'Last 14 days',
    topRules: 'Rules hit most (14 days)',
    rule: 'Rule',
    hits: 'Hits',
    none: 'Nothing yet.',
    answers: 'Who answered (14 days)',
    answersHint: 'Share of user messages: FAQ entries, AI answers (labelled), AI giving up for the fallback, hand-offs.',
    byFaq: 'FAQ entries',
    byAi: 'AI',
    aiRefused: 'AI gave up: fallback',
    handedOff: 'Handed off',
    tokens: 'AI usage (tokens)',
  },
}

export function OverviewPage(props: { lang: Lang; stats: Stats }) {
  const t = STRINGS[props.lang]
  const today = props.stats.daily[props.stats.daily.length - 1]
  const cards: [string, string | number, string][] = [
    [t.messages, today?.messages ?? 0, 'messages'],
    [t.sent, today?.repliesSent ?? 0, 'sent'],
    [t.failed, today?.repliesFailed ?? 0, 'failed'],
    [t.unmatched, today?.unmatched ?? 0, 'unmatched'],
    [t.pending, today?.repliesPending ?? 0, 'pending'],
    [t.replyMs, today?.replyMs ? `≤ ${today.replyMs.median} ms` : '–', 'reply-ms'],
  ]
  return (
    <Layout lang={props.lang} section="overview" title={t.title}>
      <h2>{t.today}</h2>
      <div class="cards">
        {cards.map(([label, value, id]) => (
          <div class="card" data-stat={id}>
            <b>{value}</b>
            <span>{label}</span>
          </div>
        ))}
      </div>
      <h2>{t.days}</h2>
      <div class="panel">
        <DaysChart days={props.stats.daily} labels={{ messages: t.messages, sent: t.sent, failed: t.failed }} />
      </div>
      <h2>{t.answers}</h2>
      <p class="muted">{t.answersHint}</p>
      <AnswerShares t={t} stats={props.stats} />
      <h2>{t.topRules}</h2>
      <div class="panel">
        <Table
          items={props.stats.rules.slice(0, 10)}
          empty={t.none}
          head={[t.rule, t.hits]}
          row={(r) => (
            <tr>
              <td>{r.ruleId}</td>
              <td>{r.hits}</td>
            </tr>
          )}
        />
      </div>
    </Layout>
  )
}

/** FAQ, AI, fallback and hand-off counts over the period, each with its share of the user's messages. */
function AnswerShares(props: { t: (typeof STRINGS)['zh']; stats: Stats }) {
  const { t, stats } = props
  const messages = stats.daily.reduce((sum, day) => sum + day.messages, 0)
  const share = (n: number) => (messages === 0 ? '–' : `${Math.round((n / messages) * 1000) / 10}%`)
  const rows: [string, number, string][] = [
    [t.byFaq, stats.answers.faq, 'faq'],
    [t.byAi, stats.answers.ai, 'ai'],
    [t.aiRefused, stats.answers.aiRefused, 'ai-refused'],
    [t.handedOff, stats.answers.handoff, 'handoff'],
  ]
  return (
    <div class="cards" data-answers>
      {rows.map(([label, n, id]) => (
        <div class="card" data-answer={id} data-count={n}>
          <b>{share(n)}</b>
          <span>
            {label} · {n}
          </span>
        </div>
      ))}
      <div class="card" data-answer="tokens" data-count={stats.answers.tokens}>
        <b>{stats.answers.tokens}</b>
        <span>{t.tokens}</span>
      </div>
    </div>
  )
}
