/**
 * `/admin/api/subscribe/*`, `/admin/api/users/:openid/subscriptions` and
 * `/admin/api/uniform/send`: subscribe messages (订阅消息) and uniform service messages
 * (统一服务消息), behind the admin token like the rest of the admin API.
 *
 * A send is checked before WeChat sees it (each data value against its keyword's rule), goes
 * through the user's Conversation object, which holds their grants, and is refused with 409
 * and no API call when the user holds no grant for a one-time template. A campaign sends one
 * template to everyone who can be reached, through the CAMPAIGNS queue.
 */
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { log } from '../log'
import { campaignList, campaignView, readCampaign, targetPage } from '../subscribe/campaign-store'
import { CampaignQueueRefused, parseCampaignMessage, startCampaign, templateReach } from '../subscribe/campaign-start'
import { REFUSED_ERRCODE } from '../subscribe/grants'
import { errcodeAnswer } from '../subscribe/send'
import { explainErrcode, WechatClient } from '../wechat/api'
import { parseSubscribeSend, SUBSCRIBE_SEND_MAX_BYTES } from '../wechat/subscribe-data'
import { parseUniformSend, UNIFORM_SEND_MAX_BYTES } from '../wechat/uniform-send'
import { appidOf } from '../settings/env'
import { auditDone } from '../admin/audit'
import { CampaignParam, CampaignTargetsQuery, OpenidParam } from '../admin/requests'
import { params, readJson, refuse, type ApiEnv } from './admin-validation'
import { idempotent } from './idempotent'
import { allow } from './allow'
import { conversationOf } from '../settings/mini-program-state'

type ApiContext = Context<ApiEnv>

export const adminSubscribe = new Hono<ApiEnv>()

/** A body WeChat would refuse: every problem, the first as the error. */
const invalid = (c: ApiContext, problems: string[]) => c.json({ error: problems[0] ?? 'body: is invalid', problems }, 400)

/**
 * WeChat's refusal, with what it means: the user's state (43101 refused, 43004 not following
 * the official account) is a 409; data WeChat found wrong a 400; anything else a 502.
 */
function wechatRefusal(c: ApiContext, errcode: number) {
  const reason = explainErrcode(errcode) ?? `WeChat answered errcode ${errcode}`
  const status = USER_STATE.has(errcode) ? 409 : BAD_DATA.has(errcode) ? 400 : 502
  return c.json({ error: status === 502 ? 'wechat_failed' : 'wechat_refused', errcode, reason }, status)
}
const USER_STATE: ReadonlySet<number> = new Set([REFUSED_ERRCODE, 43004])
const BAD_DATA: ReadonlySet<number> = new Set([40003, 40037, 41028, 41029, 41030, 47003])

/** A send that reached WeChat, in the audit log as the operator's: the template and the outcome, never the data. */
const auditSend = (c: ApiContext, action: 'subscribe_send' | 'uniform_send', openid: string, summary: string) =>
  auditDone(c.env.DB, { appid: appidOf(c.env), operator: c.var.operator, action, target: openid, summary })

// ---------------------------------------------------------------- one user

adminSubscribe.post('/admin/api/subscribe/send', allow('campaigns'), idempotent, async (c) => {
  const body = await readJson(c.req.raw, SUBSCRIBE_SEND_MAX_BYTES)
  if (!body.ok) return refuse(c, body.status, body.error)
  const parsed = parseSubscribeSend(body.value)
  if (!parsed.ok) return invalid(c, parsed.problems)
  const { touser, template_id } = parsed.value
  const result = await conversationOf(c.env, touser).sendSubscribe(parsed.value)
  // What reached WeChat is recorded (a refusal before it, no grant, sent nothing).
  const outcome = result.ok
    ? `sent (${result.spent})`
    : result.problem === 'refused' || result.problem === 'failed'
      ? `${result.problem} (errcode ${result.errcode})`
      : null
  if (outcome !== null) await auditSend(c, 'subscribe_send', touser, `template ${template_id}, ${outcome}`)
  if (result.ok) return c.json({ sent: true, spent: result.spent })
  switch (result.problem) {
    case 'no_grant':
      return c.json(
        { error: 'no_grant', reason: 'the user holds no grant for this one-time template (send with "force": true to try anyway)' },
        409,
      )
    case 'already_sent':
      // Only campaigns ask the object with a campaign id.
      return c.json({ error: 'already_sent' }, 409)
    case 'refused':
    case 'failed':
      return wechatRefusal(c, result.errcode)
  }
})

