/**
 * Campaigns (群发): a subscribe message to every user a template can reach. The list page
 * shows, per template, how many users a campaign would reach now, the campaigns newest first
 * with their progress, and the form that starts one (each problem under its field); a
 * campaign's own page its counts and each user's outcome, a page at a time.
 */
import type { Child } from 'hono/jsx'
import type { CampaignView, TargetStatus, TargetView } from '../../subscribe/campaign-store'
import type { TemplateReach } from '../../subscribe/campaign-start'
import { KEYWORD_TYPES, LANGS, MINIPROGRAM_STATES } from '../../wechat/subscribe-data'
import type { CampaignField, CampaignForm } from '../campaign-form'
import { Layout, Notice } from '../layout'
import { formatTime, type Lang, type Strings } from '../lang'
import { CONVERSATIONS_PATH } from './conversations'
import { ErrcodeNote, hrefOf, OnceField, OutcomeNotice, Pager, shortOpenid, type Outcome } from './parts'

export const CAMPAIGNS_PATH = '/admin/campaigns'

/** What starting a campaign comes back with, on its own page. */
export const CAMPAIGN_OUTCOMES = { done: ['started'], problem: [] } as const

const STRINGS: Strings<{
  title: string
  reachTitle: string
  reachHint: string
  template: string
  oneTime: string
  longTerm: string
  reachable: string
  acceptReject: string
  noTemplates: string
  startWith: string
  listTitle: string
  noCampaigns: string
  startedAt: string
  progress: string
  state: string
  running: string
  done: string
  counts: Record<TargetStatus, string>
  of: (total: number) => string
  formTitle: string
  formHint: string
  templateId: string
  page: string
  pageHint: string
  miniprogramState: string
  states: Record<string, string>
  lang: string
  langs: Record<string, string>
  data: string
  dataHint: string
  rules: string
  ruleType: string
  ruleText: string
  start: string
  problems: string
  tooLarge: string
  campaign: (id: string) => string
  message: string
  refresh: string
  targets: string
  user: string
  outcome: string
  updatedAt: string
  noTargets: string
  targetsDeleted: string
  nobodyLeft: string
  nobody: string
  started: string
  startedDone: string
  back: string
}> = {
  zh: {
    title: '群发',
    reachTitle: '每个模板能送达的用户',
    reachHint: '一次性订阅：还有发送次数的用户；长期订阅（SUBSCRIBE_LONG_TERM_TEMPLATES 里的模板）：选择了接受的用户。',
    template: '模板',
    oneTime: '一次性',
    longTerm: '长期',
    reachable: '可送达',
    acceptReject: '接受 / 拒绝',
    noTemplates: '还没有用户在小程序里回应过订阅消息。',
    startWith: '用它群发',
    listTitle: '群发记录',
    noCampaigns: '还没有群发过。',
    startedAt: '开始时间',
    progress: '进度',
    state: '状态',
    running: '进行中',
    done: '已完成',
    counts: { sent: '已发送', failed: '失败', skipped: '跳过', queued: '排队中' },
    of: (total) => `共 ${total} 人`,
    formTitle: '开始群发',
    formHint: '同一个订阅消息发给这个模板能送达的每一位用户；每人最多一次，一次性订阅会用掉对方的一次发送次数。',
    templateId: '模板 ID（template_id）',
    page: '点击后打开的页面（page，可不填）',
    pageHint: 'pages/index/index?foo=bar',
    miniprogramState: '小程序版本（miniprogram_state）',
    states: { '': '正式版（默认）', developer: '开发版 developer', trial: '体验版 trial', formal: '正式版 formal' },
    lang: '语言（lang）',
    langs: { '': '简体中文（默认）', zh_CN: '简体中文 zh_CN', en_US: 'English en_US', zh_HK: '繁體中文（香港）zh_HK', zh_TW: '繁體中文（台灣）zh_TW' },
    data: '内容：每行一个关键词，如 thing1=您的订单已发货（也可以粘贴 JSON）',
    dataHint: 'thing1=您的订单已发货\nnumber2=12345',
    rules: '各类关键词的规则',
    ruleType: '关键词',
    ruleText: '规则',
    start: '开始群发',
    problems: '没有开始群发，要先改好这些问题：',
    tooLarge: '提交的内容太大，没有开始群发。',
    campaign: (id) => `群发 ${id}`,
    message: '消息',
    refresh: '刷新进度',
    targets: '每位用户',
    user: '用户',
    outcome: '结果',
    updatedAt: '时间',
    noTargets: '还没有排到用户。',
    targetsDeleted: '每位用户的结果已在保留期后删除，上面的计数仍保留。',
    nobodyLeft: '轮到时已没有能送达的用户：没有发出任何消息。',
    nobody: '开始时没有能送达的用户：没有发出任何消息。',
    started: '群发已开始。消息会按速率限制陆续发出，刷新本页看进度。',
    startedDone: '群发已开始，现在已全部完成。',
    back: '全部群发',
  },
  en: {
    title: 'Campaigns',
    reachTitle: 'Users each template can reach',
    reachHint: 'One-time templates: users with sends left; long-term ones (listed in SUBSCRIBE_LONG_TERM_TEMPLATES): users who accepted.',
    template: 'Template',
    oneTime: 'one-time',
    longTerm: 'long-term',
    reachable: 'Reachable',
    acceptReject: 'Accepted / rejected',
    noTemplates: 'No user has answered a subscribe popup yet.',
    startWith: 'Start a campaign',
    listTitle: 'Campaigns',
    noCampaigns: 'No campaigns yet.',
    startedAt: 'Started',
    progress: 'Progress',
    state: 'State',
    running: 'running',
    done: 'done',
    counts: { sent: 'sent', failed: 'failed', skipped: 'skipped', queued: 'queued' },
    of: (total) => `of ${total}`,
    formTitle: 'Start a campaign',
    formHint: 'One subscribe message to every user the template can reach; each user gets it at most once, and a one-time grant is spent.',
    templateId: 'Template id (template_id)',
    page: 'Page a tap opens (page, optional)',
    pageHint: 'pages/index/index?foo=bar',
    miniprogramState: 'Mini program version (miniprogram_state)',
    states: { '': 'formal (default)', developer: 'developer', trial: 'trial', formal: 'formal' },
    lang: 'Language (lang)',
    langs: { '': 'zh_CN (default)', zh_CN: 'zh_CN', en_US: 'en_US', zh_HK: 'zh_HK', zh_TW: 'zh_TW' },
    data: 'Data: one keyword a line, e.g. thing1=Your order has shipped (or paste JSON)',
    dataHint: 'thing1=Your order has shipped\nnumber2=12345',
    rules: 'The rule of each keyword type',
    ruleType: 'Keyword',
    ruleText: 'Rule',
    start: 'Start the campaign',
    problems: 'Not started: fix these first:',
    tooLarge: 'That is too large: nothing was started.',
    campaign: (id) => `Campaign ${id}`,
    message: 'Message',
    refresh: 'Refresh',
    targets: 'Each user',
    user: 'User',
    outcome: 'Outcome',
    updatedAt: 'At',
    noTargets: 'No users queued yet.',
    targetsDeleted: "Each user's outcome was deleted after the retention period; the counts above are kept.",
    nobodyLeft: 'No user could be reached any more when their turn came: nothing was sent.',
    nobody: 'No user could be reached when it started: nothing was sent.',
    started: 'Started. Messages go out at the paced rate; refresh this page to follow them.',
    startedDone: 'Started, and now done.',
    back: 'All campaigns',
  },
}

