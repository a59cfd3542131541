/**
 * The console's campaign pages: `/admin/campaigns` (who each template reaches, the campaigns
 * with their progress, the form that starts one) and `/admin/campaigns/:id` (its counts and
 * each user's outcome). A campaign starts as `POST /admin/api/subscribe/campaigns` starts one
 * (subscribe/campaign-start.ts: the same check, the same row, the same first queue task);
 * path and query values are checked with the admin API's schemas. The form is bounded and,
 * like every console form, posted from the console's own origin (app.tsx).
 */
import { Hono } from 'hono/tiny'
import * as v from 'valibot'
import { appidOf } from '../settings/env'
import { CampaignParam, CampaignTargetsQuery } from '../admin/requests'
import { CampaignQueueRefused, parseCampaignMessage, startCampaign, templateReach } from '../subscribe/campaign-start'
import { campaignList, campaignView, readCampaign, targetPage } from '../subscribe/campaign-store'
import { TEMPLATE_ID } from '../wechat/body-check'
import { once, ONCE_FIELD } from './once'
import { back, guard, renderPage, type ConsoleContext, type ConsoleEnv } from './context'
import { readForm } from './form'
import { campaignBodyOf, campaignFormOf, EMPTY_FORM, problemField, type CampaignForm } from './campaign-form'
import { langOf, type Strings } from './lang'
import { CAMPAIGN_OUTCOMES, CAMPAIGNS_PATH, CampaignPage, CampaignsPage } from './pages/campaigns'
import { hrefOf, outcomeOf, ProblemPage, type Problem } from './pages/parts'
import { grantsOf, permit } from './permit'

export const campaignPages = new Hono<ConsoleEnv>()

/**
 * The form's body at most: a send's JSON is at most 16 KB (SUBSCRIBE_SEND_MAX_BYTES), and
 * form encoding spells a Chinese character in 9 bytes.
 */
const FORM_MAX_BYTES = 64 * 1024
/** Campaigns listed, newest first (as the API lists them). */
const LISTED = 50

/** The queue refused the first page: nothing started (the form keeps what was typed). */
const QUEUE_REFUSED: Strings<string> = {
  zh: '没有开始：消息队列暂时无法接收，请稍后再试（什么都没有发出）。',
  en: 'Not started: the queue could not take it just now; try again (nothing was sent).',
}

async function listPage(c: ConsoleContext, form: CampaignForm, problems: string[], status: 200 | 400 | 413 | 503 = 200) {
  const appid = appidOf(c.env)
  const [reach, rows] = await Promise.all([templateReach(c.env, appid), campaignList(c.env.DB, appid, LISTED)])
  const campaigns = await Promise.all(rows.map((row) => campaignView(c.env.DB, row)))
  return renderPage(
    c,
    <CampaignsPage
      lang={langOf(c)}
      reach={reach}
      campaigns={campaigns}
      form={form}
      problems={problems.map((text) => ({ field: problemField(text), text }))}
      tooLarge={status === 413}
      grants={grantsOf(c)}
    />,
    status,
  )
}

const problemPage = (c: ConsoleContext, status: 400 | 404, problem: Problem) =>
  renderPage(c, <ProblemPage lang={langOf(c)} section="campaigns" problem={problem} back={CAMPAIGNS_PATH} />, status)

campaignPages.get(CAMPAIGNS_PATH, guard, (c) => {
  // "Start a campaign" from a template's row fills its id in.
  const template = c.req.query('template') ?? ''
  return listPage(c, { ...EMPTY_FORM, template_id: TEMPLATE_ID.test(template) ? template : '' }, [])
})

campaignPages.post(CAMPAIGNS_PATH, guard, async (c) => {
  const refused = permit(c, 'campaigns')
  if (refused) return refused
  const posted = await readForm(c.req.raw, FORM_MAX_BYTES)
  if (posted === null) return listPage(c, EMPTY_FORM, [], 413)
  const form = campaignFormOf(posted.fields)
  const body = campaignBodyOf(form)
  if (!body.ok) return listPage(c, form, body.problems, 400)
  const message = parseCampaignMessage(body.body)
  if (!message.ok) return listPage(c, form, message.problems, 400)
  // Started once: a repeat of this submission goes to the campaign the first one started.
  const start = () => startCampaign(c.env, appidOf(c.env), message.value, c.var.operator).then(({ id }) => id)
  let id: string | null
  try {
    id = await once(c, posted.fields[ONCE_FIELD], [JSON.stringify(body.body)], start, null)
  } catch (error) {
    if (!(error instanceof CampaignQueueRefused)) throw error
    return listPage(c, form, [QUEUE_REFUSED[langOf(c)]], 503)
  }
  if (id === null) return c.redirect(CAMPAIGNS_PATH, 303)
  return back(c, `${CAMPAIGNS_PATH}/${id}`, { done: 'started' })
})

campaignPages.get(`${CAMPAIGNS_PATH}/:id`, guard, async (c) => {
  const param = v.safeParse(CampaignParam, { id: c.req.param('id') })
  if (!param.success) return problemPage(c, 400, 'bad_campaign_id')
  const { id } = param.output
  const cursor = c.req.query('cursor')
  const query = v.safeParse(CampaignTargetsQuery, cursor ? { cursor } : {})
  if (!query.success) return problemPage(c, 400, 'bad_cursor')
  const appid = appidOf(c.env)
  const row = await readCampaign(c.env.DB, appid, id)
  if (row === null) return problemPage(c, 404, 'no_campaign')
  const { limit } = query.output
  const [campaign, targets] = await Promise.all([campaignView(c.env.DB, row), targetPage(c.env.DB, appid, id, cursor ?? '', limit)])
  const last = targets.length === limit ? targets[targets.length - 1] : undefined
  return renderPage(
    c,
    <CampaignPage
      lang={langOf(c)}
      campaign={campaign}
      targets={targets}
      next={last ? hrefOf(`${CAMPAIGNS_PATH}/${id}`, { cursor: last.openid }) : null}
      paged={cursor !== undefined && cursor !== ''}
      outcome={outcomeOf((key) => c.req.query(key), CAMPAIGN_OUTCOMES)}
    />,
  )
})
