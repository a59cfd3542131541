/**
 * `/wechat`: WeChat's URL check (GET) and every push (POST). Client mistakes become a short
 * plain-text 4xx; a setting the operator has not configured becomes a 500 naming it.
 */
import type { Context } from 'hono'
import { Hono } from 'hono/tiny'
import { bodyLimit } from 'hono/body-limit'
import { DEFAULT_MAX_AGE_SECONDS, DEFAULT_MAX_BYTES, numberSetting, pushMode, requireSetting, type Env } from '../settings/env'
import { miniProgramEnv, conversationOf, deskOf, humanDesk } from '../settings/mini-program-state'
import type { RecordInput, RecordResult } from '../conversation/contract'
import { needsRecording, toRecordInput } from '../conversation/push-input'
import { answerDoctorPush, isDoctorPush } from './doctor-push'
import { modelState } from '../ai/model'
import { withModel } from '../ai/plan'
import { PROMPT_LIMITS } from '../ai/prompt'
import { search } from '../knowledge/search'
import { log } from '../log'
import { HANDOFF_RULE_ID, type ReplyPlan } from '../replies'
import { knowledgeQuestion, withFaq } from '../rules/faq'
import { loadRules } from '../rules/loader'
import { decide } from '../rules/match'
import type { RuleSet } from '../rules/rule-set'
import { importCipher } from '../wechat/cipher'
import { unauthorized } from '../wechat/errors'
import { isAuthorizationEvent, msgIdOf, serializeFields, type InboundMessage } from '../wechat/message'
import { actOnAuthorization } from '../users/authorization-events'
import { checkFreshness, openPush, type OpenedPush } from '../wechat/push'
import { sealReply, transferReply } from '../wechat/reply'
import { verifySignature } from '../wechat/signature'
import { appidOf } from '../admin/appid'
import { enqueueUserImage } from '../media/archive-enqueue'
import { emitEvents } from '../webhooks/emit'
import { pushOccurrences } from '../webhooks/occurrences'

type AppContext = Context<{ Bindings: Env }>

export const wechat = new Hono<{ Bindings: Env }>()

const nowSeconds = (): number => Math.floor(Date.now() / 1000)

function freshness(env: Env) {
  return {
    maxAgeSeconds: numberSetting(env, 'PUSH_MAX_AGE_SECONDS', DEFAULT_MAX_AGE_SECONDS),
    now: nowSeconds(),
  }
}

/**
 * `/wechat/<appid>`: the same routes for an app of WECHAT_APPS, with that app's view of the
 * bindings; an appid this Worker does not serve is a 404 before anything is read.
 */
wechat.use('/wechat/:appid', async (c, next) => {
  const view = miniProgramEnv(c.env, c.req.param('appid'))
  // The first app's view is the Env itself: its pushes come to /wechat only.
  if (view === null || view === c.env) return c.text('no such app', 404)
  c.env = view
  await next()
})

wechat.get('/wechat/:appid?', async (c) => {
  const token = requireSetting(c.env, 'WECHAT_TOKEN')
  const { signature, timestamp, nonce, echostr } = c.req.query()
  if (!signature || !timestamp || !nonce || echostr === undefined) {
    return c.text('signature, timestamp, nonce and echostr are required', 400)
  }
  checkFreshness(timestamp, freshness(c.env))
  // Nothing from the request is echoed unless the signature holds.
  if (!(await verifySignature(signature, [token, timestamp, nonce]))) {
    throw unauthorized('bad signature')
  }
  log.info('wechat.url_verified')
  return c.text(echostr)
})