type Text = (typeof STRINGS)['zh']

/** `c-1b2c3d4e…`: enough to tell campaigns apart; the whole id is in the address. */
const shortId = (id: string) => `${id.slice(0, 10)}…`

/** sent · failed · skipped · queued of total, with a bar, and running or done. */
function Progress(props: { t: Text; campaign: CampaignView }) {
  const { t, campaign: c } = props
  const finished = c.counts.sent + c.counts.failed + c.counts.skipped
  return (
    <span class="progress" data-progress data-done={c.done ? 'true' : 'false'} data-total={String(c.total)}>
      {/* Done is full: users who could no longer be reached when their page ran have no outcome. */}
      <progress max={String(Math.max(1, c.total))} value={String(c.total === 0 || c.done ? Math.max(1, c.total) : Math.min(finished, c.total))}></progress>{' '}
      {(['sent', 'failed', 'skipped', 'queued'] as const).map((status, i) => (
        <>
          {i > 0 && ' · '}
          <span data-count={status} data-n={String(c.counts[status])} class={status === 'failed' && c.counts.failed > 0 ? 'bad nowrap' : 'nowrap'}>
            {t.counts[status]} {c.counts[status]}
          </span>
        </>
      ))}{' '}
      <span class="muted">{t.of(c.total)}</span>
    </span>
  )
}

