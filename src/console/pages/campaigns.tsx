/**
 * Campaigns (群发): a subscribe message to every user a template can reach. The list page
 * shows, per template, how many users a campaign would reach now, the campaigns newest first
 * with their progress, and the form that starts one (each problem under its field); a
 * campaign's own page its counts and each user's outcome, a page at a time.
 */
import type { Grants } from '../permit'
import type { CampaignView, TargetView } from '../../subscribe/campaign-store'
import type { TemplateReach } from '../../subscribe/campaign-start'
import type { CampaignField, CampaignForm } from '../campaign-form'
import { Layout, Notice } from '../layout'
import { formatTime, type Lang } from '../lang'
import { CampaignFormFields } from './campaign-form-fields'
import { CAMPAIGN_STRINGS, type CampaignText } from './campaigns-strings'
import { CONVERSATIONS_PATH } from './conversations'
import { ErrcodeNote, hrefOf, OutcomeNotice, Pager, shortOpenid, type Outcome } from './parts'
import { Fact, Facts, Table } from './table'

export const CAMPAIGNS_PATH = '/admin/campaigns'

/** What starting a campaign comes back with, on its own page. */
export const CAMPAIGN_OUTCOMES = { done: ['started'], problem: [] } as const

/** `c-1b2c3d4e…`: enough to tell campaigns apart; the whole id is in the address. */
const shortId = (id: string) => `${id.slice(0, 10)}…`

/** sent · failed · skipped · queued of total, with a bar, and running or done. */
function Progress(props: { t: CampaignText; campaign: CampaignView }) {
  const { t, campaign: c } = props
  const finished = c.counts.sent + c.counts.failed + c.counts.skipped
  return (
    <span class="progress" data-progress data-done={c.done ? 'true' : 'false'} data-total={String(c.total)}>
      {/* Done is full: users who could no longer be reached when their page ran have no outcome. */}
      <progress
        max={String(Math.max(1, c.total))}
        value={String(c.total === 0 || c.done ? Math.max(1, c.total) : Math.min(finished, c.total))}
      ></progress>{' '}
      {(['sent', 'failed', 'skipped', 'queued'] as const).map((status, i) => (
        <>
          {i > 0 && ' · '}
          <span
            data-count={status}
            data-n={String(c.counts[status])}
            class={status === 'failed' && c.counts.failed > 0 ? 'bad nowrap' : 'nowrap'}
          >
            {t.counts[status]} {c.counts[status]}
          </span>
        </>
      ))}{' '}
      <span class="muted">{t.of(c.total)}</span>
    </span>
  )
}

function State(props: { t: CampaignText; campaign: CampaignView }) {
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
  /** No form to start one without `campaigns`. */
  grants: Grants
}

export function CampaignsPage(props: CampaignsPageProps) {
  const t = CAMPAIGN_STRINGS[props.lang]
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
          <Table
            items={props.reach}
            head={[t.template, { label: t.reachable, class: 'nowrap' }, { label: t.acceptReject, class: 'nowrap' }, '']}
            row={(r) => (
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
                  {props.grants.campaigns && (
                    <a
                      class="nowrap"
                      href={`${hrefOf(CAMPAIGNS_PATH, { template: r.templateId })}#campaign-form`}
                      data-start-with={r.templateId}
                    >
                      {t.startWith}
                    </a>
                  )}
                </td>
              </tr>
            )}
          />
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

      {props.grants.campaigns && (
        <>
          <h2 id="campaign-form">{t.formTitle}</h2>
          <CampaignFormFields t={t} action={CAMPAIGNS_PATH} form={props.form} reach={props.reach} problemsOf={problemsOf} />
        </>
      )}
    </Layout>
  )
}

/** An empty first page of a done campaign: its targets were deleted (its counts say some were there), or it reached no one. */
function NoTargets(props: { t: CampaignText; campaign: CampaignView; firstPage: boolean }) {
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
  const t = CAMPAIGN_STRINGS[props.lang]
  const { campaign: c } = props
  const path = `${CAMPAIGNS_PATH}/${c.id}`
  const m = c.message
  return (
    <Layout lang={props.lang} section="campaigns" title={t.campaign(shortId(c.id))}>
      <OutcomeNotice outcome={props.outcome} text={() => (c.done ? t.startedDone : t.started)} />
      <div class="panel" data-campaign={c.id}>
        <Facts>
          <Fact name={t.template}>
            <code class="id">{c.templateId}</code> <span class="muted">{c.longTerm ? t.longTerm : t.oneTime}</span>
          </Fact>
          <Fact name={t.startedAt}>{formatTime(c.createdAt, props.lang, true)}</Fact>
          <Fact name={t.state}>
            <State t={t} campaign={c} />
            {!c.done && (
              <>
                {' '}
                <a class="button" href={path} data-refresh>
                  {t.refresh}
                </a>
              </>
            )}
          </Fact>
          <Fact name={t.progress}>
            <Progress t={t} campaign={c} />
          </Fact>
          <Fact name={t.message} data-message>
            {Object.entries(m.data).map(([key, { value }]) => (
              <div>
                <code>{key}</code> {value}
              </div>
            ))}
            <div class="muted">{[m.page && `page ${m.page}`, m.miniprogram_state, m.lang].filter(Boolean).join(' · ')}</div>
          </Fact>
        </Facts>
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
          <Table
            items={props.targets}
            head={[t.user, t.outcome, t.updatedAt]}
            row={(target) => (
              <tr
                data-openid={target.openid}
                data-status={target.status}
                data-errcode={target.errcode === null ? undefined : String(target.errcode)}
              >
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
            )}
          />
        </div>
      )}
      <Pager lang={props.lang} next={props.next} first={props.paged ? path : null} />
      <p>
        <a href={CAMPAIGNS_PATH}>{t.back}</a>
      </p>
    </Layout>
  )
}

function TargetOutcome(props: { lang: Lang; t: CampaignText; target: TargetView }) {
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