wechat.post(
  '/wechat/:appid?',
  (c, next) =>
    bodyLimit({
      maxSize: numberSetting(c.env, 'PUSH_MAX_BYTES', DEFAULT_MAX_BYTES),
      onError: (c) => c.text('body too large', 413),
    })(c, next),
  async (c) => {
    const push = await open(c)
    // `npm run doctor`'s test push: recorded, answered by nothing.
    if (isDoctorPush(push)) return answerDoctorPush(c, push)
    // WeChat's word about a user's data: acted on for the user it names, never answered by a rule.
    if (isAuthorizationEvent(push.message)) {
      await actOnAuthorization(c.env, push.message)
      return c.text('success')
    }
    const ruleSet = await loadRules(c.env)
    const plan = await fromKnowledge(c.env, ruleSet, push.message, decide(ruleSet, push.message, Date.now()))
    logPush(push, plan)
    const input = toRecordInput(push.message, plan)
    if (!needsRecording(input)) return c.text('success')

    // Durable before WeChat hears back; delivery runs after the answer and never delays it.
    const conversation = conversationOf(c.env, input.openid)
    // The object delivers and copies to the D1 record on its own once the push is durable
    // (a repeat only re-starts delivery); the answer goes back at once.
    const recorded = await conversation.receive(input)
    if (recorded.duplicate) log.info('push.duplicate', { openid: input.openid, msgId: input.msgId, dedupKey: input.dedupKey })
    // Before the desk: a retry after a desk failure is a duplicate, and the events already left.
    else c.executionCtx.waitUntil(emitEvents(c.env, appidOf(c.env), pushOccurrences(input, recorded, humanDesk(c.env))))
    // A user's image is copied from WeChat's 3-day media into MEDIA, after the answer (media/archive-queue.ts).
    if (!recorded.duplicate && push.message.type === 'image')
      c.executionCtx.waitUntil(enqueueUserImage(c.env, appidOf(c.env), push.message))
    if (recorded.transfer && humanDesk(c.env) === 'console') {
      // The console's queue instead of WeChat's tool; a failure here is a 500, and WeChat's
      // retry of the push (a duplicate, transfer still set) queues the user then.
      await toDesk(c.env, input, recorded)
      return c.text('success')
    }
    if (recorded.atDesk && !recorded.duplicate) c.executionCtx.waitUntil(showAtDesk(c.env, input, recorded))
    if (recorded.rating) c.executionCtx.waitUntil(rateAtDesk(c.env, input, recorded.rating.score))
    if (!recorded.transfer) return c.text('success')
    return answerTransfer(c, push)
  },
)

/** HUMAN_DESK = console: the user joins the desk's queue, and their object remembers it. */
async function toDesk(env: Env, input: RecordInput, recorded: RecordResult): Promise<void> {
  const window = recorded.window ?? { closesAt: 0, remaining: 0 }
  const reason = recorded.ruleId === HANDOFF_RULE_ID ? 'handoff' : 'transfer'
  await deskOf(env).arrive({ openid: input.openid, reason, text: input.summary, at: input.at, window })
  if (!recorded.atDesk) await conversationOf(env, input.openid).markDesk(true)
}

/** The user's satisfaction rating after a close: the desk counts it for the agent. Best effort (logged). */
async function rateAtDesk(env: Env, input: RecordInput, score: number): Promise<void> {
  try {
    await deskOf(env).rate(input.openid, score)
  } catch (error) {
    log.warn('desk.rating_failed', {
      openid: input.openid,
      msgId: input.msgId,
      error: error instanceof Error ? error.message : String(error),
    })
  }
}

/** A push from a user at the desk: the consoles watching show it. Best effort: the record has it anyway. */
async function showAtDesk(env: Env, input: RecordInput, recorded: RecordResult): Promise<void> {
  try {
    await deskOf(env).message(input.openid, {
      direction: 'in',
      text: input.summary,
      at: input.at,
      ...(recorded.window ? { window: recorded.window } : {}),
    })
  } catch (error) {
    log.warn('desk.message_failed', {
      openid: input.openid,
      msgId: input.msgId,
      error: error instanceof Error ? error.message : String(error),
    })
  }
}