function State(props: { t: Text; campaign: CampaignView }) {
  return props.campaign.done ? (
    <span class="ok" data-state="done">
      {props.t.done}
    </span>
  ) : (
    <span class="warn" data-state="running">
      {props.t.running}
    </span>
  )
}

export interface CampaignsPageProps {
  lang: Lang
  reach: TemplateReach[]
  campaigns: CampaignView[]
  form: CampaignForm
  /** The form's problems, as parseCampaignMessage words them. */
  problems: { field: CampaignField | null; text: string }[]
  tooLarge?: boolean
}

export function CampaignsPage(props: CampaignsPageProps) {
  const t = STRINGS[props.lang]
  const problemsOf = (field: CampaignField) => props.problems.filter((p) => p.field === field).map((p) => p.text)
  return (
    <Layout lang={props.lang} section="campaigns" title={t.title}>
      {props.tooLarge && <Notice kind="error">{t.tooLarge}</Notice>}
      {props.problems.length > 0 && (
        <div class="notice error" role="alert" data-problems>
          {t.problems}
          <ul>
            {props.problems.map((p) => (
              <li>{p.text}</li>
            ))}
          </ul>
        </div>
      )}

      <h2>{t.reachTitle}</h2>
      <p class="muted">{t.reachHint}</p>
      {props.reach.length === 0 ? (
        <p class="muted" data-no-templates>
          {t.noTemplates}
        </p>
      ) : (
        <div class="panel">
          <table>
            <thead>
              <tr>
                <th>{t.template}</th>
                <th class="nowrap">{t.reachable}</th>
                <th class="nowrap">{t.acceptReject}</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {props.reach.map((r) => (
                <tr data-template={r.templateId} data-reachable={String(r.reachable)} data-long-term={r.longTerm ? 'true' : 'false'}>
                  <td>
                    <code class="id">{r.templateId}</code>
                    <div class="muted">{r.longTerm ? t.longTerm : t.oneTime}</div>
                  </td>
                  <td>
                    <b class={r.reachable > 0 ? 'ok' : 'muted'}>{r.reachable}</b>
                  </td>
                  <td class="muted">
                    {r.accepted} / {r.rejected}
                  </td>
                  <td>
                    <a class="nowrap" href={`${hrefOf(CAMPAIGNS_PATH, { template: r.templateId })}#campaign-form`} data-start-with={r.templateId}>
                      {t.startWith}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>{t.listTitle}</h2>
      {props.campaigns.length === 0 ? (
        <p class="muted" data-no-campaigns>
          {t.noCampaigns}
        </p>
      ) : (
        <div class="panel">
          <ul class="items">
            {props.campaigns.map((c) => (
              <li data-campaign={c.id}>
                <div>
                  <a href={`${CAMPAIGNS_PATH}/${c.id}`}>{formatTime(c.createdAt, props.lang)}</a> · <State t={t} campaign={c} />
                </div>
                <code class="id">{c.templateId}</code>
                <div>
                  <Progress t={t} campaign={c} />
                </div>
              </li>
            ))}
          </ul>
        </div>
      )}

      <h2 id="campaign-form">{t.formTitle}</h2>
      <CampaignFormFields t={t} form={props.form} reach={props.reach} problemsOf={problemsOf} />
    </Layout>
  )
}

function CampaignFormFields(props: { t: Text; form: CampaignForm; reach: TemplateReach[]; problemsOf: (field: CampaignField) => string[] }) {
  const { t, form, problemsOf } = props
  const invalid = (field: CampaignField) => (problemsOf(field).length > 0 ? 'true' : undefined)
  return (
    <form method="post" action={CAMPAIGNS_PATH} class="panel" data-campaign-form>
      <OnceField />
      <p class="muted">{t.formHint}</p>
      <label for="campaign-template_id">{t.templateId}</label>
      <input
        id="campaign-template_id"
        name="template_id"
        value={form.template_id}
        list="campaign-templates"
        required
        maxlength={128}
        autocomplete="off"
        spellcheck={false}
        style="width:100%"
        aria-invalid={invalid('template_id')}
      />
      <datalist id="campaign-templates">
        {props.reach.map((r) => (
          <option value={r.templateId}>{`${t.reachable} ${r.reachable}`}</option>
        ))}
      </datalist>
      <FieldProblems field="template_id" problems={problemsOf('template_id')} />
      <label for="campaign-page">{t.page}</label>
      <input
        id="campaign-page"
        name="page"
        value={form.page}
        placeholder={t.pageHint}
        maxlength={1024}
        spellcheck={false}
        style="width:100%"
        aria-invalid={invalid('page')}
      />
      <FieldProblems field="page" problems={problemsOf('page')} />
      <div class="row">
        <div>
          <label for="campaign-miniprogram_state">{t.miniprogramState}</label>
          <select id="campaign-miniprogram_state" name="miniprogram_state" aria-invalid={invalid('miniprogram_state')}>
            {['', ...MINIPROGRAM_STATES].map((state) => (
              <option value={state} selected={state === form.miniprogram_state}>
                {t.states[state] ?? state}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="campaign-lang">{t.lang}</label>
          <select id="campaign-lang" name="lang" aria-invalid={invalid('lang')}>
            {['', ...LANGS].map((lang) => (
              <option value={lang} selected={lang === form.lang}>
                {t.langs[lang] ?? lang}
              </option>
            ))}
          </select>
        </div>
      </div>
      <FieldProblems field="miniprogram_state" problems={problemsOf('miniprogram_state')} />
      <FieldProblems field="lang" problems={problemsOf('lang')} />
      <label for="campaign-data">{t.data}</label>
      <textarea id="campaign-data" name="data" rows={4} required spellcheck={false} placeholder={t.dataHint} aria-invalid={invalid('data')}>
        {form.data}
      </textarea>
      <FieldProblems field="data" problems={problemsOf('data')} />
      <details>
        <summary>{t.rules}</summary>
        <table data-keyword-rules>
          <thead>
            <tr>
              <th>{t.ruleType}</th>
              <th>{t.ruleText}</th>
            </tr>
          </thead>
          <tbody>
            {KEYWORD_TYPES.map((k) => (
              <tr>
                <td>
                  <code>{k.type}</code> <span class="muted">{k.label}</span>
                </td>
                <td class="muted">{k.rule}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
      <p>
        <button class="primary" type="submit">
          {t.start}
        </button>
      </p>
    </form>
  )
}

function FieldProblems(props: { field: CampaignField; problems: string[] }): Child {
  if (props.problems.length === 0) return null
  return (
    <ul class="field-error" data-field-problems={props.field}>
      {props.problems.map((text) => (
        <li>{text}</li>
      ))}
    </ul>
  )
}

/** An empty first page of a done campaign: its targets were deleted (its counts say some were there), or it reached no one. */
function NoTargets(props: { t: Text; campaign: CampaignView; firstPage: boolean }) {
  const { t, campaign: c } = props
  if (!c.done || !props.firstPage) return <p class="muted">{t.noTargets}</p>
  const finished = c.counts.sent + c.counts.failed + c.counts.skipped
  return finished > 0 ? (
    <p class="muted" data-targets-deleted>
      {t.targetsDeleted}
    </p>
  ) : (
    <p class="muted" data-nobody-left>
      {t.nobodyLeft}
    </p>
  )
}

export interface CampaignPageProps {
  lang: Lang
  campaign: CampaignView
  targets: TargetView[]
  /** The next page of users, when there is one. */
  next: string | null
  /** This is not the first page. */
  paged: boolean
  outcome: Outcome | null
}

export function CampaignPage(props: CampaignPageProps) {
  const t = STRINGS[props.lang]
  const { campaign: c } = props
  const path = `${CAMPAIGNS_PATH}/${c.id}`
  const m = c.message
  return (
    <Layout lang={props.lang} section="campaigns" title={t.campaign(shortId(c.id))}>
      <OutcomeNotice outcome={props.outcome} text={() => (c.done ? t.startedDone : t.started)} />
      <div class="panel" data-campaign={c.id}>
        <table>
          <tbody>
            <tr>
              <th>{t.template}</th>
              <td>
                <code class="id">{c.templateId}</code> <span class="muted">{c.longTerm ? t.longTerm : t.oneTime}</span>
              </td>
            </tr>
            <tr>
              <th>{t.startedAt}</th>
              <td>{formatTime(c.createdAt, props.lang, true)}</td>
            </tr>
            <tr>
              <th>{t.state}</th>
              <td>
                <State t={t} campaign={c} />
                {!c.done && (
                  <>
                    {' '}
                    <a class="button" href={path} data-refresh>
                      {t.refresh}
                    </a>
                  </>
                )}
              </td>
            </tr>
            <tr>
              <th>{t.progress}</th>
              <td>
                <Progress t={t} campaign={c} />
              </td>
            </tr>
            <tr>
              <th>{t.message}</th>
              <td data-message>
                {Object.entries(m.data).map(([key, { value }]) => (
                  <div>
                    <code>{key}</code> {value}
                  </div>
                ))}
                <div class="muted">
                  {[m.page && `page ${m.page}`, m.miniprogram_state, m.lang].filter(Boolean).join(' · ')}
                </div>
              </td>
            </tr>
          </tbody>
        </table>
      </div>
      {c.total === 0 && (
        <p class="muted" data-nobody>
          {t.nobody}
        </p>
      )}
      <h2>{t.targets}</h2>
      {props.targets.length === 0 ? (
        c.total > 0 && <NoTargets t={t} campaign={c} firstPage={!props.paged} />
      ) : (
        <div class="panel">
          <table>
            <thead>
              <tr>
                <th>{t.user}</th>
                <th>{t.outcome}</th>
                <th>{t.updatedAt}</th>
              </tr>
            </thead>
            <tbody>
              {props.targets.map((target) => (
                <tr data-openid={target.openid} data-status={target.status} data-errcode={target.errcode === null ? undefined : String(target.errcode)}>
                  <td>
                    <a href={`${CONVERSATIONS_PATH}/${target.openid}`} title={target.openid}>
                      <code>{shortOpenid(target.openid)}</code>
                    </a>
                  </td>
                  <td>
                    <TargetOutcome lang={props.lang} t={t} target={target} />
                  </td>
                  <td class="muted">{formatTime(target.updatedAt, props.lang, true)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager lang={props.lang} next={props.next} first={props.paged ? path : null} />
      <p>
        <a href={CAMPAIGNS_PATH}>{t.back}</a>
      </p>
    </Layout>
  )
}

function TargetOutcome(props: { lang: Lang; t: Text; target: TargetView }) {
  const { t, target } = props
  if (target.status === 'sent') return <span class="ok">✓ {t.counts.sent}</span>
  if (target.status === 'queued') return <span class="warn">{t.counts.queued}</span>
  if (target.status === 'skipped') {
    return (
      <span class="muted">
        {t.counts.skipped}
        {target.reason && ` · ${target.reason}`}
      </span>
    )
  }
  return target.errcode !== null && target.errcode !== 0 ? (
    <ErrcodeNote lang={props.lang} errcode={target.errcode} reason={target.reason} />
  ) : (
    <span class="bad">
      {t.counts.failed}
      {target.reason && ` · ${target.reason}`}
    </span>
  )
}