adminSubscribe.get('/admin/api/users/:openid/subscriptions', allow('read'), params('param', OpenidParam), async (c) => {
  const { openid } = c.req.valid('param')
  return c.json({ openid, templates: await conversationOf(c.env, openid).subscriptions() })
})

adminSubscribe.get('/admin/api/subscribe/templates', allow('read'), async (c) => {
  const reach = await templateReach(c.env, appidOf(c.env))
  return c.json({ templates: reach.map(({ withGrants: _withGrants, accepting: _accepting, ...template }) => template) })
})

// ---------------------------------------------------------------- campaigns

/** A campaign's body is a send's without touser (and force: a campaign reaches who can be reached). */
adminSubscribe.post('/admin/api/subscribe/campaigns', allow('campaigns'), idempotent, async (c) => {
  const body = await readJson(c.req.raw, SUBSCRIBE_SEND_MAX_BYTES)
  if (!body.ok) return refuse(c, body.status, body.error)
  const parsed = parseCampaignMessage(body.value)
  if (!parsed.ok) return invalid(c, parsed.problems)
  try {
    return c.json(await startCampaign(c.env, appidOf(c.env), parsed.value, c.var.operator), 202)
  } catch (error) {
    if (error instanceof CampaignQueueRefused) return c.json({ error: 'queue_failed' }, 503)
    throw error
  }
})

adminSubscribe.get('/admin/api/subscribe/campaigns', allow('read'), async (c) => {
  const rows = await campaignList(c.env.DB, appidOf(c.env), 50)
  return c.json({ campaigns: await Promise.all(rows.map((row) => campaignView(c.env.DB, row))) })
})

adminSubscribe.get(
  '/admin/api/subscribe/campaigns/:id',
  allow('read'),
  params('param', CampaignParam),
  params('query', CampaignTargetsQuery),
  async (c) => {
    const appid = appidOf(c.env)
    const { id } = c.req.valid('param')
    const { cursor, limit } = c.req.valid('query')
    const row = await readCampaign(c.env.DB, appid, id)
    if (row === null) return refuse(c, 404, 'not_found')
    const targets = await targetPage(c.env.DB, appid, id, cursor ?? '', limit)
    const nextCursor = targets.length === limit ? (targets[targets.length - 1]?.openid ?? null) : null
    return c.json({ ...(await campaignView(c.env.DB, row)), targets, nextCursor })
  },
)

// ---------------------------------------------------------------- uniform service messages

adminSubscribe.post('/admin/api/uniform/send', allow('campaigns'), idempotent, async (c) => {
  const body = await readJson(c.req.raw, UNIFORM_SEND_MAX_BYTES)
  if (!body.ok) return refuse(c, body.status, body.error)
  const parsed = parseUniformSend(body.value)
  if (!parsed.ok) return invalid(c, parsed.problems)
  const errcode = await errcodeAnswer(() => WechatClient.fromEnv(c.env).sendUniform(parsed.value))
  log.info(errcode === 0 ? 'uniform.sent' : 'uniform.failed', { openid: parsed.value.touser, errcode })
  const outcome = errcode === 0 ? 'sent' : `errcode ${errcode}`
  await auditSend(c, 'uniform_send', parsed.value.touser, `template ${parsed.value.mp_template_msg.template_id}, ${outcome}`)
  return errcode === 0 ? c.json({ sent: true }) : wechatRefusal(c, errcode)
})