/**
 * The knowledge base (issue 27): a text the rules left to the default reply (or to nothing) is
 * looked up in the mini program's knowledge base when the rule set's `ai` is enabled. The best
 * FAQ entry at or above `ai.faq_threshold` answers, as `faq:<id>` (rules/faq.ts); else, when
 * the Worker has a model (LLM_*) and passages clear `ai.passage_threshold`, the plan asks the
 * model (ai/plan.ts), which the Conversation object does after "success". The lookup is here,
 * at the edge, so the rule engine stays pure. Whatever goes wrong with it — D1 failing, an
 * answer that is no reply, a malformed LLM setting — the rules' plan stands: the push is never
 * lost.
 */
async function fromKnowledge(env: Env, ruleSet: RuleSet, message: InboundMessage, plan: ReplyPlan): Promise<ReplyPlan> {
  const question = knowledgeQuestion(ruleSet, message, plan)
  if (question === null) return plan
  const fields = { openid: message.fromUserName, msgId: msgIdOf(message) }
  let hits: Awaited<ReturnType<typeof search>>
  try {
    hits = await search(env.DB, env.WECHAT_APPID ?? '', question, PROMPT_LIMITS.passages)
  } catch (error) {
    log.error('knowledge.search_failed', { ...fields, error: error instanceof Error ? error.message : String(error) })
    return plan
  }
  const outcome = withFaq(ruleSet, message, hits)
  if (outcome.kind === 'answer') return outcome.plan
  if (outcome.kind === 'invalid') {
    log.warn('knowledge.answer_invalid', {
      ...fields,
      entryId: outcome.hit.id,
      issue: outcome.issues.map((i) => `${i.path}: ${i.message}`).join('; '),
    })
  }
  const model = modelState(env)
  if (model.kind === 'malformed') log.error('ai.setting', { ...fields, reason: model.reason })
  if (model.kind !== 'ready') return plan
  const step = withModel(ruleSet, plan, question, hits, Date.now())
  return step.kind === 'ask' ? step.plan : plan
}

/** The passive reply that hands the user to the web customer-service tool. */
async function answerTransfer(c: AppContext, push: OpenedPush): Promise<Response> {
  const now = nowSeconds()
  const plaintext = serializeFields(push.format, transferReply(push.message, now))
  const body = push.encrypted
    ? await sealReply(await cipherOf(c.env), push.format, plaintext, {
        token: requireSetting(c.env, 'WECHAT_TOKEN'),
        timestamp: now,
        nonce: c.req.query('nonce') ?? '',
      })
    : plaintext
  const type = push.format === 'json' ? 'application/json' : 'application/xml'
  return c.body(body, 200, { 'content-type': `${type}; charset=utf-8` })
}

function cipherOf(env: Env) {
  return importCipher(requireSetting(env, 'WECHAT_ENCODING_AES_KEY'), requireSetting(env, 'WECHAT_APPID'))
}

async function open(c: AppContext): Promise<OpenedPush> {
  const env = c.env
  const token = requireSetting(env, 'WECHAT_TOKEN')
  const mode = pushMode(env)
  return openPush(c.req.query(), await c.req.text(), {
    token,
    mode,
    cipher: () => cipherOf(env),
    ...freshness(env),
  })
}

/** One line per push: who, which message, and what the rules decided. */
function logPush({ message, format, encrypted }: OpenedPush, plan: ReplyPlan): void {
  const fields = {
    openid: message.fromUserName,
    format,
    encrypted,
    msgId: msgIdOf(message),
    ruleId: plan.ruleId,
    rulesVersion: plan.ruleSetVersion,
    sends: plan.sends.length,
    transfer: plan.transfer,
  }
  if (message.type === 'unknown') {
    log.warn('push.unknown', { ...fields, msgType: message.msgType, pushEvent: message.event })
    return
  }
  log.info('push.received', { ...fields, msgType: message.type })
}
